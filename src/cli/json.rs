//! The JSON documents the CLI prints for a run of several attempts: `probe --investigate
//! --json` is one object holding every attempt's report and the conclusion over them
//! (`assets/investigate.schema.json`), so `json.load` and schema validation work on it.

use serde_json::Value;

use crate::report;
use crate::session::Session;

/// The investigation document's schema number (see `report::document`).
pub const INVESTIGATION_SCHEMA: u32 = report::document::SCHEMA;

/// `--investigate --json`: `{"schema": 2, "tool", "attempts": [report, ...], "case"}`.
pub fn investigation(session: &Session) -> Value {
    let attempts: Vec<Value> = session.attempts.iter().map(report::json::report).collect();
    report::document::document(session, attempts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, Phase, ProbeEvent};
    use crate::plan::{Plan, Target};

    #[test]
    fn one_object_with_every_attempt_and_the_case() {
        let mut s = Session::new();
        for id in [1, 2] {
            for kind in [
                EventKind::AttemptStarted {
                    plan: Box::new(Plan::new(Target::Host("mx.example.net".into()))),
                },
                EventKind::AttemptFinished {
                    failure: None,
                    phase: Phase::Done,
                },
            ] {
                s.apply(&ProbeEvent {
                    attempt: id,
                    at_us: 0,
                    kind,
                });
            }
        }
        let v = investigation(&s);
        assert_eq!(v["schema"], 2);
        assert_eq!(v["attempts"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["attempts"][1]["attempt"], 2);
        assert!(v["case"].is_object(), "{v}");
    }
}

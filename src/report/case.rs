//! The case (the conclusion over a whole session) for the text and JSON reports.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::case::Case;
use crate::report::text::Paint;
use crate::session::Session;

/// The `case` object of the JSON report.
pub fn json(session: &Session) -> Value {
    match Case::of(session) {
        None => Value::Null,
        Some(c) => json!({
            "cause": c.cause,
            "summary": c.summary,
            "confirmed": c.confirmed,
            "steps": c.steps.iter().map(|s| json!({"change": s.change, "outcome": s.outcome, "cause": s.cause})).collect::<Vec<_>>(),
            "connections": c.connections,
            "next_steps": c.next_steps,
        }),
    }
}

/// The "Case" section of the text report (worth printing once there is more than one
/// observation: several attempts, or a scan).
pub fn text(session: &Session, p: Paint) -> String {
    let mut out = String::new();
    let Some(c) = Case::of(session) else {
        return out;
    };
    let _ = writeln!(
        out,
        "\n{} [{}] {}",
        p.bold("Case:"),
        c.cause,
        if c.confirmed {
            p.bold("confirmed")
        } else {
            "suspected".to_string()
        }
    );
    let _ = writeln!(out, "  {}", c.summary);
    let _ = writeln!(out, "  what each change showed:");
    for s in &c.steps {
        let _ = writeln!(out, "    {} → {}", s.change, s.outcome);
    }
    let _ = writeln!(
        out,
        "  {} connection{}",
        c.connections,
        if c.connections == 1 { "" } else { "s" }
    );
    for s in &c.next_steps {
        let _ = writeln!(out, "  next: {}", s.text);
    }
    out
}

//! The one JSON document for a session of several attempts (`assets/investigate.schema.json`,
//! schema 2): every attempt's report and the case over them. `probe --investigate --json`
//! prints it and the interactive view's export (`x`) writes it, so a ticket gets the same
//! conclusion the screen showed.

use serde_json::{Value, json};

use crate::session::Session;

/// The document's schema number: 2, because `--investigate --json` printed one report
/// object per attempt (schema 1), back to back, before.
pub const SCHEMA: u32 = 2;

/// `{"schema": 2, "tool", "attempts": [...], "case"}` with `attempts` as given (each a
/// report of `report::json`, possibly with siblings such as its scans).
pub fn document(session: &Session, attempts: Vec<Value>) -> Value {
    let mut case = crate::report::case::json(session);
    crate::sanitize::neutralize_json(&mut case);
    json!({
        "schema": SCHEMA,
        "tool": format!("tlsdive {}", env!("CARGO_PKG_VERSION")),
        "attempts": attempts,
        "case": case,
    })
}

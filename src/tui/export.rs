//! `x`: the whole session written to three files — the text report of every attempt, the
//! JSON reports as an array, and the recording (JSON lines, for `tlsdive replay`).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::session::Session;

pub fn text(session: &Session) -> String {
    session
        .attempts
        .iter()
        .map(crate::report::text::report)
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn json(session: &Session) -> serde_json::Value {
    serde_json::Value::Array(
        session
            .attempts
            .iter()
            .map(crate::report::json::report)
            .collect(),
    )
}

pub fn recording(session: &Session) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    for ev in session.events() {
        crate::recording::write_event(&mut out, ev)?;
    }
    Ok(out)
}

/// Write `<stem>.txt`, `<stem>.json` and `<stem>.jsonl` into `dir`; returns their paths.
pub fn write(dir: &Path, stem: &str, session: &Session) -> std::io::Result<Vec<PathBuf>> {
    let paths: Vec<PathBuf> = ["txt", "json", "jsonl"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .collect();
    std::fs::write(&paths[0], text(session))?;
    let mut j = std::fs::File::create(&paths[1])?;
    serde_json::to_writer_pretty(&mut j, &json(session))?;
    j.write_all(b"\n")?;
    std::fs::write(&paths[2], recording(session)?)?;
    Ok(paths)
}

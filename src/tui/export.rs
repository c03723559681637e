//! `x`: the whole session written to three files — the text report of every attempt, the
//! JSON reports as an array, and the recording (JSON lines, for `tlsdive replay`). Scans
//! run from the TUI go with their attempt: the scan's text report after the attempt's, a
//! `scans` array beside the report's fields, and `scan_finished` events in the recording.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::session::Session;

pub fn text(session: &Session) -> String {
    session
        .attempts
        .iter()
        .map(|a| {
            let mut out = crate::report::text::report(a);
            for s in &a.scans {
                out.push_str(&format!(
                    "\nScan for attempt #{} ({}):\n{}",
                    a.id,
                    s.what,
                    crate::scan::text::report(&s.profile)
                ));
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn json(session: &Session) -> serde_json::Value {
    serde_json::Value::Array(
        session
            .attempts
            .iter()
            .map(|a| {
                let mut report = crate::report::json::report(a);
                if let (Some(obj), false) = (report.as_object_mut(), a.scans.is_empty()) {
                    let scans = a
                        .scans
                        .iter()
                        .map(|s| serde_json::json!({"what": s.what, "profile": s.profile}))
                        .collect();
                    obj.insert("scans".into(), serde_json::Value::Array(scans));
                }
                report
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_writes_three_files_that_replay() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/scenarios/retries.jsonl"
        );
        let session = crate::recording::read(Path::new(path)).expect("recording");
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = write(dir.path(), "tlsdive-test", &session).expect("export");
        assert_eq!(paths.len(), 3);
        let text = std::fs::read_to_string(&paths[0]).expect("text");
        assert_eq!(text.matches("tlsdive probe").count(), 3, "{text}");
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&paths[1]).expect("json")).expect("JSON");
        assert_eq!(json.as_array().map(Vec::len), Some(3));
        let replayed = crate::recording::read(&paths[2]).expect("replay");
        assert_eq!(replayed.attempts.len(), 3);
        assert_eq!(replayed.events().count(), session.events().count());
    }
}

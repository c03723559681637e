//! `x`: the whole session written to three files — the text report of every attempt and the
//! case over them (what the screen concludes, with its steps), the JSON document with every
//! report and the case (schema 2, as `--investigate --json`), and the recording (JSON
//! lines, for `tlsdive replay`) — and the attempt in view as a pcapng (with its TLS secrets when this run made it) and its
//! certificate chain as sent, in PEM (`<stem>.chain.pem`). Scans
//! run from the TUI go with their attempt: the scan's text report after the attempt's, a
//! `scans` array beside the report's fields, and `scan_finished` events in the recording.
//!
//! The files are named after the target and the time to the millisecond
//! (`tlsdive-mx.example.net-25-20250301T101500.123Z.txt`), and an export never replaces a
//! file: a name that is taken gets a counter (`…-2.txt`), so two exports in the same second
//! — or the same millisecond — keep both.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::session::Session;

/// Every attempt's text report, then the case over them all (as the screen shows it) once
/// there is more than one observation.
pub fn text(session: &Session) -> String {
    let mut out = attempts_text(session);
    let several =
        session.attempts.len() > 1 || session.attempts.iter().any(|a| !a.scans.is_empty());
    if several {
        let case = crate::report::case::text(session, crate::report::text::Paint { on: false });
        out.push_str(&crate::sanitize::neutralize_lines(&case));
    }
    out
}

fn attempts_text(session: &Session) -> String {
    session
        .attempts
        .iter()
        .map(|a| {
            let mut out = crate::report::text::report(a);
            for s in &a.scans {
                out.push_str(&format!(
                    "\nScan for attempt #{} ({}):\n{}",
                    a.id,
                    s.kind.label(),
                    crate::scan::text::report(&s.profile)
                ));
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The session document (`report::document`, schema 2): every attempt's report with its
/// scans beside its fields, and the case over them, as `probe --investigate --json` prints.
pub fn json(session: &Session) -> serde_json::Value {
    crate::report::document::document(session, attempt_reports(session))
}

fn attempt_reports(session: &Session) -> Vec<serde_json::Value> {
    session
        .attempts
        .iter()
        .map(|a| {
            let mut report = crate::report::json::report(a);
            if let (Some(obj), false) = (report.as_object_mut(), a.scans.is_empty()) {
                let scans = a
                    .scans
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "what": s.kind.label(),
                            "kind": s.kind,
                            "profile": s.profile,
                        })
                    })
                    .collect();
                obj.insert("scans".into(), serde_json::Value::Array(scans));
            }
            report
        })
        .collect()
}

pub fn recording(session: &Session) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    for ev in session.events() {
        crate::recording::write_event(&mut out, &ev)?;
    }
    Ok(out)
}

const EXTS: [&str; 3] = ["txt", "json", "jsonl"];

/// The environment variable naming the folder `x` writes into (the current one otherwise).
pub const DIR_VARIABLE: &str = "TLSDIVE_EXPORT_DIR";

/// Where `x` writes: `$TLSDIVE_EXPORT_DIR` if set and not empty, else the current folder.
pub fn dir() -> PathBuf {
    match std::env::var_os(DIR_VARIABLE) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => std::env::current_dir().unwrap_or_else(|_| ".".into()),
    }
}

/// Every written file in one short line: the folder once, then the shared name with each
/// ending (`into /tmp: tlsdive-mx-25-….{txt,json,jsonl,pcapng,chain.pem}`), so none is cut
/// off the status line.
pub fn where_written(dir: &Path, paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    let stem = names
        .first()
        .and_then(|n| n.strip_suffix(".txt"))
        .unwrap_or_default()
        .to_string();
    let endings: Option<Vec<&str>> = names
        .iter()
        .map(|n| n.strip_prefix(&stem).and_then(|e| e.strip_prefix('.')))
        .collect();
    let files = match endings {
        Some(e) if !stem.is_empty() => format!("{stem}.{{{}}}", e.join(",")),
        _ => names.join(", "),
    };
    let shown = crate::sanitize::neutralize(&dir.display().to_string()).into_owned();
    format!("{} files into {shown}: {files}", names.len())
}

/// The file-name stem for an export at `now`: target, port and UTC time to the millisecond.
pub fn stem(session: &Session, now: SystemTime) -> String {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = i64::try_from(since.as_secs()).unwrap_or(0);
    let time = crate::cert::rfc3339(secs).replace(['-', ':'], "");
    let time = time.trim_end_matches('Z');
    let target = session
        .latest()
        .and_then(|a| a.plan.as_ref())
        .map(|p| format!("{}-{}", file_safe(&p.target.display_name()), p.port));
    let mut out = String::from("tlsdive-");
    if let Some(t) = target {
        out.push_str(&t);
        out.push('-');
    }
    out.push_str(&format!("{time}.{:03}Z", since.subsec_millis()));
    out
}

/// A name from a server or the user, as a file name: letters, digits, `.`, `-`, `_`.
fn file_safe(s: &str) -> String {
    let s: String = s
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.trim_start_matches('.').to_string()
}

/// Write the session into `dir` under a new name (see the module doc); returns the paths.
pub fn write_new(dir: &Path, session: &Session, now: SystemTime) -> std::io::Result<Vec<PathBuf>> {
    let base = stem(session, now);
    for n in 1..1000 {
        let name = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        match write(dir, &name, session) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            other => return other,
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{base}: 999 exports of that name exist already"),
    ))
}

/// Write `<stem>.txt`, `<stem>.json` and `<stem>.jsonl` into `dir`, never replacing a file
/// (an `AlreadyExists` error if one of them is taken); returns their paths.
pub fn write(dir: &Path, stem: &str, session: &Session) -> std::io::Result<Vec<PathBuf>> {
    let paths: Vec<PathBuf> = EXTS
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .collect();
    // Claim all three names first, so a taken one leaves nothing half-written behind.
    let mut files = Vec::new();
    for p in &paths {
        match OpenOptions::new().write(true).create_new(true).open(p) {
            Ok(f) => files.push(f),
            Err(e) => {
                for q in &paths[..files.len()] {
                    let _ = std::fs::remove_file(q);
                }
                return Err(e);
            }
        }
    }
    let [mut t, mut j, mut r]: [File; 3] = files
        .try_into()
        .map_err(|_| std::io::Error::other("three files"))?;
    t.write_all(text(session).as_bytes())?;
    serde_json::to_writer_pretty(&mut j, &json(session))?;
    j.write_all(b"\n")?;
    r.write_all(&recording(session)?)?;
    Ok(paths)
}

/// Beside an export's first file (`<stem>.txt`), `<stem>.chain.pem`: attempt `a`'s chain as
/// sent (see `report::pem`); `None` when it has no chain in PEM.
pub fn chain(beside: &Path, a: &crate::session::Attempt) -> Result<Option<PathBuf>, String> {
    let Some(text) = crate::report::pem::chain(a) else {
        return Ok(None);
    };
    let path = beside.with_extension("chain.pem");
    new_file(&path, crate::sanitize::neutralize_lines(&text).as_bytes())?;
    Ok(Some(path))
}

/// Write `bytes` to `path`, which must not exist yet.
fn new_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Beside an export's first file (`<stem>.txt`), `<stem>.pcapng`: attempt `a`'s connection.
pub fn pcap(
    beside: &Path,
    a: &crate::session::Attempt,
    key_log: Option<&str>,
) -> Result<PathBuf, String> {
    let bytes = crate::pcap::pcapng(a, key_log).map_err(|e| e.to_string())?;
    let path = beside.with_extension("pcapng");
    new_file(&path, &bytes)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_written_names_the_folder_once_and_every_ending() {
        let dir = Path::new("out");
        let paths: Vec<PathBuf> = ["txt", "json", "jsonl", "pcapng", "chain.pem"]
            .iter()
            .map(|e| dir.join(format!("tlsdive-mx-25-20261202T100000.000Z.{e}")))
            .collect();
        assert_eq!(
            where_written(dir, &paths),
            "5 files into out: tlsdive-mx-25-20261202T100000.000Z.{txt,json,jsonl,pcapng,chain.pem}"
        );
    }

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
        assert_eq!(json["attempts"].as_array().map(Vec::len), Some(3));
        let replayed = crate::recording::read(&paths[2]).expect("replay");
        assert_eq!(replayed.attempts.len(), 3);
        assert_eq!(replayed.events().count(), session.events().count());
    }

    /// Issue 7: exports were named `tlsdive-<seconds>` and overwrote each other within the
    /// same second. Two exports at the very same instant now keep both, named after the target.
    #[test]
    fn exports_at_the_same_instant_never_overwrite() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/scenarios/healthy.jsonl"
        );
        let session = crate::recording::read(Path::new(path)).expect("recording");
        let dir = tempfile::tempdir().expect("tempdir");
        let now = UNIX_EPOCH + std::time::Duration::from_millis(1_740_823_500_123);
        let first = write_new(dir.path(), &session, now).expect("first export");
        let second = write_new(dir.path(), &session, now).expect("second export");
        let name = |p: &PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
        let port = session
            .latest()
            .and_then(|a| a.plan.as_ref())
            .map(|p| p.port)
            .expect("a plan");
        assert_eq!(
            name(&first[0]),
            format!("tlsdive-127.0.0.1-{port}-20250301T100500.123Z.txt")
        );
        assert_eq!(
            name(&second[0]),
            format!("tlsdive-127.0.0.1-{port}-20250301T100500.123Z-2.txt")
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 6);
        // A taken name is never written to.
        std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
        assert!(write(dir.path(), "keep", &session).is_err());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(),
            "mine"
        );
        assert!(!dir.path().join("keep.json").exists());
    }
}

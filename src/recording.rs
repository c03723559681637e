//! Recordings: the event stream as JSON lines, one `ProbeEvent` per line. Replaying a
//! recording into a `Session` gives exactly what was seen live.

use std::io::{BufRead, Write};
use std::path::Path;

use crate::event::ProbeEvent;
use crate::session::Session;

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("cannot read recording {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} line {line}: not a tlsdive event ({detail})")]
    Parse {
        path: String,
        line: usize,
        detail: String,
    },
    #[error("{0} holds no events")]
    Empty(String),
}

/// Write one event as a line.
pub fn write_event<W: Write>(w: &mut W, ev: &ProbeEvent) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, ev)?;
    w.write_all(b"\n")
}

/// Read a recording into a session.
pub fn read(path: &Path) -> Result<Session, RecordingError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| RecordingError::Read {
        path: name.clone(),
        source,
    })?;
    read_from(std::io::BufReader::new(file), &name)
}

pub fn read_from<R: BufRead>(r: R, name: &str) -> Result<Session, RecordingError> {
    let mut session = Session::new();
    let mut any = false;
    for (i, line) in r.lines().enumerate() {
        let line = line.map_err(|source| RecordingError::Read {
            path: name.to_string(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let ev: ProbeEvent = serde_json::from_str(&line).map_err(|e| RecordingError::Parse {
            path: name.to_string(),
            line: i + 1,
            detail: e.to_string(),
        })?;
        session.apply(&ev);
        any = true;
    }
    if !any {
        return Err(RecordingError::Empty(name.to_string()));
    }
    Ok(session)
}

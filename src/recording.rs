//! Recordings: the event stream as JSON lines, one `ProbeEvent` per line. Replaying a
//! recording into a `Session` gives exactly what was seen live.
//!
//! Each event is written (one `write` call, no buffering) as it happens, so a probe killed by
//! a signal leaves every event so far. A recording is untrusted input when read back: lines
//! and the whole file are capped, a last line cut short (the writer was killed mid-line) is
//! dropped with a note, and anything else that is not an event is an error naming the line.

use std::fs::File;
use std::io::{BufRead, Write};

use std::path::Path;

use crate::event::{EventKind, ProbeEvent};
use crate::sanitize::{cap, escape_str, neutralize};
use crate::session::Session;

/// The longest line read back: an event with a whole certificate chain and a scan profile
/// stays well under it.
pub const MAX_LINE: usize = 1 << 20;
/// The most read back from one recording: hundreds of attempts.
pub const MAX_FILE: u64 = 32 << 20;
/// Attempts replayed from one recording (a repeat runs at most 1,000); the events of later
/// attempts are counted and left out, so a file of tiny attempts replays fast and small.
pub const MAX_ATTEMPTS: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("cannot read recording {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{path} line {line}: not a tlsdive event ({detail})")]
    Parse {
        path: String,
        line: usize,
        detail: String,
    },
    #[error("{path} line {line}: longer than {limit} bytes; not a tlsdive recording")]
    LineTooLong {
        path: String,
        line: usize,
        limit: usize,
    },
    #[error("{path}: larger than {limit} bytes; not read further")]
    TooLarge { path: String, limit: u64 },
    #[error("{0} holds no events")]
    Empty(String),
}

/// A recording's last line that was cut short: replayed without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutLine {
    /// Its line number, from 1.
    pub line: usize,
    /// How many bytes of it there were.
    pub bytes: usize,
}

impl CutLine {
    /// What a person is told, on stderr and as a note in the replayed attempt.
    pub fn words(&self, name: &str) -> String {
        format!(
            "recording {name} was cut: its last line ({}, {} bytes) is incomplete; replayed the {} whole line{} before it",
            self.line,
            self.bytes,
            self.line - 1,
            if self.line == 2 { "" } else { "s" }
        )
    }
}

/// A recording read back.
#[derive(Debug)]
pub struct Loaded {
    pub session: Session,
    pub cut: Option<CutLine>,
}

/// Limits for reading a recording (tests use small ones).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub line: usize,
    pub file: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            line: MAX_LINE,
            file: MAX_FILE,
        }
    }
}

/// Write one event as a line.
pub fn write_event<W: Write>(w: &mut W, ev: &ProbeEvent) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, ev)?;
    w.write_all(b"\n")
}

/// A recording being written: every event reaches the file when it happens.
#[derive(Debug)]
pub struct Recorder {
    file: File,
    path: std::path::PathBuf,
    line: Vec<u8>,
}

impl Recorder {
    /// Open `--record FILE` (see `files::open_output`), before any connection.
    pub fn create(path: &Path) -> Result<Recorder, crate::files::OutputError> {
        Ok(Recorder {
            file: crate::files::open_output(
                "--record",
                path,
                crate::files::Output::Replace,
                false,
            )?,
            path: path.to_path_buf(),
            line: Vec::new(),
        })
    }

    /// Write `ev` as one line in one `write` call, so a kill leaves whole lines. A failed
    /// write (a full disk, `/dev/full`) is named with the file.
    pub fn record(&mut self, ev: &ProbeEvent) -> Result<(), crate::files::OutputError> {
        self.line.clear();
        let werr = |e: &std::io::Error| crate::files::OutputError::write("--record", &self.path, e);
        write_event(&mut self.line, ev).map_err(|e| werr(&e))?;
        self.file.write_all(&self.line).map_err(|e| werr(&e))
    }
}

/// Read a recording into a session.
pub fn read(path: &Path) -> Result<Session, RecordingError> {
    load(path).map(|l| l.session)
}

/// Read a recording, saying whether its last line was cut.
pub fn load(path: &Path) -> Result<Loaded, RecordingError> {
    let name = neutralize(&path.display().to_string()).into_owned();
    let file = File::open(path).map_err(|error| RecordingError::Read {
        path: name.clone(),
        error,
    })?;
    load_from(std::io::BufReader::new(file), &name, Limits::default())
}

/// Read a recording from any reader (`name` is for messages).
pub fn read_from<R: BufRead>(r: R, name: &str) -> Result<Session, RecordingError> {
    load_from(r, name, Limits::default()).map(|l| l.session)
}

/// Read a recording within `limits`. A cut last line adds a note to the last attempt.
pub fn load_from<R: BufRead>(r: R, name: &str, limits: Limits) -> Result<Loaded, RecordingError> {
    let mut input = r.take(limits.file.saturating_add(1));
    let mut session = Session::new();
    let mut last: Option<(u32, u64)> = None;
    let mut cut = None;
    let mut buf = Vec::new();
    let mut total = 0u64;
    let mut left_out = 0u64;
    let mut max_id = 0u32;
    for line in 1.. {
        let read =
            crate::files::lines::next(&mut input, limits.line, &mut buf).map_err(|error| {
                RecordingError::Read {
                    path: name.to_string(),
                    error,
                }
            })?;
        let n = read.bytes_read(&buf);
        total += n as u64;
        if total > limits.file {
            return Err(RecordingError::TooLarge {
                path: name.to_string(),
                limit: limits.file,
            });
        }
        let whole = match read {
            crate::files::lines::Line::End => break,
            crate::files::lines::Line::TooLong => {
                return Err(RecordingError::LineTooLong {
                    path: name.to_string(),
                    line,
                    limit: limits.line,
                });
            }
            crate::files::lines::Line::Whole { newline } => newline,
        };
        if buf.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let ev = match parse(&buf) {
            Ok(ev) => ev,
            // Without its newline the last line may just have been cut by a kill.
            Err(_) if !whole => {
                cut = Some(CutLine { line, bytes: n });
                break;
            }
            Err(detail) => {
                return Err(RecordingError::Parse {
                    path: name.to_string(),
                    line,
                    detail,
                });
            }
        };
        if session.attempts.len() >= MAX_ATTEMPTS {
            let known = session.latest().is_some_and(|l| l.id == ev.attempt)
                || (ev.attempt <= max_id && session.attempt(ev.attempt).is_some());
            if !known {
                left_out = left_out.saturating_add(1);
                continue;
            }
        }
        max_id = max_id.max(ev.attempt);
        last = Some((ev.attempt, ev.at_us));
        session.apply(&ev);
    }
    let Some((attempt, at_us)) = last else {
        return Err(RecordingError::Empty(name.to_string()));
    };
    if left_out > 0 {
        session.apply(&ProbeEvent {
            attempt,
            at_us,
            kind: EventKind::Note {
                text: format!(
                    "recording {name} holds more than {MAX_ATTEMPTS} attempts: {} events of later attempts were not replayed",
                    crate::units::thousands(left_out)
                ),
            },
        });
    }
    if let Some(c) = cut {
        session.apply(&ProbeEvent {
            attempt,
            at_us,
            kind: EventKind::Note {
                text: c.words(name),
            },
        });
    }
    Ok(Loaded { session, cut })
}

/// One line as an event; the error is safe to print (serde quotes the input it saw).
fn parse(line: &[u8]) -> Result<ProbeEvent, String> {
    serde_json::from_slice(line).map_err(|e| cap(&escape_str(&e.to_string()), 200))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines() -> String {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios");
        std::fs::read_to_string(dir.join("starttls-454.jsonl")).expect("fixture")
    }

    fn load_str(text: &str, limits: Limits) -> Result<Loaded, RecordingError> {
        load_from(text.as_bytes(), "rec.jsonl", limits)
    }

    #[test]
    fn a_cut_last_line_is_dropped_with_a_note() {
        let text = lines();
        let whole = text.lines().count();
        let cut_at = text.trim_end().len() - 10;
        let loaded = load_str(&text[..cut_at], Limits::default()).expect("replays");
        let cut = loaded.cut.expect("cut noticed");
        assert_eq!(cut.line, whole);
        let a = loaded.session.latest().expect("attempt");
        assert_eq!(a.events().len(), whole, "whole lines + the note");
        let (_, note) = a.notes.last().expect("note");
        assert!(
            note.contains("was cut") && note.contains("rec.jsonl"),
            "{note}"
        );
        // A whole recording without its final newline is not cut.
        let full = load_str(text.trim_end(), Limits::default()).expect("replays");
        assert_eq!(full.cut, None);
    }

    #[test]
    fn garbage_in_the_middle_names_the_line() {
        let text = lines();
        let mut l: Vec<&str> = text.lines().collect();
        // serde quotes an unknown tag raw in its message: here an OSC 52.
        l.insert(2, r#"{"event":"\u001b]52;c;aGk=\u0007"}"#);
        let e = load_str(&l.join("\n"), Limits::default()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("rec.jsonl line 3: not a tlsdive event"),
            "{msg}"
        );
        assert!(!msg.chars().any(crate::sanitize::is_unsafe), "{msg:?}");
    }

    #[test]
    fn lines_and_files_are_capped() {
        let text = lines();
        let small = Limits {
            line: 64,
            file: MAX_FILE,
        };
        assert!(matches!(
            load_str(&text, small),
            Err(RecordingError::LineTooLong { line: 1, .. })
        ));
        let tiny = Limits {
            line: MAX_LINE,
            file: 100,
        };
        assert!(matches!(
            load_str(&text, tiny),
            Err(RecordingError::TooLarge { .. })
        ));
        // Endless input without a newline (think /dev/zero) stops at the line cap.
        let zeros = std::io::BufReader::new(std::io::repeat(0));
        let e = load_from(zeros, "/dev/zero", Limits::default()).unwrap_err();
        assert!(
            matches!(e, RecordingError::LineTooLong { line: 1, .. }),
            "{e}"
        );
    }
}

//! The tap's TLS side, switched on at STARTTLS (at once for implicit TLS): it feeds the record
//! parser and the TLS 1.3 decryption, reports each record on the timeline, and keeps the counts
//! of the server's current flight that the handshake's flight deadline reads.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::engine::Emitter;
use crate::engine::secrets::Secrets;
use crate::event::EventKind;
use crate::wire::tls13::Unprotected;
use crate::wire::{Dir, MAX_RECORDS, MessageInfo, RecordInfo, Tracker};

/// The server's current flight, as the tap sees it: when its turn began (our last write)
/// and what it sent since. The flight deadline counts from `started`, so a server that
/// dribbles bytes, empty records or warning alerts cannot push it back.
#[derive(Clone, Default)]
pub struct Flight {
    state: Arc<Mutex<FlightState>>,
}

/// A snapshot of [`Flight`].
#[derive(Debug, Clone, Copy)]
pub struct FlightState {
    /// When we last wrote: the server's turn began then.
    pub started: Instant,
    /// Bytes, complete records, empty records and warning alerts since `started`.
    pub bytes: u64,
    pub records: u32,
    pub empty_records: u32,
    pub warning_alerts: u32,
    /// Complete server records over the whole connection.
    pub server_records: u32,
    /// Server bytes over the whole connection.
    pub server_bytes: u64,
    /// The socket itself failed (reset, ...): an I/O error then is not rustls' own.
    pub socket_failed: bool,
}

impl Default for FlightState {
    fn default() -> Self {
        FlightState {
            started: Instant::now(),
            bytes: 0,
            records: 0,
            empty_records: 0,
            warning_alerts: 0,
            server_records: 0,
            server_bytes: 0,
            socket_failed: false,
        }
    }
}

/// What one read brought of complete server records.
#[derive(Default)]
struct Records {
    all: u32,
    empty: u32,
    warnings: u32,
}

impl Records {
    fn count(&mut self, record: &RecordInfo) {
        self.all += 1;
        if record.length == 0 {
            self.empty += 1;
        }
        let warning = record
            .messages
            .iter()
            .any(|m| matches!(m, MessageInfo::Alert(a) if a.level == "warning"));
        if warning {
            self.warnings += 1;
        }
    }
}

impl Flight {
    pub fn new() -> Flight {
        Flight::default()
    }

    /// Borrow the state under the lock (no copy taken on the tap's paths).
    pub fn with<T>(&self, f: impl FnOnce(&mut FlightState) -> T) -> T {
        // A poisoned lock only means a panic elsewhere; the counts are still usable.
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// A copy of the counts, for the deadline's report.
    pub fn snapshot(&self) -> FlightState {
        self.with(|s| *s)
    }

    fn we_wrote(&self) {
        self.with(|s| {
            s.started = Instant::now();
            s.bytes = 0;
            s.records = 0;
            s.empty_records = 0;
            s.warning_alerts = 0;
        });
    }

    /// Count `n` server bytes; says whether they are the first of the connection.
    fn server_sent(&self, n: usize) -> bool {
        self.with(|s| {
            let first = s.server_bytes == 0;
            s.bytes += n as u64;
            s.server_bytes += n as u64;
            first
        })
    }

    fn server_records(&self, r: &Records) {
        if r.all == 0 {
            return;
        }
        self.with(|s| {
            s.records += r.all;
            s.server_records += r.all;
            s.empty_records += r.empty;
            s.warning_alerts += r.warnings;
        });
    }

    pub(super) fn socket_failed(&self) {
        self.with(|s| s.socket_failed = true);
    }
}

/// The TLS side of the tap.
pub(super) struct Watcher {
    records: usize,
    tracker: Tracker,
    flight: Flight,
    /// Set in STARTTLS mode: the engine time (µs) the 220 to STARTTLS was read, so the
    /// server's first bytes can be checked for an SMTP reply sent out of turn.
    after_220: Option<u64>,
    /// The handshake's secrets as rustls logs them, and how many the tracker has.
    secrets: (Secrets, usize),
}

impl Watcher {
    pub(super) fn new(flight: Flight, secrets: Secrets, after_220: Option<u64>) -> Watcher {
        flight.we_wrote();
        Watcher {
            records: 0,
            tracker: Tracker::new(),
            flight,
            after_220,
            secrets: (secrets, 0),
        }
    }

    pub(super) fn flight(&self) -> &Flight {
        &self.flight
    }

    /// Hands new secrets to the tracker and reports the records they opened. rustls logs a
    /// secret while it processes bytes the tap has already passed on, so this runs before
    /// and after each read or write: a server flight is opened by the time we answer it.
    pub(super) fn decrypt(&mut self, em: &Emitter) {
        let (secrets, seen) = &mut self.secrets;
        for s in secrets.since(*seen) {
            *seen += 1;
            self.tracker.add_secret(&s.label, &s.secret);
        }
        if self.records > MAX_RECORDS {
            return;
        }
        for found in self.tracker.take_decrypted() {
            let kind = match found {
                Unprotected::Record(d) => EventKind::TlsDecrypted {
                    dir: d.dir,
                    record: d.record,
                    content_type: d.content_type,
                    messages: d.messages,
                },
                Unprotected::Stopped { dir, record, why } => EventKind::Note {
                    text: format!(
                        "{} records from #{} on are not decrypted: {why}",
                        match dir {
                            Dir::Client => "our",
                            Dir::Server => "the server's",
                        },
                        record + 1
                    ),
                },
            };
            em.emit(kind);
        }
    }

    fn first_server_bytes(&mut self, bytes: &[u8], em: &Emitter) {
        let Some(at_220) = self.after_220.take() else {
            return;
        };
        if crate::wire::record::looks_like_smtp_reply(bytes) {
            let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
            em.emit(EventKind::SmtpReplyInTls {
                preview: crate::sanitize::cap(&crate::sanitize::escape_bytes(line), 200),
                after_220_us: em.now_us().saturating_sub(at_220),
            });
        }
    }

    /// One read or write that moved bytes, as the slices it moved (a vectored write gives
    /// several; the tracker reassembles records across them).
    pub(super) fn observe(&mut self, dir: Dir, parts: &[&[u8]], em: &Emitter) {
        match dir {
            Dir::Server => {
                let n = parts.iter().map(|p| p.len()).sum();
                if self.flight.server_sent(n)
                    && let Some(first) = parts.first()
                {
                    self.first_server_bytes(first, em);
                }
            }
            Dir::Client => self.flight.we_wrote(),
        }
        if self.records > MAX_RECORDS {
            return;
        }
        self.decrypt(em);
        let mut counted = Records::default();
        'parts: for part in parts {
            for record in self.tracker.feed(dir, part) {
                if dir == Dir::Server {
                    counted.count(&record);
                }
                self.records += 1;
                if self.records > MAX_RECORDS {
                    em.emit(EventKind::Note {
                        text: format!(
                            "more than {MAX_RECORDS} TLS records: the timeline stops here"
                        ),
                    });
                    break 'parts;
                }
                em.emit(EventKind::TlsRecord { dir, record });
            }
            self.decrypt(em);
        }
        self.flight.server_records(&counted);
    }
}

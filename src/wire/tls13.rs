//! Following a TLS 1.3 connection through its encryption: the attempt's own traffic secrets
//! (from rustls' `KeyLog`) open each direction's protected records in order, handshake keys
//! until that side's Finished, then application keys. Pure; the tracker drives it.
//!
//! Secrets may arrive after the records they open (rustls derives them while processing
//! bytes the tap already saw), so records wait in a bounded queue until their keys come.

use std::collections::VecDeque;

use super::alert::decode_alert_record;
use super::decrypt::{Opened, RecordKeys};
use super::handshake::{Context, HandshakeBuffer, decode_message};
use super::info::{Dir, MessageInfo};
use super::names::content_type_name;

/// Records held back waiting for keys, per direction; more means keys are not coming.
pub const MAX_WAITING: usize = 64;
/// How much of an application-data record's first line is quoted.
const CARRIES_LEN: usize = 60;

/// What one protected record turned out to carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Decrypted {
    pub dir: Dir,
    /// Index of the record among this direction's records (0-based, as the tracker counted).
    pub record: usize,
    /// The real content type's name.
    pub content_type: String,
    pub messages: Vec<MessageInfo>,
}

/// What the decryptor has to say: a decrypted record, or why it stopped decrypting a
/// direction (said once; later records of that direction stay encrypted).
#[derive(Debug, Clone, PartialEq)]
pub enum Unprotected {
    Record(Decrypted),
    Stopped {
        dir: Dir,
        record: usize,
        why: String,
    },
}

/// One traffic secret, never shown.
#[derive(Clone, Default)]
struct Secret(Option<Vec<u8>>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Secret(..)"
        } else {
            "Secret(none)"
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Epoch {
    #[default]
    Handshake,
    Application,
    Stopped,
}

#[derive(Debug, Default)]
struct Side {
    handshake_secret: Secret,
    application_secret: Secret,
    epoch: Epoch,
    keys: Option<RecordKeys>,
    waiting: VecDeque<(usize, [u8; 5], Vec<u8>)>,
    messages: HandshakeBuffer,
}

/// Both directions of one TLS 1.3 connection.
#[derive(Debug, Default)]
pub struct Decryptor {
    client: Side,
    server: Side,
    out: Vec<Unprotected>,
}

impl Decryptor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one secret in NSS key-log terms (`label` as rustls names it). Labels other than
    /// the four TLS 1.3 traffic secrets are ignored.
    pub fn add_secret(&mut self, label: &str, secret: &[u8]) {
        let (side, application) = match label {
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => (&mut self.client, false),
            "SERVER_HANDSHAKE_TRAFFIC_SECRET" => (&mut self.server, false),
            "CLIENT_TRAFFIC_SECRET_0" => (&mut self.client, true),
            "SERVER_TRAFFIC_SECRET_0" => (&mut self.server, true),
            _ => return,
        };
        let slot = if application {
            &mut side.application_secret
        } else {
            &mut side.handshake_secret
        };
        *slot = Secret(Some(secret.to_vec()));
    }

    /// Queues one protected record (outer type application_data) of `dir`.
    pub fn push(&mut self, dir: Dir, record: usize, header: [u8; 5], payload: Vec<u8>) {
        let side = self.side(dir);
        if side.epoch == Epoch::Stopped {
            return;
        }
        side.waiting.push_back((record, header, payload));
        if side.waiting.len() > MAX_WAITING {
            self.stop(
                dir,
                record,
                format!("more than {MAX_WAITING} records arrived before their keys"),
            );
        }
    }

    /// Opens every queued record whose keys are known (`suite`: the negotiated TLS 1.3
    /// cipher suite) and returns what came out since the last call.
    pub fn drain(&mut self, suite: Option<u16>) -> Vec<Unprotected> {
        for dir in [Dir::Client, Dir::Server] {
            self.open_waiting(dir, suite);
        }
        std::mem::take(&mut self.out)
    }

    fn side(&mut self, dir: Dir) -> &mut Side {
        match dir {
            Dir::Client => &mut self.client,
            Dir::Server => &mut self.server,
        }
    }

    fn stop(&mut self, dir: Dir, record: usize, why: String) {
        let side = self.side(dir);
        side.epoch = Epoch::Stopped;
        side.keys = None;
        side.waiting.clear();
        self.out.push(Unprotected::Stopped { dir, record, why });
    }

    fn open_waiting(&mut self, dir: Dir, suite: Option<u16>) {
        let Some(suite) = suite else { return };
        loop {
            let side = self.side(dir);
            let Some((record, _, _)) = side.waiting.front() else {
                return;
            };
            let record = *record;
            if side.keys.is_none() {
                let secret = match side.epoch {
                    Epoch::Handshake => &side.handshake_secret,
                    Epoch::Application => &side.application_secret,
                    Epoch::Stopped => return,
                };
                let Some(secret) = &secret.0 else { return };
                match RecordKeys::new(suite, secret) {
                    Ok(keys) => side.keys = Some(keys),
                    Err(e) => return self.stop(dir, record, e.to_string()),
                }
            }
            let Some((record, header, payload)) = side.waiting.pop_front() else {
                return;
            };
            let Some(keys) = side.keys.as_mut() else {
                return;
            };
            match keys.open(&header, &payload) {
                Ok(opened) => {
                    let messages = self.read(dir, &opened);
                    self.out.push(Unprotected::Record(Decrypted {
                        dir,
                        record,
                        content_type: content_type_name(opened.content_type),
                        messages,
                    }));
                }
                Err(e) => return self.stop(dir, record, e.to_string()),
            }
        }
    }

    /// Decodes a record's plaintext; a Finished moves its side to application keys.
    fn read(&mut self, dir: Dir, opened: &Opened) -> Vec<MessageInfo> {
        let plain = &opened.plaintext;
        match opened.content_type {
            22 => {
                let ctx = Context {
                    version: Some(0x0304),
                    suite: None,
                };
                let mut out = Vec::new();
                for m in self.side(dir).messages.push(plain) {
                    match m {
                        Ok(msg) => {
                            match msg.typ {
                                20 => {
                                    let side = self.side(dir);
                                    side.epoch = Epoch::Application;
                                    side.keys = None;
                                }
                                // KeyUpdate: the next keys are derived from these; not followed.
                                24 => {
                                    let side = self.side(dir);
                                    side.epoch = Epoch::Stopped;
                                    side.keys = None;
                                }
                                _ => {}
                            }
                            out.push(decode_message(&msg, ctx).info());
                        }
                        Err(reason) => out.push(MessageInfo::Malformed { reason }),
                    }
                }
                out
            }
            21 => decode_alert_record(plain),
            23 => vec![application_data(plain)],
            _ => Vec::new(),
        }
    }
}

/// Application data summarised: its size, how many lines, and the first one quoted.
fn application_data(plain: &[u8]) -> MessageInfo {
    let first = plain.split(|b| *b == b'\n').next().unwrap_or_default();
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let mut carries = crate::sanitize::escape_bytes(&first[..first.len().min(CARRIES_LEN)]);
    if first.len() > CARRIES_LEN {
        carries.push('…');
    }
    MessageInfo::ApplicationData {
        length: plain.len(),
        carries: (!plain.is_empty()).then_some(carries),
        lines: plain.windows(2).filter(|w| w == b"\r\n").count(),
    }
}

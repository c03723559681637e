//! The connection-level parser the engine's tap feeds: bytes in, one `RecordInfo` per record.
//!
//! It keeps a record framer and a handshake reassembler per direction, and follows the
//! handshake far enough to know which records are encrypted:
//! - a record of type application_data (23) is always encrypted — in TLS 1.3 every protected
//!   record carries that outer type (RFC 8446 §5.2);
//! - before TLS 1.3, a direction is encrypted after its ChangeCipherSpec (RFC 5246 §7.1);
//! - in TLS 1.3 a ChangeCipherSpec is only middlebox camouflage (RFC 8446 §D.4) and changes
//!   nothing. After a TLS 1.3 ServerHello, records of other types are still shown as what
//!   they claim: a plaintext alert there is a peer that failed before it had keys, which is
//!   exactly what a diagnosis wants to see.
//!
//! Feed each direction's bytes in the order they crossed the wire (interleaved as they
//! happened); the CCS rule needs to have seen the ServerHello first.
//!
//! Given the connection's own TLS 1.3 traffic secrets (`add_secret`), it also opens the
//! protected records (`tls13`); `take_decrypted` hands out what they carried, by record index.

use super::alert::decode_alert_record;
use super::handshake::{Context, Decoded, HandshakeBuffer, decode_message};
use super::hello::is_tls13;
use super::info::{Dir, MessageInfo, RecordInfo};
use super::names::{content_type_name, version_name};
use super::record::{Framed, RawRecord, RecordBuffer};
use super::tls13::{Decryptor, Unprotected};

const CHANGE_CIPHER_SPEC: u8 = 20;
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;

/// One direction's parsing state.
#[derive(Debug, Default)]
struct Side {
    records: RecordBuffer,
    /// Records framed so far (the index of the next one).
    count: usize,
    handshake: HandshakeBuffer,
    /// Set by a pre-1.3 ChangeCipherSpec: every later record is ciphertext.
    encrypted: bool,
}

/// Decodes both directions of one TLS connection.
#[derive(Debug, Default)]
pub struct Tracker {
    decryptor: Decryptor,
    client: Side,
    server: Side,
    offered_versions: Vec<u16>,
    client_hello_size: Option<usize>,
    retry_requested: bool,
    version: Option<u16>,
    suite: Option<u16>,
    group: Option<u16>,
}

impl Tracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `bytes` sent in direction `dir`; returns a summary of each record completed.
    pub fn feed(&mut self, dir: Dir, bytes: &[u8]) -> Vec<RecordInfo> {
        let framed = self.side(dir).records.push(bytes);
        let first = self.side(dir).count;
        self.side(dir).count += framed.len();
        framed
            .into_iter()
            .zip(first..)
            .map(|(f, index)| match f {
                Framed::Record(record) => self.on_record(dir, index, record),
                Framed::NotTls {
                    content_type,
                    seen,
                    reason,
                } => RecordInfo {
                    content_type: content_type_name(content_type),
                    version: "unknown".to_owned(),
                    length: seen,
                    encrypted: false,
                    messages: vec![MessageInfo::Malformed { reason }],
                    decrypted: None,
                    repeated: 0,
                },
            })
            .collect()
    }

    /// Takes one of this connection's secrets, as rustls hands it to a `KeyLog`.
    pub fn add_secret(&mut self, label: &str, secret: &[u8]) {
        self.decryptor.add_secret(label, secret);
    }

    /// What the protected TLS 1.3 records opened so far carried (each at most once), and
    /// why decryption stopped, if it did.
    pub fn take_decrypted(&mut self) -> Vec<Unprotected> {
        let suite = self.version.filter(|v| is_tls13(*v)).and(self.suite);
        self.decryptor.drain(suite)
    }

    /// The version the ServerHello chose (supported_versions, else legacy_version).
    pub fn negotiated_version(&self) -> Option<u16> {
        self.version
    }

    /// The cipher suite the ServerHello chose.
    pub fn negotiated_suite(&self) -> Option<u16> {
        self.suite
    }

    /// The key-exchange group: the TLS 1.3 ServerHello key_share, or the TLS 1.2
    /// ServerKeyExchange named curve.
    pub fn negotiated_group(&self) -> Option<u16> {
        self.group
    }

    /// True once a HelloRetryRequest was seen.
    pub fn hello_retry_requested(&self) -> bool {
        self.retry_requested
    }

    /// Size of the first ClientHello message (handshake header included).
    pub fn client_hello_size(&self) -> Option<usize> {
        self.client_hello_size
    }

    /// The versions the (last) ClientHello offered.
    pub fn offered_versions(&self) -> &[u16] {
        &self.offered_versions
    }

    /// True when this direction's records are ciphertext from now on (pre-1.3, after CCS).
    pub fn is_encrypted(&self, dir: Dir) -> bool {
        self.side_ref(dir).encrypted
    }

    /// True when this direction turned out not to be TLS and is being ignored.
    pub fn is_not_tls(&self, dir: Dir) -> bool {
        self.side_ref(dir).records.is_not_tls()
    }

    fn side(&mut self, dir: Dir) -> &mut Side {
        match dir {
            Dir::Client => &mut self.client,
            Dir::Server => &mut self.server,
        }
    }

    fn side_ref(&self, dir: Dir) -> &Side {
        match dir {
            Dir::Client => &self.client,
            Dir::Server => &self.server,
        }
    }

    fn on_record(&mut self, dir: Dir, index: usize, record: RawRecord) -> RecordInfo {
        let length = record.payload.len();
        let encrypted = record.content_type == APPLICATION_DATA || self.side(dir).encrypted;
        if record.content_type == APPLICATION_DATA && self.version.is_some_and(is_tls13) {
            let [hi, lo] = record.version.to_be_bytes();
            let [a, b] = u16::try_from(length).unwrap_or(u16::MAX).to_be_bytes();
            self.decryptor.push(
                dir,
                index,
                [APPLICATION_DATA, hi, lo, a, b],
                record.payload.clone(),
            );
        }
        let messages = if encrypted {
            vec![MessageInfo::Encrypted { length }]
        } else {
            match record.content_type {
                CHANGE_CIPHER_SPEC => self.on_change_cipher_spec(dir, &record.payload),
                ALERT => decode_alert_record(&record.payload),
                HANDSHAKE => self.on_handshake(dir, &record.payload),
                // heartbeat (24): nothing to decode for a mail engineer.
                _ => Vec::new(),
            }
        };
        RecordInfo {
            content_type: content_type_name(record.content_type),
            version: version_name(record.version),
            length,
            encrypted,
            messages,
            decrypted: None,
            repeated: 0,
        }
    }

    fn on_change_cipher_spec(&mut self, dir: Dir, payload: &[u8]) -> Vec<MessageInfo> {
        if self.ccs_starts_encryption() {
            let side = self.side(dir);
            side.encrypted = true;
            side.handshake.clear();
        }
        if payload == [1] {
            vec![MessageInfo::ChangeCipherSpec]
        } else {
            vec![MessageInfo::Malformed {
                reason: format!("change_cipher_spec payload {payload:02x?} is not [01]"),
            }]
        }
    }

    /// Whether a CCS switches its direction to ciphertext: yes before TLS 1.3. Without a
    /// ServerHello yet, a client that offered TLS 1.3 (or got a HelloRetryRequest) may be
    /// sending the compatibility CCS, so no.
    fn ccs_starts_encryption(&self) -> bool {
        match self.version {
            Some(v) => !is_tls13(v),
            None => !self.retry_requested && !self.offered_versions.iter().any(|v| is_tls13(*v)),
        }
    }

    fn on_handshake(&mut self, dir: Dir, payload: &[u8]) -> Vec<MessageInfo> {
        if payload.is_empty() {
            return vec![MessageInfo::Malformed {
                reason: "empty handshake record".to_owned(),
            }];
        }
        let completed = self.side(dir).handshake.push(payload);
        completed
            .into_iter()
            .map(|m| match m {
                Ok(msg) => {
                    let ctx = Context {
                        version: self.version,
                        suite: self.suite,
                    };
                    let decoded = decode_message(&msg, ctx);
                    let info = decoded.info();
                    self.learn(decoded);
                    info
                }
                Err(reason) => MessageInfo::Malformed { reason },
            })
            .collect()
    }

    /// Keeps what later records need from a decoded message.
    fn learn(&mut self, decoded: Decoded) {
        match decoded {
            Decoded::ClientHello(ch) => {
                self.client_hello_size.get_or_insert(ch.info.size);
                self.offered_versions = ch.versions;
            }
            Decoded::ServerHello(sh) if sh.retry => {
                self.retry_requested = true;
                self.suite = Some(sh.suite);
            }
            Decoded::ServerHello(sh) => {
                self.version = Some(sh.version);
                self.suite = Some(sh.suite);
                self.group = sh.group;
            }
            Decoded::KeyExchange { group, .. } => self.group = group.or(self.group),
            Decoded::Other(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ct: u8, payload: &[u8]) -> Vec<u8> {
        let mut r = vec![ct, 3, 3];
        r.extend(u16::try_from(payload.len()).unwrap_or(0).to_be_bytes());
        r.extend(payload);
        r
    }

    /// A minimal hello: TLS 1.2 legacy version, one suite, and the given extensions.
    fn hello(typ: u8, exts: &[u8]) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend([5; 32]);
        if typ == 1 {
            body.extend([0, 0, 2, 0x13, 0x01, 1, 0]);
        } else {
            body.extend([0, 0x13, 0x01, 0]);
        }
        body.extend(u16::try_from(exts.len()).unwrap_or(0).to_be_bytes());
        body.extend(exts);
        let mut msg = vec![typ, 0];
        msg.extend(u16::try_from(body.len()).unwrap_or(0).to_be_bytes());
        msg.extend(body);
        record(HANDSHAKE, &msg)
    }

    fn kinds(infos: &[RecordInfo]) -> Vec<(bool, Vec<MessageInfo>)> {
        infos
            .iter()
            .map(|r| (r.encrypted, r.messages.clone()))
            .collect()
    }

    #[test]
    fn tls12_ccs_encrypts_its_direction_only() {
        let mut t = Tracker::new();
        t.feed(Dir::Client, &hello(1, &[]));
        t.feed(Dir::Server, &hello(2, &[]));
        assert_eq!(t.negotiated_version(), Some(0x0303));
        let got = t.feed(
            Dir::Client,
            &[record(20, &[1]), record(22, &[0; 40])].concat(),
        );
        assert_eq!(
            kinds(&got),
            [
                (false, vec![MessageInfo::ChangeCipherSpec]),
                (true, vec![MessageInfo::Encrypted { length: 40 }]),
            ]
        );
        assert!(t.is_encrypted(Dir::Client) && !t.is_encrypted(Dir::Server));
        let alert = t.feed(Dir::Server, &record(21, &[2, 40]));
        assert!(matches!(alert.first().map(|r| r.encrypted), Some(false)));
    }

    #[test]
    fn tls13_ccs_switches_nothing_and_plaintext_alerts_still_decode() {
        let mut t = Tracker::new();
        t.feed(Dir::Client, &hello(1, &[0, 43, 0, 3, 2, 3, 4]));
        // A compatibility CCS before the ServerHello: no switch, the client offered 1.3.
        t.feed(Dir::Client, &record(20, &[1]));
        assert!(!t.is_encrypted(Dir::Client));
        t.feed(Dir::Server, &hello(2, &[0, 43, 0, 2, 3, 4]));
        assert_eq!(t.negotiated_version(), Some(0x0304));
        t.feed(Dir::Server, &record(20, &[1]));
        let got = t.feed(Dir::Server, &record(23, &[0; 50]));
        assert_eq!(
            kinds(&got),
            [(true, vec![MessageInfo::Encrypted { length: 50 }])]
        );
        // The client rejected the ServerHello before it had keys: a plaintext alert.
        let got = t.feed(Dir::Client, &record(21, &[2, 47]));
        let alert = got.first().and_then(|r| r.messages.first());
        assert!(
            matches!(alert, Some(MessageInfo::Alert(a)) if a.description == "illegal_parameter")
        );
    }

    #[test]
    fn odd_records() {
        let mut t = Tracker::new();
        let got = t.feed(
            Dir::Client,
            &[record(22, &[]), record(20, &[2]), record(24, &[1])].concat(),
        );
        let messages: Vec<_> = got.iter().map(|r| r.messages.clone()).collect();
        assert!(matches!(
            messages.first().map(Vec::as_slice),
            Some([MessageInfo::Malformed { .. }])
        ));
        assert!(matches!(
            messages.get(1).map(Vec::as_slice),
            Some([MessageInfo::Malformed { .. }])
        ));
        assert_eq!(
            got.get(2).map(|r| r.content_type.as_str()),
            Some("heartbeat")
        );
        assert_eq!(t.negotiated_version(), None);
    }
}

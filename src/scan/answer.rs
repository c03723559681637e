//! How the server answered one probe ClientHello: a ServerHello (or HelloRetryRequest), an
//! alert, FIN, RST, a timeout, or bytes that are not TLS.
//!
//! [`AnswerReader`] is pure: the dialogue feeds it what the socket returns and stops reading
//! as soon as it has an answer. It reuses `wire`'s record framing, handshake reassembly and
//! hello decoding, reads at most [`MAX_BYTES`], and never panics on what a server sends.
//! A TLS 1.2 group probe needs more than the ServerHello: the curve is in the
//! ServerKeyExchange, after the Certificate, so `want_kx` keeps it reading until then.

use serde::{Deserialize, Serialize};

use crate::wire::handshake::{Context, Decoded, HandshakeBuffer, decode_message};
use crate::wire::hello::is_tls13;
use crate::wire::names::{alert_name, group_name, suite_name, version_name};
use crate::wire::record::{Framed, RecordBuffer};

/// Most bytes read for one answer (a ServerHello plus a long certificate chain).
pub const MAX_BYTES: usize = 96 * 1024;

/// What the server chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chosen {
    pub version: u16,
    pub suite: u16,
    /// TLS 1.3: the key_share group (HelloRetryRequest: the group asked for);
    /// TLS 1.2 with `want_kx`: the ServerKeyExchange curve.
    pub group: Option<u16>,
    /// A HelloRetryRequest rather than a ServerHello.
    pub retry: bool,
    /// TLS 1.2 and older with `want_kx` and a DHE suite: the size of the server's prime.
    #[serde(default)]
    pub dh_bits: Option<u16>,
    /// A whole TLS 1.2-or-older flight was read ([`AnswerReader::flight`]): the signature
    /// algorithm of the ServerKeyExchange (TLS 1.2), `LEGACY_SIGNATURE` for a signed key
    /// exchange before TLS 1.2 (MD5+SHA-1 or SHA-1), none for RSA or anonymous key exchange.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kx_signature: Option<u16>,
    /// A whole flight was read and it held a CertificateRequest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cert_request: bool,
}

/// [`Chosen::kx_signature`] of a TLS 1.0/1.1 signed key exchange: no algorithm on the wire,
/// MD5+SHA-1 (RSA) or SHA-1 (ECDSA) by definition.
pub const LEGACY_SIGNATURE: u16 = 0xffff;

/// The server's answer to one ClientHello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    Hello(Chosen),
    Alert {
        level: u8,
        description: u8,
    },
    /// FIN before any answer.
    Closed,
    /// RST before any answer.
    Reset,
    Timeout,
    /// Bytes that are not TLS (an SMTP reply, say), with the framer's reason.
    NotTls(String),
    /// TLS records that make no sense as an answer to a ClientHello.
    Malformed(String),
    /// A ServerHello, then a flight no client can finish ([`AnswerReader::flight`]): a
    /// garbage certificate, an alert, or the end of the stream before ServerHelloDone.
    BrokenFlight {
        hello: Chosen,
        why: String,
    },
}

impl Answer {
    /// The kind of answer, as a profile stores it next to [`Answer::describe`].
    pub fn ending(&self) -> crate::profile::Ending {
        use crate::profile::Ending;
        match self {
            Answer::Hello(_) => Ending::Hello,
            Answer::Alert { .. } => Ending::Alert,
            Answer::Closed => Ending::Closed,
            Answer::Reset => Ending::Reset,
            Answer::Timeout => Ending::Timeout,
            Answer::NotTls(_) => Ending::NotTls,
            Answer::Malformed(_) => Ending::Malformed,
            Answer::BrokenFlight { .. } => Ending::BrokenFlight,
        }
    }

    /// One line for reports: `ServerHello TLSv1.2 TLS_RSA_WITH_AES_128_CBC_SHA`,
    /// `alert protocol_version`, `FIN`, `RST`, `timeout`, ...
    pub fn describe(&self) -> String {
        match self {
            Answer::Hello(c) => {
                let what = if c.retry {
                    "HelloRetryRequest"
                } else {
                    "ServerHello"
                };
                let mut s = format!("{what} {} {}", version_name(c.version), suite_name(c.suite));
                if let Some(g) = c.group {
                    s.push(' ');
                    s.push_str(&group_name(g));
                }
                if let Some(bits) = c.dh_bits {
                    s.push_str(&format!(" DHE-{bits}"));
                }
                s
            }
            Answer::Alert { level, description } => {
                let level = if *level == 1 { " (warning)" } else { "" };
                format!("alert {}{level}", alert_name(*description))
            }
            Answer::Closed => "FIN".into(),
            Answer::Reset => "RST".into(),
            Answer::Timeout => "timeout".into(),
            Answer::NotTls(why) => why.clone(),
            Answer::Malformed(why) => format!("malformed answer: {why}"),
            Answer::BrokenFlight { hello, why } => {
                format!("{}, then {why}", Answer::Hello(*hello).describe())
            }
        }
    }
}

/// Reads one answer from the bytes of a connection.
#[derive(Debug, Default)]
pub struct AnswerReader {
    records: RecordBuffer,
    handshake: HandshakeBuffer,
    want_kx: bool,
    /// Read a TLS 1.2-or-older answer to its ServerHelloDone (sender profiles).
    flight: bool,
    hello: Option<Chosen>,
    seen: usize,
}

impl AnswerReader {
    /// `want_kx`: for a TLS 1.2 ECDHE hello, keep reading to the ServerKeyExchange.
    pub fn new(want_kx: bool) -> Self {
        AnswerReader {
            want_kx,
            ..Self::default()
        }
    }

    /// Reads a TLS 1.2-or-older answer to its ServerHelloDone, as the sender's library would,
    /// so a broken certificate, the key exchange's signature algorithm and a certificate
    /// request are known (TLS 1.3 hides them: its answer ends at the ServerHello).
    pub fn flight() -> Self {
        AnswerReader {
            want_kx: true,
            flight: true,
            ..Self::default()
        }
    }

    /// The flight so far ended in `why`: a broken flight once a ServerHello was read.
    fn broken(&self, why: String, otherwise: Answer) -> Answer {
        match self.hello {
            Some(hello) if self.flight => Answer::BrokenFlight { hello, why },
            _ => self.or_hello(otherwise),
        }
    }

    /// Feeds received bytes; `Some` once the answer is known.
    pub fn push(&mut self, bytes: &[u8]) -> Option<Answer> {
        self.seen = self.seen.saturating_add(bytes.len());
        for framed in self.records.push(bytes) {
            let record = match framed {
                Framed::Record(r) => r,
                Framed::NotTls { reason, .. } => {
                    return Some(self.broken(
                        format!("bytes that are not TLS ({reason})"),
                        Answer::NotTls(reason),
                    ));
                }
            };
            let found = match record.content_type {
                21 => self.alert(&record.payload),
                22 => self.handshake(&record.payload),
                ct => Some(self.or_hello(Answer::Malformed(format!(
                    "content type {ct} record before the ServerHello"
                )))),
            };
            if found.is_some() {
                return found;
            }
        }
        (self.seen > MAX_BYTES).then(|| {
            let why = format!("more than {MAX_BYTES} bytes without a ServerHello");
            self.broken(why.clone(), Answer::Malformed(why))
        })
    }

    /// The answer when the stream ends (FIN, RST, timeout) before `push` gave one.
    pub fn finish(&self, end: Answer) -> Answer {
        let why = format!("{} before ServerHelloDone", end.describe());
        self.broken(why, end)
    }

    fn or_hello(&self, other: Answer) -> Answer {
        self.hello.map_or(other, Answer::Hello)
    }

    fn alert(&self, payload: &[u8]) -> Option<Answer> {
        match *payload {
            [level, description, ..] => {
                let alert = Answer::Alert { level, description };
                Some(self.broken(alert.describe(), alert))
            }
            _ => Some(self.or_hello(Answer::Malformed(format!(
                "alert record of {} bytes",
                payload.len()
            )))),
        }
    }

    fn handshake(&mut self, payload: &[u8]) -> Option<Answer> {
        for msg in self.handshake.push(payload) {
            let msg = match msg {
                Ok(m) => m,
                Err(why) => return Some(self.broken(why.clone(), Answer::Malformed(why))),
            };
            let ctx = Context {
                version: self.hello.map(|h| h.version),
                suite: self.hello.map(|h| h.suite),
            };
            match (decode_message(&msg, ctx), self.hello.as_mut()) {
                (Decoded::ServerHello(sh), None) => {
                    let chosen = Chosen {
                        version: sh.version,
                        suite: sh.suite,
                        group: sh.group,
                        retry: sh.retry,
                        dh_bits: None,
                        kx_signature: None,
                        cert_request: false,
                    };
                    let name = suite_name(sh.suite);
                    let kx = name.starts_with("TLS_ECDHE_") || name.starts_with("TLS_DHE_");
                    let whole = self.flight || kx;
                    if !self.want_kx || sh.retry || is_tls13(sh.version) || !whole {
                        return Some(Answer::Hello(chosen));
                    }
                    self.hello = Some(chosen);
                }
                (Decoded::KeyExchange { group, info }, Some(hello)) => {
                    hello.group = group;
                    hello.dh_bits = dh_bits(&info);
                    hello.kx_signature = kx_signature(&msg.body, hello);
                    if !self.flight {
                        return Some(Answer::Hello(*hello));
                    }
                }
                (
                    Decoded::Other(crate::wire::MessageInfo::CertificateRequest { .. }),
                    Some(hello),
                ) => {
                    hello.cert_request = true;
                }
                (Decoded::Other(crate::wire::MessageInfo::ServerHelloDone), Some(hello)) => {
                    return Some(if self.flight {
                        Answer::Hello(*hello)
                    } else {
                        self.or_hello(Answer::Closed)
                    });
                }
                (Decoded::Other(crate::wire::MessageInfo::Malformed { reason }), _) => {
                    let why = format!("a malformed {}: {reason}", handshake_name(msg.typ));
                    return Some(self.broken(why, Answer::Malformed(reason)));
                }
                (_, None) => {
                    return Some(Answer::Malformed(format!(
                        "handshake message type {} before the ServerHello",
                        msg.typ
                    )));
                }
                (_, Some(_)) => {}
            }
        }
        None
    }
}

fn handshake_name(typ: u8) -> String {
    match typ {
        11 => "Certificate".into(),
        12 => "ServerKeyExchange".into(),
        13 => "CertificateRequest".into(),
        t => format!("handshake message {t}"),
    }
}

/// The signature algorithm of a signed ServerKeyExchange: TLS 1.2 names it after the
/// parameters (RFC 5246 §7.4.3, RFC 8422 §5.4); before TLS 1.2 it is implied
/// ([`LEGACY_SIGNATURE`]). Anonymous suites sign nothing.
fn kx_signature(body: &[u8], hello: &Chosen) -> Option<u16> {
    let name = suite_name(hello.suite);
    if name.contains("_anon_") {
        return None;
    }
    if hello.version < 0x0303 {
        return Some(LEGACY_SIGNATURE);
    }
    // Skips a vector with a `len_bytes` length prefix starting at `at`.
    let skip = |at: usize, len_bytes: usize| -> Option<usize> {
        let head = body.get(at..at + len_bytes)?;
        let len = head.iter().fold(0usize, |n, b| n << 8 | usize::from(*b));
        let end = at + len_bytes + len;
        (end <= body.len()).then_some(end)
    };
    let at = if name.starts_with("TLS_DHE_") {
        let p = skip(0, 2)?;
        let g = skip(p, 2)?;
        skip(g, 2)? // p, g, Ys
    } else {
        if body.first() != Some(&3) {
            return None; // explicit curves: no sender here accepts them
        }
        skip(3, 1)? // curve_type and named_curve, then the point
    };
    let alg = body.get(at..at + 2)?;
    Some(u16::from_be_bytes([alg[0], alg[1]]))
}

/// The prime size from a finite-field ServerKeyExchange (`DHE-2048`).
fn dh_bits(info: &crate::wire::MessageInfo) -> Option<u16> {
    match info {
        crate::wire::MessageInfo::ServerKeyExchange { group: Some(g), .. } => {
            g.strip_prefix("DHE-")?.parse().ok()
        }
        _ => None,
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

    fn server_hello(version: u16, suite: u16, exts: &[u8]) -> Vec<u8> {
        let mut b = version.to_be_bytes().to_vec();
        b.extend([5; 32]);
        b.push(0);
        b.extend(suite.to_be_bytes());
        b.push(0);
        b.extend(u16::try_from(exts.len()).unwrap_or(0).to_be_bytes());
        b.extend(exts);
        let mut m = vec![2];
        m.extend(&u32::try_from(b.len()).unwrap_or(0).to_be_bytes()[1..]);
        m.extend(b);
        m
    }

    #[test]
    fn answers() {
        let sh10 = record(22, &server_hello(0x0301, 0x002f, &[]));
        let mut r = AnswerReader::new(false);
        assert_eq!(
            r.push(&sh10),
            Some(Answer::Hello(Chosen {
                version: 0x0301,
                suite: 0x002f,
                group: None,
                retry: false,
                dh_bits: None,
                kx_signature: None,
                cert_request: false,
            }))
        );
        let sh13 = server_hello(0x0303, 0x1302, &[0, 43, 0, 2, 3, 4, 0, 51, 0, 2, 0, 0x1d]);
        let got = AnswerReader::new(true).push(&record(22, &sh13));
        assert!(
            matches!(got, Some(Answer::Hello(c)) if c.version == 0x0304 && c.group == Some(0x1d))
        );
        let alert = AnswerReader::new(false).push(&record(21, &[2, 70]));
        assert_eq!(
            alert.as_ref().map(Answer::describe).as_deref(),
            Some("alert protocol_version")
        );
        let smtp = AnswerReader::new(false).push(b"421 4.3.2 bye\r\n");
        assert!(matches!(smtp, Some(Answer::NotTls(_))));
        assert_eq!(
            AnswerReader::new(false).finish(Answer::Closed),
            Answer::Closed
        );
    }

    /// Issue 17 item 13: a ServerHello followed by a garbage Certificate is no success for a
    /// sender; the flight reader says so, and the TLS 1.2 key exchange's signature is read.
    #[test]
    fn a_garbage_certificate_after_the_hello_breaks_the_flight() {
        let sh = record(22, &server_hello(0x0303, 0xc02f, &[]));
        let garbage = record(22, &[11, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]);
        let mut r = AnswerReader::flight();
        assert_eq!(r.push(&sh), None, "a flight is read past the ServerHello");
        let got = r.push(&garbage);
        assert!(
            matches!(&got, Some(Answer::BrokenFlight { hello, why }) if hello.suite == 0xc02f && why.contains("Certificate")),
            "{got:?}"
        );
        let p = crate::scan::senders::profile::builtin_named("postfix").unwrap();
        let j = crate::scan::senders::judge::judge(&p, &got.unwrap(), 517);
        assert!(!j.accepted && j.blocked.is_some(), "{j:?}");
        // A whole flight: certificate, ECDHE key exchange signed rsa_pss_rsae_sha256, request, done.
        let mut r = AnswerReader::flight();
        let cert = record(22, &[11, 0, 0, 3, 0, 0, 0]);
        let ske = record(22, &[12, 0, 0, 10, 3, 0, 0x1d, 1, 7, 0x08, 0x04, 0, 1, 9]);
        let req = record(22, &[13, 0, 0, 8, 1, 1, 0, 2, 8, 4, 0, 0]);
        let done = record(22, &[14, 0, 0, 0]);
        for part in [&sh, &cert, &ske, &req] {
            assert_eq!(r.push(part), None);
        }
        let got = r.push(&done);
        assert!(
            matches!(got, Some(Answer::Hello(c)) if c.kx_signature == Some(0x0804) && c.group == Some(0x1d) && c.cert_request),
            "{got:?}"
        );
    }

    #[test]
    fn tls12_group_comes_from_the_server_key_exchange() {
        let mut r = AnswerReader::new(true);
        let sh = server_hello(0x0303, 0xc02f, &[]);
        // Certificate with an empty list, then SKE: named curve secp384r1.
        let cert = [11, 0, 0, 3, 0, 0, 0];
        let ske = [12, 0, 0, 6, 3, 0, 0x18, 2, 4, 4];
        assert_eq!(r.push(&record(22, &sh)), None);
        assert_eq!(r.push(&record(22, &cert)), None);
        let got = r.push(&record(22, &ske));
        assert!(
            matches!(got, Some(Answer::Hello(c)) if c.group == Some(0x18)),
            "{got:?}"
        );
    }

    #[test]
    fn tls12_dhe_prime_size_comes_from_the_server_key_exchange() {
        let mut r = AnswerReader::new(true);
        // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, then an SKE with a 1024-bit p, g = 2, Ys.
        let sh = server_hello(0x0303, 0x009e, &[]);
        let mut ske_body = vec![0, 128];
        ske_body.extend([0xff; 128]);
        ske_body.extend([0, 1, 2, 0, 1, 7]);
        let mut ske = vec![12, 0, 0, u8::try_from(ske_body.len()).unwrap_or(0)];
        ske.extend(ske_body);
        assert_eq!(r.push(&record(22, &sh)), None);
        let got = r.push(&record(22, &ske));
        assert!(
            matches!(got, Some(Answer::Hello(c)) if c.dh_bits == Some(1024) && c.group.is_none()),
            "{got:?}"
        );
        assert!(
            got.map(|a| a.describe())
                .is_some_and(|d| d.ends_with("DHE-1024"))
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let seeds = [
            record(22, &server_hello(0x0303, 0xc02f, &[0, 43, 0, 2, 3, 4])),
            record(21, &[2, 40]),
        ];
        for i in 0..20_000 {
            let mut bytes = seeds[i % 2].clone();
            for _ in 0..(next() % 6) {
                let len = bytes.len().max(1);
                let at = usize::try_from(next()).unwrap_or(0) % len;
                if let Some(b) = bytes.get_mut(at) {
                    *b = u8::try_from(next() & 0xff).unwrap_or(0);
                }
            }
            if next() % 4 == 0 {
                let extra = usize::try_from(next() % 64).unwrap_or(0);
                bytes.extend((0..extra).map(|_| u8::try_from(next() & 0xff).unwrap_or(0)));
            }
            let mut r = AnswerReader::new(i % 3 == 0);
            for piece in bytes.chunks(1 + usize::try_from(next() % 7).unwrap_or(0)) {
                if r.push(piece).is_some() {
                    break;
                }
            }
            let _ = r.finish(Answer::Timeout).describe();
        }
    }

    /// The stored kind and the words read back agree for every kind of answer.
    #[test]
    fn endings_read_back_from_the_words_match_the_typed_answer() {
        let chosen = Chosen {
            version: 0x0303,
            suite: 0xc02f,
            group: Some(0x001d),
            retry: false,
            dh_bits: None,
            kx_signature: None,
            cert_request: false,
        };
        let answers = [
            Answer::Hello(chosen),
            Answer::Hello(Chosen {
                retry: true,
                ..chosen
            }),
            Answer::Alert {
                level: 2,
                description: 40,
            },
            Answer::Closed,
            Answer::Reset,
            Answer::Timeout,
            Answer::NotTls("not TLS: 220 mx.example.net ESMTP".into()),
            Answer::Malformed("a record of 0 bytes".into()),
            Answer::BrokenFlight {
                hello: chosen,
                why: "FIN".into(),
            },
        ];
        for a in answers {
            let read = crate::profile::Ending::read_back(&a.describe());
            assert_eq!(read, a.ending(), "{}", a.describe());
        }
    }
}

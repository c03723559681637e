//! Handshake messages (RFC 8446 §4, RFC 5246 §7.4): reassembly across records and decoding.
//!
//! The record layer may split one handshake message over several records (a TLS 1.2
//! Certificate chain usually is) or pack several messages into one record, so each direction
//! keeps a `HandshakeBuffer` that returns messages as they complete. A message may claim at
//! most `MAX_MESSAGE` bytes; a larger claim is reported once and that direction's handshake
//! stream is then ignored, keeping memory bounded.

use super::hello::{ClientHello, ServerHello, decode_client_hello, decode_server_hello};
use super::info::MessageInfo;
use super::names::{
    extension_name, group_name, handshake_type_name, signature_scheme_name, suite_name,
};
use super::reader::Reader;

/// Largest handshake message accepted (header excluded).
pub const MAX_MESSAGE: usize = 64 * 1024;

/// One complete handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    pub typ: u8,
    pub body: Vec<u8>,
}

/// Reassembles one direction's handshake stream.
#[derive(Debug, Default, Clone)]
pub struct HandshakeBuffer {
    pending: Vec<u8>,
    broken: bool,
}

impl HandshakeBuffer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes of an incomplete message held back.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Forgets a partial message (when the direction switches to encrypted records).
    pub fn clear(&mut self) {
        self.pending = Vec::new();
    }

    /// Adds one handshake record's payload; returns the messages it completed, or the reason
    /// the stream was abandoned.
    pub fn push(&mut self, fragment: &[u8]) -> Vec<Result<RawMessage, String>> {
        let mut out = Vec::new();
        if self.broken {
            return out;
        }
        self.pending.extend_from_slice(fragment);
        let mut r = Reader::new(&self.pending);
        loop {
            let mut probe = r.clone();
            let (Some(typ), Some(len)) = (probe.u8(), probe.u24()) else {
                break;
            };
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            if len > MAX_MESSAGE {
                out.push(Err(format!(
                    "{} message claims {len} bytes, over the {MAX_MESSAGE}-byte cap",
                    handshake_type_name(typ)
                )));
                self.broken = true;
                self.pending = Vec::new();
                return out;
            }
            let Some(body) = probe.take(len) else { break };
            out.push(Ok(RawMessage {
                typ,
                body: body.to_vec(),
            }));
            r = probe;
        }
        let used = r.used();
        self.pending.drain(..used);
        out
    }
}

/// What the decoder knows about the connection when it decodes a message.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// The version the ServerHello chose, once seen.
    pub version: Option<u16>,
    /// The cipher suite the ServerHello chose, once seen.
    pub suite: Option<u16>,
}

/// A decoded message and what it tells the tracker.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    ClientHello(ClientHello),
    ServerHello(ServerHello),
    /// A ServerKeyExchange naming its group.
    KeyExchange {
        group: Option<u16>,
        info: MessageInfo,
    },
    Other(MessageInfo),
}

impl Decoded {
    /// The summary for the record.
    pub fn info(&self) -> MessageInfo {
        match self {
            Decoded::ClientHello(ch) => MessageInfo::ClientHello(ch.info.clone()),
            Decoded::ServerHello(sh) if sh.retry => MessageInfo::HelloRetryRequest(sh.info.clone()),
            Decoded::ServerHello(sh) => MessageInfo::ServerHello(sh.info.clone()),
            Decoded::KeyExchange { info, .. } | Decoded::Other(info) => info.clone(),
        }
    }
}

/// Decodes one plaintext handshake message. Lengths in the summaries are body lengths.
pub fn decode_message(msg: &RawMessage, ctx: Context) -> Decoded {
    let length = msg.body.len();
    let malformed = |reason: String| Decoded::Other(MessageInfo::Malformed { reason });
    match msg.typ {
        1 => decode_client_hello(&msg.body).map_or_else(malformed, Decoded::ClientHello),
        2 => decode_server_hello(&msg.body).map_or_else(malformed, Decoded::ServerHello),
        4 => Decoded::Other(MessageInfo::NewSessionTicket { length }),
        11 => decode_certificate(&msg.body, ctx).map_or_else(malformed, Decoded::Other),
        12 => {
            let group = key_exchange_group(&msg.body, ctx);
            let info = MessageInfo::ServerKeyExchange {
                group: group.as_ref().map(KxGroup::name),
                length,
            };
            let group = match group {
                Some(KxGroup::Named(g)) => Some(g),
                _ => None,
            };
            Decoded::KeyExchange { group, info }
        }
        8 => decode_encrypted_extensions(&msg.body).map_or_else(malformed, Decoded::Other),
        13 => decode_certificate_request(&msg.body, ctx).map_or_else(malformed, Decoded::Other),
        15 => decode_certificate_verify(&msg.body).map_or_else(malformed, Decoded::Other),
        14 if length == 0 => Decoded::Other(MessageInfo::ServerHelloDone),
        14 => malformed(format!("server_hello_done with a {length}-byte body")),
        16 => Decoded::Other(MessageInfo::ClientKeyExchange { length }),
        20 => Decoded::Other(MessageInfo::Finished { length }),
        typ => Decoded::Other(MessageInfo::Handshake {
            name: handshake_type_name(typ),
            length,
        }),
    }
}

/// Certificate: TLS 1.2 is a list of DER certificates (RFC 5246 §7.4.2); TLS 1.3 adds a
/// request context and per-entry extensions (RFC 8446 §4.4.2).
fn decode_certificate(body: &[u8], ctx: Context) -> Result<MessageInfo, String> {
    let tls13 = ctx.version.is_some_and(super::hello::is_tls13);
    let mut r = Reader::new(body);
    if tls13 {
        r.sub_u8()
            .ok_or("Certificate truncated in request context")?;
    }
    let mut list = r.sub_u24().ok_or("Certificate list overruns the message")?;
    if r.any_left() {
        return Err(format!("Certificate has {} bytes after its list", r.left()));
    }
    let mut sizes = Vec::new();
    let mut ocsp = false;
    while list.any_left() {
        let der = list
            .sub_u24()
            .ok_or("Certificate entry overruns the list")?;
        sizes.push(der.left());
        if tls13 {
            let mut exts = list
                .sub_u16()
                .ok_or("Certificate entry extensions overrun the list")?;
            // Only the leaf's status_request carries the server's staple (RFC 8446 §4.4.2.1).
            let leaf = sizes.len() == 1;
            for (typ, _) in extensions(&mut exts)? {
                ocsp |= leaf && typ == STATUS_REQUEST;
            }
        }
    }
    Ok(MessageInfo::Certificate {
        count: sizes.len(),
        sizes,
        ocsp_staple: tls13.then_some(ocsp),
    })
}

const SERVER_NAME: u16 = 0;
const STATUS_REQUEST: u16 = 5;
const SIGNATURE_ALGORITHMS: u16 = 13;
const ALPN: u16 = 16;
const RECORD_SIZE_LIMIT: u16 = 28;
const CERTIFICATE_AUTHORITIES: u16 = 47;
/// At most this many CA names are kept from a CertificateRequest (a server may list hundreds).
pub const MAX_AUTHORITIES: usize = 64;

/// Every (type, body) of an extension block, in order.
fn extensions<'a>(r: &mut Reader<'a>) -> Result<Vec<(u16, Reader<'a>)>, String> {
    let mut out = Vec::new();
    while r.any_left() {
        let typ = r.u16().ok_or("extension type truncated")?;
        let body = r
            .sub_u16()
            .ok_or_else(|| format!("{} extension overruns its block", extension_name(typ)))?;
        out.push((typ, body));
    }
    Ok(out)
}

/// EncryptedExtensions (RFC 8446 §4.3.1): the server's answers to our extensions.
fn decode_encrypted_extensions(body: &[u8]) -> Result<MessageInfo, String> {
    let mut r = Reader::new(body);
    let mut block = r
        .sub_u16()
        .ok_or("EncryptedExtensions block overruns the message")?;
    let mut alpn = None;
    let mut server_name_ack = false;
    let mut record_size_limit = None;
    let mut names = Vec::new();
    for (typ, mut ext) in extensions(&mut block)? {
        names.push(extension_name(typ));
        match typ {
            SERVER_NAME => server_name_ack = !ext.any_left(),
            ALPN => {
                let mut list = ext.sub_u16().ok_or("ALPN list truncated")?;
                let proto = list.sub_u8().ok_or("ALPN protocol truncated")?.rest();
                alpn = Some(crate::sanitize::escape_bytes(proto));
            }
            RECORD_SIZE_LIMIT => record_size_limit = ext.u16(),
            _ => {}
        }
    }
    Ok(MessageInfo::EncryptedExtensions {
        alpn,
        server_name_ack,
        record_size_limit,
        extensions: names,
    })
}

/// CertificateRequest: TLS 1.3 (RFC 8446 §4.3.2) carries a context and extensions
/// (signature_algorithms, certificate_authorities); TLS 1.2 (RFC 5246 §7.4.4) certificate
/// types, signature algorithms and CA names as fields.
fn decode_certificate_request(body: &[u8], ctx: Context) -> Result<MessageInfo, String> {
    let mut r = Reader::new(body);
    let mut authorities = Vec::new();
    let mut signature_algorithms = Vec::new();
    if ctx.version.is_some_and(super::hello::is_tls13) {
        r.sub_u8()
            .ok_or("CertificateRequest truncated in its context")?;
        let mut block = r
            .sub_u16()
            .ok_or("CertificateRequest extensions overrun the message")?;
        for (typ, mut ext) in extensions(&mut block)? {
            match typ {
                SIGNATURE_ALGORITHMS => signature_algorithms = schemes(&mut ext)?,
                CERTIFICATE_AUTHORITIES => authorities = ca_names(&mut ext)?,
                _ => {}
            }
        }
    } else {
        r.sub_u8()
            .ok_or("CertificateRequest truncated in its certificate types")?;
        // TLS 1.0/1.1 have no signature algorithms here; judge by what is left.
        if ctx.version.is_none_or(|v| v >= 0x0303) {
            signature_algorithms = schemes(&mut r)?;
        }
        authorities = ca_names(&mut r)?;
    }
    Ok(MessageInfo::CertificateRequest {
        length: body.len(),
        authorities,
        signature_algorithms,
    })
}

fn schemes(r: &mut Reader) -> Result<Vec<String>, String> {
    let mut list = r.sub_u16().ok_or("signature algorithm list truncated")?;
    let mut out = Vec::new();
    while let Some(v) = list.u16() {
        out.push(signature_scheme_name(v));
    }
    Ok(out)
}

/// A list of DER distinguished names, shown as text (escaped; undecodable ones say so).
fn ca_names(r: &mut Reader) -> Result<Vec<String>, String> {
    let mut list = r.sub_u16().ok_or("CA name list truncated")?;
    let mut out = Vec::new();
    while list.any_left() {
        let der = list.sub_u16().ok_or("CA name overruns its list")?.rest();
        if out.len() == MAX_AUTHORITIES {
            continue;
        }
        use x509_parser::prelude::FromDer;
        let name = match x509_parser::x509::X509Name::from_der(der) {
            Ok((_, name)) => crate::sanitize::escape_str(&name.to_string()),
            Err(_) => format!("(undecodable name, {} bytes)", der.len()),
        };
        out.push(name);
    }
    Ok(out)
}

/// CertificateVerify: the signature scheme, then the signature (RFC 8446 §4.4.3).
fn decode_certificate_verify(body: &[u8]) -> Result<MessageInfo, String> {
    let mut r = Reader::new(body);
    let scheme = r.u16().ok_or("CertificateVerify truncated")?;
    r.sub_u16()
        .ok_or("CertificateVerify signature overruns the message")?;
    Ok(MessageInfo::CertificateVerify {
        algorithm: signature_scheme_name(scheme),
        length: body.len(),
    })
}

/// The key-exchange parameters a ServerKeyExchange carries.
enum KxGroup {
    /// ECDHE with a named curve (ECParameters curve_type 3, RFC 8422 §5.4).
    Named(u16),
    /// ECDHE with explicit curve parameters (curve_type 1 or 2, long deprecated).
    Explicit,
    /// Finite-field DHE with a server-chosen prime of this many bits (RFC 5246 §7.4.3).
    Dhe(usize),
}

impl KxGroup {
    fn name(&self) -> String {
        match self {
            KxGroup::Named(g) => group_name(*g),
            KxGroup::Explicit => "explicit_curve".to_owned(),
            KxGroup::Dhe(bits) => format!("DHE-{bits}"),
        }
    }
}

/// What kind of ServerKeyExchange this is, judged from the chosen suite, or when the
/// ServerHello was not seen, from the first byte (3 = named curve).
fn key_exchange_group(body: &[u8], ctx: Context) -> Option<KxGroup> {
    let suite = ctx.suite.map(suite_name);
    let ecdhe = suite.as_deref().map(|s| s.contains("_ECDHE_"));
    let dhe = suite.as_deref().is_some_and(|s| s.contains("_DHE_"));
    let mut r = Reader::new(body);
    if dhe {
        let p = r.sub_u16()?.rest();
        let p = p.get(p.iter().take_while(|b| **b == 0).count()..)?;
        let first = p.first()?;
        return Some(KxGroup::Dhe(
            (p.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        ));
    }
    match (ecdhe, r.u8()?) {
        (Some(true) | None, 3) => r.u16().map(KxGroup::Named),
        (Some(true), 1 | 2) => Some(KxGroup::Explicit),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![typ];
        m.extend(&u32::try_from(body.len()).unwrap_or(0).to_be_bytes()[1..]);
        m.extend(body);
        m
    }

    fn reassemble(records: &[&[u8]]) -> Vec<Result<RawMessage, String>> {
        let mut buf = HandshakeBuffer::new();
        records.iter().flat_map(|r| buf.push(r)).collect()
    }

    #[test]
    fn messages_across_and_within_records() {
        let mut stream = msg(14, &[]);
        stream.extend(msg(20, &[1; 12]));
        stream.extend(msg(11, &[0; 300]));
        let whole = reassemble(&[&stream]);
        assert_eq!(whole.len(), 3);
        for at in 0..=stream.len() {
            let (a, b) = stream.split_at(at);
            assert_eq!(reassemble(&[a, b]), whole, "split at {at}");
        }
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(reassemble(&bytes), whole);
    }

    #[test]
    fn oversized_claim_abandons_the_stream() {
        let mut buf = HandshakeBuffer::new();
        let got = buf.push(&[11, 0x01, 0x00, 0x01]);
        assert!(matches!(got.as_slice(), [Err(reason)] if reason.contains("65537 bytes")));
        assert!(buf.push(&msg(14, &[])).is_empty());
        assert_eq!(buf.pending(), 0);
        // Exactly at the cap is fine.
        let mut buf = HandshakeBuffer::new();
        assert!(buf.push(&[11, 0x01, 0x00, 0x00]).is_empty());
        assert_eq!(buf.pending(), 4);
    }

    fn info(typ: u8, body: &[u8], ctx: Context) -> MessageInfo {
        decode_message(
            &RawMessage {
                typ,
                body: body.to_vec(),
            },
            ctx,
        )
        .info()
    }

    #[test]
    fn simple_messages() {
        let none = Context::default();
        let cases: Vec<(u8, Vec<u8>, MessageInfo)> = vec![
            (14, vec![], MessageInfo::ServerHelloDone),
            (
                16,
                vec![0; 33],
                MessageInfo::ClientKeyExchange { length: 33 },
            ),
            (20, vec![0; 12], MessageInfo::Finished { length: 12 }),
            (4, vec![0; 90], MessageInfo::NewSessionTicket { length: 90 }),
            (
                13,
                vec![0; 7],
                MessageInfo::CertificateRequest {
                    length: 7,
                    authorities: vec![],
                    signature_algorithms: vec![],
                },
            ),
            (
                15,
                vec![8, 4, 0, 2, 1, 2],
                MessageInfo::CertificateVerify {
                    algorithm: "RSA_PSS_SHA256".into(),
                    length: 6,
                },
            ),
            (
                15,
                vec![8, 4, 0, 9],
                MessageInfo::Malformed {
                    reason: "CertificateVerify signature overruns the message".into(),
                },
            ),
            (
                200,
                vec![],
                MessageInfo::Handshake {
                    name: "unknown(200)".into(),
                    length: 0,
                },
            ),
        ];
        for (typ, body, want) in cases {
            assert_eq!(info(typ, &body, none), want, "type {typ}");
        }
    }

    #[test]
    fn certificates_tls12_and_tls13() {
        let mut list = vec![0, 0, 3, 1, 2, 3, 0, 0, 1, 9];
        let mut body = vec![0, 0, 10];
        body.append(&mut list);
        let want = MessageInfo::Certificate {
            count: 2,
            sizes: vec![3, 1],
            ocsp_staple: None,
        };
        assert_eq!(info(11, &body, Context::default()), want);
        let tls13 = Context {
            version: Some(0x0304),
            suite: None,
        };
        let body13 = [0, 0, 0, 9, 0, 0, 4, 1, 2, 3, 4, 0, 0];
        let want13 = MessageInfo::Certificate {
            count: 1,
            sizes: vec![4],
            ocsp_staple: Some(false),
        };
        assert_eq!(info(11, &body13, tls13), want13);
        assert!(matches!(
            info(11, &[0, 0, 9, 0], Context::default()),
            MessageInfo::Malformed { .. }
        ));
    }

    #[test]
    fn server_key_exchange_groups() {
        let ecdhe = Context {
            version: Some(0x0303),
            suite: Some(0xc02f),
        };
        let dhe = Context {
            version: Some(0x0303),
            suite: Some(0x009e),
        };
        let unknown = Context::default();
        let mut p1024 = vec![0x00, 0x80];
        p1024.extend([0xff; 128]);
        // (context, body, expected group)
        let cases: Vec<(Context, Vec<u8>, Option<&str>)> = vec![
            (ecdhe, vec![3, 0, 0x1d, 32], Some("X25519")),
            (unknown, vec![3, 0, 0x17, 65], Some("secp256r1")),
            (ecdhe, vec![1, 0], Some("explicit_curve")),
            (dhe, vec![0, 2, 0x00, 0x80, 0, 1, 2], Some("DHE-8")),
            (dhe, p1024, Some("DHE-1024")),
            (dhe, vec![0, 0], None),
            (ecdhe, vec![], None),
            (unknown, vec![0, 0x80], None),
        ];
        for (ctx, body, want) in cases {
            let got = info(12, &body, ctx);
            let MessageInfo::ServerKeyExchange { group, length } = got else {
                panic!("{got:?}");
            };
            assert_eq!(group.as_deref(), want, "{body:?}");
            assert_eq!(length, body.len());
        }
    }
}

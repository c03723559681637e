//! Hand-built ClientHello messages (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2) for every version
//! from SSL 3.0 to TLS 1.3 — the scanner's only TLS bytes; no TLS library is involved.
//!
//! Shape per version: SSL 3.0 sends no extensions at all (record version 0x0300);
//! TLS 1.0–1.2 put the highest version in `legacy_version`, offer the renegotiation SCSV,
//! SNI, supported_groups and ec_point_formats, extended_master_secret and session_ticket
//! (signature_algorithms from TLS 1.2 on, with SHA-1 schemes for old servers); TLS 1.3 says
//! 0x0303 and lists only 0x0304 in supported_versions, with real ephemeral key shares from
//! aws-lc-rs (an empty key_share list asks the server to pick a group with a
//! HelloRetryRequest). A hello whose body would fall in 256..=511 bytes gets a padding
//! extension (RFC 7685): some old F5 stacks hang on that size.

use aws_lc_rs::agreement::{self, EphemeralPrivateKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

use super::catalog::{RENEGOTIATION_SCSV, ScanVersion};

/// Everything one probe ClientHello offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelloSpec {
    pub version: ScanVersion,
    pub suites: Vec<u16>,
    /// supported_groups; empty means the extension is left out.
    pub groups: Vec<u16>,
    /// TLS 1.3 key shares (group, public value); an empty list is sent as an empty
    /// key_share, asking for a HelloRetryRequest.
    pub key_shares: Vec<(u16, Vec<u8>)>,
    /// SNI host name (never an IP address, RFC 6066 §3).
    pub sni: Option<String>,
}

/// Signature schemes offered from TLS 1.2 on: modern first, then SHA-224 and SHA-1 ones
/// that old servers with old certificates still need.
const SIGNATURE_SCHEMES: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x0401,
    0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0203, 0x0201, 0x0202, 0x0402, 0x0502, 0x0602,
];

/// The key shares a TLS 1.3 probe sends: real X25519 and P-256 public keys.
pub fn default_key_shares() -> Vec<(u16, Vec<u8>)> {
    let rng = SystemRandom::new();
    [
        (0x001d, &agreement::X25519),
        (0x0017, &agreement::ECDH_P256),
    ]
    .into_iter()
    .filter_map(|(group, alg)| {
        let key = EphemeralPrivateKey::generate(alg, &rng).ok()?;
        let public = key.compute_public_key().ok()?;
        Some((group, public.as_ref().to_vec()))
    })
    .collect()
}

/// The ClientHello for `spec` in TLS records, ready to write after STARTTLS.
pub fn build(spec: &HelloSpec) -> Vec<u8> {
    let rng = SystemRandom::new();
    let mut random = [0u8; 32];
    let mut session = [0u8; 32];
    // A failing system RNG leaves zeros: harmless for a hello that is never finished.
    let _ = rng.fill(&mut random);
    let _ = rng.fill(&mut session);
    let session: &[u8] = if spec.version == ScanVersion::Tls13 {
        &session // middlebox compatibility mode (RFC 8446 §D.4)
    } else {
        &[]
    };
    records(spec.version, &handshake(spec, &random, session))
}

/// The handshake message (4-byte header included).
pub fn handshake(spec: &HelloSpec, random: &[u8; 32], session_id: &[u8]) -> Vec<u8> {
    let legacy = spec.version.wire().min(0x0303);
    let mut body = Vec::with_capacity(512);
    body.extend(legacy.to_be_bytes());
    body.extend(random);
    put_u8_vec(&mut body, session_id);
    let mut suites: Vec<u8> = spec.suites.iter().flat_map(|s| s.to_be_bytes()).collect();
    if spec.version != ScanVersion::Tls13 {
        suites.extend(RENEGOTIATION_SCSV.to_be_bytes());
    }
    put_u16_vec(&mut body, &suites);
    body.extend([1, 0]); // compression: null only
    if spec.version != ScanVersion::Ssl3 {
        let mut ext = extensions(spec);
        // Body so far + 2-byte block length + extensions; pad out of 256..=511.
        let size = body.len() + 2 + ext.len() + 4;
        if (256..512).contains(&size) {
            let pad = 512usize.saturating_sub(size + 4);
            put_ext(&mut ext, 21, &vec![0; pad]);
        }
        put_u16_vec(&mut body, &ext);
    }
    let mut msg = vec![1];
    msg.extend(&u32::try_from(body.len()).unwrap_or(0).to_be_bytes()[1..]);
    msg.extend(body);
    msg
}

fn extensions(spec: &HelloSpec) -> Vec<u8> {
    let tls13 = spec.version == ScanVersion::Tls13;
    let mut ext = Vec::new();
    if let Some(host) = &spec.sni {
        let mut entry = vec![0];
        put_u16_vec(&mut entry, host.as_bytes());
        let mut list = Vec::new();
        put_u16_vec(&mut list, &entry);
        put_ext(&mut ext, 0, &list);
    }
    if !spec.groups.is_empty() {
        let groups: Vec<u8> = spec.groups.iter().flat_map(|g| g.to_be_bytes()).collect();
        let mut list = Vec::new();
        put_u16_vec(&mut list, &groups);
        put_ext(&mut ext, 10, &list);
        put_ext(&mut ext, 11, &[1, 0]); // ec_point_formats: uncompressed
    }
    if spec.version >= ScanVersion::Tls12 {
        let schemes: Vec<u8> = SIGNATURE_SCHEMES
            .iter()
            .flat_map(|s| s.to_be_bytes())
            .collect();
        let mut list = Vec::new();
        put_u16_vec(&mut list, &schemes);
        put_ext(&mut ext, 13, &list);
    }
    if !tls13 {
        put_ext(&mut ext, 23, &[]); // extended_master_secret
        put_ext(&mut ext, 35, &[]); // session_ticket
    } else {
        put_ext(&mut ext, 43, &[2, 0x03, 0x04]); // supported_versions: TLS 1.3 only
        put_ext(&mut ext, 45, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
        let mut shares = Vec::new();
        for (group, key) in &spec.key_shares {
            shares.extend(group.to_be_bytes());
            put_u16_vec(&mut shares, key);
        }
        let mut list = Vec::new();
        put_u16_vec(&mut list, &shares);
        put_ext(&mut ext, 51, &list);
    }
    ext
}

/// Wraps a handshake message in records of at most 2^14 bytes.
fn records(version: ScanVersion, msg: &[u8]) -> Vec<u8> {
    let record_version: u16 = if version == ScanVersion::Ssl3 {
        0x0300
    } else {
        0x0301
    };
    records_with(record_version, msg)
}

/// Wraps a handshake message in records of at most 2^14 bytes with this record version
/// (shared with the sender profiles' hellos).
pub(crate) fn records_with(record_version: u16, msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + 10);
    for part in msg.chunks(1 << 14) {
        out.push(22);
        out.extend(record_version.to_be_bytes());
        put_u16_vec(&mut out, part);
    }
    out
}

pub(crate) fn put_ext(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend(typ.to_be_bytes());
    put_u16_vec(out, data);
}

pub(crate) fn put_u16_vec(out: &mut Vec<u8>, data: &[u8]) {
    out.extend(u16::try_from(data.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend(data);
}

pub(crate) fn put_u8_vec(out: &mut Vec<u8>, data: &[u8]) {
    out.push(u8::try_from(data.len()).unwrap_or(u8::MAX));
    out.extend(data);
}

//! A profile's ClientHello bytes: the fields and extensions in the profile's order, with
//! real ephemeral key shares from aws-lc-rs (X25519, P-256, P-384, ML-KEM-768 hybrids), so a
//! server that checks the share answers as it would answer the real MTA.
//!
//! Only the random, the session id and the key shares change from one hello to the next;
//! [`handshake_with`] takes them as arguments so tests can compare bytes.

use aws_lc_rs::agreement::{self, EphemeralPrivateKey};
use aws_lc_rs::kem::{DecapsulationKey, ML_KEM_768};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

use super::profile::SenderProfile;
use crate::scan::hello::{put_ext, put_u8_vec, put_u16_vec, records_with as records};

/// Extension names a profile may list, with their code points (IANA TLS ExtensionType).
pub const EXTENSIONS: &[(&str, u16)] = &[
    ("server_name", 0),
    ("status_request", 5),
    ("supported_groups", 10),
    ("ec_point_formats", 11),
    ("signature_algorithms", 13),
    ("alpn", 16),
    ("signed_certificate_timestamp", 18),
    ("padding", 21),
    ("encrypt_then_mac", 22),
    ("extended_master_secret", 23),
    ("compress_certificate", 27),
    ("record_size_limit", 28),
    ("session_ticket", 35),
    ("supported_versions", 43),
    ("psk_key_exchange_modes", 45),
    ("post_handshake_auth", 49),
    ("key_share", 51),
    ("renegotiation_info", 0xff01),
];

/// The code point of an extension name, or of `ext-NNNNN` (sent empty).
pub fn extension_code(name: &str) -> Option<u16> {
    EXTENSIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
        .or_else(|| name.strip_prefix("ext-")?.parse().ok())
}

/// A fresh public key share for `group`, or `None` for a group we cannot make one for.
pub fn key_share(group: u16) -> Option<Vec<u8>> {
    let rng = SystemRandom::new();
    let ecdh = |alg: &'static agreement::Algorithm| -> Option<Vec<u8>> {
        let key = EphemeralPrivateKey::generate(alg, &rng).ok()?;
        Some(key.compute_public_key().ok()?.as_ref().to_vec())
    };
    let mlkem = || -> Option<Vec<u8>> {
        let key = DecapsulationKey::generate(&ML_KEM_768).ok()?;
        Some(
            key.encapsulation_key()
                .ok()?
                .key_bytes()
                .ok()?
                .as_ref()
                .to_vec(),
        )
    };
    match group {
        0x001d => ecdh(&agreement::X25519),
        0x0017 => ecdh(&agreement::ECDH_P256),
        0x0018 => ecdh(&agreement::ECDH_P384),
        0x0019 => ecdh(&agreement::ECDH_P521),
        // X448: any 56 bytes are a valid public value (RFC 7748 §5); the hello is never
        // finished, so no private key is needed.
        0x001e => {
            let mut v = vec![0u8; 56];
            rng.fill(&mut v).ok()?;
            Some(v)
        }
        // X25519MLKEM768: ML-KEM-768 encapsulation key, then X25519 (draft-ietf-tls-ecdhe-mlkem).
        0x11ec => {
            let mut v = mlkem()?;
            v.extend(ecdh(&agreement::X25519)?);
            Some(v)
        }
        // SecP256r1MLKEM768: P-256 first, then ML-KEM-768.
        0x11eb => {
            let mut v = ecdh(&agreement::ECDH_P256)?;
            v.extend(mlkem()?);
            Some(v)
        }
        _ => None,
    }
}

/// The hello in TLS records, ready to write after STARTTLS. `sni` is sent only when the
/// profile lists server_name.
pub fn hello(profile: &SenderProfile, sni: Option<&str>) -> Vec<u8> {
    let rng = SystemRandom::new();
    let mut random = [0u8; 32];
    let mut session = vec![0u8; usize::from(profile.session_id_len)];
    // A failing system RNG leaves zeros: harmless for a hello that is never finished.
    let _ = rng.fill(&mut random);
    let _ = rng.fill(&mut session);
    let shares: Vec<(u16, Vec<u8>)> = profile
        .key_shares
        .iter()
        .filter_map(|g| Some((*g, key_share(*g)?)))
        .collect();
    records(
        profile.record_version,
        &handshake_with(profile, sni, &random, &session, &shares),
    )
}

/// The handshake message (4-byte header included) with the given random values.
pub fn handshake_with(
    profile: &SenderProfile,
    sni: Option<&str>,
    random: &[u8; 32],
    session_id: &[u8],
    shares: &[(u16, Vec<u8>)],
) -> Vec<u8> {
    let mut body = Vec::with_capacity(1024);
    body.extend(profile.legacy_version.to_be_bytes());
    body.extend(random);
    put_u8_vec(&mut body, session_id);
    let suites: Vec<u8> = profile
        .cipher_suites
        .iter()
        .flat_map(|s| s.to_be_bytes())
        .collect();
    put_u16_vec(&mut body, &suites);
    body.extend([1, 0]); // compression: null only
    let mut ext = Vec::new();
    for name in &profile.extensions {
        let Some(code) = extension_code(name) else {
            continue; // refused by SenderProfile::check
        };
        if name == "padding" {
            continue; // added last, once the size is known
        }
        if let Some(data) = extension_data(profile, name, sni, shares) {
            put_ext(&mut ext, code, &data);
        }
    }
    if profile.extensions.iter().any(|e| e == "padding") {
        // OpenSSL's rule (RFC 7685, as in ssl/statem/extensions_clnt.c; BoringSSL's is the
        // same): a hello of 256..=511 bytes, its 4-byte handshake header included, is padded
        // to 512, because some F5 stacks hang on that size; the extension carries at least
        // one byte.
        let so_far = 4 + body.len() + 2 + ext.len();
        if (0x100..0x200).contains(&so_far) {
            let pad = match 0x200 - so_far {
                n if n > 4 => n - 4,
                _ => 1,
            };
            put_ext(&mut ext, 21, &vec![0; pad]);
        }
    }
    if !ext.is_empty() {
        put_u16_vec(&mut body, &ext);
    }
    let mut msg = vec![1];
    msg.extend(&u32::try_from(body.len()).unwrap_or(0).to_be_bytes()[1..]);
    msg.extend(body);
    msg
}

fn u16s(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// One extension's body; `None` leaves it out (server_name without a host name).
fn extension_data(
    p: &SenderProfile,
    name: &str,
    sni: Option<&str>,
    shares: &[(u16, Vec<u8>)],
) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match name {
        "server_name" => {
            let mut entry = vec![0];
            put_u16_vec(&mut entry, sni?.as_bytes());
            put_u16_vec(&mut out, &entry);
        }
        "status_request" => out.extend([1, 0, 0, 0, 0]), // OCSP, no responder ids or extensions
        "supported_groups" => put_u16_vec(&mut out, &u16s(&p.groups)),
        "ec_point_formats" => put_u8_vec(&mut out, &p.point_formats),
        "signature_algorithms" => put_u16_vec(&mut out, &u16s(&p.signature_algorithms)),
        "alpn" => {
            let mut list = Vec::new();
            for a in &p.alpn {
                put_u8_vec(&mut list, a.as_bytes());
            }
            put_u16_vec(&mut out, &list);
        }
        "supported_versions" => put_u8_vec(&mut out, &u16s(&p.supported_versions)),
        "psk_key_exchange_modes" => put_u8_vec(&mut out, &p.psk_modes),
        "key_share" => {
            let mut list = Vec::new();
            for (group, key) in shares {
                list.extend(group.to_be_bytes());
                put_u16_vec(&mut list, key);
            }
            put_u16_vec(&mut out, &list);
        }
        "record_size_limit" => out.extend(p.record_size_limit.unwrap_or(0x4001).to_be_bytes()),
        "compress_certificate" => put_u8_vec(&mut out, &u16s(&p.compress_certificate)),
        "renegotiation_info" => out.push(0),
        _ => {} // empty: session_ticket, extended_master_secret, encrypt_then_mac, ...
    }
    Some(out)
}

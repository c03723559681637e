//! IANA names for the numbers on the wire: the one table every part of the tool names suites,
//! groups and signature schemes from, keyed by the code point.
//!
//! Cipher suites, groups, signature schemes, alerts, handshake and content types are named
//! from rustls' public enums (`From<u16>`/`From<u8>` then `as_str`), which include legacy
//! values rustls never negotiates. `as_str` is used rather than `Debug` because rustls prints
//! its legacy cipher suites in `Debug` as `CipherSuite(0x..)`. Suites are spelled the IANA
//! way: rustls' `TLS13_AES_128_GCM_SHA256` is `TLS_AES_128_GCM_SHA256` here; reading a name
//! back accepts both spellings in any case. Signature schemes rustls does not name come from
//! a small table of the IANA registry. Values nobody knows
//! come out as `unknown(0xNNNN)` (suites, groups, versions, signature schemes),
//! `unknown(0xNN)` (content types) or `unknown(N)` in decimal (extensions, alerts, handshake
//! types), the way the IANA registries number them. Extension names come from a small table
//! here, because rustls does not export its `ExtensionType`.

use std::collections::HashMap;
use std::sync::LazyLock;

use rustls::{
    AlertDescription, CipherSuite, ContentType, HandshakeType, NamedGroup, ProtocolVersion,
    SignatureScheme,
};

/// e.g. `TLS_AES_128_GCM_SHA256`, `TLS_RSA_WITH_3DES_EDE_CBC_SHA`, `unknown(0x1234)`.
pub fn suite_name(v: u16) -> String {
    match CipherSuite::from(v).as_str() {
        // rustls' own prefix for the TLS 1.3 suites; IANA names them `TLS_...`.
        Some(name) => match name.strip_prefix("TLS13_") {
            Some(rest) => format!("TLS_{rest}"),
            None => name.to_owned(),
        },
        None => unknown_u16(v),
    }
}

/// rustls' spelling of a suite name (`TLS13_AES_128_GCM_SHA256`), accepted on input.
fn rustls_suite_name(v: u16) -> Option<&'static str> {
    CipherSuite::from(v).as_str()
}

/// e.g. `X25519`, `secp256r1`, `X25519MLKEM768`, `FFDHE2048`, `unknown(0x1234)`.
pub fn group_name(v: u16) -> String {
    NamedGroup::from(v)
        .as_str()
        .map_or_else(|| unknown_u16(v), str::to_owned)
}

/// e.g. `ECDSA_NISTP256_SHA256`, `RSA_PSS_SHA256`, `RSA_PSS_PSS_SHA256`, `unknown(0x1234)`.
pub fn signature_scheme_name(v: u16) -> String {
    SignatureScheme::from(v)
        .as_str()
        .or_else(|| {
            SIGNATURE_SCHEMES
                .iter()
                .find(|(code, _)| *code == v)
                .map(|(_, name)| *name)
        })
        .map_or_else(|| unknown_u16(v), str::to_owned)
}

/// Registered signature schemes rustls does not name (IANA "TLS SignatureScheme"), in
/// rustls' spelling of the others.
const SIGNATURE_SCHEMES: &[(u16, &str)] = &[
    (0x0202, "DSA_SHA1"),
    (0x0301, "RSA_PKCS1_SHA224"),
    (0x0302, "DSA_SHA224"),
    (0x0303, "ECDSA_SHA224"),
    (0x0402, "DSA_SHA256"),
    (0x0502, "DSA_SHA384"),
    (0x0602, "DSA_SHA512"),
    (0x0708, "SM2SIG_SM3"),
    (0x0709, "GOSTR34102012_256A"),
    (0x070a, "GOSTR34102012_256B"),
    (0x070b, "GOSTR34102012_256C"),
    (0x070c, "GOSTR34102012_256D"),
    (0x070d, "GOSTR34102012_512A"),
    (0x070e, "GOSTR34102012_512B"),
    (0x070f, "GOSTR34102012_512C"),
    (0x0809, "RSA_PSS_PSS_SHA256"),
    (0x080a, "RSA_PSS_PSS_SHA384"),
    (0x080b, "RSA_PSS_PSS_SHA512"),
    (0x081a, "ECDSA_BRAINPOOLP256R1TLS13_SHA256"),
    (0x081b, "ECDSA_BRAINPOOLP384R1TLS13_SHA384"),
    (0x081c, "ECDSA_BRAINPOOLP512R1TLS13_SHA512"),
];

/// "SSLv3", "TLSv1.0" .. "TLSv1.3", "DTLSv1.2", TLS 1.3 drafts as "TLSv1.3-draft23",
/// otherwise `unknown(0xNNNN)`.
pub fn version_name(v: u16) -> String {
    let known = match ProtocolVersion::from(v) {
        ProtocolVersion::SSLv2 => "SSLv2",
        ProtocolVersion::SSLv3 => "SSLv3",
        ProtocolVersion::TLSv1_0 => "TLSv1.0",
        ProtocolVersion::TLSv1_1 => "TLSv1.1",
        ProtocolVersion::TLSv1_2 => "TLSv1.2",
        ProtocolVersion::TLSv1_3 => "TLSv1.3",
        ProtocolVersion::DTLSv1_0 => "DTLSv1.0",
        ProtocolVersion::DTLSv1_2 => "DTLSv1.2",
        ProtocolVersion::DTLSv1_3 => "DTLSv1.3",
        _ if v >> 8 == 0x7f => return format!("TLSv1.3-draft{}", v & 0xff),
        _ => return unknown_u16(v),
    };
    known.to_owned()
}

/// An alert description in the RFC's spelling: `handshake_failure`, `unknown_ca`,
/// `unrecognized_name`, `ech_required`, or `unknown(N)`.
pub fn alert_name(v: u8) -> String {
    match AlertDescription::from(v) {
        // rustls spells these differently from RFC 8446 / the ECH draft.
        AlertDescription::UnrecognisedName => "unrecognized_name".to_owned(),
        AlertDescription::EncryptedClientHelloRequired => "ech_required".to_owned(),
        d => d
            .as_str()
            .map_or_else(|| format!("unknown({v})"), snake_case),
    }
}

/// "warning", "fatal" or `unknown(N)`.
pub fn alert_level_name(v: u8) -> String {
    match v {
        1 => "warning".to_owned(),
        2 => "fatal".to_owned(),
        _ => format!("unknown({v})"),
    }
}

/// "handshake", "alert", "change_cipher_spec", "application_data", "heartbeat" or
/// `unknown(0xNN)`.
pub fn content_type_name(v: u8) -> String {
    ContentType::from(v)
        .as_str()
        .map_or_else(|| format!("unknown(0x{v:02x})"), snake_case)
}

/// A handshake message type: `client_hello`, `encrypted_extensions`, `certificate_url`, ...
/// or `unknown(N)`.
pub fn handshake_type_name(v: u8) -> String {
    HandshakeType::from(v)
        .as_str()
        .map_or_else(|| format!("unknown({v})"), snake_case)
}

/// An extension type name from the IANA registry, or `unknown(N)`.
pub fn extension_name(v: u16) -> String {
    EXTENSIONS
        .iter()
        .find(|(code, _)| *code == v)
        .map_or_else(|| format!("unknown({v})"), |(_, name)| (*name).to_owned())
}

/// Extension types by number (IANA "TLS ExtensionType Values"); ALPN is shortened to `alpn`.
const EXTENSIONS: &[(u16, &str)] = &[
    (0, "server_name"),
    (1, "max_fragment_length"),
    (2, "client_certificate_url"),
    (3, "trusted_ca_keys"),
    (4, "truncated_hmac"),
    (5, "status_request"),
    (6, "user_mapping"),
    (7, "client_authz"),
    (8, "server_authz"),
    (9, "cert_type"),
    (10, "supported_groups"),
    (11, "ec_point_formats"),
    (12, "srp"),
    (13, "signature_algorithms"),
    (14, "use_srtp"),
    (15, "heartbeat"),
    (16, "alpn"),
    (17, "status_request_v2"),
    (18, "signed_certificate_timestamp"),
    (19, "client_certificate_type"),
    (20, "server_certificate_type"),
    (21, "padding"),
    (22, "encrypt_then_mac"),
    (23, "extended_master_secret"),
    (24, "token_binding"),
    (25, "cached_info"),
    (27, "compress_certificate"),
    (28, "record_size_limit"),
    (34, "delegated_credentials"),
    (35, "session_ticket"),
    (41, "pre_shared_key"),
    (42, "early_data"),
    (43, "supported_versions"),
    (44, "cookie"),
    (45, "psk_key_exchange_modes"),
    (47, "certificate_authorities"),
    (48, "oid_filters"),
    (49, "post_handshake_auth"),
    (50, "signature_algorithms_cert"),
    (51, "key_share"),
    (52, "transparency_info"),
    (57, "quic_transport_parameters"),
    (0xfe0d, "encrypted_client_hello"),
    (0xff01, "renegotiation_info"),
];

/// The cipher suite with this name, IANA or rustls spelling, any case (what users type on
/// the command line and the pickers offer), or `unknown(0xNNNN)` read back.
pub fn suite_by_name(name: &str) -> Option<u16> {
    static SUITES: LazyLock<HashMap<String, u16>> = LazyLock::new(|| {
        let mut table = reverse(suite_name);
        for v in 0..=u16::MAX {
            if let Some(name) = rustls_suite_name(v) {
                table.entry(name.to_ascii_lowercase()).or_insert(v);
            }
        }
        table
    });
    by_name(&SUITES, name)
}

/// The named group with this name (case-insensitive), or `unknown(0xNNNN)` read back.
pub fn group_by_name(name: &str) -> Option<u16> {
    static GROUPS: LazyLock<HashMap<String, u16>> = LazyLock::new(|| reverse(group_name));
    by_name(&GROUPS, name)
}

/// The protocol version with this name (`TLSv1.2`, `SSLv3`, as [`version_name`] writes it).
pub fn version_by_name(name: &str) -> Option<u16> {
    (0x0300..=0x0304).find(|v| version_name(*v) == name.trim())
}

fn by_name(table: &HashMap<String, u16>, name: &str) -> Option<u16> {
    let name = name.trim();
    if let Some(hex) = name
        .strip_prefix("unknown(0x")
        .and_then(|s| s.strip_suffix(')'))
    {
        return u16::from_str_radix(hex, 16).ok();
    }
    table.get(&name.to_ascii_lowercase()).copied()
}

/// Lower-cased name → value, over every value the naming function knows.
fn reverse(name_of: fn(u16) -> String) -> HashMap<String, u16> {
    (0..=u16::MAX)
        .filter_map(|v| {
            let name = name_of(v);
            (!name.starts_with("unknown(")).then(|| (name.to_ascii_lowercase(), v))
        })
        .collect()
}

fn unknown_u16(v: u16) -> String {
    format!("unknown(0x{v:04x})")
}

/// `ChangeCipherSpec` → `change_cipher_spec`, `UnknownCA` → `unknown_ca`,
/// `CertificateURL` → `certificate_url`.
fn snake_case(camel: &str) -> String {
    let chars: Vec<char> = camel.chars().collect();
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars.get(i - 1).copied().unwrap_or('_');
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Whether a key-exchange group name is a post-quantum (hybrid) one such as X25519MLKEM768.
pub fn is_post_quantum(group: &str) -> bool {
    group.to_ascii_uppercase().contains("MLKEM") || group.to_ascii_uppercase().contains("KYBER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites() {
        let cases = [
            (0x1301, "TLS_AES_128_GCM_SHA256"),
            (0x1302, "TLS_AES_256_GCM_SHA384"),
            (0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
            (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
            (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
            (0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
            (0x1234, "unknown(0x1234)"),
            (0x0a0a, "unknown(0x0a0a)"),
        ];
        for (v, name) in cases {
            assert_eq!(suite_name(v), name);
            assert_eq!(suite_by_name(name), Some(v), "{name}");
        }
        // rustls' spelling is read back too, in any case.
        assert_eq!(suite_by_name("tls13_aes_128_gcm_sha256"), Some(0x1301));
        assert_eq!(
            suite_by_name("TLS13_CHACHA20_POLY1305_SHA256"),
            Some(0x1303)
        );
        assert_eq!(suite_by_name("NO_SUCH_SUITE"), None);
    }

    #[test]
    fn groups() {
        let cases = [
            (0x001d, "X25519"),
            (0x0017, "secp256r1"),
            (0x0018, "secp384r1"),
            (0x11ec, "X25519MLKEM768"),
            (0x0100, "FFDHE2048"),
            (0xfafa, "unknown(0xfafa)"),
        ];
        for (v, name) in cases {
            assert_eq!(group_name(v), name);
            assert_eq!(group_by_name(name), Some(v), "{name}");
        }
        assert_eq!(group_by_name("x25519"), Some(0x001d));
        assert_eq!(group_by_name("P-256"), None);
    }

    #[test]
    fn every_known_name_reads_back() {
        for v in 0..=u16::MAX {
            assert_eq!(suite_by_name(&suite_name(v)), Some(v));
            assert_eq!(group_by_name(&group_name(v)), Some(v));
        }
    }

    #[test]
    fn versions() {
        let cases = [
            (0x0300, "SSLv3"),
            (0x0301, "TLSv1.0"),
            (0x0302, "TLSv1.1"),
            (0x0303, "TLSv1.2"),
            (0x0304, "TLSv1.3"),
            (0x7f17, "TLSv1.3-draft23"),
            (0xfefd, "DTLSv1.2"),
            (0x0305, "unknown(0x0305)"),
        ];
        for (v, name) in cases {
            assert_eq!(version_name(v), name);
        }
    }

    #[test]
    fn alerts_and_levels() {
        let cases = [
            (0, "close_notify"),
            (10, "unexpected_message"),
            (40, "handshake_failure"),
            (42, "bad_certificate"),
            (48, "unknown_ca"),
            (70, "protocol_version"),
            (86, "inappropriate_fallback"),
            (109, "missing_extension"),
            (112, "unrecognized_name"),
            (115, "unknown_psk_identity"),
            (116, "certificate_required"),
            (120, "no_application_protocol"),
            (121, "ech_required"),
            (200, "unknown(200)"),
        ];
        for (v, name) in cases {
            assert_eq!(alert_name(v), name);
        }
        assert_eq!(alert_level_name(1), "warning");
        assert_eq!(alert_level_name(2), "fatal");
        assert_eq!(alert_level_name(3), "unknown(3)");
    }

    #[test]
    fn content_handshake_extension_and_scheme_names() {
        assert_eq!(content_type_name(20), "change_cipher_spec");
        assert_eq!(content_type_name(22), "handshake");
        assert_eq!(content_type_name(23), "application_data");
        assert_eq!(content_type_name(0x32), "unknown(0x32)");
        assert_eq!(handshake_type_name(1), "client_hello");
        assert_eq!(handshake_type_name(8), "encrypted_extensions");
        assert_eq!(handshake_type_name(15), "certificate_verify");
        assert_eq!(handshake_type_name(21), "certificate_url");
        assert_eq!(handshake_type_name(99), "unknown(99)");
        assert_eq!(extension_name(0), "server_name");
        assert_eq!(extension_name(16), "alpn");
        assert_eq!(extension_name(51), "key_share");
        assert_eq!(extension_name(0xff01), "renegotiation_info");
        assert_eq!(extension_name(0x1a1a), "unknown(6682)");
        assert_eq!(signature_scheme_name(0x0804), "RSA_PSS_SHA256");
        assert_eq!(signature_scheme_name(0x0403), "ECDSA_NISTP256_SHA256");
        assert_eq!(signature_scheme_name(0x0809), "RSA_PSS_PSS_SHA256");
        assert_eq!(version_by_name("TLSv1.2"), Some(0x0303));
        assert_eq!(version_by_name("SSLv3"), Some(0x0300));
        assert_eq!(version_by_name("TLSv9"), None);
        assert_eq!(
            signature_scheme_name(0x081a),
            "ECDSA_BRAINPOOLP256R1TLS13_SHA256"
        );
        assert_eq!(signature_scheme_name(0x0102), "unknown(0x0102)");
    }
}

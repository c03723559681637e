//! What the scanner offers: protocol versions, the cipher suites (every value rustls'
//! `CipherSuite` enum names, legacy, export, NULL and anonymous ones included) and the
//! named groups (every value of `NamedGroup`), in the order we offer them.
//!
//! The order matters twice. Suites a server is likely to accept come first, so the first
//! ClientHello of a version (at most [`CHUNK`] suites) usually finds them and the later chunks
//! end at once; and a client-preference server picks in this order, so the scan can tell
//! "server order" from "our order" (see `suites`).
//!
//! Names: IANA names from `wire::names` (the TLS 1.3 suites as `TLS_AES_128_GCM_SHA256`);
//! [`suite_value`] reads the IANA or rustls spelling back.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::wire::names::{group_by_name, group_name, suite_by_name, suite_name};

/// Most suites offered in one ClientHello: old servers reject long lists (some stop at 128).
pub const CHUNK: usize = 128;

/// The signalling suites (RFC 5746 and RFC 7507), never "accepted".
const SCSV: [u16; 2] = [0x00ff, 0x5600];
/// `TLS_EMPTY_RENEGOTIATION_INFO_SCSV`, offered in every ≤ TLS 1.2 hello.
pub const RENEGOTIATION_SCSV: u16 = 0x00ff;

/// A protocol version the scanner asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ScanVersion {
    #[serde(rename = "SSLv3")]
    Ssl3,
    #[serde(rename = "TLSv1.0")]
    Tls10,
    #[serde(rename = "TLSv1.1")]
    Tls11,
    #[serde(rename = "TLSv1.2")]
    Tls12,
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

impl ScanVersion {
    /// Every version, oldest first.
    pub const ALL: [ScanVersion; 5] = [
        ScanVersion::Ssl3,
        ScanVersion::Tls10,
        ScanVersion::Tls11,
        ScanVersion::Tls12,
        ScanVersion::Tls13,
    ];

    /// The wire value (`0x0301` for TLS 1.0).
    pub fn wire(self) -> u16 {
        match self {
            ScanVersion::Ssl3 => 0x0300,
            ScanVersion::Tls10 => 0x0301,
            ScanVersion::Tls11 => 0x0302,
            ScanVersion::Tls12 => 0x0303,
            ScanVersion::Tls13 => 0x0304,
        }
    }

    /// "SSLv3", "TLSv1.0", ... as in `wire::version_name`.
    pub fn name(self) -> &'static str {
        match self {
            ScanVersion::Ssl3 => "SSLv3",
            ScanVersion::Tls10 => "TLSv1.0",
            ScanVersion::Tls11 => "TLSv1.1",
            ScanVersion::Tls12 => "TLSv1.2",
            ScanVersion::Tls13 => "TLSv1.3",
        }
    }

    /// "SSL 3.0", "TLS 1.0", ... for sentences.
    pub fn words(self) -> &'static str {
        match self {
            ScanVersion::Ssl3 => "SSL 3.0",
            ScanVersion::Tls10 => "TLS 1.0",
            ScanVersion::Tls11 => "TLS 1.1",
            ScanVersion::Tls12 => "TLS 1.2",
            ScanVersion::Tls13 => "TLS 1.3",
        }
    }

    /// TLS 1.2 or 1.3: what a rustls-based sender (and this tool's probe) can speak.
    pub fn is_modern(self) -> bool {
        matches!(self, ScanVersion::Tls12 | ScanVersion::Tls13)
    }

    /// `1.0`, `tls1.2`, `TLSv1.3`, `ssl3`, ... (for the command line).
    pub fn parse(s: &str) -> Option<ScanVersion> {
        let s = s.trim().to_ascii_lowercase();
        let s = s.trim_start_matches("tlsv").trim_start_matches("tls");
        match s {
            "sslv3" | "ssl3" | "ssl3.0" | "3.0" => Some(ScanVersion::Ssl3),
            "1.0" | "1" | "10" => Some(ScanVersion::Tls10),
            "1.1" | "11" => Some(ScanVersion::Tls11),
            "1.2" | "12" => Some(ScanVersion::Tls12),
            "1.3" | "13" => Some(ScanVersion::Tls13),
            _ => None,
        }
    }
}

/// The report's spelling, as [`ScanVersion::name`] (and the JSON).
impl std::fmt::Display for ScanVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// True for the suites only TLS 1.3 negotiates.
pub fn is_tls13_suite(v: u16) -> bool {
    matches!(v, 0x1301..=0x13ff | 0x00c6 | 0x00c7)
}

/// A suite by IANA or rustls name.
pub fn suite_value(name: &str) -> Option<u16> {
    suite_by_name(name)
}

/// Every suite the scanner knows (SCSVs excluded), most likely accepted first.
fn all_suites() -> &'static [u16] {
    static ALL: LazyLock<Vec<u16>> = LazyLock::new(|| {
        let mut v: Vec<(u8, u16)> = (0..=u16::MAX)
            .filter(|v| !SCSV.contains(v))
            .filter_map(|v| {
                let name = suite_name(v);
                (!name.starts_with("unknown(")).then(|| (rank(v, &name), v))
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, v)| v).collect()
    });
    &ALL
}

/// How likely a server is to accept a suite, 0 = most likely (from its IANA name).
fn rank(v: u16, name: &str) -> u8 {
    let has = |s: &str| name.contains(s);
    let aead = has("_GCM_") || has("CHACHA20");
    // The five TLS 1.3 suites every stack has (not the SM4 ones).
    if matches!(v, 0x1301..=0x13ff) {
        0
    } else if has("EXPORT") {
        13
    } else if has("_NULL_") || name.ends_with("_NULL") {
        14
    } else if has("_anon_") {
        12
    } else if has("PSK") || has("SRP") || has("KRB5") || has("GOSTR") || has("_SM4_") {
        11
    } else if has("TLS_ECDHE_") && aead {
        1
    } else if has("TLS_ECDHE_") && has("_AES_") {
        2
    } else if has("TLS_DHE_") && aead {
        3
    } else if has("TLS_DHE_") && has("_AES_") {
        4
    } else if has("TLS_RSA_WITH_AES_") {
        5
    } else if has("3DES") {
        6
    } else if has("RC4") {
        7
    } else if has("TLS_ECDH_") || has("TLS_DH_") {
        9
    } else if has("TLS_RSA_") || has("TLS_DHE_") || has("TLS_ECDHE_") {
        8
    } else {
        10
    }
}

/// True for suites defined only for TLS 1.2 (AEAD or SHA-256/384 MACs, RFC 5246 App. A.5):
/// offering them in a TLS 1.0 hello only wastes room.
fn tls12_only(name: &str) -> bool {
    ["_GCM_", "_CCM", "CHACHA20", "SHA256", "SHA384"]
        .iter()
        .any(|s| name.contains(s))
}

/// The suites to offer for `version`, most likely first.
pub fn suites_for(version: ScanVersion) -> Vec<u16> {
    let all = all_suites().iter().copied();
    match version {
        ScanVersion::Tls13 => all.filter(|v| is_tls13_suite(*v)).collect(),
        ScanVersion::Tls12 => all.filter(|v| !is_tls13_suite(*v)).collect(),
        _ => all
            .filter(|v| !is_tls13_suite(*v) && !tls12_only(&suite_name(*v)))
            .collect(),
    }
}

/// ECDHE suites for TLS 1.2 group probes (at most one chunk).
pub fn ecdhe_suites() -> Vec<u16> {
    suites_for(ScanVersion::Tls12)
        .into_iter()
        .filter(|v| suite_name(*v).starts_with("TLS_ECDHE_"))
        .take(CHUNK)
        .collect()
}

/// Every named group the scanner offers, modern ones first.
pub fn groups_for(version: ScanVersion) -> Vec<u16> {
    static ALL: LazyLock<Vec<u16>> = LazyLock::new(|| {
        let first: Vec<u16> = [
            "X25519MLKEM768",
            "X25519",
            "secp256r1",
            "secp384r1",
            "secp521r1",
            "X448",
            "FFDHE2048",
            "FFDHE3072",
        ]
        .iter()
        .filter_map(|n| group_by_name(n))
        .collect();
        let rest = (0..=u16::MAX).filter(|v| {
            !first.contains(v)
                && !matches!(*v, 0xff01 | 0xff02)
                && !group_name(*v).starts_with("unknown(")
        });
        first.iter().copied().chain(rest).collect()
    });
    match version {
        // TLS 1.2 ECDHE uses elliptic curves only (RFC 8422); FFDHE and hybrids are 1.3.
        ScanVersion::Tls12 => ALL.iter().copied().filter(|v| *v <= 0x001e).collect(),
        _ => ALL.clone(),
    }
}

/// Split into hellos of at most [`CHUNK`] suites.
pub fn chunks(suites: &[u16]) -> Vec<Vec<u16>> {
    suites.chunks(CHUNK).map(<[u16]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_complete_and_ordered() {
        let t12 = suites_for(ScanVersion::Tls12);
        assert!(t12.len() > 250, "{}", t12.len());
        assert_eq!(t12.first().map(|v| rank(*v, &suite_name(*v))), Some(1));
        for v in [0x000a, 0x0005, 0x002f, 0x0003, 0x0000, 0x0018, 0xc02f] {
            assert!(t12.contains(&v), "{}", suite_name(v));
        }
        assert!(!t12.contains(&0x00ff));
        let t10 = suites_for(ScanVersion::Tls10);
        assert!(t10.contains(&0x002f) && !t10.contains(&0xc02f) && !t10.contains(&0x003c));
        let t13 = suites_for(ScanVersion::Tls13);
        assert!(t13.contains(&0x1301) && t13.contains(&0x1303));
        assert!(
            ecdhe_suites()
                .iter()
                .all(|v| suite_name(*v).contains("ECDHE"))
        );
    }

    #[test]
    fn names_round_trip() {
        assert_eq!(suite_name(0x1301), "TLS_AES_128_GCM_SHA256");
        assert_eq!(suite_value("TLS_AES_128_GCM_SHA256"), Some(0x1301));
        assert_eq!(suite_value("TLS13_AES_128_GCM_SHA256"), Some(0x1301));
        assert_eq!(suite_value("TLS_RSA_WITH_AES_128_CBC_SHA"), Some(0x002f));
        assert_eq!(ScanVersion::parse("1.0"), Some(ScanVersion::Tls10));
        assert_eq!(ScanVersion::parse("TLSv1.3"), Some(ScanVersion::Tls13));
        assert_eq!(ScanVersion::parse("ssl3"), Some(ScanVersion::Ssl3));
        let g = groups_for(ScanVersion::Tls13);
        assert_eq!(
            g.first().map(|v| group_name(*v)).as_deref(),
            Some("X25519MLKEM768")
        );
        assert!(groups_for(ScanVersion::Tls12).iter().all(|v| *v <= 0x1e));
    }

    /// The typed version keeps the JSON spelling of the old string field (schema unchanged).
    #[test]
    fn versions_serialise_as_the_report_spells_them() {
        for v in ScanVersion::ALL {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.name()));
            assert_eq!(serde_json::from_str::<ScanVersion>(&json).unwrap(), v);
            assert_eq!(v.to_string(), v.name());
        }
        let modern: Vec<_> = ScanVersion::ALL
            .into_iter()
            .filter(|v| v.is_modern())
            .collect();
        assert_eq!(modern, [ScanVersion::Tls12, ScanVersion::Tls13]);
    }
}

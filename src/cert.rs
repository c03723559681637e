//! Certificates as a mail engineer reads them: subject, issuer, names, validity, key and
//! fingerprint decoded from DER with x509-parser, plus the verification verdict in words.
//! Pure: no I/O, no clock (the caller passes "now").

use serde::{Deserialize, Serialize};

/// One certificate of the chain the server sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses from subjectAltName.
    pub sans: Vec<String>,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    /// e.g. "RSA 2048", "ECDSA P-256", "Ed25519".
    pub key: String,
    pub signature_algorithm: String,
    /// Hex SHA-256 of the DER, colon-separated as openssl prints it.
    pub sha256: String,
    pub serial: String,
    pub is_ca: bool,
    pub self_signed: bool,
    pub der_len: usize,
    /// The certificate itself, PEM-encoded, so it can be copied to openssl (absent in
    /// recordings made before it was kept).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pem: String,
}

/// Why verification failed, when it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum CertProblem {
    Expired {
        not_after: String,
    },
    NotYetValid {
        not_before: String,
    },
    NameMismatch {
        looked_for: String,
        names: Vec<String>,
    },
    SelfSigned,
    /// The chain does not lead to a trusted root, and the leaf's issuer is not a root we know:
    /// most often the server did not send its intermediate.
    ChainIncomplete {
        issuer: String,
    },
    UnknownIssuer {
        issuer: String,
    },
    Revoked,
    BadSignature,
    Other {
        detail: String,
    },
}

/// The verifier's verdict, kept apart from the handshake result so that a bad certificate is
/// shown, not hidden, even when the user chose to continue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertVerdict {
    pub ok: bool,
    /// The name the certificate was checked against.
    pub name_checked: Option<String>,
    pub problem: Option<CertProblem>,
    /// One line in plain words.
    pub detail: String,
}

/// Decode one DER certificate. A certificate that does not parse still gets an entry (with
/// its fingerprint) so the chain shown is the chain received.
pub fn describe(der: &[u8]) -> CertInfo {
    use x509_parser::prelude::*;
    let sha256 = fingerprint(der);
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return CertInfo {
            subject: "(unparseable certificate)".into(),
            issuer: String::new(),
            sans: vec![],
            not_before: String::new(),
            not_after: String::new(),
            key: String::new(),
            signature_algorithm: String::new(),
            sha256,
            serial: String::new(),
            is_ca: false,
            self_signed: false,
            der_len: der.len(),
            pem: pem(der),
        };
    };
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(n) => sans.push(crate::sanitize::escape_str(n)),
                GeneralName::IPAddress(b) => sans.push(ip_to_string(b)),
                GeneralName::RFC822Name(n) => {
                    sans.push(format!("email:{}", crate::sanitize::escape_str(n)))
                }
                _ => {}
            }
        }
    }
    let subject = crate::sanitize::escape_str(&cert.subject().to_string());
    let issuer = crate::sanitize::escape_str(&cert.issuer().to_string());
    let self_signed = cert.subject().as_raw() == cert.issuer().as_raw();
    CertInfo {
        self_signed,
        subject,
        issuer,
        sans,
        not_before: rfc3339(cert.validity().not_before.timestamp()),
        not_after: rfc3339(cert.validity().not_after.timestamp()),
        key: key_description(cert.public_key()),
        signature_algorithm: oid_name(&cert.signature_algorithm.algorithm),
        sha256,
        serial: cert.raw_serial_as_string(),
        is_ca: cert.is_ca(),
        der_len: der.len(),
        pem: pem(der),
    }
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// `der` as a PEM certificate (RFC 7468: base64 in lines of 64 characters).
pub fn pem(der: &[u8]) -> String {
    let b64 = base64(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

fn oid_name(oid: &x509_parser::der_parser::oid::Oid) -> String {
    x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| oid.to_id_string())
}

fn key_description(spki: &x509_parser::x509::SubjectPublicKeyInfo) -> String {
    use x509_parser::public_key::PublicKey;
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| match oid.to_id_string().as_str() {
                    "1.2.840.10045.3.1.7" => "P-256".to_string(),
                    "1.3.132.0.34" => "P-384".to_string(),
                    "1.3.132.0.35" => "P-521".to_string(),
                    other => oid_name(&oid).replace("unknown", other),
                })
                .unwrap_or_else(|| "unknown curve".into());
            format!("ECDSA {curve}")
        }
        Ok(PublicKey::DSA(_)) => "DSA".into(),
        _ => match spki.algorithm.algorithm.to_id_string().as_str() {
            "1.3.101.112" => "Ed25519".into(),
            "1.3.101.113" => "Ed448".into(),
            _ => oid_name(&spki.algorithm.algorithm),
        },
    }
}

fn ip_to_string(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => format!("ip:{}", hex(b, "")),
    }
}

/// SHA-256 of `der`, as colon-separated upper-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    hex(d.as_ref(), ":")
}

fn hex(bytes: &[u8], sep: &str) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(sep)
}

/// Format a Unix timestamp as RFC 3339 UTC (civil-from-days, H. Hinnant).
pub fn rfc3339(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The Unix time of an RFC 3339 UTC time as [`rfc3339`] writes it (`2026-12-02T10:00:00Z`);
/// `None` for anything else.
pub fn unix_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (proleptic Gregorian), the inverse of `rfc3339`.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_time_inverts_rfc3339() {
        for ts in [0, 951_782_400, 1_764_676_800, 4_102_444_799, -86_400] {
            assert_eq!(unix_time(&rfc3339(ts)), Some(ts), "{ts}");
        }
        assert_eq!(unix_time("2026-13-01T00:00:00Z"), None);
        assert_eq!(unix_time("2026-12-01 00:00:00"), None);
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_798_761_599), "2026-12-31T23:59:59Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn describes_a_generated_certificate() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["mx.example.net".into(), "127.0.0.1".into()])
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mx.example.net");
        let cert = params.self_signed(&key).unwrap();
        let info = describe(cert.der());
        assert_eq!(info.sans, vec!["mx.example.net", "127.0.0.1"]);
        assert_eq!(info.key, "ECDSA P-256");
        assert!(info.subject.contains("CN=mx.example.net"));
        assert!(info.self_signed);
        assert_eq!(info.sha256.len(), 32 * 3 - 1);
        assert_eq!(info.signature_algorithm, "ecdsa-with-SHA256");
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), enc, "{plain}");
        }
    }

    #[test]
    fn pem_is_kept_as_rcgen_writes_it() {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["mx.example.net".into()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(
            describe(cert.der()).pem.replace("\r\n", "\n"),
            cert.pem().replace("\r\n", "\n")
        );
    }

    #[test]
    fn garbage_is_described_not_dropped() {
        let info = describe(b"\x30\x03\x01\x02");
        assert_eq!(info.subject, "(unparseable certificate)");
        assert_eq!(info.der_len, 4);
    }
}

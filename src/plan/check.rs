//! One place that checks every value of a plan that reaches the wire or cannot work, used by
//! the CLI, the TUI's plan edits, the scanner and (as a last guard) the engine itself: a CR,
//! LF or other control byte in an EHLO name or SNI is refused before any connection, so a
//! probe can never be made to send MAIL, RCPT, DATA or AUTH.

use std::net::IpAddr;

use crate::plan::{Plan, Sni, Target, TlsVersion};
use crate::sanitize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error(
        "{what} \"{shown}\" holds a control character: a value sent to the server must be one line of plain text"
    )]
    ControlChar { what: &'static str, shown: String },
    #[error("{what} is empty: {hint}")]
    Empty {
        what: &'static str,
        hint: &'static str,
    },
    #[error("{what} \"{shown}\" is not a host name (letters, digits, '-' and '.'; not an address)")]
    NotHostName { what: &'static str, shown: String },
    #[error(
        "{what} \"{shown}\" is not an EHLO argument: use a domain name or an address literal such as [192.0.2.1]"
    )]
    NotEhlo { what: &'static str, shown: String },
    #[error(
        "no chosen cipher suite works with {versions}: {suites} (TLS 1.3 suites are named TLS13_*/TLS_AES_*, TLS 1.2 suites TLS_ECDHE_*_WITH_*)"
    )]
    SuitesVersions { suites: String, versions: String },
    #[error(
        "the client certificate from {from} was loaded from a recording, which never holds its private key: give --cert and --key again"
    )]
    ClientKeyMissing { from: String },
}

/// The longest part of a refused value quoted back: a 5,000-character EHLO name is named by
/// its start and its length, not echoed whole.
const SHOWN: usize = 64;

/// A refused value as quoted in the error: escaped and cut.
fn shown(value: &str) -> String {
    sanitize::cap(&sanitize::escape_str(value), SHOWN)
}

/// Refuse control characters (C0, DEL, C1) and the invisible or reordering ones in a value
/// that is sent to the server or shown as typed.
pub fn wire_text(what: &'static str, value: &str) -> Result<(), CheckError> {
    let bad = value.chars().any(|c| {
        c.is_control() || sanitize::is_unsafe(c) // is_control: a tab too
    });
    if bad {
        Err(CheckError::ControlChar {
            what,
            shown: shown(value),
        })
    } else {
        Ok(())
    }
}

/// A DNS host name (SNI, the name to verify): normalised to lower case without the root dot.
pub fn host_name(what: &'static str, value: &str) -> Result<String, CheckError> {
    wire_text(what, value)?;
    let n = value.trim().trim_end_matches('.');
    if n.is_empty() {
        return Err(CheckError::Empty {
            what,
            hint: "give a host name",
        });
    }
    let ok = n.len() <= 253
        && n.parse::<IpAddr>().is_err()
        && n.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if ok {
        Ok(n.to_ascii_lowercase())
    } else {
        Err(CheckError::NotHostName {
            what,
            shown: shown(n),
        })
    }
}

/// An EHLO argument: a domain or an address literal like `[192.0.2.1]` (RFC 5321 §4.1.1.1).
pub fn ehlo(value: &str) -> Result<String, CheckError> {
    const WHAT: &str = "EHLO name";
    wire_text(WHAT, value)?;
    let e = value.trim();
    if e.is_empty() {
        return Err(CheckError::Empty {
            what: WHAT,
            hint: "give a domain name or an address literal",
        });
    }
    if let Some(inner) = e.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let literal = inner.strip_prefix("IPv6:").unwrap_or(inner);
        return match literal.parse::<IpAddr>() {
            Ok(_) => Ok(e.to_string()),
            Err(_) => Err(CheckError::NotEhlo {
                what: WHAT,
                shown: shown(e),
            }),
        };
    }
    host_name(WHAT, e)
        .map(|_| e.to_string())
        .map_err(|_| CheckError::NotEhlo {
            what: WHAT,
            shown: shown(e),
        })
}

/// Everything about `plan` that can be known wrong before connecting.
pub fn check(plan: &Plan) -> Result<(), CheckError> {
    ehlo(&plan.ehlo)?;
    match &plan.target {
        Target::Domain(n) | Target::Host(n) => {
            host_name("target", n)?;
        }
        Target::Ip(_) => {}
    }
    if let Some(h) = &plan.address_host {
        host_name("MX host", h)?;
    }
    if let Sni::Name(n) = &plan.tls.sni {
        host_name("SNI", n).map_err(|e| match e {
            CheckError::Empty { what, .. } => CheckError::Empty {
                what,
                hint: "give a name, or use --no-sni to send none",
            },
            e => e,
        })?;
    }
    if let Some(n) = &plan.tls.verify_name {
        host_name("verify name", n)?;
    }
    suites_fit_versions(&plan.tls.cipher_suites, &plan.tls.versions)?;
    if let Some(id) = &plan.tls.client
        && id.key.is_none()
    {
        return Err(CheckError::ClientKeyMissing {
            from: id.from.clone(),
        });
    }
    Ok(())
}

/// Which version a suite name belongs to: by its code point when the name is known, else by
/// the IANA/rustls naming: TLS 1.3 suites carry no
/// key exchange (`TLS13_AES_128_GCM_SHA256`, `TLS_AES_128_GCM_SHA256`), TLS 1.2 ones do
/// (`TLS_ECDHE_RSA_WITH_...`).
pub fn suite_version(name: &str) -> TlsVersion {
    // A suite the name table knows is judged by its code point.
    if let Some(v) = crate::wire::names::suite_by_name(name) {
        return if matches!(v, 0x1301..=0x13ff | 0x00c6 | 0x00c7) {
            TlsVersion::Tls13
        } else {
            TlsVersion::Tls12
        };
    }
    let upper = name.trim().to_ascii_uppercase();
    if upper.starts_with("TLS13_") || !upper.contains("_WITH_") {
        TlsVersion::Tls13
    } else {
        TlsVersion::Tls12
    }
}

fn suites_fit_versions(suites: &[String], versions: &[TlsVersion]) -> Result<(), CheckError> {
    if suites.is_empty() || versions.is_empty() {
        return Ok(());
    }
    if suites.iter().any(|s| versions.contains(&suite_version(s))) {
        return Ok(());
    }
    let names: Vec<&str> = versions.iter().map(|v| v.name()).collect();
    Err(CheckError::SuitesVersions {
        suites: sanitize::escape_str(&suites.join(", ")),
        versions: names.join(" and "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan::new(Target::Host("mx.example.net".into()))
    }

    #[test]
    fn control_bytes_in_wire_values_are_refused() {
        let mut p = plan();
        p.ehlo = "x\r\nMAIL FROM:<a@b>".into();
        let e = check(&p).unwrap_err();
        assert!(matches!(e, CheckError::ControlChar { .. }), "{e}");
        assert!(e.to_string().contains(r"x\x0d\x0aMAIL"), "{e}");
        let mut p = plan();
        p.tls.sni = Sni::Name("a\x1b[2Jb".into());
        let e = check(&p).unwrap_err().to_string();
        assert!(!e.contains('\x1b'), "{e}");
        let mut p = plan();
        p.tls.verify_name = Some("mx\u{202e}.example".into());
        assert!(check(&p).is_err());
        let mut p = plan();
        p.target = Target::Domain("a\nb".into());
        assert!(check(&p).is_err());
    }

    #[test]
    fn empty_sni_is_a_usage_error() {
        let mut p = plan();
        p.tls.sni = Sni::Name(String::new());
        assert_eq!(
            check(&p).unwrap_err().to_string(),
            "SNI is empty: give a name, or use --no-sni to send none"
        );
    }

    /// A long refused value is quoted by its start and the count of the rest, not echoed.
    #[test]
    fn a_long_refused_value_is_cut() {
        let long = "a_".repeat(2_500);
        let e = ehlo(&long).unwrap_err().to_string();
        assert!(e.len() < 300, "{} characters: {e}", e.len());
        assert!(e.contains("… [4936 more bytes]"), "{e}");
        let e = wire_text("--sni", &format!("{long}\x1b"))
            .unwrap_err()
            .to_string();
        assert!(e.len() < 300 && e.contains("more bytes]"), "{e}");
    }

    #[test]
    fn ehlo_forms() {
        assert_eq!(ehlo("mail.example.com").unwrap(), "mail.example.com");
        assert_eq!(ehlo("[192.0.2.1]").unwrap(), "[192.0.2.1]");
        assert_eq!(ehlo("[IPv6:2001:db8::1]").unwrap(), "[IPv6:2001:db8::1]");
        assert!(ehlo("[nonsense]").is_err());
        assert!(ehlo("").is_err());
        assert!(ehlo("two words").is_err());
    }

    #[test]
    fn suites_that_no_offered_version_can_use_are_refused() {
        let mut p = plan();
        p.tls.versions = vec![TlsVersion::Tls12];
        p.tls.cipher_suites = vec!["TLS13_AES_256_GCM_SHA384".into()];
        let e = check(&p).unwrap_err().to_string();
        assert!(
            e.contains("TLSv1.2") && e.contains("TLS13_AES_256_GCM_SHA384"),
            "{e}"
        );
        p.tls.versions = vec![TlsVersion::Tls13];
        p.tls.cipher_suites = vec!["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into()];
        assert!(check(&p).is_err());
        p.tls.cipher_suites.push("TLS_AES_128_GCM_SHA256".into());
        assert!(check(&p).is_ok());
    }
}

//! A [`Profile`] as evidence lines for a diagnosis: what the server accepts, what it refused
//! and with which answer, its groups, and the verdict — short sentences a front end can show
//! next to `diagnose()`'s own evidence ("scan: the server accepts only TLS 1.0
//! (TLS_RSA_WITH_AES_128_CBC_SHA, ...)"). Pure: `diagnose` itself never runs a scan.

use super::catalog::ScanVersion;
use super::{Profile, VersionResult};

/// Suites named per accepted version before the list is cut with "...".
const SUITES_SHOWN: usize = 3;

/// The first few suites of a version, with "..." when there are more.
fn suites(v: &VersionResult) -> String {
    let mut shown: Vec<&str> = v
        .cipher_suites
        .iter()
        .take(SUITES_SHOWN)
        .map(String::as_str)
        .collect();
    if v.cipher_suites.len() > SUITES_SHOWN || !v.complete {
        shown.push("...");
    }
    shown.join(", ")
}

/// Evidence lines for `p`, each starting with "scan: ".
pub fn scan_evidence(p: &Profile) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(why) = &p.stopped {
        out.push(format!("scan: stopped early: {why}"));
    }
    let all_probed = ScanVersion::ALL
        .iter()
        .all(|v| p.versions.iter().any(|r| r.version == *v));
    let accepted: Vec<String> = p
        .versions
        .iter()
        .filter(|v| v.accepted)
        .map(|v| format!("{} ({})", v.version.words(), suites(v)))
        .collect();
    if !p.versions.is_empty() {
        let only = if all_probed && accepted.len() < ScanVersion::ALL.len() {
            "only "
        } else {
            ""
        };
        out.push(if accepted.is_empty() {
            "scan: the server accepts none of the versions probed".to_string()
        } else {
            format!("scan: the server accepts {only}{}", accepted.join(" and "))
        });
    }
    let refused: Vec<String> = p
        .versions
        .iter()
        .filter(|v| !v.accepted)
        .map(|v| format!("{} ({})", v.version.words(), v.answer))
        .collect();
    if !refused.is_empty() {
        out.push(format!("scan: refused {}", refused.join(", ")));
    }
    for g in &p.groups {
        let order = if g.server_order == Some(true) {
            " (server's order)"
        } else {
            ""
        };
        out.push(if g.groups.is_empty() {
            format!(
                "scan: {} groups: none of ours ({})",
                g.version.words(),
                g.answer
            )
        } else {
            format!(
                "scan: {} groups: {}{order}",
                g.version.words(),
                g.groups.join(", ")
            )
        });
    }
    // Without an accepted version the lines above already say all the verdict would.
    if !p.verdict.is_empty() && !accepted.is_empty() {
        out.push(format!("scan verdict: {}", p.verdict));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{GroupResult, Overlap};

    fn profile(versions: Vec<VersionResult>, groups: Vec<GroupResult>) -> Profile {
        Profile {
            schema: 1,
            target: "mx.example.net".into(),
            address: None,
            mode: crate::plan::TlsMode::Starttls,
            stopped: None,
            versions,
            groups,
            overlap: Overlap::default(),
            verdict: "server accepts only TLS 1.0 with CBC suites".into(),
            connections: 6,
            elapsed_ms: 10,
            notes: Vec::new(),
            senders: Vec::new(),
        }
    }

    #[test]
    fn a_tls10_only_server_in_words() {
        let mut versions: Vec<VersionResult> = ScanVersion::ALL
            .iter()
            .map(|v| {
                VersionResult::refused(*v, "alert protocol_version", crate::profile::Ending::Alert)
            })
            .collect();
        versions[1] = VersionResult::accepted(
            ScanVersion::Tls10,
            "ServerHello TLSv1.0 TLS_RSA_WITH_AES_128_CBC_SHA",
            &[0x002f, 0x0035, 0x000a, 0xc013],
            Some(false),
            true,
        );
        let lines = scan_evidence(&profile(versions, vec![]));
        assert_eq!(
            lines[0],
            "scan: the server accepts only TLS 1.0 (TLS_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_256_CBC_SHA, TLS_RSA_WITH_3DES_EDE_CBC_SHA, ...)"
        );
        assert!(lines[1].starts_with("scan: refused SSL 3.0 (alert protocol_version), TLS 1.1"));
        assert_eq!(
            lines.last().map(String::as_str),
            Some("scan verdict: server accepts only TLS 1.0 with CBC suites")
        );
    }

    #[test]
    fn groups_and_partial_scans() {
        let groups = vec![GroupResult {
            version: ScanVersion::Tls13,
            groups: vec![],
            server_order: None,
            answer: "alert handshake_failure".into(),
        }];
        let v = vec![VersionResult::accepted(
            ScanVersion::Tls13,
            "ServerHello",
            &[0x1301],
            None,
            false,
        )];
        let lines = scan_evidence(&profile(v, groups));
        assert_eq!(
            lines[0], "scan: the server accepts TLS 1.3 (TLS_AES_128_GCM_SHA256, ...)",
            "not every version probed: no 'only'; a version probe's list is cut"
        );
        assert_eq!(
            lines[1],
            "scan: TLS 1.3 groups: none of ours (alert handshake_failure)"
        );
    }
}

//! Which part of a server's profile a scan looks at: the typed request the TUI, `scan` and
//! `--investigate` hand the engine, and that the session keeps with each result (never a
//! label read back).

use serde::{Deserialize, Serialize};

use super::catalog::ScanVersion;

/// Which part of the server's profile to scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scan", rename_all = "kebab-case")]
pub enum ScanKind {
    /// Which versions are accepted (one or a few connections per version).
    Versions,
    /// Every suite of these versions, in the server's order.
    Suites { versions: Vec<ScanVersion> },
    /// The groups of TLS 1.2 and 1.3.
    Groups,
    /// Everything: versions, suites and groups.
    Full,
    /// Each sender profile's default ClientHello (`scan --senders`).
    Senders,
    /// A legacy retry as a scanner probe: a ClientHello for this version, or one suite in a
    /// TLS 1.2 ClientHello (the server may answer with an older version).
    Legacy {
        version: ScanVersion,
        suite: Option<String>,
    },
}

/// What legacy probes are, in the words the screen uses.
pub const LEGACY_NOTE: &str = "the server's answer to the ClientHello, not a full handshake";

impl ScanKind {
    /// Words for the status line and the profile view.
    pub fn label(&self) -> String {
        match self {
            ScanKind::Versions => "versions".into(),
            ScanKind::Suites { versions } => {
                let names: Vec<&str> = versions.iter().map(|v| v.words()).collect();
                format!("suites of {}", names.join(" and "))
            }
            ScanKind::Groups => "groups".into(),
            ScanKind::Full => "full profile".into(),
            ScanKind::Senders => "sender profiles".into(),
            ScanKind::Legacy { .. } => format!("legacy probe: {}", self.probe_words()),
        }
    }

    /// What a legacy probe sent ("TLS 1.0 ClientHello"); empty for other scans.
    pub fn probe_words(&self) -> String {
        match self {
            ScanKind::Legacy {
                version,
                suite: None,
            } => format!("{} ClientHello", version.words()),
            ScanKind::Legacy {
                version,
                suite: Some(s),
            } => format!("{s} in a {} ClientHello", version.words()),
            _ => String::new(),
        }
    }

    /// A probe that answers one narrow question, kept apart from the merged profile.
    pub fn is_legacy(&self) -> bool {
        matches!(self, ScanKind::Legacy { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_as_tagged_json() {
        let kinds = [
            ScanKind::Versions,
            ScanKind::Suites {
                versions: vec![ScanVersion::Tls12, ScanVersion::Tls13],
            },
            ScanKind::Groups,
            ScanKind::Full,
            ScanKind::Senders,
            ScanKind::Legacy {
                version: ScanVersion::Tls10,
                suite: Some("TLS_RSA_WITH_AES_128_CBC_SHA".into()),
            },
        ];
        for k in kinds {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(
                serde_json::from_str::<ScanKind>(&json).unwrap(),
                k,
                "{json}"
            );
        }
        assert_eq!(
            serde_json::to_string(&ScanKind::Versions).unwrap(),
            r#"{"scan":"versions"}"#
        );
    }

    #[test]
    fn labels_say_what_was_scanned() {
        let legacy = ScanKind::Legacy {
            version: ScanVersion::Tls12,
            suite: Some("TLS_RSA_WITH_AES_128_CBC_SHA".into()),
        };
        assert_eq!(
            legacy.label(),
            "legacy probe: TLS_RSA_WITH_AES_128_CBC_SHA in a TLS 1.2 ClientHello"
        );
        assert!(legacy.is_legacy() && !ScanKind::Full.is_legacy());
    }
}

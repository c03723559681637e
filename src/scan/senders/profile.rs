//! A sending MTA's default ClientHello as data: the profiles shipped in `assets/senders/`
//! and the user's own (`--sender-file`). Everything is checked on load, before any
//! connection, so a typo in a profile is a usage error with the file and field named.
//!
//! A profile lists what goes on the wire in wire order: the cipher suites as numbers, the
//! extensions by name in the order the MTA's TLS library sends them, and each extension's
//! values. Numbers rather than names because that is what captures show and what a JA4
//! fingerprint hashes; names are for the report.

use std::path::Path;

use serde::Deserialize;

use super::build;

/// One sender's default ClientHello.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderProfile {
    /// Stable kebab-case name, as in the JSON (`postfix`, `exchange-online`, ...).
    pub name: String,
    /// One line: which MTA, on which TLS library, with which settings.
    pub summary: String,
    /// Where every value comes from (captures, documented defaults, published lists).
    pub sources: Vec<String>,
    /// Whether `tests/senders.rs` compares this hello byte for byte with a fresh capture of
    /// the real sender's library; when not, the report says the profile is built from
    /// published lists.
    #[serde(default)]
    pub captured: bool,
    /// How this sender checks the certificate: `none` (opportunistic: any certificate),
    /// `pkix` (name and chain to a trusted CA), `dane` (TLSA; without usable TLSA records
    /// Postfix falls back to opportunistic).
    #[serde(default)]
    pub verify: Verify,
    /// Whether the sender's library accepts SHA-1 server signatures (and TLS 1.0/1.1's
    /// MD5+SHA-1 key-exchange signature): OpenSSL at security level 0 and GnuTLS NORMAL do,
    /// OpenSSL at its default level 1 does not ("legacy sigalg disallowed").
    #[serde(default = "yes")]
    pub sha1_signatures: bool,
    /// The JA4 fingerprint of the hello (checked against the bytes by a test).
    #[serde(default)]
    pub ja4: Option<String>,
    /// Record-layer version of the first record (0x0301 for every modern library).
    #[serde(default = "default_record_version")]
    pub record_version: u16,
    /// `legacy_version` of the hello (0x0303 whenever TLS 1.2+ is offered).
    #[serde(default = "default_legacy_version")]
    pub legacy_version: u16,
    /// Length of the random legacy_session_id (32 in TLS 1.3 middlebox-compatibility mode).
    #[serde(default)]
    pub session_id_len: u8,
    /// Cipher suites in wire order, signalling values (0x00ff) included.
    pub cipher_suites: Vec<u16>,
    /// Extension names in wire order; see [`build::EXTENSIONS`].
    pub extensions: Vec<String>,
    /// supported_versions, in wire order.
    #[serde(default)]
    pub supported_versions: Vec<u16>,
    /// supported_groups, in wire order.
    #[serde(default)]
    pub groups: Vec<u16>,
    /// The groups a key share is sent for, in wire order.
    #[serde(default)]
    pub key_shares: Vec<u16>,
    #[serde(default)]
    pub signature_algorithms: Vec<u16>,
    #[serde(default = "default_point_formats")]
    pub point_formats: Vec<u8>,
    /// psk_key_exchange_modes.
    #[serde(default = "default_psk_modes")]
    pub psk_modes: Vec<u8>,
    #[serde(default)]
    pub alpn: Vec<String>,
    #[serde(default)]
    pub record_size_limit: Option<u16>,
    /// compress_certificate algorithms.
    #[serde(default)]
    pub compress_certificate: Vec<u16>,
}

pub use crate::profile::sender::Verify;

fn yes() -> bool {
    true
}
fn default_record_version() -> u16 {
    0x0301
}
fn default_legacy_version() -> u16 {
    0x0303
}
fn default_point_formats() -> Vec<u8> {
    vec![0]
}
fn default_psk_modes() -> Vec<u8> {
    vec![1]
}

/// Why a profile cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error(transparent)]
    Read(#[from] crate::files::FileError),
    #[error("sender profile {path} is not valid TOML for a profile: {detail}")]
    Parse { path: String, detail: String },
    #[error("sender profile {name:?}: {detail}")]
    Invalid { name: String, detail: String },
}

/// The profiles shipped with tlsdive, in report order.
const BUILTIN: &[(&str, &str)] = &[
    (
        "postfix.toml",
        include_str!("../../../assets/senders/postfix.toml"),
    ),
    (
        "postfix-secure.toml",
        include_str!("../../../assets/senders/postfix-secure.toml"),
    ),
    (
        "postfix-dane.toml",
        include_str!("../../../assets/senders/postfix-dane.toml"),
    ),
    (
        "openssl35-pq.toml",
        include_str!("../../../assets/senders/openssl35-pq.toml"),
    ),
    (
        "exim.toml",
        include_str!("../../../assets/senders/exim.toml"),
    ),
    (
        "exchange-online.toml",
        include_str!("../../../assets/senders/exchange-online.toml"),
    ),
    (
        "gmail.toml",
        include_str!("../../../assets/senders/gmail.toml"),
    ),
    (
        "rustls.toml",
        include_str!("../../../assets/senders/rustls.toml"),
    ),
];

/// Largest profile file read (a hello fits in far less).
const MAX_FILE: u64 = 64 * 1024;

/// The shipped profiles. They are checked by a unit test, so this cannot fail at run time;
/// a broken one would be skipped rather than crash a scan.
pub fn builtin() -> Vec<SenderProfile> {
    BUILTIN
        .iter()
        .filter_map(|(file, text)| parse(file, text).ok())
        .collect()
}

/// One shipped profile by name.
pub fn builtin_named(name: &str) -> Option<SenderProfile> {
    builtin().into_iter().find(|p| p.name == name)
}

/// A user's profile file (`--sender-file`).
pub fn load_file(path: &Path) -> Result<SenderProfile, ProfileError> {
    let shown = path.display().to_string();
    let text = crate::files::read_capped("--sender-file", path, MAX_FILE)?;
    let text = String::from_utf8(text).map_err(|_| ProfileError::Parse {
        path: shown.clone(),
        detail: "not UTF-8".into(),
    })?;
    parse(&shown, &text)
}

/// Parses and checks one profile; `path` only names it in errors.
pub fn parse(path: &str, text: &str) -> Result<SenderProfile, ProfileError> {
    let profile: SenderProfile = toml::from_str(text).map_err(|e| ProfileError::Parse {
        path: path.into(),
        detail: e.message().to_owned(),
    })?;
    profile.check()?;
    Ok(profile)
}

impl SenderProfile {
    fn invalid(&self, detail: impl Into<String>) -> ProfileError {
        ProfileError::Invalid {
            name: self.name.clone(),
            detail: detail.into(),
        }
    }

    /// Everything the builder relies on, so building never fails.
    pub fn check(&self) -> Result<(), ProfileError> {
        let kebab = !self.name.is_empty()
            && self.name.len() <= 40
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !kebab {
            return Err(self.invalid("name must be 1-40 characters of a-z, 0-9 and -"));
        }
        if self.cipher_suites.is_empty() || self.cipher_suites.len() > 512 {
            return Err(self.invalid("cipher_suites must list 1 to 512 suites"));
        }
        let mut seen = Vec::new();
        for ext in &self.extensions {
            if build::extension_code(ext).is_none() {
                return Err(self.invalid(format!(
                    "unknown extension {ext:?} (known: {}; or ext-NNNNN for an empty one)",
                    build::EXTENSIONS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            if seen.contains(ext) {
                return Err(self.invalid(format!("extension {ext} is listed twice")));
            }
            seen.push(ext.clone());
        }
        let has = |name: &str| self.extensions.iter().any(|e| e == name);
        if has("key_share") {
            for g in &self.key_shares {
                if !self.groups.contains(g) {
                    return Err(self.invalid(format!(
                        "key share for group 0x{g:04x} which supported_groups does not list"
                    )));
                }
                if build::key_share(*g).is_none() {
                    return Err(
                        self.invalid(format!("no key share can be made for group 0x{g:04x}"))
                    );
                }
            }
        }
        if has("supported_versions") && self.supported_versions.is_empty() {
            return Err(self.invalid("supported_versions is listed but empty"));
        }
        if self.alpn.iter().any(|a| a.is_empty() || a.len() > 255) {
            return Err(self.invalid("ALPN names must be 1-255 bytes"));
        }
        if self.session_id_len > 32 {
            return Err(self.invalid("session_id_len is at most 32"));
        }
        if self.sources.is_empty() {
            return Err(self.invalid("sources must say where the values come from"));
        }
        Ok(())
    }

    /// Every version this hello offers.
    pub fn versions(&self) -> Vec<u16> {
        if self.extensions.iter().any(|e| e == "supported_versions") {
            self.supported_versions.clone()
        } else {
            vec![self.legacy_version]
        }
    }

    /// Whether a ServerHello at `version` is one this sender would go on with.
    pub fn offers_version(&self, version: u16) -> bool {
        if self.extensions.iter().any(|e| e == "supported_versions") {
            self.supported_versions.contains(&version)
        } else {
            // Without supported_versions, any version up to legacy_version is acceptable.
            (0x0300..=self.legacy_version).contains(&version)
        }
    }

    /// Whether the hello carries SNI (when the target has a host name).
    pub fn sends_sni(&self) -> bool {
        self.extensions.iter().any(|e| e == "server_name")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_profile_loads() {
        for (file, text) in BUILTIN {
            let p = parse(file, text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(format!("{}.toml", p.name), *file);
        }
        let names: Vec<String> = builtin().into_iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "postfix",
                "postfix-secure",
                "postfix-dane",
                "openssl35-pq",
                "exim",
                "exchange-online",
                "gmail",
                "rustls"
            ]
        );
    }

    #[test]
    fn mistakes_are_named() {
        let base = r#"name = "mine"
summary = "x"
sources = ["me"]
cipher_suites = [0x1301]
"#;
        let e = parse("f", &format!("{base}extensions = [\"nope\"]")).unwrap_err();
        assert!(e.to_string().contains("unknown extension \"nope\""), "{e}");
        let e = parse(
            "f",
            &format!("{base}extensions = [\"key_share\"]\nkey_shares = [0x001d]"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("supported_groups"), "{e}");
        let e = parse("f", &format!("{base}extensions = []\ncolour = 1")).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
        let e = parse("f", "name = 'Bad Name'").unwrap_err();
        assert!(matches!(e, ProfileError::Parse { .. }), "{e}");
        assert!(parse("f", &format!("{base}extensions = [\"ext-17513\"]")).is_ok());
    }
}

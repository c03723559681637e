//! Everything one attempt needs, as plain data. A retry is the same `Plan` with one field
//! changed, so a plan is `Clone`, comparable and serialisable (it is stored in recordings and
//! the JSON report).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub mod check;
pub mod diff;
pub mod edit;
pub mod provider;
mod trust;

pub use check::CheckError;
pub use edit::PlanEdit;
pub use trust::{ClientIdentity, Trust};

/// What to connect to, as the user named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Target {
    /// A mail domain: look up its MX records (falling back to its address, RFC 5321 §5.1).
    Domain(String),
    /// One host by name, no MX lookup (`host:port` or `[host]`).
    Host(String),
    /// One address.
    Ip(IpAddr),
}

impl Target {
    /// The name to show and, for hosts, to verify the certificate against.
    pub fn display_name(&self) -> String {
        match self {
            Target::Domain(d) | Target::Host(d) => d.clone(),
            Target::Ip(ip) => ip.to_string(),
        }
    }
}

/// How TLS starts on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// SMTP STARTTLS (RFC 3207), the normal case on port 25 and 587.
    Starttls,
    /// TLS from the first byte (RFC 8314), port 465.
    Implicit,
}

/// Which address family to use for the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    #[default]
    Any,
    V4,
    V6,
}

/// A TLS protocol version the client may offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TlsVersion {
    #[serde(rename = "TLSv1.2")]
    Tls12,
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

impl TlsVersion {
    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        }
    }
}

/// Server Name Indication choice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "mode", content = "name", rename_all = "kebab-case")]
pub enum Sni {
    /// The MX host name (never an IP address, RFC 6066 §3).
    #[default]
    Auto,
    /// Send no SNI.
    Off,
    /// Send this name (and verify the certificate against it).
    Name(String),
}

/// The client's TLS settings for one attempt. Empty lists mean "what rustls offers by default".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TlsOptions {
    pub versions: Vec<TlsVersion>,
    /// IANA names, e.g. `TLS13_AES_128_GCM_SHA256`, `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
    pub cipher_suites: Vec<String>,
    /// Group names, e.g. `X25519MLKEM768`, `X25519`, `secp256r1`, `secp384r1`.
    pub groups: Vec<String>,
    pub sni: Sni,
    /// Strict verification; when false the handshake completes and the verdict is still shown.
    pub verify: bool,
    /// The name the certificate must be valid for. `None`: the one a sender checks (the MX
    /// host, or the `[host]`), whatever SNI is sent: an SNI experiment can show another
    /// certificate, never turn a wrong-name certificate into a success.
    #[serde(default)]
    pub verify_name: Option<String>,
    /// The trust anchors, carried as certificates (never a local path).
    #[serde(default)]
    pub trust: Trust,
    /// The client certificate to offer; its private key is never serialised.
    #[serde(default)]
    pub client: Option<ClientIdentity>,
    /// Where to append TLS secrets. A local path: kept out of recordings and reports.
    #[serde(skip)]
    pub keylog: Option<PathBuf>,
}

/// Per-phase time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    #[serde(with = "millis")]
    pub connect: Duration,
    /// For each SMTP reply and each TLS flight.
    #[serde(with = "millis")]
    pub reply: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            reply: Duration::from_secs(30),
        }
    }
}

/// One attempt, fully described.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub target: Target,
    pub port: u16,
    pub mode: TlsMode,
    pub family: Family,
    /// Pin the attempt to this address (the TUI's MX/address switch); skips resolution.
    pub address: Option<SocketAddr>,
    /// The host name that `address` belongs to, when pinned from an MX list.
    pub address_host: Option<String>,
    pub source: Option<IpAddr>,
    /// DNS server to ask instead of the system's.
    pub resolver: Option<SocketAddr>,
    pub ehlo: String,
    pub tls: TlsOptions,
    pub timeouts: Timeouts,
    /// Routing-policy lookups (DNSSEC, DANE, MTA-STS, TLS-RPT) for a domain target.
    #[serde(default)]
    pub policy: PolicyOptions,
}

/// How the routing-policy lookups run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PolicyOptions {
    /// Skip them (`--no-policy`).
    #[serde(default)]
    pub skip: bool,
    /// DNSSEC trust anchor (root DNSKEY records, zone-file text) replacing the built-in root
    /// anchor; carried as text so a recording replays anywhere (`--trust-anchor FILE`).
    #[serde(default)]
    pub trust_anchor: Option<String>,
    /// Port of the MTA-STS policy host (443 unless a lab says otherwise).
    #[serde(default)]
    pub mta_sts_port: Option<u16>,
}

impl Plan {
    /// A plan with the defaults a sending MTA would use for `target`.
    pub fn new(target: Target) -> Plan {
        Plan {
            target,
            port: 25,
            mode: TlsMode::Starttls,
            family: Family::Any,
            address: None,
            address_host: None,
            source: None,
            resolver: None,
            ehlo: default_ehlo(),
            tls: TlsOptions {
                verify: true,
                ..TlsOptions::default()
            },
            timeouts: Timeouts::default(),
            policy: PolicyOptions::default(),
        }
    }

    /// One line describing the TLS side of the plan, for headers and attempt tables.
    pub fn tls_summary(&self) -> String {
        let list = |v: &[String]| {
            if v.is_empty() {
                "default".to_string()
            } else {
                v.join(",")
            }
        };
        let versions = if self.tls.versions.is_empty() {
            "TLSv1.2+1.3".to_string()
        } else {
            let v: Vec<&str> = self.tls.versions.iter().map(|v| v.name()).collect();
            v.join("+")
        };
        let sni = match &self.tls.sni {
            Sni::Auto => "auto".to_string(),
            Sni::Off => "off".to_string(),
            Sni::Name(n) => n.clone(),
        };
        format!(
            "{} {} suites:{} groups:{} sni:{} verify:{} ehlo:{}",
            match self.mode {
                TlsMode::Starttls => "STARTTLS",
                TlsMode::Implicit => "implicit-TLS",
            },
            versions,
            list(&self.tls.cipher_suites),
            list(&self.tls.groups),
            sni,
            if self.tls.verify { "strict" } else { "off" },
            self.ehlo
        )
    }

    /// The versions the ClientHello offers: those asked for (both when none is) that a
    /// chosen suite works with — rustls offers no version it has no suite for, so "both"
    /// with only TLS 1.2 suites is TLS 1.2 only.
    pub fn offered_versions(&self) -> Vec<TlsVersion> {
        let asked = if self.tls.versions.is_empty() {
            vec![TlsVersion::Tls12, TlsVersion::Tls13]
        } else {
            self.tls.versions.clone()
        };
        let suites = &self.tls.cipher_suites;
        asked
            .into_iter()
            .filter(|v| suites.is_empty() || suites.iter().any(|s| check::suite_version(s) == *v))
            .collect()
    }

    /// The plan as the server sees it: the versions are the ones offered, so two plans that
    /// send the same ClientHello compare equal ("TLS 1.2 only" and "both, with TLS 1.2
    /// suites only"). A suggested retry that leaves this unchanged would tell nothing new.
    pub fn effective(&self) -> Plan {
        let mut p = self.clone();
        let mut offered = self.offered_versions();
        offered.sort();
        p.tls.versions = if offered == [TlsVersion::Tls12, TlsVersion::Tls13] {
            Vec::new()
        } else {
            offered
        };
        p
    }
}

/// The EHLO name: this machine's host name when it looks like a domain, else `localhost`.
pub fn default_ehlo() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.contains('.'))
        .unwrap_or_else(|| "localhost".to_string())
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Both versions, TLS 1.2 suites only" sends what "TLS 1.2 only" sends.
    #[test]
    fn chosen_suites_narrow_the_offered_versions() {
        let mut both = Plan::new(Target::Host("mx.example.net".into()));
        assert_eq!(
            both.offered_versions(),
            vec![TlsVersion::Tls12, TlsVersion::Tls13]
        );
        both.tls.cipher_suites = vec!["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into()];
        assert_eq!(both.offered_versions(), vec![TlsVersion::Tls12]);
        let mut only12 = both.clone();
        only12.tls.versions = vec![TlsVersion::Tls12];
        assert_ne!(both, only12);
        assert_eq!(both.effective(), only12.effective());
        let mut mixed = both.clone();
        mixed
            .tls
            .cipher_suites
            .push("TLS13_AES_128_GCM_SHA256".into());
        assert_ne!(mixed.effective(), only12.effective());
        assert!(mixed.effective().tls.versions.is_empty());
    }
}

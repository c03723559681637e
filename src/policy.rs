//! What decides whether a sender may use this server at all: DANE/TLSA (RFC 7672), MTA-STS
//! (RFC 8461) and TLS-RPT (RFC 8460). Everything here is pure: the engine does the lookups
//! and reports them as events; these modules parse what was found and judge it against the
//! chain the server actually sent.

pub mod mta_sts;
pub mod tls_rpt;
pub mod tlsa;
pub mod wildcard;

use serde::{Deserialize, Serialize};

/// The DNSSEC state of one answer (RFC 4035 §4.3), as the validating resolver judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dnssec {
    /// Validated from the trust anchor down.
    Secure,
    /// Provably unsigned: the records count for routing, not for DANE.
    Insecure,
    /// Signed, and the signatures do not validate.
    Bogus,
    /// Could not be decided (a lookup failed, or a DNSKEY/DS fetch failed twice).
    Indeterminate,
}

impl Dnssec {
    pub fn name(self) -> &'static str {
        match self {
            Dnssec::Secure => "secure",
            Dnssec::Insecure => "insecure",
            Dnssec::Bogus => "bogus",
            Dnssec::Indeterminate => "indeterminate",
        }
    }
}

/// One answer's DNSSEC state, as reported by the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsAnswer {
    pub name: String,
    /// "MX", "A", "AAAA", "TLSA", "TXT".
    pub rtype: String,
    pub dnssec: Dnssec,
    /// What the resolver said, when it is worth saying (errors, the bogus retry).
    pub detail: Option<String>,
}

/// A TXT lookup (the `_mta-sts` and `_smtp._tls` records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxtLookup {
    pub name: String,
    /// The strings found, escaped for display.
    pub txt: Vec<String>,
    /// Why there is no answer (NXDOMAIN counts as "no record", not as an error).
    pub error: Option<String>,
}

/// The TLSA RRset of one MX host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsaLookup {
    /// The MX host.
    pub host: String,
    pub port: u16,
    pub dnssec: Dnssec,
    pub records: Vec<tlsa::TlsaRecord>,
    pub error: Option<String>,
    /// Unix seconds when looked up: the "now" a DANE-TA chain is checked at, so a replay
    /// judges it as the live run did.
    pub at_unix: u64,
}

/// The MTA-STS policy fetch over HTTPS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFetch {
    pub url: String,
    /// The body as received (capped), when the fetch succeeded.
    pub body: Option<String>,
    /// How the fetch failed.
    pub error: Option<String>,
    /// The step of the fetch that failed (`None`: none did, or a recording made before
    /// this was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<FetchStep>,
}

/// Where an MTA-STS policy fetch failed: what decides RFC 8460's result type
/// (`sts-webpki-invalid` for the policy host's certificate, `sts-policy-fetch-error` else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FetchStep {
    /// The policy host's name did not resolve, or to no address.
    Dns,
    Connect,
    /// The policy host's certificate failed the PKIX check against its name.
    Certificate,
    /// The TLS handshake failed otherwise.
    Tls,
    /// The HTTP exchange failed, or the answer was not a 200 `text/plain`.
    Http,
    /// The body was too large or not UTF-8.
    Body,
    /// No complete answer in time.
    Timeout,
}

/// A host name as DNS compares it: no trailing dot, lower case.
pub fn norm(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

//! The scan's result: what the server accepts per version, its groups, what a rustls-based
//! sender has in common with it, and a one-line verdict. Plain serialisable data (the JSON
//! report is this struct); suites and groups by IANA name (TLS 1.3 suites as
//! `TLS_AES_128_GCM_SHA256`, not rustls' `TLS13_` spelling).

//!
//! This is the scan's data model, below the events that carry it: `catalog` (versions,
//! suites and groups by name), `kind` (which part to scan), `sender` (a sender profile's
//! result), `verdict`, `evidence` and `text` (words). Running a scan is `scan`'s business.

pub mod catalog;
pub mod evidence;
pub mod kind;
pub mod merge;
pub mod sender;
pub mod text;
pub mod verdict;

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::plan::Plan;
use crate::plan::TlsMode;
use crate::wire::names::suite_name;
use catalog::{ScanVersion, suite_value};

/// JSON schema version of [`Profile`]; fields only ever gain siblings.
pub const SCHEMA: u32 = 1;

/// Everything a scan found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub schema: u32,
    /// The target as given.
    pub target: String,
    /// The address scanned (the first candidate of the target).
    pub address: Option<SocketAddr>,
    pub mode: TlsMode,
    /// Why the scan stopped early (no banner, no STARTTLS, 421 after retries, ...).
    pub stopped: Option<String>,
    /// One entry per version scanned, oldest first.
    pub versions: Vec<VersionResult>,
    /// Groups per version (TLS 1.2 and 1.3).
    pub groups: Vec<GroupResult>,
    pub overlap: Overlap,
    pub verdict: String,
    /// TCP connections made.
    pub connections: u32,
    pub elapsed_ms: u64,
    /// How the scan had to adapt (e.g. one connection at a time after a `421`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// `--senders`: what each sending MTA's default ClientHello got.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub senders: Vec<sender::SenderResult>,
}

/// What one version got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionResult {
    /// Serialised as "SSLv3", "TLSv1.0", ...
    pub version: ScanVersion,
    pub accepted: bool,
    /// The server's answer to the first hello: `ServerHello TLSv1.0 TLS_RSA_...`,
    /// `alert protocol_version`, `FIN`, `RST`, `timeout`, ...
    pub answer: String,
    /// Accepted suites, in the server's order when `server_order` is true, else ours.
    pub cipher_suites: Vec<String>,
    /// Whether the server picks by its own preference; null with fewer than two suites.
    pub server_order: Option<bool>,
    /// False when only the version was probed (the list holds what was seen in passing).
    pub complete: bool,
    /// With DHE suites accepted (full scans): the size of the server's DH prime in bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhe_prime_bits: Option<u16>,
    /// Set when the scan stopped before this version was answered: why. The row is then
    /// "not known", neither accepted nor refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unfinished: Option<String>,
    /// What kind of answer `answer` describes; absent in profiles recorded before it existed
    /// (read [`VersionResult::answer_ending`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ending: Option<Ending>,
}

/// What kind of answer the first hello of a version got (the scanner's `Answer`, typed for
/// the case and the front ends that judge it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// A ServerHello or HelloRetryRequest.
    Hello,
    /// A ServerHello, then a flight no client can finish.
    BrokenFlight,
    Alert,
    /// FIN before any answer.
    Closed,
    /// RST before any answer.
    Reset,
    Timeout,
    /// Bytes that are not TLS.
    NotTls,
    /// TLS records that make no sense as an answer.
    Malformed,
    /// No hello was sent (nothing to offer, or the scan stopped first).
    NotAsked,
}

impl Ending {
    /// The server ended the connection or went silent without answering: a drop, not a
    /// refusal.
    pub fn is_drop(self) -> bool {
        matches!(self, Ending::Closed | Ending::Reset | Ending::Timeout)
    }

    /// The one place a scan answer is read back from its words (`scan::Answer::describe`):
    /// for profiles recorded before [`VersionResult::ending`] was stored.
    pub fn read_back(answer: &str) -> Ending {
        let first = answer.split_whitespace().next().unwrap_or("");
        match first {
            "FIN" => Ending::Closed,
            "RST" => Ending::Reset,
            "timeout" => Ending::Timeout,
            "alert" => Ending::Alert,
            "ServerHello" | "HelloRetryRequest" if answer.contains(", then ") => {
                Ending::BrokenFlight
            }
            "ServerHello" | "HelloRetryRequest" => Ending::Hello,
            "malformed" => Ending::Malformed,
            _ if answer.starts_with("not finished:") || answer == "nothing to offer" => {
                Ending::NotAsked
            }
            _ => Ending::NotTls,
        }
    }
}

impl VersionResult {
    /// A version the scan did not get to answer (it stopped first: `why`).
    pub fn unfinished(version: ScanVersion, why: &str) -> Self {
        VersionResult {
            ending: Some(Ending::NotAsked),
            version,
            accepted: false,
            answer: format!("not finished: {why}"),
            cipher_suites: Vec::new(),
            server_order: None,
            complete: false,
            dhe_prime_bits: None,
            unfinished: Some(why.into()),
        }
    }

    pub fn refused(version: ScanVersion, answer: &str, ending: Ending) -> Self {
        VersionResult {
            ending: Some(ending),
            version,
            accepted: false,
            answer: answer.into(),
            cipher_suites: Vec::new(),
            server_order: None,
            complete: true,
            dhe_prime_bits: None,
            unfinished: None,
        }
    }

    pub fn accepted(
        version: ScanVersion,
        answer: &str,
        suites: &[u16],
        order: Option<bool>,
        complete: bool,
    ) -> Self {
        VersionResult {
            ending: Some(Ending::Hello),
            version,
            accepted: true,
            answer: answer.into(),
            cipher_suites: suites.iter().map(|s| suite_name(*s)).collect(),
            server_order: order,
            complete,
            dhe_prime_bits: None,
            unfinished: None,
        }
    }
}

/// The groups one version accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupResult {
    pub version: ScanVersion,
    /// In the server's order when `server_order` is true, else ours.
    pub groups: Vec<String>,
    pub server_order: Option<bool>,
    /// The answer to the first group hello.
    pub answer: String,
}

/// What the server has in common with a rustls-based sender (this tool's probe: TLS 1.2 and
/// 1.3, `plan::provider::suite_names()` and `group_names()`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Overlap {
    pub versions: Vec<String>,
    pub cipher_suites: Vec<String>,
    pub groups: Vec<String>,
    pub negotiable: bool,
    /// What such a sender would get: `TLSv1.3 TLS_AES_256_GCM_SHA384 X25519`.
    pub best: Option<String>,
}

/// The suites (IANA names) and groups a rustls-based sender offers, in its order.
pub fn client_offer() -> (Vec<String>, Vec<String>) {
    let suites = crate::plan::provider::suite_names()
        .iter()
        .filter_map(|n| suite_value(n))
        .map(suite_name)
        .collect();
    (suites, crate::plan::provider::group_names())
}

/// Computes the overlap of `versions` and `groups` with a rustls-based sender.
pub fn overlap(versions: &[VersionResult], groups: &[GroupResult]) -> Overlap {
    let (client_suites, client_groups) = client_offer();
    let mut out = Overlap::default();
    // Newest first, so `best` is the version such a sender would get.
    for v in versions.iter().rev().filter(|v| v.accepted) {
        if !v.version.is_modern() {
            continue;
        }
        let suites = common(&v.cipher_suites, &client_suites, v.server_order);
        let g = groups.iter().find(|g| g.version == v.version);
        let shared_groups = g.map(|g| common(&g.groups, &client_groups, g.server_order));
        out.versions.push(v.version.name().to_owned());
        for s in &suites {
            if !out.cipher_suites.contains(s) {
                out.cipher_suites.push(s.clone());
            }
        }
        for s in shared_groups.iter().flatten() {
            if !out.groups.contains(s) {
                out.groups.push(s.clone());
            }
        }
        let group_ok = shared_groups.as_ref().is_none_or(|g| !g.is_empty());
        if let (Some(suite), true) = (suites.first(), group_ok) {
            out.negotiable = true;
            if out.best.is_none() {
                let group = shared_groups.and_then(|g| g.first().cloned());
                let mut best = format!("{} {suite}", v.version.name());
                if let Some(group) = group {
                    best.push(' ');
                    best.push_str(&group);
                }
                out.best = Some(best);
            }
        }
    }
    out
}

/// The names both sides have, in the server's order if it has one, else the client's.
fn common(server: &[String], client: &[String], server_order: Option<bool>) -> Vec<String> {
    let eq = |a: &String, b: &String| a.eq_ignore_ascii_case(b);
    if server_order == Some(true) {
        server
            .iter()
            .filter(|s| client.iter().any(|c| eq(c, s)))
            .cloned()
            .collect()
    } else {
        client
            .iter()
            .filter_map(|c| server.iter().find(|s| eq(c, s)).cloned())
            .collect()
    }
}

impl Profile {
    /// A profile with nothing found yet, for `plan`'s target.
    pub fn empty(plan: &Plan) -> Profile {
        Profile {
            schema: SCHEMA,
            target: plan.target.display_name(),
            address: None,
            mode: plan.mode,
            stopped: None,
            versions: Vec::new(),
            groups: Vec::new(),
            overlap: Overlap::default(),
            verdict: String::new(),
            connections: 0,
            elapsed_ms: 0,
            notes: Vec::new(),
            senders: Vec::new(),
        }
    }
}

impl GroupResult {
    /// `X25519, secp256r1 (server's order)`, or what the server said when none was accepted.
    pub fn words(&self) -> String {
        let order = match self.server_order {
            Some(true) => " (server's order)",
            Some(false) => " (client's order)",
            None => "",
        };
        if self.groups.is_empty() {
            format!("none of ours ({}){order}", self.answer)
        } else {
            format!("{}{order}", self.groups.join(", "))
        }
    }
}

impl VersionResult {
    /// What kind of answer the first hello got (older recordings: read back from `answer`).
    pub fn answer_ending(&self) -> Ending {
        self.ending
            .unwrap_or_else(|| Ending::read_back(&self.answer))
    }

    /// `DHE prime: 1024 bits (weak: Logjam)` and whether it is weak, when measured.
    pub fn dhe_words(&self) -> Option<(String, bool)> {
        self.dhe_prime_bits.map(|bits| {
            let weak = bits < 2048;
            let note = if weak { " (weak: Logjam)" } else { "" };
            (format!("DHE prime: {bits} bits{note}"), weak)
        })
    }
}

/// How far a scan got, for progress bars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub connections: u32,
    pub steps_done: u32,
    pub steps_total: u32,
    /// What is being scanned now ("TLSv1.2", "groups", ...); may be empty.
    pub step: String,
}

/// A scan run for an attempt (see `EventKind::ScanFinished`): which part, and what it found.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanRecord {
    pub kind: kind::ScanKind,
    pub profile: Profile,
}

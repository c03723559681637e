//! `probe --repeat N`: the same plan run N times, and what the attempts say together.
//!
//! One probe answers "does it work now?"; a load balancer with one bad backend fails one
//! connection in three and a single probe says "ok". [`summarize`] is a pure function of the
//! finished attempts: counts per cause and per address, the facts that tell the attempts
//! that worked from those that failed (leaf certificate, banner, negotiated parameters,
//! address), and a conclusion in words (`intermittent` when the same plan sometimes works).
//! Causes are the typed `Cause` of `diagnose::diagnose`.

pub mod keep;
pub mod words;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::diagnose::Cause;
use crate::session::Attempt;

/// What N runs of the same plan showed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Repeat {
    pub attempts: usize,
    /// Cause code → count, `ok` included.
    pub by_cause: BTreeMap<Cause, usize>,
    /// Address (`ip:port`, or `-` when no connection was made) → cause code → count.
    pub by_address: BTreeMap<String, BTreeMap<Cause, usize>>,
    /// Facts whose values never overlap between the attempts that worked and those that
    /// failed: each one separates them.
    pub differences: Vec<Difference>,
    pub conclusion: Conclusion,
    /// Each attempt's cause, in order (the success/failure strip).
    pub sequence: Vec<Cause>,
}

/// One fact that tells the attempts that worked from those that failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// Serialised by its label: "certificate SHA-256", "banner", "TLS version", ...
    pub what: Fact,
    pub worked: Vec<String>,
    pub failed: Vec<String>,
}

/// The verdict over all attempts: `ok` (all worked), `intermittent` (some did), or the one
/// cause every attempt failed with (several causes: `intermittent` too, named in words).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conclusion {
    pub cause: Cause,
    pub summary: String,
}

/// The cause of a finished attempt.
pub fn cause_of(a: &Attempt) -> Cause {
    crate::diagnose::diagnose(a).cause
}

/// The facts of one attempt that can differ between runs of the same plan.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Observed {
    pub cause: Cause,
    pub address: String,
    pub certificate: Option<String>,
    pub banner: Option<String>,
    pub version: Option<String>,
    pub suite: Option<String>,
    pub group: Option<String>,
}

impl Observed {
    pub(crate) fn of(a: &Attempt) -> Observed {
        let d = crate::diagnose::diagnose(a);
        let address = a
            .peer
            .or_else(|| a.tried.last().map(|(addr, _)| *addr))
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".into());
        let banner = a
            .transcript
            .iter()
            .find(|l| l.dir == crate::wire::Dir::Server)
            .map(|l| l.line.clone());
        let neg = a.negotiated.as_ref();
        Observed {
            cause: d.cause,
            address,
            certificate: a.certificates.first().map(|c| c.sha256.clone()),
            banner,
            version: neg.map(|n| n.version.clone()),
            suite: neg.map(|n| n.cipher_suite.clone()),
            group: neg.and_then(|n| n.group.clone()),
        }
    }

    fn worked(&self) -> bool {
        self.cause == Cause::Ok
    }
}

/// Judge the finished attempts of one repeated plan (attempts still running are left out).
pub fn summarize(attempts: &[Attempt]) -> Repeat {
    summarize_refs(attempts)
}

/// [`summarize`] over some of a session's attempts (the TUI's repeat picks its own).
pub fn summarize_refs<'a>(attempts: impl IntoIterator<Item = &'a Attempt>) -> Repeat {
    let seen: Vec<Observed> = attempts
        .into_iter()
        .filter(|a| a.finished.is_some())
        .map(Observed::of)
        .collect();
    summarize_observed(&seen)
}

pub(crate) fn summarize_observed(seen: &[Observed]) -> Repeat {
    let mut by_cause = BTreeMap::new();
    let mut by_address: BTreeMap<String, BTreeMap<Cause, usize>> = BTreeMap::new();
    for o in seen {
        *by_cause.entry(o.cause).or_insert(0) += 1;
        *by_address
            .entry(o.address.clone())
            .or_default()
            .entry(o.cause)
            .or_insert(0) += 1;
    }
    let differences = differences(seen);
    let conclusion = words::conclusion(seen, &differences);
    Repeat {
        attempts: seen.len(),
        by_cause,
        by_address,
        differences,
        conclusion,
        sequence: seen.iter().map(|o| o.cause).collect(),
    }
}

/// A fact of an attempt that can tell the attempts that worked from those that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fact {
    /// The leaf certificate's SHA-256 fingerprint.
    Certificate,
    Banner,
    Version,
    Suite,
    Group,
    Address,
}

impl Fact {
    /// Every fact, in the order the differences are listed.
    pub const ALL: [Fact; 6] = [
        Fact::Certificate,
        Fact::Banner,
        Fact::Version,
        Fact::Suite,
        Fact::Group,
        Fact::Address,
    ];

    /// The label in the report and the JSON.
    pub fn label(self) -> &'static str {
        match self {
            Fact::Certificate => "certificate SHA-256",
            Fact::Banner => "banner",
            Fact::Version => "TLS version",
            Fact::Suite => "cipher suite",
            Fact::Group => "group",
            Fact::Address => "address",
        }
    }

    fn of(self, o: &Observed) -> Option<String> {
        match self {
            Fact::Certificate => o.certificate.clone(),
            Fact::Banner => o.banner.clone(),
            Fact::Version => o.version.clone(),
            Fact::Suite => o.suite.clone(),
            Fact::Group => o.group.clone(),
            Fact::Address => Some(o.address.clone()),
        }
    }
}

impl std::fmt::Display for Fact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The JSON keeps the label it always had.
impl Serialize for Fact {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

/// The facts whose values among the attempts that worked and among those that failed are
/// both known and never the same: each of them separates success from failure.
fn differences(seen: &[Observed]) -> Vec<Difference> {
    let mut out = Vec::new();
    for what in Fact::ALL {
        let values = |worked: bool| -> BTreeSet<String> {
            seen.iter()
                .filter(|o| o.worked() == worked)
                .filter_map(|o| what.of(o))
                .collect()
        };
        let (worked, failed) = (values(true), values(false));
        if !worked.is_empty() && !failed.is_empty() && worked.is_disjoint(&failed) {
            out.push(Difference {
                what,
                worked: worked.into_iter().collect(),
                failed: failed.into_iter().collect(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;

//! DNS lookups with DNSSEC validation for the routing policy: a hickory resolver with
//! validation on (the built-in root anchor, or the plan's own), each answer reported with its
//! proof. hickory reports a failed DNSKEY/DS fetch as bogus, so a bogus answer is asked again
//! on a fresh resolver, and if the root's DNSKEY cannot be fetched at all it is called
//! indeterminate, with what was seen, never bogus.

use std::str::FromStr;
use std::sync::Arc;

use hickory_resolver::TokioResolver;
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::dnssec::{Proof, TrustAnchors};
use hickory_resolver::proto::rr::{RData, Record, RecordType};

use crate::plan::Plan;
use crate::policy::Dnssec;

/// What one query found.
#[derive(Debug, Clone)]
pub struct Answer {
    pub records: Vec<RData>,
    pub dnssec: Dnssec,
    /// Set when the lookup failed (a missing name or type is not a failure).
    pub error: Option<String>,
    /// What the resolver said about the DNSSEC state, when worth saying.
    pub detail: Option<String>,
}

/// A resolver as the plan asks for it; `validate` turns DNSSEC validation on.
pub fn resolver(plan: &Plan, validate: bool) -> Result<TokioResolver, String> {
    let mut builder = crate::engine::resolve::builder(plan)?;
    if validate {
        if let Some(text) = &plan.policy.trust_anchor {
            let anchors = TrustAnchors::from_str(text)
                .map_err(|e| format!("the DNSSEC trust anchor does not parse: {e}"))?;
            builder = builder.with_trust_anchor(Arc::new(anchors));
        }
        builder.options_mut().validate = true;
    }
    builder.build().map_err(|e| e.to_string())
}

/// Query `name` for `rtype` and judge its DNSSEC state, retrying a bogus answer once.
pub async fn query(plan: &Plan, name: &str, rtype: RecordType) -> Answer {
    let first = query_once(plan, name, rtype).await;
    if first.dnssec != Dnssec::Bogus {
        return first;
    }
    let mut second = query_once(plan, name, rtype).await;
    if second.dnssec != Dnssec::Bogus {
        second.detail = Some(format!(
            "bogus at first, {} when asked again",
            second.dnssec.name()
        ));
        return second;
    }
    // hickory calls a failed DNSKEY fetch bogus: if the root's keys do not come back at all,
    // the answer could not be judged, which is not the same as a bad signature.
    let root = query_plain(plan, ".", RecordType::DNSKEY).await;
    if root.map(|r| r.is_empty()).unwrap_or(true) {
        second.dnssec = Dnssec::Indeterminate;
        second.detail = Some(
            "reported bogus twice, but the resolver gives no DNSKEY for the root: \
             the chain of trust could not be fetched (not proven bogus)"
                .into(),
        );
    } else {
        second.detail = Some("bogus twice: the signatures do not validate".into());
    }
    second
}

async fn query_once(plan: &Plan, name: &str, rtype: RecordType) -> Answer {
    let resolver = match resolver(plan, true) {
        Ok(r) => r,
        Err(e) => return failed(Dnssec::Indeterminate, e),
    };
    match resolver.lookup(fqdn(name).as_str(), rtype).await {
        Ok(lookup) => {
            let wanted: Vec<&Record> = lookup
                .answers()
                .iter()
                .filter(|r| r.record_type() == rtype)
                .collect();
            // The weakest proof among the answers is the RRset's state.
            let dnssec = wanted
                .iter()
                .map(|r| state(r.proof))
                .min_by_key(|s| rank(*s))
                .unwrap_or(Dnssec::Insecure);
            Answer {
                records: wanted.into_iter().map(|r| r.data.clone()).collect(),
                dnssec,
                error: None,
                detail: None,
            }
        }
        Err(e) => match &e {
            NetError::Dns(DnsError::Nsec { proof, .. }) => Answer {
                records: vec![],
                dnssec: state(*proof),
                error: None,
                detail: Some("no such record (authenticated denial)".into()),
            },
            NetError::Dns(DnsError::DnssecBogus) => failed(Dnssec::Bogus, e.to_string()),
            NetError::Dns(DnsError::NoRecordsFound(none)) => Answer {
                records: vec![],
                dnssec: denial_state(none),
                error: None,
                detail: None,
            },
            _ if e.is_no_records_found() => Answer {
                records: vec![],
                dnssec: Dnssec::Insecure,
                error: None,
                detail: None,
            },
            _ => failed(Dnssec::Indeterminate, e.to_string()),
        },
    }
}

/// An unvalidated lookup (the root DNSKEY check, the policy host's address).
pub async fn query_plain(plan: &Plan, name: &str, rtype: RecordType) -> Result<Vec<RData>, String> {
    let resolver = resolver(plan, false)?;
    match resolver.lookup(fqdn(name).as_str(), rtype).await {
        Ok(l) => Ok(l
            .answers()
            .iter()
            .filter(|r| r.record_type() == rtype)
            .map(|r| r.data.clone())
            .collect()),
        Err(e) if e.is_no_records_found() => Ok(vec![]),
        Err(e) => Err(e.to_string()),
    }
}

/// The state of "no such record": the weakest proof of the SOA and NSEC records that deny it
/// (a signed zone's denial is secure; without them, insecure). Only the RRSIGs that proved
/// something carry a proof, so they are left out.
fn denial_state(none: &NoRecords) -> Dnssec {
    none.authorities
        .iter()
        .flat_map(|a| a.iter())
        .filter(|r| r.record_type() != RecordType::RRSIG)
        .map(|r| state(r.proof))
        .min_by_key(|s| rank(*s))
        .unwrap_or(Dnssec::Insecure)
}

fn failed(dnssec: Dnssec, error: String) -> Answer {
    Answer {
        records: vec![],
        dnssec,
        error: Some(crate::sanitize::escape_str(&error)),
        detail: None,
    }
}

fn state(p: Proof) -> Dnssec {
    match p {
        Proof::Secure => Dnssec::Secure,
        Proof::Insecure => Dnssec::Insecure,
        Proof::Bogus => Dnssec::Bogus,
        Proof::Indeterminate => Dnssec::Indeterminate,
    }
}

fn rank(s: Dnssec) -> u8 {
    match s {
        Dnssec::Bogus => 0,
        Dnssec::Indeterminate => 1,
        Dnssec::Insecure => 2,
        Dnssec::Secure => 3,
    }
}

fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

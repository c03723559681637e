//! Routing-policy lookups, run beside the SMTP dialogue: for a domain the DNSSEC state of
//! the MX RRset and of each exchange's addresses, each exchange's TLSA RRset, the MTA-STS
//! record and policy, the TLS-RPT record; for a `[host]` the host's addresses and TLSA RRset
//! (Postfix does DANE for such nexthops). Each result is an event, sent as soon as it is
//! known; each lookup has its own deadline and an unanswered one is reported as such.
//! Judging them is `diagnose::policy`, pure.

pub mod dns;
pub mod fetch;

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::SystemTime;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use hickory_resolver::proto::rr::{RData, RecordType};
use tokio::sync::watch;

use crate::engine::Emitter;
use crate::engine::resolve::{MAX_MX_HOSTS, lookup_deadline, unanswered};
use crate::event::EventKind;
use crate::plan::{Plan, Target};
use crate::policy::{DnsAnswer, Dnssec, TlsaLookup, TxtLookup, tlsa::TlsaRecord};
use crate::sanitize::escape_str;

/// MX hosts whose A, AAAA and TLSA lookups run at once (three queries each); the probed host
/// does not queue behind them.
const HOSTS_AT_ONCE: usize = 4;

/// Whether `plan` gets policy lookups: domain and host targets, unless skipped or pinned.
/// `localhost` names never reach DNS (RFC 6761 §6.3), so they have no TLSA to look up.
pub fn applies(plan: &Plan) -> bool {
    let target = match &plan.target {
        Target::Domain(_) => true,
        Target::Host(h) => {
            let h = crate::policy::norm(h);
            h != "localhost" && !h.ends_with(".localhost")
        }
        Target::Ip(_) => false,
    };
    target && !plan.policy.skip && plan.address.is_none()
}

/// Run every policy lookup for the plan's target and report each as an event as soon as it
/// is known. Each lookup has its own deadline ([`lookup_deadline`]); one that runs out is
/// reported as unanswered (DNSSEC indeterminate), never left out. `probed` names the host the
/// attempt connects to: its lookups start at once, whatever its place in the MX list.
pub async fn lookup(plan: &Plan, em: &Emitter, probed: watch::Receiver<Option<String>>) {
    match &plan.target {
        Target::Domain(domain) => lookup_all(plan, em, domain, probed).await,
        Target::Host(host) => host_lookups(plan, em, &crate::policy::norm(host)).await,
        Target::Ip(_) => {}
    }
}

async fn lookup_all(
    plan: &Plan,
    em: &Emitter,
    domain: &str,
    probed: watch::Receiver<Option<String>>,
) {
    let rpt = async {
        let lookup = txt(plan, &format!("_smtp._tls.{domain}")).await;
        em.emit(EventKind::TlsRptFound { lookup });
    };
    tokio::join!(
        routing(plan, em, domain, probed),
        mta_sts(plan, em, domain),
        rpt
    );
}

/// The MX RRset's DNSSEC state, then each exchange's A, AAAA and TLSA lookups
/// ([`HOSTS_AT_ONCE`] hosts at a time, in preference order), and the probed host's at once.
async fn routing(
    plan: &Plan,
    em: &Emitter,
    domain: &str,
    mut probed: watch::Receiver<Option<String>>,
) {
    let started: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
    // True the first time a host is claimed: each host's lookups run once.
    let claim = |h: &str| {
        started
            .lock()
            .map(|mut s| s.insert(h.to_string()))
            .unwrap_or(false)
    };
    let queue = async {
        let hosts = mx_hosts(plan, em, domain).await;
        futures_util::stream::iter(hosts)
            .filter(|h| std::future::ready(claim(h)))
            .map(|h| async move { host_lookups(plan, em, &h).await })
            .buffer_unordered(HOSTS_AT_ONCE)
            .collect::<()>()
            .await
    };
    let jump = async {
        let mut running = FuturesUnordered::new();
        let mut open = true;
        let take = |probed: &mut watch::Receiver<Option<String>>,
                    running: &mut FuturesUnordered<_>| {
            let host = probed.borrow_and_update().clone();
            if let Some(h) = host.map(|h| crate::policy::norm(&h)).filter(|h| claim(h)) {
                running.push(async move { host_lookups(plan, em, &h).await });
            }
        };
        take(&mut probed, &mut running);
        loop {
            tokio::select! {
                changed = probed.changed(), if open => match changed {
                    Ok(()) => take(&mut probed, &mut running),
                    // The attempt connected (or gave up): no other host will be probed.
                    Err(_) => open = false,
                },
                Some(()) = running.next(), if !running.is_empty() => {}
                else => break,
            }
        }
    };
    tokio::join!(queue, jump);
}

/// A host's A, AAAA and TLSA lookups, each reported when it is done. For a `[host]` nexthop
/// (no MX) its own A/AAAA states decide whether its TLSA records count (RFC 7672 §2.2.2).
async fn host_lookups(plan: &Plan, em: &Emitter, host: &str) {
    let at_unix = now_unix();
    tokio::join!(
        address(plan, em, host, RecordType::A),
        address(plan, em, host, RecordType::AAAA),
        async {
            let lookup = tlsa(plan, host, at_unix).await;
            em.emit(EventKind::TlsaFound { lookup });
        }
    );
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The MX RRset's DNSSEC state; returns the exchanges, best first (or the domain itself
/// for an implicit MX), at most as many as the connection resolves.
async fn mx_hosts(plan: &Plan, em: &Emitter, domain: &str) -> Vec<String> {
    let limit = lookup_deadline(plan);
    let lookup = async {
        let mx = dns::query(plan, domain, RecordType::MX).await;
        // An MX RRset that failed validation is still the route a non-DANE sender takes: list
        // it unvalidated so its hosts' addresses and TLSA records are still looked at.
        let records = if mx.records.is_empty() && mx.error.is_some() {
            dns::query_plain(plan, domain, RecordType::MX)
                .await
                .unwrap_or_default()
        } else {
            mx.records.clone()
        };
        (mx, records)
    };
    let (mx, records) = tokio::time::timeout(limit, lookup)
        .await
        .unwrap_or_else(|_| (unanswered_answer(limit), vec![]));
    emit_answer(em, domain, "MX", &mx);
    let mut hosts: Vec<(u16, String)> = records
        .iter()
        .filter_map(|r| match r {
            RData::MX(m) => Some((m.preference, escape_str(&m.exchange.to_ascii()))),
            _ => None,
        })
        .map(|(p, h)| (p, crate::policy::norm(&h)))
        .filter(|(_, h)| !h.is_empty())
        .collect();
    hosts.sort();
    let mut hosts: Vec<String> = hosts.into_iter().map(|(_, h)| h).collect();
    let mut seen = HashSet::new();
    hosts.retain(|h| seen.insert(h.clone()));
    // The implicit MX only when the domain provably has no MX records: an unanswered MX
    // lookup lists nothing (the probed host is still looked up when it is connected to).
    if hosts.is_empty() && records.is_empty() && mx.error.is_none() {
        hosts.push(crate::policy::norm(domain));
    }
    hosts.truncate(MAX_MX_HOSTS);
    hosts
}

/// One A or AAAA RRset's DNSSEC state, reported.
async fn address(plan: &Plan, em: &Emitter, host: &str, rtype: RecordType) {
    let a = query(plan, host, rtype).await;
    emit_answer(em, host, &rtype.to_string(), &a);
}

/// [`dns::query`] within the lookup deadline; an unanswered one is indeterminate and says so.
async fn query(plan: &Plan, name: &str, rtype: RecordType) -> dns::Answer {
    let limit = lookup_deadline(plan);
    tokio::time::timeout(limit, dns::query(plan, name, rtype))
        .await
        .unwrap_or_else(|_| unanswered_answer(limit))
}

fn unanswered_answer(limit: std::time::Duration) -> dns::Answer {
    dns::Answer {
        records: vec![],
        dnssec: Dnssec::Indeterminate,
        error: Some(unanswered(limit)),
        detail: None,
    }
}

/// [`dns::query_plain`] within the lookup deadline.
async fn plain(plan: &Plan, name: &str, rtype: RecordType) -> Result<Vec<RData>, String> {
    let limit = lookup_deadline(plan);
    tokio::time::timeout(limit, dns::query_plain(plan, name, rtype))
        .await
        .unwrap_or_else(|_| Err(unanswered(limit)))
}

fn emit_answer(em: &Emitter, name: &str, rtype: &str, a: &dns::Answer) {
    em.emit(EventKind::DnssecChecked {
        answer: DnsAnswer {
            name: crate::policy::norm(name),
            rtype: rtype.into(),
            dnssec: a.dnssec,
            detail: words(a),
        },
    });
}

/// The TLSA RRset of `host`, its fallback included, within one lookup deadline: an
/// unanswered lookup is indeterminate ("could not be judged"), never "no records".
async fn tlsa(plan: &Plan, host: &str, at_unix: u64) -> TlsaLookup {
    let name = format!("_{}._tcp.{host}", plan.port);
    let limit = lookup_deadline(plan);
    let (dnssec, records, error) = match tokio::time::timeout(limit, tlsa_rrset(plan, &name)).await
    {
        Ok((a, records)) => (a.dnssec, records, words(&a)),
        Err(_) => (Dnssec::Indeterminate, vec![], Some(unanswered(limit))),
    };
    TlsaLookup {
        host: host.to_string(),
        port: plan.port,
        dnssec,
        records,
        error,
        at_unix,
    }
}

async fn tlsa_rrset(plan: &Plan, name: &str) -> (dns::Answer, Vec<TlsaRecord>) {
    let a = dns::query(plan, name, RecordType::TLSA).await;
    // Records that could not be validated are still shown (and matched), marked as such.
    let found = if a.records.is_empty() && a.error.is_some() {
        dns::query_plain(plan, name, RecordType::TLSA)
            .await
            .unwrap_or_default()
    } else {
        a.records.clone()
    };
    let records = found
        .iter()
        .filter_map(|r| match r {
            RData::TLSA(t) => Some(TlsaRecord::new(
                t.cert_usage.into(),
                t.selector.into(),
                t.matching.into(),
                &t.cert_data,
            )),
            _ => None,
        })
        .collect();
    (a, records)
}

async fn mta_sts(plan: &Plan, em: &Emitter, domain: &str) {
    let record = txt(plan, &format!("_mta-sts.{domain}")).await;
    let announced = crate::policy::mta_sts::parse_record(&record.txt).is_ok();
    em.emit(EventKind::MtaStsRecordFound { lookup: record });
    // RFC 8461 §3.3: the policy is fetched only when the TXT record announces one.
    if announced {
        let fetch = fetch::fetch(plan, domain).await;
        em.emit(EventKind::MtaStsPolicyFetched { fetch });
    }
}

async fn txt(plan: &Plan, name: &str) -> TxtLookup {
    match plain(plan, name, RecordType::TXT).await {
        Ok(records) => TxtLookup {
            name: name.to_string(),
            txt: records
                .iter()
                .filter_map(|r| match r {
                    // One record's strings are one value (RFC 7208 §3.3 style concatenation).
                    RData::TXT(t) => Some(escape_str(&String::from_utf8_lossy(
                        &t.txt_data
                            .iter()
                            .flat_map(|s| s.iter().copied())
                            .collect::<Vec<u8>>(),
                    ))),
                    _ => None,
                })
                .collect(),
            error: None,
        },
        Err(e) => TxtLookup {
            name: name.to_string(),
            txt: vec![],
            error: Some(escape_str(&e)),
        },
    }
}

/// The error and the DNSSEC remark of an answer, in one line.
fn words(a: &dns::Answer) -> Option<String> {
    match (&a.error, &a.detail) {
        (Some(e), Some(d)) => Some(format!("{e}; {d}")),
        (e, d) => e.clone().or_else(|| d.clone()),
    }
}

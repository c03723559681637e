//! Routing-policy lookups, run beside the SMTP dialogue: for a domain the DNSSEC state of
//! the MX RRset and of each exchange's addresses, each exchange's TLSA RRset, the MTA-STS
//! record and policy, the TLS-RPT record; for a `[host]` the host's addresses and TLSA RRset
//! (Postfix does DANE for such nexthops). Each result is an event; judging them is
//! `diagnose::policy`, pure.

pub mod dns;
pub mod fetch;

use std::time::{Duration, SystemTime};

use futures_util::future::join_all;
use hickory_resolver::proto::rr::{RData, RecordType};

use crate::engine::Emitter;
use crate::event::EventKind;
use crate::plan::{Plan, Target};
use crate::policy::{DnsAnswer, TlsaLookup, TxtLookup, tlsa::TlsaRecord};
use crate::sanitize::escape_str;

/// How long the policy lookups may take in all; the dialogue does not wait longer for them.
const LIMIT: Duration = Duration::from_secs(20);
/// At most this many MX hosts get their TLSA and address lookups.
const MAX_HOSTS: usize = 8;

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

/// Run every policy lookup for the plan's target and report each as an event.
pub async fn lookup(plan: &Plan, em: &Emitter) {
    let work = async {
        match &plan.target {
            Target::Domain(domain) => lookup_all(plan, em, domain).await,
            Target::Host(host) => lookup_host(plan, em, &crate::policy::norm(host)).await,
            Target::Ip(_) => {}
        }
    };
    if tokio::time::timeout(LIMIT, work).await.is_err() {
        em.emit(EventKind::Note {
            text: format!("policy lookups gave up after {} s", LIMIT.as_secs()),
        });
    }
}

async fn lookup_all(plan: &Plan, em: &Emitter, domain: &str) {
    let routing = mx_and_addresses(plan, em, domain);
    let sts = mta_sts(plan, em, domain);
    let rpt_name = format!("_smtp._tls.{domain}");
    let rpt = txt(plan, &rpt_name);
    let (hosts, (), rpt) = tokio::join!(routing, sts, rpt);
    em.emit(EventKind::TlsRptFound { lookup: rpt });
    let at_unix = now_unix();
    let lookups = hosts
        .iter()
        .map(|h| tlsa(plan, h, at_unix))
        .collect::<Vec<_>>();
    for l in join_all(lookups).await {
        em.emit(EventKind::TlsaFound { lookup: l });
    }
}

/// A `[host]` nexthop: no MX, so its own A/AAAA states decide whether its TLSA records count
/// (RFC 7672 §2.2.2); MTA-STS and TLS-RPT belong to a recipient domain and are not asked.
async fn lookup_host(plan: &Plan, em: &Emitter, host: &str) {
    let hosts = [host.to_string()];
    let ((), l) = tokio::join!(addresses(plan, em, &hosts), tlsa(plan, host, now_unix()));
    em.emit(EventKind::TlsaFound { lookup: l });
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The MX RRset's DNSSEC state and each exchange's A/AAAA states; returns the exchanges
/// (or the domain itself for an implicit MX).
async fn mx_and_addresses(plan: &Plan, em: &Emitter, domain: &str) -> Vec<String> {
    let mx = dns::query(plan, domain, RecordType::MX).await;
    emit_answer(em, domain, "MX", &mx);
    // An MX RRset that failed validation is still the route a non-DANE sender takes: list it
    // unvalidated so its hosts' addresses and TLSA records are still looked at.
    let records = if mx.records.is_empty() && mx.error.is_some() {
        dns::query_plain(plan, domain, RecordType::MX)
            .await
            .unwrap_or_default()
    } else {
        mx.records.clone()
    };
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
    hosts.dedup();
    if hosts.is_empty() && records.is_empty() {
        hosts.push(crate::policy::norm(domain));
    }
    hosts.truncate(MAX_HOSTS);
    addresses(plan, em, &hosts).await;
    hosts
}

/// The A and AAAA DNSSEC states of each of `hosts`.
async fn addresses(plan: &Plan, em: &Emitter, hosts: &[String]) {
    let per_host = hosts.iter().map(|h| async move {
        let a = dns::query(plan, h, RecordType::A).await;
        let aaaa = dns::query(plan, h, RecordType::AAAA).await;
        (h.clone(), a, aaaa)
    });
    for (h, a, aaaa) in join_all(per_host).await {
        emit_answer(em, &h, "A", &a);
        emit_answer(em, &h, "AAAA", &aaaa);
    }
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

async fn tlsa(plan: &Plan, host: &str, at_unix: u64) -> TlsaLookup {
    let name = format!("_{}._tcp.{host}", plan.port);
    let a = dns::query(plan, &name, RecordType::TLSA).await;
    // Records that could not be validated are still shown (and matched), marked as such.
    let found = if a.records.is_empty() && a.error.is_some() {
        dns::query_plain(plan, &name, RecordType::TLSA)
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
    TlsaLookup {
        host: host.to_string(),
        port: plan.port,
        dnssec: a.dnssec,
        records,
        error: words(&a),
        at_unix,
    }
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
    match dns::query_plain(plan, name, RecordType::TXT).await {
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

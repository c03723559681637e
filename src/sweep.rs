//! `probe DOMAIN --all`, the pure half: which MX × address pairs a sweep probes (from the
//! first attempt's resolution) and one row per pair from the session. The engine half
//! (`engine::sweep`) runs them.

use std::net::SocketAddr;

use serde::Serialize;

use crate::policy::Dnssec;
use crate::session::{Attempt, Session};

/// At most this many pairs are probed besides the first attempt.
pub const MAX_PAIRS: usize = 16;

/// One MX host × address to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub preference: Option<u16>,
    pub host: String,
    pub addr: SocketAddr,
}

/// Every MX × address of `first`'s resolution in preference order (A and AAAA as resolved),
/// the implicit MX's addresses when there is no MX, with the pair `first` ended on marked
/// as already probed (`false`); at most [`MAX_PAIRS`] + 1.
pub fn pairs(first: &Attempt, port: u16) -> Vec<(Pair, bool)> {
    let mut out = Vec::new();
    if let Some((_, hosts)) = &first.resolution.mx {
        for h in hosts {
            for ip in &h.addresses {
                out.push(Pair {
                    preference: Some(h.preference),
                    host: h.exchange.clone(),
                    addr: SocketAddr::new(*ip, port),
                });
            }
        }
    } else if let Some(domain) = &first.resolution.implicit_mx {
        for ip in &first.resolution.addresses {
            out.push(Pair {
                preference: None,
                host: domain.clone(),
                addr: SocketAddr::new(*ip, port),
            });
        }
    }
    let done = first.tried.last().map(|(a, h)| (*a, h.clone()));
    out.into_iter()
        .map(|p| {
            let todo = done
                .as_ref()
                .is_none_or(|(a, h)| !(*a == p.addr && h.as_deref() == Some(p.host.as_str())));
            (p, todo)
        })
        .take(MAX_PAIRS + 1)
        .collect()
}

/// One row of the sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub attempt: u32,
    pub preference: Option<u16>,
    pub mx: String,
    pub address: SocketAddr,
    /// DNSSEC state of the MX RRset, and of this host's A or AAAA RRset.
    pub mx_dnssec: Option<Dnssec>,
    pub address_dnssec: Option<Dnssec>,
    pub ok: bool,
    pub cause: String,
    pub summary: String,
    pub tls: Option<String>,
}

/// The rows of a sweep session: attempt `first` (the domain probe) and every pinned attempt
/// after it, in preference order.
pub fn rows(session: &Session, first: u32) -> Vec<Row> {
    rows_where(session, first, |a| a.id >= first)
}

/// The rows of a sweep among other attempts (the TUI's session): attempt `head` (the domain
/// probe whose resolution gave the pairs) and the attempts `ids`, in preference order.
pub fn rows_among(session: &Session, head: u32, ids: &[u32]) -> Vec<Row> {
    rows_where(session, head, |a| a.id == head || ids.contains(&a.id))
}

fn rows_where(session: &Session, first: u32, ours: impl Fn(&Attempt) -> bool) -> Vec<Row> {
    let Some(head) = session.attempt(first) else {
        return Vec::new();
    };
    let domain = head
        .resolution
        .mx
        .as_ref()
        .map(|(d, _)| crate::policy::norm(d));
    let state = |name: &str, rtype: &str| {
        head.policy
            .dnssec
            .iter()
            .find(|d| d.name == crate::policy::norm(name) && d.rtype == rtype)
            .map(|d| d.dnssec)
    };
    let mx_dnssec = domain.as_deref().and_then(|d| state(d, "MX"));
    let pref_of = |host: &str| {
        head.resolution
            .mx
            .as_ref()
            .and_then(|(_, hs)| hs.iter().find(|h| h.exchange == host).map(|h| h.preference))
    };
    let mut rows: Vec<Row> = session
        .attempts
        .iter()
        .filter(|a| ours(a))
        .filter_map(|a| {
            let (addr, host) = a.tried.last().cloned()?;
            let host = host.unwrap_or_default();
            let d = crate::diagnose::diagnose(a);
            let rtype = if addr.is_ipv4() { "A" } else { "AAAA" };
            Some(Row {
                attempt: a.id,
                preference: pref_of(&host),
                address_dnssec: state(&host, rtype),
                mx: host,
                address: addr,
                mx_dnssec,
                ok: d.ok,
                cause: d.cause.to_string(),
                summary: d.summary,
                tls: a
                    .negotiated
                    .as_ref()
                    .map(|n| format!("{} {}", n.version, n.cipher_suite)),
            })
        })
        .collect();
    rows.sort_by_key(|r| (r.preference, r.attempt));
    rows
}

/// The sweep as a table, one row per MX × address.
pub fn text(rows: &[Row], domain: &str) -> String {
    let name = |s: Option<Dnssec>| s.map(|s| s.name()).unwrap_or("-");
    let hosts: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.mx.as_str()).collect();
    let mut out = format!(
        "sweep of {domain}: {} MX host(s), {} address(es); MX RRset dnssec {}\n",
        hosts.len(),
        rows.len(),
        name(rows.first().and_then(|r| r.mx_dnssec))
    );
    out.push_str(&format!(
        "  {:<4} {:<32} {:<26} {:<13} {:<22} {}\n",
        "pref", "MX host", "address", "addr dnssec", "cause", "detail"
    ));
    for r in rows {
        let detail = r.tls.clone().unwrap_or_else(|| r.summary.clone());
        out.push_str(&format!(
            "  {:<4} {:<32} {:<26} {:<13} {:<22} {}\n",
            r.preference
                .map(|p| p.to_string())
                .unwrap_or_else(|| "-".into()),
            r.mx,
            r.address.to_string(),
            name(r.address_dnssec),
            r.cause,
            detail
        ));
    }
    out
}

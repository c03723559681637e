//! `probe DOMAIN --all`, the pure half: which MX × address pairs a sweep probes (from the
//! first attempt's resolution) and one row per pair from the session. `runs::sweep` decides
//! when each starts; the CLI's driver and the TUI carry that out.

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
/// as already probed (`false`); each (host, address) once, at its best preference (a host
/// listed twice in the MX RRset is one host); at most [`MAX_PAIRS`] + 1.
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
    let mut seen = std::collections::HashSet::new();
    out.retain(|p: &Pair| seen.insert((crate::policy::norm(&p.host), p.addr)));
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
    pub cause: crate::diagnose::Cause,
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
                cause: d.cause,
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

/// The sweep's one row when the domain probe ended before any connection (the MX lookup
/// failed or timed out, a null MX, MX hosts without addresses): the same fields as [`Row`],
/// with no address, the cause saying why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unreached {
    pub attempt: u32,
    pub preference: Option<u16>,
    /// The domain (no MX host was reached).
    pub mx: String,
    /// Always null: no address was reached.
    pub address: Option<SocketAddr>,
    pub mx_dnssec: Option<Dnssec>,
    pub address_dnssec: Option<Dnssec>,
    pub ok: bool,
    pub cause: crate::diagnose::Cause,
    pub summary: String,
    pub tls: Option<String>,
    /// What resolution found (each MX host and why it has no address), for the text.
    #[serde(skip)]
    pub evidence: Vec<String>,
}

/// The domain probe `first` if it finished without trying any address.
pub fn unreached(session: &Session, first: u32) -> Option<Unreached> {
    let head = session.attempt(first)?;
    if !head.tried.is_empty() || head.finished.is_none() {
        return None;
    }
    let domain = match head.plan.as_ref().map(|p| &p.target) {
        Some(crate::plan::Target::Domain(d)) => d.clone(),
        _ => head
            .resolution
            .mx
            .as_ref()
            .map(|(d, _)| d.clone())
            .unwrap_or_default(),
    };
    let mx_dnssec = head
        .policy
        .dnssec
        .iter()
        .find(|d| d.name == crate::policy::norm(&domain) && d.rtype == "MX")
        .map(|d| d.dnssec);
    let d = crate::diagnose::diagnose(head);
    Some(Unreached {
        attempt: head.id,
        preference: None,
        mx: domain,
        address: None,
        mx_dnssec,
        address_dnssec: None,
        ok: false,
        cause: d.cause,
        summary: d.summary,
        tls: None,
        evidence: d.evidence,
    })
}

/// The sweep that reached no address, in words.
pub fn unreached_text(u: &Unreached) -> String {
    let mut out = format!(
        "sweep of {}: no MX host or address to probe [{}]: {}\n",
        u.mx, u.cause, u.summary
    );
    for e in &u.evidence {
        out.push_str(&format!("  {e}\n"));
    }
    out
}

/// The sweep as a table, one row per MX × address, for the text report and the TUI alike:
/// every cell escaped (server and DNS text is untrusted) before it is measured, so the
/// columns line up whatever a cell held.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// `sweep of DOMAIN: N MX host(s), N address(es); MX RRset dnssec STATE`.
    pub heading: String,
    pub head: [String; 6],
    /// One row per MX × address; the detail (TLS or the summary) last.
    pub cells: Vec<[String; 6]>,
    /// The widths of the first five columns (the detail is never padded).
    pub widths: [usize; 5],
}

impl Table {
    pub fn of(rows: &[Row], domain: &str) -> Table {
        let name = |s: Option<Dnssec>| s.map(|s| s.name()).unwrap_or("-");
        let safe = |s: &str| crate::sanitize::neutralize(s).into_owned();
        let hosts: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.mx.as_str()).collect();
        let heading = safe(&format!(
            "sweep of {domain}: {} MX host(s), {} address(es); MX RRset dnssec {}",
            hosts.len(),
            rows.len(),
            name(rows.first().and_then(|r| r.mx_dnssec))
        ));
        let head = [
            "pref",
            "MX host",
            "address",
            "addr dnssec",
            "cause",
            "detail",
        ]
        .map(String::from);
        let cells: Vec<[String; 6]> = rows
            .iter()
            .map(|r| {
                [
                    r.preference
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "-".into()),
                    safe(&r.mx),
                    r.address.to_string(),
                    name(r.address_dnssec).to_string(),
                    r.cause.to_string(),
                    safe(r.tls.as_deref().unwrap_or(&r.summary)),
                ]
            })
            .collect();
        let mut widths = [0usize; 5];
        for row in std::iter::once(&head).chain(&cells) {
            for (w, c) in widths.iter_mut().zip(row.iter()) {
                *w = (*w).max(c.chars().count());
            }
        }
        Table {
            heading,
            head,
            cells,
            widths,
        }
    }

    /// The first five cells of `row`, indented two spaces, each padded to its column and
    /// followed by two spaces: where the detail begins.
    pub fn columns(&self, row: &[String; 6]) -> String {
        let mut s = String::from("  ");
        for (c, w) in row.iter().zip(self.widths) {
            s.push_str(&format!("{c:<w$}  "));
        }
        s
    }

    /// The column where the detail begins.
    pub fn detail_at(&self) -> usize {
        2 + self.widths.iter().map(|w| w + 2).sum::<usize>()
    }
}

/// The sweep as text (`probe --all`): each column as wide as its widest cell, two spaces
/// apart, as the TUI's sweep table, so a long cause or MX host never runs into the next
/// column; the detail comes last and is never cut.
pub fn text(rows: &[Row], domain: &str) -> String {
    let table = Table::of(rows, domain);
    let mut out = format!("{}\n", table.heading);
    for row in std::iter::once(&table.head).chain(&table.cells) {
        let line = table.columns(row) + &row[5];
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, MxHost, ProbeEvent};
    use crate::plan::{Plan, Target};

    /// A finished domain attempt that resolved `hosts` and ended on `tried`.
    fn first(hosts: Vec<MxHost>, tried: Option<(&str, &str)>) -> Attempt {
        let mut a = Attempt::new(1, None);
        let mut kinds = vec![
            EventKind::AttemptStarted {
                plan: Box::new(Plan::new(Target::Domain("example.net".into()))),
            },
            EventKind::MxResolved {
                domain: "example.net".into(),
                hosts,
            },
        ];
        if let Some((peer, host)) = tried {
            kinds.push(EventKind::ConnectStarted {
                peer: peer.parse().unwrap(),
                host: Some(host.into()),
            });
        }
        for kind in kinds {
            a.apply(&ProbeEvent {
                attempt: 1,
                at_us: 0,
                kind,
            });
        }
        a
    }

    fn shown(pairs: &[(Pair, bool)]) -> Vec<(Option<u16>, String, String, bool)> {
        pairs
            .iter()
            .map(|(p, todo)| (p.preference, p.host.clone(), p.addr.to_string(), *todo))
            .collect()
    }

    #[test]
    fn pairs_follow_preference_with_a_and_aaaa_and_skip_the_pair_already_probed() {
        // Resolution lists hosts in preference order; each host's A and AAAA as resolved.
        let a = first(
            vec![
                MxHost::at(5, "mx1.example.net", &["192.0.2.1", "2001:db8::1"]),
                MxHost::at(10, "mx2.example.net", &["2001:db8::2", "192.0.2.2"]),
            ],
            Some(("192.0.2.1:25", "mx1.example.net")),
        );
        let want = |p: u16, h: &str, addr: &str, todo: bool| {
            (Some(p), h.to_string(), addr.to_string(), todo)
        };
        assert_eq!(
            shown(&pairs(&a, 25)),
            [
                want(5, "mx1.example.net", "192.0.2.1:25", false),
                want(5, "mx1.example.net", "[2001:db8::1]:25", true),
                want(10, "mx2.example.net", "[2001:db8::2]:25", true),
                want(10, "mx2.example.net", "192.0.2.2:25", true),
            ]
        );
    }

    #[test]
    fn an_address_shared_by_two_hosts_is_two_pairs_and_only_the_probed_one_is_done() {
        // Two MX names on one address are two pairs (the SNI and the names checked
        // differ); only the pair with the host the first attempt used counts as probed.
        let a = first(
            vec![
                MxHost::at(10, "a.example.net", &["192.0.2.7"]),
                MxHost::at(20, "b.example.net", &["192.0.2.7"]),
            ],
            Some(("192.0.2.7:25", "a.example.net")),
        );
        let todo: Vec<bool> = pairs(&a, 25).iter().map(|(_, t)| *t).collect();
        assert_eq!(todo, [false, true]);
    }

    #[test]
    fn a_host_listed_twice_is_probed_once_at_its_best_preference() {
        let a = first(
            vec![
                MxHost::at(10, "mx1.example.net", &["192.0.2.1"]),
                MxHost::at(20, "MX1.example.net", &["192.0.2.1"]),
                MxHost::at(30, "mx3.example.net", &["192.0.2.3", "192.0.2.3"]),
            ],
            None,
        );
        let hosts: Vec<(Option<u16>, String)> = pairs(&a, 25)
            .into_iter()
            .map(|(p, _)| (p.preference, p.addr.to_string()))
            .collect();
        assert_eq!(
            hosts,
            [
                (Some(10), "192.0.2.1:25".to_string()),
                (Some(30), "192.0.2.3:25".to_string())
            ]
        );
    }

    #[test]
    fn pairs_stop_at_the_cap() {
        let ips: Vec<String> = (1..=30).map(|i| format!("192.0.2.{i}")).collect();
        let ips: Vec<&str> = ips.iter().map(String::as_str).collect();
        let a = first(vec![MxHost::at(10, "mx.example.net", &ips)], None);
        let p = pairs(&a, 25);
        assert_eq!(p.len(), MAX_PAIRS + 1);
        assert_eq!(p[MAX_PAIRS].0.addr.to_string(), "192.0.2.17:25");
        assert!(p.iter().all(|(_, todo)| *todo), "nothing probed yet");
    }

    #[test]
    fn the_implicit_mx_pairs_its_own_addresses() {
        let mut a = Attempt::new(1, None);
        a.apply(&ProbeEvent {
            attempt: 1,
            at_us: 0,
            kind: EventKind::ImplicitMx {
                domain: "example.net".into(),
                addresses: vec!["192.0.2.9".parse().unwrap()],
            },
        });
        let p = pairs(&a, 2525);
        assert_eq!(
            shown(&p),
            [(None, "example.net".into(), "192.0.2.9:2525".into(), true)]
        );
    }

    /// Issue 19: a long cause ran into the detail (`peer-closed-during-handshake the server
    /// …`): every column is as wide as its widest cell and two spaces apart.
    #[test]
    fn the_text_table_keeps_its_columns_apart() {
        let row = |pref, mx: &str, addr: &str, cause, tls: Option<&str>| Row {
            attempt: 1,
            preference: Some(pref),
            mx: mx.into(),
            address: addr.parse().unwrap(),
            mx_dnssec: None,
            address_dnssec: Some(Dnssec::Secure),
            ok: false,
            cause,
            summary: "the server closed the connection after our ClientHello".into(),
            tls: tls.map(String::from),
        };
        use crate::diagnose::Cause;
        let rows = [
            row(
                10,
                "mx1.example.net",
                "192.0.2.1:25",
                Cause::Ok,
                Some("TLSv1.3 ok"),
            ),
            row(
                20,
                "a-rather-long-backup-mx-host-name.example.net",
                "[2001:db8::1234:5678]:25",
                Cause::PeerClosedDuringHandshake,
                None,
            ),
        ];
        let text = text(&rows, "example.net");
        let lines: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(lines.len(), 3, "{text}");
        let detail = lines[0].find("detail").expect("a detail column");
        for (l, d) in lines.iter().zip([
            "detail",
            "TLSv1.3 ok",
            "the server closed the connection after our ClientHello",
        ]) {
            assert_eq!(l.find(d), Some(detail), "{text}");
            assert!(l[..detail].ends_with("  "), "{text}");
        }
        assert!(
            lines[2].contains("peer-closed-during-handshake  the server closed"),
            "{text}"
        );
        assert!(
            lines[2].contains(
                "a-rather-long-backup-mx-host-name.example.net  [2001:db8::1234:5678]:25  secure"
            ),
            "{text}"
        );

        // A hostile MX name (an escape sequence) is escaped before it is measured: the
        // columns still line up, and nothing reaches the terminal raw.
        let mut hostile = rows[0].clone();
        hostile.mx = "mx\x1b[2J.example.net".into();
        let text = super::text(&[hostile, rows[1].clone()], "example.net");
        assert!(!text.contains('\x1b'), "{text:?}");
        let lines: Vec<&str> = text.lines().skip(1).collect();
        let detail = lines[0].find("detail").expect("a detail column");
        assert_eq!(lines[1].find("TLSv1.3 ok"), Some(detail), "{text}");
    }
}

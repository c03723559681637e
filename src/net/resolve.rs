//! From what the user typed to the addresses to try, the way a sending MTA does it: MX records
//! by preference, each exchange's addresses, the implicit MX when a domain has none
//! (RFC 5321 §5.1), and the address family the plan asks for.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};

use crate::event::MxHost;
use crate::plan::{Family, Plan, Target};

/// One address to connect to, with the host name it belongs to (for SNI and verification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub host: Option<String>,
    pub addr: SocketAddr,
}

/// What resolution found, for the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Pinned,
    Ip,
    Host {
        host: String,
        addresses: Vec<IpAddr>,
    },
    Mx {
        domain: String,
        hosts: Vec<MxHost>,
    },
    ImplicitMx {
        domain: String,
        addresses: Vec<IpAddr>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("DNS lookup failed for {name}: {detail}")]
    Dns { name: String, detail: String },
    /// `mx`: the MX side is the problem (no MX and no address, or MX hosts without one).
    #[error("{detail}")]
    NoAddresses { detail: String, mx: bool },
    #[error("{domain} has a null MX (RFC 7505): it accepts no mail")]
    NullMx { domain: String },
}

/// At most this many MX hosts are resolved and listed, in preference order (a sweep probes at
/// most 17 pairs, and no real domain lists more; a hostile one may list thousands).
pub const MAX_MX_HOSTS: usize = 16;
/// MX hosts resolved at once: Postfix's `smtp_mx_address_limit` (5) caps the addresses it
/// collects; tlsdive lists every host, so it resolves them concurrently, this many at a time,
/// and never lets a silent backup delay the connection to a host that answered.
pub const HOSTS_AT_ONCE: usize = 5;

/// How long one DNS lookup may take (the MX RRset, one host's addresses, one policy record)
/// before it is reported as unanswered: the resolver's own two tries and a margin.
pub fn lookup_deadline(plan: &Plan) -> Duration {
    plan.timeouts.connect.max(Duration::from_secs(1)) * 2
}

/// What the first step of resolution found: the candidates at once, or the MX hosts whose
/// addresses are still to be looked up ([`walk`]).
pub enum Route {
    Ready(Found, Vec<Candidate>),
    Mx {
        domain: String,
        /// (preference, exchange), best first, at most [`MAX_MX_HOSTS`].
        hosts: Vec<(u16, String)>,
        /// MX hosts left out beyond [`MAX_MX_HOSTS`].
        more: usize,
    },
}

/// Resolve the plan's target into candidates, best first, every MX host's addresses
/// included (the scanner's way; the probe walks [`route`] and [`walk`] to connect sooner).
pub async fn resolve(plan: &Plan) -> Result<(Found, Vec<Candidate>), ResolveError> {
    match route(plan).await? {
        Route::Ready(found, cands) => Ok((found, cands)),
        Route::Mx { domain, hosts, .. } => {
            let mut rx = walk(plan, hosts);
            let mut listed = Vec::new();
            while let Some(h) = rx.recv().await {
                listed.push(h);
            }
            let cands = mx_candidates(&listed, plan.port);
            if cands.is_empty() {
                return Err(unresolved(&domain, &listed, plan.family));
            }
            Ok((
                Found::Mx {
                    domain,
                    hosts: listed,
                },
                cands,
            ))
        }
    }
}

/// The first step: a pinned address or an IP as it is, a host's addresses, or a domain's MX
/// RRset (its null MX and implicit MX decided here). Every lookup within [`lookup_deadline`].
pub async fn route(plan: &Plan) -> Result<Route, ResolveError> {
    if let Some(addr) = plan.address {
        let host = plan.address_host.clone();
        return Ok(Route::Ready(Found::Pinned, vec![Candidate { host, addr }]));
    }
    match &plan.target {
        Target::Ip(ip) => Ok(Route::Ready(
            Found::Ip,
            vec![Candidate {
                host: None,
                addr: SocketAddr::new(*ip, plan.port),
            }],
        )),
        Target::Host(host) => {
            let found = bounded(plan, host, lookup_host(plan, host)).await?;
            let addresses = filter(plan.family, found);
            if addresses.is_empty() {
                return Err(no_addresses(host, plan.family));
            }
            let cands = candidates(Some(host), &addresses, plan.port);
            Ok(Route::Ready(
                Found::Host {
                    host: host.clone(),
                    addresses,
                },
                cands,
            ))
        }
        Target::Domain(domain) => route_domain(plan, domain).await,
    }
}

/// What a lookup made of several bounded queries may take beyond [`lookup_deadline`].
const BACKSTOP: Duration = Duration::from_secs(1);

/// `work` within [`lookup_deadline`] (and [`BACKSTOP`], so the queries inside time out first),
/// an unanswered lookup a DNS failure that says so.
async fn bounded<T>(
    plan: &Plan,
    name: &str,
    work: impl std::future::Future<Output = Result<T, ResolveError>>,
) -> Result<T, ResolveError> {
    let limit = lookup_deadline(plan);
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
        Err(ResolveError::Dns {
            name: name.to_string(),
            detail: unanswered(limit),
        })
    })
}

/// The words for a lookup that ran out of time.
pub fn unanswered(limit: Duration) -> String {
    format!("no DNS answer within {} s", limit.as_secs_f64())
}

async fn route_domain(plan: &Plan, domain: &str) -> Result<Route, ResolveError> {
    let resolver = resolver(plan)?;
    let fqdn = fqdn(domain);
    let lookup = async {
        match resolver.lookup(fqdn.as_str(), RecordType::MX).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    // A DNS answer is network input: escape it before it is shown anywhere.
                    RData::MX(mx) => Some((
                        mx.preference,
                        crate::sanitize::escape_str(&mx.exchange.to_ascii()),
                    )),
                    _ => None,
                })
                .collect::<Vec<_>>()),
            Err(e) if e.is_nx_domain() => Err(ResolveError::Dns {
                name: domain.to_string(),
                detail: "the domain does not exist (NXDOMAIN)".into(),
            }),
            Err(e) if e.is_no_records_found() => Ok(Vec::new()),
            Err(e) => Err(ResolveError::Dns {
                name: domain.to_string(),
                detail: e.to_string(),
            }),
        }
    };
    let mut records = bounded(plan, domain, lookup).await?;
    if records.is_empty() {
        let found = bounded(plan, domain, lookup_with(plan, &resolver, domain)).await?;
        let addresses = filter(plan.family, found);
        if addresses.is_empty() {
            return Err(ResolveError::NoAddresses {
                detail: format!(
                    "{domain} has no MX records and no {} address records",
                    family_words(plan.family)
                ),
                mx: true,
            });
        }
        let cands = candidates(Some(domain), &addresses, plan.port);
        return Ok(Route::Ready(
            Found::ImplicitMx {
                domain: domain.to_string(),
                addresses,
            },
            cands,
        ));
    }
    records.sort();
    // RFC 7505: a lone "MX 0 ." says the domain accepts no mail; a "." among other hosts
    // is no host to connect to.
    if records.iter().all(|(_, h)| h == ".") {
        return Err(ResolveError::NullMx {
            domain: domain.to_string(),
        });
    }
    let mut hosts: Vec<(u16, String)> = Vec::new();
    for (preference, exchange) in records {
        let exchange = exchange.trim_end_matches('.').to_string();
        if exchange.is_empty() || hosts.iter().any(|(_, h)| h.eq_ignore_ascii_case(&exchange)) {
            continue;
        }
        hosts.push((preference, exchange));
    }
    let more = hosts.len().saturating_sub(MAX_MX_HOSTS);
    hosts.truncate(MAX_MX_HOSTS);
    Ok(Route::Mx {
        domain: domain.to_string(),
        hosts,
        more,
    })
}

/// Resolve `hosts` (best first), [`HOSTS_AT_ONCE`] at a time, each within
/// [`lookup_deadline`]; the receiver gets each host in preference order as soon as it and
/// every better one are done, so a caller connects to the best host that answered without
/// waiting for the rest. The lookups run on their own task (stopped when the receiver is
/// dropped), so they go on while the caller connects.
pub fn walk(
    plan: &Plan,
    hosts: Vec<(u16, String)>,
) -> tokio::sync::mpsc::UnboundedReceiver<MxHost> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let resolver = resolver(plan).map(Arc::new).map_err(|e| e.to_string());
    let family = plan.family;
    let plan = plan.clone();
    // Each A and AAAA query has the lookup deadline; this only guards against a stuck one.
    let limit = lookup_deadline(&plan) + BACKSTOP;
    tokio::spawn(async move {
        let lookup = |host: String| {
            let resolver = resolver.clone();
            let plan = &plan;
            async move {
                match resolver {
                    Ok(r) => lookup_with(plan, &r, &host).await.map_err(|e| match e {
                        ResolveError::Dns { detail, .. } => detail,
                        other => other.to_string(),
                    }),
                    Err(e) => Err(e),
                }
            }
        };
        let mut stream = std::pin::pin!(ordered(hosts, limit, lookup));
        loop {
            tokio::select! {
                next = stream.next() => {
                    let Some(mut h) = next else { return };
                    h.addresses = filter(family, std::mem::take(&mut h.addresses));
                    if tx.send(h).is_err() {
                        return;
                    }
                }
                () = tx.closed() => return,
            }
        }
    });
    rx
}

/// The pure heart of [`walk`]: `lookup` for each host, `at_once` at a time, each cut at
/// `limit`, the results in the hosts' order.
pub fn ordered<F, Fut>(
    hosts: Vec<(u16, String)>,
    limit: Duration,
    lookup: F,
) -> impl futures_util::Stream<Item = MxHost>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<IpAddr>, String>>,
{
    futures_util::stream::iter(hosts)
        .map(move |(preference, exchange)| {
            let work = lookup(exchange.clone());
            async move {
                let (addresses, error) = match tokio::time::timeout(limit, work).await {
                    Ok(Ok(a)) => (a, None),
                    Ok(Err(e)) => (Vec::new(), Some(crate::sanitize::escape_str(&e))),
                    Err(_) => (Vec::new(), Some(unanswered(limit))),
                };
                MxHost {
                    preference,
                    exchange,
                    addresses,
                    error,
                }
            }
        })
        .buffered(HOSTS_AT_ONCE)
}

/// The candidates of resolved MX hosts, in their order.
pub fn mx_candidates(hosts: &[MxHost], port: u16) -> Vec<Candidate> {
    hosts
        .iter()
        .flat_map(|h| candidates(Some(&h.exchange), &h.addresses, port))
        .collect()
}

/// Why MX hosts gave nothing to connect to: DNS failures when every host's lookup failed
/// (timeouts, SERVFAIL, a malformed reply), else "no addresses".
pub fn unresolved(domain: &str, hosts: &[MxHost], family: Family) -> ResolveError {
    let failed: Vec<&MxHost> = hosts.iter().filter(|h| h.error.is_some()).collect();
    if !hosts.is_empty() && failed.len() == hosts.len() {
        let shown: Vec<String> = failed
            .iter()
            .take(3)
            .map(|h| format!("{}: {}", h.exchange, h.error.as_deref().unwrap_or_default()))
            .collect();
        let more = if failed.len() > 3 {
            format!(" (and {} more)", failed.len() - 3)
        } else {
            String::new()
        };
        return ResolveError::Dns {
            name: format!("every MX host of {domain}"),
            detail: format!("{}{more}", shown.join("; ")),
        };
    }
    ResolveError::NoAddresses {
        detail: format!(
            "none of the MX hosts of {domain} has {} addresses",
            family_words(family)
        ),
        mx: true,
    }
}

/// A host name without `--resolver` goes through the system (so /etc/hosts works);
/// with it, through that DNS server.
async fn lookup_host(plan: &Plan, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
    if plan.resolver.is_some() {
        return lookup_with(plan, &resolver(plan)?, host).await;
    }
    let dns = |e: std::io::Error| ResolveError::Dns {
        name: host.to_string(),
        detail: e.to_string(),
    };
    let addrs = tokio::net::lookup_host((host, plan.port))
        .await
        .map_err(dns)?;
    let mut ips: Vec<IpAddr> = Vec::new();
    for a in addrs {
        if !ips.contains(&a.ip()) {
            ips.push(a.ip());
        }
    }
    Ok(ips)
}

/// The addresses of `host` in the plan's family: A and AAAA asked separately, each within
/// [`lookup_deadline`], so a silent AAAA does not hide the A records (nor the other way);
/// a failure only when no address came and one of them failed.
async fn lookup_with(
    plan: &Plan,
    resolver: &TokioResolver,
    host: &str,
) -> Result<Vec<IpAddr>, ResolveError> {
    let limit = lookup_deadline(plan);
    let name = fqdn(host);
    let one = |rtype: RecordType| {
        let name = name.as_str();
        async move {
            match tokio::time::timeout(limit, resolver.lookup(name, rtype)).await {
                Err(_) => Err(unanswered(limit)),
                Ok(Ok(l)) => Ok(l
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::A(a) => Some(IpAddr::V4(a.0)),
                        RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                        _ => None,
                    })
                    .collect::<Vec<_>>()),
                Ok(Err(e)) if e.is_no_records_found() => Ok(Vec::new()),
                Ok(Err(e)) => Err(e.to_string()),
            }
        }
    };
    let (v4, v6) = match plan.family {
        Family::V4 => (one(RecordType::A).await, Ok(Vec::new())),
        Family::V6 => (Ok(Vec::new()), one(RecordType::AAAA).await),
        Family::Any => tokio::join!(one(RecordType::A), one(RecordType::AAAA)),
    };
    match (v4, v6) {
        (Ok(mut a), Ok(b)) => {
            a.extend(b);
            Ok(a)
        }
        (Ok(a), Err(_)) | (Err(_), Ok(a)) if !a.is_empty() => Ok(a),
        (Err(e), _) | (_, Err(e)) => Err(ResolveError::Dns {
            name: host.to_string(),
            detail: e,
        }),
    }
}

fn resolver(plan: &Plan) -> Result<TokioResolver, ResolveError> {
    let err = |detail: String| ResolveError::Dns {
        name: "resolver".into(),
        detail,
    };
    builder(plan)
        .map_err(err)?
        .build()
        .map_err(|e| err(e.to_string()))
}

/// The resolver the plan asks for (`--resolver`, else the system's), with its timeouts: one
/// place for MX resolution and the policy lookups.
pub fn builder(
    plan: &Plan,
) -> Result<hickory_resolver::ResolverBuilder<TokioRuntimeProvider>, String> {
    let mut builder = match plan.resolver {
        Some(server) => {
            let mut ns = NameServerConfig::udp_and_tcp(server.ip());
            for c in &mut ns.connections {
                c.port = server.port();
            }
            TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![ns]),
                TokioRuntimeProvider::default(),
            )
        }
        None => TokioResolver::builder_tokio().map_err(|e| e.to_string())?,
    };
    let opts: &mut ResolverOpts = builder.options_mut();
    opts.timeout = plan.timeouts.connect.min(Duration::from_secs(5));
    opts.attempts = 2;
    Ok(builder)
}

fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

fn filter(family: Family, ips: Vec<IpAddr>) -> Vec<IpAddr> {
    ips.into_iter()
        .filter(|ip| match family {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        })
        .collect()
}

fn candidates(host: Option<&str>, ips: &[IpAddr], port: u16) -> Vec<Candidate> {
    ips.iter()
        .map(|ip| Candidate {
            host: host.map(str::to_string),
            addr: SocketAddr::new(*ip, port),
        })
        .collect()
}

fn family_words(f: Family) -> &'static str {
    match f {
        Family::Any => "IPv4 or IPv6",
        Family::V4 => "IPv4",
        Family::V6 => "IPv6",
    }
}

fn no_addresses(host: &str, f: Family) -> ResolveError {
    ResolveError::NoAddresses {
        detail: format!("{host} has no {} addresses", family_words(f)),
        mx: false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures_util::StreamExt;
    use tokio::time::{Instant, sleep};

    use super::*;

    /// A lookup that answers 192.0.2.1 after `delay`, or never (`None`), counting how many
    /// run at once.
    async fn fake(
        delay: Option<Duration>,
        running: &AtomicUsize,
        most: &AtomicUsize,
    ) -> Vec<IpAddr> {
        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(now, Ordering::SeqCst);
        match delay {
            Some(d) => sleep(d).await,
            None => std::future::pending::<()>().await,
        }
        running.fetch_sub(1, Ordering::SeqCst);
        vec!["192.0.2.1".parse().unwrap()]
    }

    fn hosts(n: usize) -> Vec<(u16, String)> {
        (1..=n)
            .map(|i| (u16::try_from(i).unwrap(), format!("mx{i}.example.net")))
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn the_best_host_is_handed_over_when_it_answers_not_after_silent_backups() {
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let limit = Duration::from_secs(20);
        let start = Instant::now();
        let walk = ordered(hosts(4), limit, |h: String| {
            let delay = (h == "mx1.example.net").then(|| Duration::from_millis(400));
            let (running, most) = (&running, &most);
            async move { Ok(fake(delay, running, most).await) }
        });
        let mut walk = std::pin::pin!(walk);
        let best = walk.next().await.unwrap();
        assert_eq!(best.exchange, "mx1.example.net");
        assert_eq!(best.addresses.len(), 1);
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        // The silent backups are each cut at the deadline and say so.
        let rest: Vec<MxHost> = walk.collect().await;
        assert_eq!(rest.len(), 3);
        for h in &rest {
            assert!(h.addresses.is_empty());
            assert_eq!(h.error.as_deref(), Some("no DNS answer within 20 s"));
        }
        assert_eq!(start.elapsed(), limit);
        assert_eq!(most.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn fifty_slow_hosts_are_resolved_five_at_a_time_in_order() {
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let start = Instant::now();
        let walk = ordered(hosts(50), Duration::from_secs(2), |_| {
            let (running, most) = (&running, &most);
            async move { Ok(fake(Some(Duration::from_millis(400)), running, most).await) }
        });
        let mut walk = std::pin::pin!(walk);
        assert_eq!(walk.next().await.unwrap().exchange, "mx1.example.net");
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        let rest: Vec<String> = walk.map(|h| h.exchange).collect().await;
        assert_eq!(rest.len(), 49);
        assert_eq!(rest[0], "mx2.example.net");
        assert_eq!(rest[48], "mx50.example.net");
        assert_eq!(most.load(Ordering::SeqCst), HOSTS_AT_ONCE);
        // 50 hosts, 5 at a time, 0.4 s each: 4 s, never one deadline for all.
        assert_eq!(start.elapsed(), Duration::from_secs(4));
    }

    #[test]
    fn every_failed_host_is_a_dns_failure_and_empty_hosts_are_no_addresses() {
        let host = |e: Option<&str>| MxHost {
            preference: 10,
            exchange: "mx.example.net".into(),
            addresses: vec![],
            error: e.map(str::to_string),
        };
        assert!(matches!(
            unresolved(
                "example.net",
                &[host(Some("no DNS answer within 2 s"))],
                Family::Any
            ),
            ResolveError::Dns { .. }
        ));
        assert!(matches!(
            unresolved("example.net", &[host(None), host(Some("x"))], Family::Any),
            ResolveError::NoAddresses { mx: true, .. }
        ));
    }
}

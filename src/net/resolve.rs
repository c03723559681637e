//! From what the user typed to the addresses to try, the way a sending MTA does it: MX records
//! by preference, each exchange's addresses, the implicit MX when a domain has none
//! (RFC 5321 §5.1), and the address family the plan asks for.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

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

/// Resolve the plan's target into candidates, best first.
pub async fn resolve(plan: &Plan) -> Result<(Found, Vec<Candidate>), ResolveError> {
    if let Some(addr) = plan.address {
        let host = plan.address_host.clone();
        return Ok((Found::Pinned, vec![Candidate { host, addr }]));
    }
    match &plan.target {
        Target::Ip(ip) => Ok((
            Found::Ip,
            vec![Candidate {
                host: None,
                addr: SocketAddr::new(*ip, plan.port),
            }],
        )),
        Target::Host(host) => {
            let addresses = filter(plan.family, lookup_host(plan, host).await?);
            if addresses.is_empty() {
                return Err(no_addresses(host, plan.family));
            }
            let cands = candidates(Some(host), &addresses, plan.port);
            Ok((
                Found::Host {
                    host: host.clone(),
                    addresses,
                },
                cands,
            ))
        }
        Target::Domain(domain) => resolve_domain(plan, domain).await,
    }
}

async fn resolve_domain(
    plan: &Plan,
    domain: &str,
) -> Result<(Found, Vec<Candidate>), ResolveError> {
    let resolver = resolver(plan)?;
    let fqdn = fqdn(domain);
    let mut records: Vec<(u16, String)> = match resolver.lookup(fqdn.as_str(), RecordType::MX).await
    {
        Ok(lookup) => lookup
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
            .collect(),
        Err(e) if e.is_nx_domain() => {
            return Err(ResolveError::Dns {
                name: domain.to_string(),
                detail: "the domain does not exist (NXDOMAIN)".into(),
            });
        }
        Err(e) if e.is_no_records_found() => Vec::new(),
        Err(e) => {
            return Err(ResolveError::Dns {
                name: domain.to_string(),
                detail: e.to_string(),
            });
        }
    };
    if records.is_empty() {
        let addresses = filter(plan.family, lookup_with(&resolver, domain).await?);
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
        return Ok((
            Found::ImplicitMx {
                domain: domain.to_string(),
                addresses,
            },
            cands,
        ));
    }
    records.sort();
    if records.len() == 1 && records[0].1 == "." {
        return Err(ResolveError::NullMx {
            domain: domain.to_string(),
        });
    }
    let mut hosts = Vec::new();
    let mut cands = Vec::new();
    for (preference, exchange) in records {
        let exchange = exchange.trim_end_matches('.').to_string();
        let (addresses, error) = match lookup_with(&resolver, &exchange).await {
            Ok(a) => (filter(plan.family, a), None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        cands.extend(candidates(Some(&exchange), &addresses, plan.port));
        hosts.push(MxHost {
            preference,
            exchange,
            addresses,
            error,
        });
    }
    if cands.is_empty() {
        return Err(ResolveError::NoAddresses {
            detail: format!(
                "none of the MX hosts of {domain} has {} addresses",
                family_words(plan.family)
            ),
            mx: true,
        });
    }
    Ok((
        Found::Mx {
            domain: domain.to_string(),
            hosts,
        },
        cands,
    ))
}

/// A host name without `--resolver` goes through the system (so /etc/hosts works);
/// with it, through that DNS server.
async fn lookup_host(plan: &Plan, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
    if plan.resolver.is_some() {
        return lookup_with(&resolver(plan)?, host).await;
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

async fn lookup_with(resolver: &TokioResolver, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
    match resolver.lookup_ip(fqdn(host).as_str()).await {
        Ok(l) => Ok(l.iter().collect()),
        Err(e) if e.is_no_records_found() => Ok(Vec::new()),
        Err(e) => Err(ResolveError::Dns {
            name: host.to_string(),
            detail: e.to_string(),
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

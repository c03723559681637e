//! A small authoritative DNS server on loopback for the policy lab: it answers from a fixed
//! zone (MX, A, AAAA, TLSA, TXT), NODATA for a known name without the asked type, NXDOMAIN
//! for an unknown name. [`serve`] answers from an unsigned zone (no root keys at all, so a
//! validating resolver cannot judge it); [`serve_signed`] from a signed tree (`signed_dns`),
//! with a [`Script`] of hostile behaviours (queries never answered, slow or malformed replies).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::proto::op::{Message, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use tokio::net::UdpSocket;
use tokio::task::{JoinHandle, JoinSet};

/// Records by owner name.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    records: Vec<(String, RData)>,
}

impl Zone {
    pub fn new() -> Zone {
        Zone::default()
    }

    /// Add one record at `name` (absolute or not; compared without case and trailing dot).
    pub fn add(&mut self, name: &str, rdata: RData) -> &mut Zone {
        self.records.push((key(name), rdata));
        self
    }

    fn answer(&self, query: &Message) -> Message {
        let mut reply = query.clone().into_response();
        reply.metadata.recursion_available = true;
        reply.metadata.authoritative = true;
        let Some(q) = query.queries.first() else {
            reply.metadata.response_code = ResponseCode::FormErr;
            return reply;
        };
        let name = key(&q.name().to_ascii());
        let mut known = false;
        for (owner, rdata) in &self.records {
            if *owner != name {
                continue;
            }
            known = true;
            if rdata.record_type() == q.query_type() {
                reply.add_answer(Record::from_rdata(q.name().clone(), 60, rdata.clone()));
            }
        }
        if !known {
            reply.metadata.response_code = ResponseCode::NXDomain;
        }
        reply
    }
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// A running lab DNS server; stops when dropped.
#[derive(Debug)]
pub struct DnsServer {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How the lab DNS mistreats the queries a [`Script`] rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostile {
    /// The query is never answered.
    Silent,
    /// The right answer, this long after the query.
    Slow(Duration),
    /// A reply with the query's id that does not parse (a header promising a question that
    /// is not there).
    Malformed,
}

/// Hostile behaviours by query: an owner name (`*.suffix` matches every name under it) and a
/// record type (`None`: any type). The first matching rule applies; other queries are
/// answered from the zone.
#[derive(Debug, Clone, Default)]
pub struct Script {
    rules: Vec<(String, Option<RecordType>, Hostile)>,
}

impl Script {
    pub fn new() -> Script {
        Script::default()
    }

    /// Mistreat queries for `name` (and `rtype`, when given) with `how`.
    pub fn on(&mut self, name: &str, rtype: Option<RecordType>, how: Hostile) -> &mut Script {
        self.rules.push((key(name), rtype, how));
        self
    }

    fn find(&self, query: &Message) -> Option<Hostile> {
        let q = query.queries.first()?;
        let name = key(&q.name().to_ascii());
        self.rules
            .iter()
            .find(|(owner, rtype, _)| {
                let named = match owner.strip_prefix("*.") {
                    Some(suffix) => name.ends_with(&format!(".{suffix}")),
                    None => *owner == name,
                };
                named && rtype.is_none_or(|t| t == q.query_type())
            })
            .map(|(_, _, how)| *how)
    }
}

/// Serve `zone` over UDP on 127.0.0.1 (an ephemeral port).
pub async fn serve(zone: Zone) -> std::io::Result<DnsServer> {
    serve_with(move |q| zone.answer(q), Script::new()).await
}

/// Serve a signed tree over UDP on 127.0.0.1 (an ephemeral port).
pub async fn serve_signed(tree: super::signed_dns::SignedTree) -> std::io::Result<DnsServer> {
    serve_scripted(tree, Script::new()).await
}

/// Serve a signed tree with the hostile behaviours of `script`.
pub async fn serve_scripted(
    tree: super::signed_dns::SignedTree,
    script: Script,
) -> std::io::Result<DnsServer> {
    serve_with(move |q| tree.answer(q), script).await
}

/// Most slow replies pending at once; a flood of queries beyond it is dropped, not queued.
const MAX_PENDING: usize = 1024;

async fn serve_with(
    answer: impl Fn(&Message) -> Message + Send + 'static,
    script: Script,
) -> std::io::Result<DnsServer> {
    let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
    let addr = sock.local_addr()?;
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        // Slow replies wait here; dropped (and so stopped) with the server.
        let mut pending = JoinSet::new();
        loop {
            let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                return;
            };
            while pending.try_join_next().is_some() {}
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let bytes = match script.find(&query) {
                Some(Hostile::Silent) => continue,
                Some(Hostile::Malformed) => malformed(&query),
                Some(Hostile::Slow(delay)) => {
                    let Ok(bytes) = answer(&query).to_vec() else {
                        continue;
                    };
                    if pending.len() < MAX_PENDING {
                        let sock = Arc::clone(&sock);
                        pending.spawn(async move {
                            tokio::time::sleep(delay).await;
                            let _ = sock.send_to(&bytes, peer).await;
                        });
                    }
                    continue;
                }
                None => match answer(&query).to_vec() {
                    Ok(b) => b,
                    Err(_) => continue,
                },
            };
            let _ = sock.send_to(&bytes, peer).await;
        }
    });
    Ok(DnsServer { addr, task })
}

/// The query's id, "response, no error", one question announced, and nothing after.
fn malformed(query: &Message) -> Vec<u8> {
    let id = query.metadata.id.to_be_bytes();
    vec![id[0], id[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xff]
}

/// A name for `Zone::add` callers that build MX records.
pub fn name(s: &str) -> Name {
    Name::from_ascii(if s.ends_with('.') {
        s.to_string()
    } else {
        format!("{s}.")
    })
    .unwrap_or_else(|_| Name::root())
}

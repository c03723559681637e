//! A small authoritative DNS server on loopback for the policy lab: it answers from a fixed
//! zone (MX, A, AAAA, TLSA, TXT), NODATA for a known name without the asked type, NXDOMAIN
//! for an unknown name. [`serve`] answers from an unsigned zone (no root keys at all, so a
//! validating resolver cannot judge it); [`serve_signed`] from a signed tree (`signed_dns`).

use std::net::SocketAddr;

use hickory_resolver::proto::op::{Message, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, Record};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

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

/// Serve `zone` over UDP on 127.0.0.1 (an ephemeral port).
pub async fn serve(zone: Zone) -> std::io::Result<DnsServer> {
    serve_with(move |q| zone.answer(q)).await
}

/// Serve a signed tree over UDP on 127.0.0.1 (an ephemeral port).
pub async fn serve_signed(tree: super::signed_dns::SignedTree) -> std::io::Result<DnsServer> {
    serve_with(move |q| tree.answer(q)).await
}

async fn serve_with(
    answer: impl Fn(&Message) -> Message + Send + 'static,
) -> std::io::Result<DnsServer> {
    let sock = UdpSocket::bind("127.0.0.1:0").await?;
    let addr = sock.local_addr()?;
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        loop {
            let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                return;
            };
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            if let Ok(bytes) = answer(&query).to_vec() {
                let _ = sock.send_to(&bytes, peer).await;
            }
        }
    });
    Ok(DnsServer { addr, task })
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

//! MX resolution against a small DNS server on 127.0.0.1 (`--resolver`): the best preference
//! is tried first, every MX host is listed with its addresses, a domain without MX falls back
//! to its own address (implicit MX), and a missing domain is `dns-failed`.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use common::{fixture, server};
use hickory_resolver::proto::op::{Message, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, MX};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use tlsdive::lab::Scenario;
use tlsdive::plan::{Plan, Target};

/// Answers MX and A queries from a fixed zone; everything else is NXDOMAIN.
async fn dns_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        // Bounded: a test makes a handful of queries.
        for _ in 0..200 {
            let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                return;
            };
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut reply = query.clone().into_response();
            reply.metadata.recursion_available = true;
            let Some(q) = query.queries.first() else {
                continue;
            };
            let name = q.name().to_ascii();
            let known = [
                "lab.test.",
                "mx.lab.tlsdive.test.",
                "backup.lab.test.",
                "nomx.test.",
            ];
            if !known.contains(&name.as_str()) {
                reply.metadata.response_code = ResponseCode::NXDomain;
            }
            let rec = |rdata: RData| Record::from_rdata(q.name().clone(), 60, rdata);
            match (name.as_str(), q.query_type()) {
                ("lab.test.", RecordType::MX) => {
                    // Listed worst first: the resolver must sort by preference.
                    reply.add_answer(rec(RData::MX(MX::new(
                        20,
                        Name::from_ascii("backup.lab.test.").unwrap(),
                    ))));
                    reply.add_answer(rec(RData::MX(MX::new(
                        10,
                        Name::from_ascii("mx.lab.tlsdive.test.").unwrap(),
                    ))));
                }
                ("mx.lab.tlsdive.test.", RecordType::A) | ("nomx.test.", RecordType::A) => {
                    reply.add_answer(rec(RData::A(A(Ipv4Addr::LOCALHOST))));
                }
                ("backup.lab.test.", RecordType::A) => {
                    reply.add_answer(rec(RData::A(A(Ipv4Addr::new(127, 0, 0, 2)))));
                }
                _ => {}
            }
            if let Ok(bytes) = reply.to_vec() {
                let _ = sock.send_to(&bytes, peer).await;
            }
        }
    });
    (addr, task)
}

fn plan(domain: &str, dns: SocketAddr, port: u16) -> Plan {
    let mut p = Plan::new(Target::Domain(domain.into()));
    p.resolver = Some(dns);
    p.port = port;
    p.family = tlsdive::plan::Family::V4;
    p.tls.trust = tlsdive::plan::Trust::from_pem("the lab CA", &fixture().pki.ca_pem());
    // This DNS signs nothing and has no root: a DANE verdict could not be judged here (never
    // "ok"), and these tests are about the MX walk, not DANE.
    p.policy.skip = true;
    p
}

#[tokio::test]
async fn mx_lookup_tries_the_best_preference_and_verifies_its_name() {
    let (dns, _task) = dns_server().await;
    let srv = server(Scenario::Healthy).await;
    let (a, d) = common::run(plan("lab.test", dns, srv.addr.port())).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Ok, "{d:?}");
    let (domain, hosts) = a.resolution.mx.clone().expect("MX listed");
    assert_eq!(domain, "lab.test");
    let listed: Vec<(u16, &str, Vec<IpAddr>)> = hosts
        .iter()
        .map(|h| (h.preference, h.exchange.as_str(), h.addresses.clone()))
        .collect();
    assert_eq!(
        listed,
        vec![
            (
                10,
                "mx.lab.tlsdive.test",
                vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]
            ),
            (
                20,
                "backup.lab.test",
                vec![IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))]
            ),
        ]
    );
    assert_eq!(a.host(), Some("mx.lab.tlsdive.test"));
    // The certificate was checked against the MX host name, and SNI carried it.
    assert_eq!(
        a.verdict.as_ref().unwrap().name_checked.as_deref(),
        Some("mx.lab.tlsdive.test")
    );
    let json = tlsdive::report::json::report(&a);
    assert_eq!(
        json["target"]["mx"]["hosts"][1]["exchange"],
        "backup.lab.test"
    );
}

#[tokio::test]
async fn domain_without_mx_uses_its_address_and_missing_domain_is_dns_failed() {
    let (dns, _task) = dns_server().await;
    let srv = server(Scenario::Healthy).await;
    let (a, d) = common::run(plan("nomx.test", dns, srv.addr.port())).await;
    assert_eq!(a.resolution.implicit_mx.as_deref(), Some("nomx.test"));
    // Reached the server; the lab certificate is not for nomx.test.
    assert_eq!(d.cause, tlsdive::diagnose::Cause::CertNameMismatch, "{d:?}");

    let (_, d) = common::run(plan("missing.test", dns, srv.addr.port())).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::DnsFailed, "{d:?}");
    assert!(
        d.summary.contains("does not exist (NXDOMAIN)"),
        "{}",
        d.summary
    );
}

//! Routing policy against an UNSIGNED lab DNS server (`lab::dns::serve`, no root keys at all)
//! and the MTA-STS policy server: what tlsdive says when the chain of trust cannot even be
//! fetched (hickory calls that bogus), and policy-fetch failures. The signed cases (secure,
//! bogus, insecure delegation) are in `policy_signed.rs`, against a real signed root.

mod common;

use std::collections::HashMap;
use std::net::Ipv4Addr;

use aws_lc_rs::digest::{SHA256, digest};
use common::{fixture, server};
use hickory_resolver::proto::rr::RData;
use hickory_resolver::proto::rr::rdata::tlsa::{CertUsage, Matching, Selector};
use hickory_resolver::proto::rr::rdata::{A, MX, TLSA, TXT};
use tlsdive::diagnose::policy::{PolicyVerdict, assess};
use tlsdive::lab::dns::{self, Zone};
use tlsdive::lab::sts_server::{self, Answer};
use tlsdive::lab::{SERVER_NAME, Scenario};
use tlsdive::plan::{Family, Plan, Target, Trust};
use tlsdive::policy::Dnssec;
use tlsdive::session::Attempt;
use x509_parser::prelude::{FromDer, X509Certificate};

const ENFORCE_OK: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.lab.tlsdive.test\r\nmax_age: 86400\r\n";

struct World {
    zone: Zone,
    sts: HashMap<String, Answer>,
}

impl World {
    /// `domain` with one MX, the lab host, at 127.0.0.1.
    fn new(domain: &str) -> World {
        let mut zone = Zone::new();
        zone.add(domain, RData::MX(MX::new(10, dns::name(SERVER_NAME))));
        zone.add(SERVER_NAME, RData::A(A(Ipv4Addr::LOCALHOST)));
        zone.add(
            &format!("mta-sts.{domain}"),
            RData::A(A(Ipv4Addr::LOCALHOST)),
        );
        World {
            zone,
            sts: HashMap::new(),
        }
    }

    fn txt(&mut self, name: &str, value: &str) -> &mut World {
        self.zone
            .add(name, RData::TXT(TXT::new(vec![value.into()])));
        self
    }

    fn sts(&mut self, domain: &str, id: &str, answer: Answer) -> &mut World {
        self.txt(&format!("_mta-sts.{domain}"), &format!("v=STSv1; id={id}"));
        self.sts.insert(format!("mta-sts.{domain}"), answer);
        self
    }

    /// Probe `domain` against a healthy lab server; `tlsa` gets the SMTP port to name the
    /// TLSA owner.
    async fn probe(mut self, domain: &str, tlsa: &[(u8, u8, u8, Vec<u8>)]) -> Attempt {
        let smtp = server(Scenario::Healthy).await;
        let port = smtp.addr.port();
        for (u, s, m, data) in tlsa {
            self.zone.add(
                &format!("_{port}._tcp.{SERVER_NAME}"),
                RData::TLSA(TLSA::new(
                    CertUsage::from(*u),
                    Selector::from(*s),
                    Matching::from(*m),
                    data.clone(),
                )),
            );
        }
        let sts = sts_server::serve(self.sts).await.expect("policy server");
        let dns = dns::serve(self.zone).await.expect("dns server");
        let mut plan = Plan::new(Target::Domain(domain.into()));
        plan.resolver = Some(dns.addr);
        plan.port = port;
        plan.family = Family::V4;
        plan.ehlo = "probe.tlsdive.test".into();
        let pems = format!("{}{}", fixture().pki.ca_pem(), sts.ca_pem);
        plan.tls.trust = Trust::from_pem("the lab CAs", &pems);
        plan.policy.mta_sts_port = Some(sts.addr.port());
        common::run(plan).await.0
    }
}

fn spki_sha256(der: &[u8]) -> Vec<u8> {
    let (_, cert) = X509Certificate::from_der(der).unwrap();
    digest(&SHA256, cert.public_key().raw).as_ref().to_vec()
}

#[tokio::test]
async fn without_root_keys_the_chain_is_indeterminate_not_bogus_and_tlsa_still_matched() {
    let leaf = spki_sha256(&fixture().pki.server.cert);
    let a = World::new("dane.test")
        .probe("dane.test", &[(3, 1, 1, leaf)])
        .await;
    // A DANE verdict nobody could judge is never "ok", though the handshake works.
    assert_eq!(
        common::run_cause(&a),
        tlsdive::diagnose::Cause::DnssecIndeterminate
    );
    // The lab zone is unsigned and the built-in root anchor cannot be fetched from it:
    // hickory says bogus, the retry and the root DNSKEY check make it indeterminate.
    let mx = a
        .policy
        .dnssec
        .iter()
        .find(|d| d.rtype == "MX")
        .expect("MX state");
    assert_eq!(mx.dnssec, Dnssec::Indeterminate, "{mx:?}");
    assert!(
        mx.detail.as_deref().unwrap().contains("not proven bogus"),
        "{mx:?}"
    );
    let (v, matched) = dane_of(&a);
    assert_eq!(v, PolicyVerdict::DnssecIndeterminate);
    assert_eq!(
        matched,
        vec![Some(0)],
        "the record is still matched and shown"
    );
}

#[tokio::test]
async fn mta_sts_record_with_a_failing_fetch_is_policy_unavailable_and_says_how() {
    let mut w = World::new("sts-404.test");
    w.sts(
        "sts-404.test",
        "2",
        Answer {
            status: 404,
            content_type: "text/html".into(),
            body: "<h1>gone</h1>".into(),
            named: true,
        },
    );
    let a = w.probe("sts-404.test", &[]).await;
    let s = assess(&a).unwrap();
    assert_eq!(s.sts.verdict, PolicyVerdict::StsPolicyUnavailable);
    assert!(s.sts.summary.contains("404"), "{}", s.sts.summary);
    // Not decisive: a sender without a cached policy delivers. (This unsigned world leaves
    // the DANE verdict unjudged, and that, never "ok", is the headline.)
    assert_eq!(
        common::run_cause(&a),
        tlsdive::diagnose::Cause::DnssecIndeterminate
    );

    let mut w = World::new("sts-html.test");
    w.sts(
        "sts-html.test",
        "3",
        Answer {
            status: 200,
            content_type: "text/html".into(),
            body: ENFORCE_OK.into(),
            named: true,
        },
    );
    let a = w.probe("sts-html.test", &[]).await;
    let s = assess(&a).unwrap();
    assert_eq!(s.sts.verdict, PolicyVerdict::StsPolicyUnavailable);
    assert!(s.sts.summary.contains("text/plain"), "{}", s.sts.summary);
}

fn dane_of(a: &Attempt) -> (PolicyVerdict, Vec<Option<usize>>) {
    let s = assess(a).expect("policy looked up");
    let matched = s
        .dane
        .check
        .map(|c| c.records.iter().map(|r| r.matched).collect())
        .unwrap_or_default();
    (s.dane.verdict, matched)
}

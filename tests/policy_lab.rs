//! Routing policy against the lab on 127.0.0.1: a DNS server serving test zones
//! (`lab::dns`), an HTTPS server serving MTA-STS policies (`lab::sts_server`) and a healthy
//! SMTP lab server. The zones are unsigned (no private signed root yet), so DANE's records
//! are matched and shown but judged `insecure`; the secure path is covered by folding the
//! same live events with the DNSSEC states a signed zone would give (see the last tests).

mod common;

use std::collections::HashMap;
use std::net::Ipv4Addr;

use aws_lc_rs::digest::{SHA256, digest};
use common::{fixture, server};
use hickory_resolver::proto::rr::RData;
use hickory_resolver::proto::rr::rdata::tlsa::{CertUsage, Matching, Selector};
use hickory_resolver::proto::rr::rdata::{A, MX, TLSA, TXT};
use tlsdive::event::EventKind;
use tlsdive::lab::dns::{self, Zone};
use tlsdive::lab::sts_server::{self, Answer};
use tlsdive::lab::{SERVER_NAME, Scenario};
use tlsdive::plan::{Family, Plan, Target, Trust};
use tlsdive::policy::Dnssec;
use tlsdive::policy::assess::{PolicyVerdict, assess};
use tlsdive::session::{Attempt, Session};
use x509_parser::prelude::{FromDer, X509Certificate};

const ENFORCE_OK: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.lab.tlsdive.test\r\nmax_age: 86400\r\n";
const ENFORCE_OTHER: &str = "version: STSv1\r\nmode: enforce\r\nmx: *.other.test\r\nmx: mail.example.net\r\nmax_age: 86400\r\n";

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
async fn dane_ee_3_1_1_matches_the_leaf_and_an_unsigned_zone_is_not_called_bogus() {
    let leaf = spki_sha256(&fixture().pki.server.cert);
    let a = World::new("dane.test")
        .probe("dane.test", &[(3, 1, 1, leaf)])
        .await;
    assert_eq!(common::run_cause(&a), "ok");
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
    // Signed, the same facts are a valid DANE-EE match.
    let signed = as_if_signed(&a);
    assert_eq!(dane_of(&signed), (PolicyVerdict::DaneValid, vec![Some(0)]));
    let senders = assess(&signed).unwrap().senders;
    assert!(
        senders.iter().all(|r| r.delivers == Some(true)),
        "{senders:?}"
    );
}

#[tokio::test]
async fn dane_ta_2_1_1_matches_the_intermediate_and_checks_the_mx_name() {
    let ca = spki_sha256(&fixture().pki.intermediate);
    let a = World::new("dane-ta.test")
        .probe("dane-ta.test", &[(2, 1, 1, ca)])
        .await;
    let signed = as_if_signed(&a);
    assert_eq!(dane_of(&signed), (PolicyVerdict::DaneValid, vec![Some(1)]));
}

#[tokio::test]
async fn a_stale_record_after_rotation_is_dane_mismatch_and_decides_the_outcome() {
    // The record of the certificate before the rotation (another key).
    let stale = spki_sha256(&fixture().pki.untrusted.cert);
    let a = World::new("rotated.test")
        .probe("rotated.test", &[(3, 1, 1, stale)])
        .await;
    let signed = as_if_signed(&a);
    assert_eq!(dane_of(&signed), (PolicyVerdict::DaneMismatch, vec![None]));
    let s = assess(&signed).unwrap();
    let served = &s.dane.check.unwrap().certificates[0].spki_sha256;
    assert_eq!(*served, hex(&spki_sha256(&fixture().pki.server.cert)));
    assert_eq!(tlsdive::diagnose::diagnose(&signed).cause, "dane-mismatch");
    let dane = s.senders.iter().find(|r| r.policy == "DANE").unwrap();
    assert_eq!(dane.delivers, Some(false));
    let opportunistic = &s.senders[0];
    assert_eq!(opportunistic.delivers, Some(true));
}

#[tokio::test]
async fn pkix_only_records_are_dane_unusable() {
    let leaf = spki_sha256(&fixture().pki.server.cert);
    let a = World::new("pkix.test")
        .probe("pkix.test", &[(1, 1, 1, leaf.clone()), (0, 1, 1, leaf)])
        .await;
    let signed = as_if_signed(&a);
    assert_eq!(
        dane_of(&signed),
        (PolicyVerdict::DaneUnusable, vec![None, None])
    );
}

#[tokio::test]
async fn mta_sts_enforce_with_the_mx_listed_is_enforce_ok() {
    let mut w = World::new("sts.test");
    w.sts("sts.test", "20260101", Answer::policy(ENFORCE_OK))
        .txt("_smtp._tls.sts.test", "v=TLSRPTv1; rua=mailto:tls@sts.test");
    let a = w.probe("sts.test", &[]).await;
    let s = assess(&a).unwrap();
    assert_eq!(
        s.sts.verdict,
        PolicyVerdict::StsEnforceOk,
        "{}",
        s.sts.summary
    );
    assert_eq!(s.sts.id.as_deref(), Some("20260101"));
    assert_eq!(s.rua, ["mailto:tls@sts.test"]);
    assert_eq!(common::run_cause(&a), "ok");
}

#[tokio::test]
async fn mta_sts_enforce_without_the_mx_is_mx_mismatch_quoting_the_patterns() {
    let mut w = World::new("sts-other.test");
    w.sts("sts-other.test", "1", Answer::policy(ENFORCE_OTHER));
    let a = w.probe("sts-other.test", &[]).await;
    let s = assess(&a).unwrap();
    assert_eq!(s.sts.verdict, PolicyVerdict::StsMxMismatch);
    assert!(
        s.sts.summary.contains("*.other.test, mail.example.net"),
        "{}",
        s.sts.summary
    );
    let d = tlsdive::diagnose::diagnose(&a);
    assert_eq!(d.cause, "mta-sts-mx-mismatch", "{d:?}");
    let row = s.senders.iter().find(|r| r.policy == "MTA-STS").unwrap();
    assert_eq!(row.delivers, Some(false));
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
        },
    );
    let a = w.probe("sts-404.test", &[]).await;
    let s = assess(&a).unwrap();
    assert_eq!(s.sts.verdict, PolicyVerdict::StsPolicyUnavailable);
    assert!(s.sts.summary.contains("404"), "{}", s.sts.summary);
    // Not decisive: a sender without a cached policy delivers.
    assert_eq!(common::run_cause(&a), "ok");

    let mut w = World::new("sts-html.test");
    w.sts(
        "sts-html.test",
        "3",
        Answer {
            status: 200,
            content_type: "text/html".into(),
            body: ENFORCE_OK.into(),
        },
    );
    let a = w.probe("sts-html.test", &[]).await;
    let s = assess(&a).unwrap();
    assert_eq!(s.sts.verdict, PolicyVerdict::StsPolicyUnavailable);
    assert!(s.sts.summary.contains("text/plain"), "{}", s.sts.summary);
}

#[tokio::test]
async fn null_mx_stops_before_any_connection() {
    let mut w = World::new("unused.test");
    w.zone
        .add("null.test", RData::MX(MX::new(0, dns::name("."))));
    let a = w.probe("null.test", &[]).await;
    let d = tlsdive::diagnose::diagnose(&a);
    assert!(d.summary.contains("null MX"), "{d:?}");
    assert!(a.tried.is_empty());
}

#[tokio::test]
async fn implicit_mx_looks_up_tlsa_at_the_domain_itself() {
    let mut w = World::new("unused.test");
    w.zone.add("bare.test", RData::A(A(Ipv4Addr::LOCALHOST)));
    let a = w.probe("bare.test", &[]).await;
    assert_eq!(a.resolution.implicit_mx.as_deref(), Some("bare.test"));
    assert_eq!(a.policy.tlsa.len(), 1);
    assert_eq!(a.policy.tlsa[0].host, "bare.test");
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// The verdicts a signed zone would give: the live events with every DNSSEC state secure.
fn as_if_signed(a: &Attempt) -> Attempt {
    let mut s = Session::new();
    for ev in &a.events {
        let mut ev = ev.clone();
        match &mut ev.kind {
            EventKind::DnssecChecked { answer } => answer.dnssec = Dnssec::Secure,
            EventKind::TlsaFound { lookup } => {
                lookup.dnssec = Dnssec::Secure;
                lookup.error = None;
            }
            _ => {}
        }
        s.apply(&ev);
    }
    s.attempts.pop().unwrap()
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

#[tokio::test]
async fn the_json_policy_object_and_text_section_show_records_patterns_and_senders() {
    let stale = spki_sha256(&fixture().pki.untrusted.cert);
    let mut w = World::new("report.test");
    w.sts("report.test", "7", Answer::policy(ENFORCE_OTHER))
        .txt(
            "_smtp._tls.report.test",
            "v=TLSRPTv1; rua=mailto:tls@report.test",
        );
    let a = as_if_signed(&w.probe("report.test", &[(3, 1, 1, stale)]).await);
    let v = tlsdive::report::json::report(&a);
    let schema_text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/report.schema.json"),
    )
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let p = &v["policy"];
    assert_eq!(p["dane"]["status"], "dane-mismatch");
    assert_eq!(p["dane"]["records"][0]["matched"], false);
    assert_eq!(p["mta_sts"]["status"], "mta-sts-mx-mismatch");
    assert_eq!(p["mta_sts"]["mx"][0], "*.other.test");
    assert_eq!(p["tls_rpt"]["rua"][0], "mailto:tls@report.test");
    assert_eq!(p["senders"][0]["policy"], "opportunistic");
    assert_eq!(p["senders"][0]["delivers"], true);
    assert_eq!(p["senders"][2]["delivers"], false);

    let text = tlsdive::report::text::report(&a);
    assert!(text.contains("DANE: dane-mismatch"), "{text}");
    assert!(text.contains("spki sha256"), "{text}");
    assert!(text.contains("would a sender deliver?"), "{text}");
    assert!(
        text.contains("rua") || text.contains("mailto:tls@report.test"),
        "{text}"
    );
}

//! Sentences the reports print, checked against lab servers (issue 19, "Wording"): a stall
//! names its wait once, an implicit-TLS session has no "EHLO over TLS adds", and a TLS 1.2
//! hello prints no empty "key shares:" line.

mod common;

use std::time::Duration;

use tlsdive::lab::Scenario;
use tlsdive::plan::TlsVersion;

#[tokio::test]
async fn a_stall_names_its_wait_once() {
    let (_, d) = common::probe(Scenario::HandshakeStall, |p| {
        p.timeouts.reply = Duration::from_millis(600);
    })
    .await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::HandshakeTimeout);
    assert!(
        d.summary
            .starts_with("the TLS handshake stalled: nothing came "),
        "{}",
        d.summary
    );
    assert!(d.summary.contains("after our"), "{}", d.summary);
    let durations = d.summary.matches(" ms ").count() + d.summary.matches(" s ").count();
    assert_eq!(durations, 1, "{}", d.summary);
}

#[tokio::test]
async fn implicit_tls_has_no_ehlo_before_tls_to_compare() {
    let srv = common::server(Scenario::ImplicitTls).await;
    let (a, d) = common::run(common::plan_for(srv.addr, true)).await;
    assert!(d.ok, "{}", d.summary);
    assert!(!a.capabilities(true).is_empty());
    assert!(
        d.evidence.iter().all(|e| !e.contains("EHLO over TLS adds")),
        "{:?}",
        d.evidence
    );
    assert!(
        d.evidence.iter().any(|e| e.starts_with("EHLO over TLS: ")),
        "{:?}",
        d.evidence
    );
}

#[tokio::test]
async fn a_tls12_hello_prints_no_empty_key_shares() {
    let (a, _) = common::probe(Scenario::Tls12Only, |p| {
        p.tls.versions = vec![TlsVersion::Tls12];
    })
    .await;
    let text = tlsdive::report::text::report(&a);
    assert!(text.contains("suites: "), "{text}");
    assert!(!text.contains("key shares: \n"), "{text}");
    assert!(!text.contains("key shares:\n"), "{text}");
}

/// The text report names the finding's RFC 8460 result-type, as the JSON does.
#[tokio::test]
async fn the_text_report_names_the_tlsrpt_result_type() {
    let (a, _) = common::probe(Scenario::WrongNameCert, |_| {}).await;
    let text = tlsdive::report::text::report(&a);
    assert!(
        text.contains("TLS-RPT result-type: certificate-host-mismatch"),
        "{text}"
    );
    let (ok, _) = common::probe(Scenario::Healthy, |_| {}).await;
    assert!(!tlsdive::report::text::report(&ok).contains("TLS-RPT result-type"));
}

//! A real Exim 4.96 on GnuTLS 3.7 as the peer (tests/common/exim.rs; `.ci/exim` unpacks it),
//! for what GnuTLS does unlike rustls and OpenSSL: it answers a version it does not speak
//! with `handshake_failure` (OpenSSL: `protocol_version`), refuses static-RSA-only
//! configurations the same way, and how Exim behaves when its own TLS setup is broken.

mod common;

use std::time::Duration;

use common::exim::Exim;
use common::plan_for;
use tlsdive::case::Case;
use tlsdive::diagnose::Cause;
use tlsdive::session::Session;

/// The case after `--investigate` against `addr` (the engine runs the case's experiments).
async fn investigate(addr: std::net::SocketAddr) -> (Session, Case) {
    let mut plan = plan_for(addr, false);
    plan.timeouts.reply = Duration::from_secs(5);
    let run =
        tlsdive::runs::Run::Investigate(tlsdive::runs::investigate::Investigation::of_plan(plan));
    let session = tlsdive::cli::drive::to_end(run).await;
    let case = Case::of(&session).expect("a case");
    (session, case)
}

/// Exim limited to TLS 1.0: GnuTLS says handshake_failure, which alone cannot tell version
/// from suite; the scan then shows TLS 1.0 only and the case names no-shared-version, with
/// no TLS 1.2 retry left to suggest.
#[tokio::test]
async fn tls10_only_exim_is_no_shared_parameters_then_no_shared_version() {
    let exim = Exim::start("tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.0");
    let (a, d) = common::run(plan_for(exim.addr, false)).await;
    assert_eq!(d.cause, Cause::NoSharedParameters, "{}", d.summary);
    assert!(
        a.events()
            .any(|e| format!("{e:?}").contains("description: 40")),
        "GnuTLS answered with handshake_failure (40)"
    );
    assert!(
        d.summary
            .contains("no version, cipher suite or group in common"),
        "{}",
        d.summary
    );
    let (_, case) = investigate(exim.addr).await;
    assert_eq!(case.cause, Cause::NoSharedVersion, "{}", case.summary);
    assert!(case.confirmed);
    assert!(
        case.summary.contains("accepts only TLSv1.0"),
        "{}",
        case.summary
    );
    let steps: Vec<&str> = case.next_steps.iter().map(|s| s.text.as_str()).collect();
    assert!(
        steps
            .iter()
            .all(|s| !s.contains("retry") && !s.starts_with("scan")),
        "{steps:?}"
    );
}

/// Exim with RSA key exchange only (TLS 1.2 on): the version is fine, the key exchange is not.
#[tokio::test]
async fn static_rsa_only_exim_is_a_key_exchange_problem_not_a_version_one() {
    let exim = Exim::start("tls_require_ciphers = NORMAL:-VERS-TLS1.3:-KX-ALL:+RSA");
    let (_, d) = common::run(plan_for(exim.addr, false)).await;
    assert_eq!(d.cause, Cause::NoSharedParameters, "{}", d.summary);
    let (_, case) = investigate(exim.addr).await;
    assert_eq!(case.cause, Cause::NoSharedCipher, "{}", case.summary);
    assert!(
        case.summary.contains("RSA key exchange only"),
        "{}",
        case.summary
    );
    assert!(!case.summary.contains("only with CBC"), "{}", case.summary);
    let steps: Vec<&str> = case.next_steps.iter().map(|s| s.text.as_str()).collect();
    assert!(
        steps.iter().all(|s| !s.contains("TLS 1.2 only")),
        "{steps:?}"
    );
}

/// Exim requiring a client certificate (tls_verify_hosts = *): the probe names it, and
/// `scan --senders` lets no sender through, though every hello is answered.
#[tokio::test]
async fn exim_requiring_a_client_certificate_lets_no_sender_through() {
    let exim = Exim::start("tls_verify_hosts = *\ntls_verify_certificates = {DIR}/ca.pem");
    // Past our own verification (Exim's certificate is self-signed), as a sender that does
    // not verify goes on.
    let mut plan = plan_for(exim.addr, false);
    plan.tls.verify = false;
    let (_, d) = common::run(plan).await;
    assert_eq!(d.cause, Cause::ClientCertRequired, "{}", d.summary);
    let port = exim.addr.port().to_string();
    let out = common::tlsdive(&["scan", "127.0.0.1", "--port", &port, "--senders", "--json"]).await;
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let senders = v["senders"].as_array().expect("senders");
    assert_eq!(senders.len(), 8);
    for s in senders {
        assert_eq!(s["accepted"], false, "{s}");
        let blocked = s["blocked"].as_str().unwrap_or_default();
        // Those whose hello was answered are stopped by the certificate request.
        if s["answer"]
            .as_str()
            .is_some_and(|a| a.starts_with("ServerHello"))
        {
            assert!(blocked.contains("client certificate"), "{s}");
        }
    }
    assert!(
        v["verdict"]
            .as_str()
            .is_some_and(|t| t.starts_with("no sender profile gets through")),
        "{}",
        v["verdict"]
    );
}

/// Exim whose own key file is unreadable: it still offers STARTTLS, then refuses it. What
/// tlsdive says must point at the server's TLS setup, not at our client.
#[tokio::test]
async fn exim_with_an_unreadable_key_is_the_servers_tls_setup() {
    let exim = Exim::start("tls_privatekey = {DIR}/missing-key.pem");
    let (a, d) = common::run(plan_for(exim.addr, false)).await;
    let said = format!("{}: {}\n{:#?}", d.cause, d.summary, a.transcript);
    assert_eq!(d.cause, Cause::StarttlsRejected, "{said}");
    assert!(d.summary.contains("454"), "{said}");
    assert!(exim.log().contains("missing-key.pem"), "{}", exim.log());
}

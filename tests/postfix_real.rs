//! tlsdive against a real Postfix on loopback (Debian's package, one instance per test):
//! healthy, client certificate required, TLS 1.3 only, and TLS off; and the lab's
//! imitation of the client-certificate refusal checked against the real thing.

mod common;

use common::postfix::Postfix;
use common::{fixture, plan_for, run, tlsdive};
use serde_json::Value;
use tlsdive::lab::{SERVER_NAME, Scenario};
use tlsdive::plan::{ClientIdentity, Plan, TlsVersion};
use tlsdive::session::{Attempt, TimelineRow};
use tlsdive::wire::{Dir, MessageInfo};

const EHLO: &str = "probe.tlsdive.test";

/// Postfix's settings for "a client certificate is required".
const REQUIRE_CLIENT_CERT: &[(&str, &str)] = &[
    ("smtpd_tls_security_level", "encrypt"),
    ("smtpd_tls_ask_ccert", "yes"),
    ("smtpd_tls_req_ccert", "yes"),
];

/// `tlsdive probe --json` against `pf`, trusting the lab CA, with `extra` arguments.
async fn probe_json(pf: &Postfix, extra: &[&str]) -> Value {
    let target = pf.addr.to_string();
    let ca = pf.ca_file().to_str().expect("UTF-8 path").to_string();
    let mut args = vec!["probe", &target, "--ehlo", EHLO, "--ca-file", &ca, "--json"];
    args.extend_from_slice(extra);
    let out = tlsdive(&args).await;
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "probe JSON ({e}); stderr:\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            pf.logs()
        )
    })
}

/// `tlsdive scan --json` against `pf` with `extra` arguments.
async fn scan_json(pf: &Postfix, extra: &[&str]) -> Value {
    let target = pf.addr.to_string();
    let mut args = vec!["scan", &target, "--ehlo", EHLO, "--json"];
    args.extend_from_slice(extra);
    let out = tlsdive(&args).await;
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "scan JSON ({e}); stderr:\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            pf.logs()
        )
    })
}

fn cause(v: &Value) -> &str {
    v["outcome"]["cause"].as_str().unwrap_or("?")
}

/// The server's lines over TLS, in order.
fn server_lines_over_tls(v: &Value) -> Vec<String> {
    v["transcript"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["dir"] == "S" && l["tls"] == true)
        .filter_map(|l| l["line"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn healthy_postfix_is_ok_over_tls13() {
    let pf = Postfix::start(&[]).await;
    let v = probe_json(&pf, &[]).await;
    assert_eq!(cause(&v), "ok", "{v:#}\n{}", pf.logs());
    assert_eq!(v["tls"]["version"], "TLSv1.3", "{:#}", v["tls"]);
    let banner = v["transcript"][0]["line"].as_str().unwrap_or_default();
    assert_eq!(banner, format!("220 {SERVER_NAME} ESMTP Postfix"));
    let after = server_lines_over_tls(&v);
    assert!(
        after.first().is_some_and(|l| l.starts_with("250-")),
        "EHLO over TLS answered: {after:?}"
    );
}

/// `smtpd_tls_req_ccert = yes`: Postfix finishes the handshake without a client
/// certificate, logs the abort, and answers the next command with 421 4.7.1; with the lab
/// client certificate the same server is fine.
#[tokio::test]
async fn postfix_requiring_a_client_certificate_is_named_and_quoted() {
    let pf = Postfix::start(REQUIRE_CLIENT_CERT).await;
    let v = probe_json(&pf, &[]).await;
    assert_eq!(cause(&v), "client-cert-required", "{v:#}\n{}", pf.logs());
    assert_eq!(v["tls"]["version"], "TLSv1.3", "the handshake completed");
    // What Postfix 3.x says (smtpd.c); observed, not assumed: the transcript must hold it.
    let refusal = format!("421 4.7.1 {SERVER_NAME} Error: No client certificate presented");
    assert_eq!(server_lines_over_tls(&v), vec![refusal.clone()]);
    let summary = v["outcome"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains(&refusal),
        "summary quotes Postfix: {summary}"
    );
    assert!(
        pf.logged("NOQUEUE: abort: TLS from localhost[127.0.0.1]: No client certificate presented")
            .await,
        "Postfix logged why:\n{}",
        pf.logs()
    );

    let f = fixture();
    let cert = f.client_cert.to_str().expect("UTF-8 path");
    let key = f.client_key.to_str().expect("UTF-8 path");
    let v = probe_json(&pf, &["--cert", cert, "--key", key]).await;
    assert_eq!(cause(&v), "ok", "{v:#}\n{}", pf.logs());
}

/// The parts of a client-certificate refusal that the lab must reproduce.
#[derive(Debug, PartialEq)]
struct Refusal {
    cause: String,
    version: Option<String>,
    /// `Some(false)`: the server asked for a client certificate and we had none.
    asked_and_we_sent: Option<bool>,
    /// The CA names in the CertificateRequest (TLS 1.2 in clear, TLS 1.3 decrypted).
    acceptable_cas: Option<Vec<String>>,
    /// The SMTP dialogue after the handshake.
    over_tls: Vec<(Dir, String)>,
    /// The server ended TLS with close_notify after its reply.
    server_close_notify: bool,
}

impl Refusal {
    fn of(a: &Attempt) -> Refusal {
        let messages = |dir: Dir| -> Vec<MessageInfo> {
            a.timeline
                .iter()
                .filter_map(|r| match r {
                    TimelineRow::Record { dir: d, record, .. } if *d == dir => {
                        Some(record.messages.clone())
                    }
                    _ => None,
                })
                .flatten()
                .collect()
        };
        let from_server = messages(Dir::Server);
        Refusal {
            cause: common::run_cause(a).to_string(),
            version: a.negotiated.as_ref().map(|n| n.version.clone()),
            asked_and_we_sent: a.client_cert_requested,
            acceptable_cas: from_server.iter().find_map(|m| match m {
                MessageInfo::CertificateRequest { authorities, .. } => Some(authorities.clone()),
                _ => None,
            }),
            over_tls: a
                .transcript
                .iter()
                .filter(|l| l.tls)
                .map(|l| (l.dir, l.line.clone()))
                .collect(),
            server_close_notify: from_server
                .iter()
                .any(|m| matches!(m, MessageInfo::Alert(al) if al.description == "close_notify")),
        }
    }
}

fn with_version(v: Option<TlsVersion>) -> impl FnOnce(&mut Plan) {
    move |p: &mut Plan| {
        if let Some(v) = v {
            p.tls.versions = vec![v];
        }
    }
}

/// The lab's `client-cert-after-handshake` imitates Postfix's `smtpd_tls_req_ccert`: the
/// same reply, at the same point, after a handshake that asked for a certificate, over
/// TLS 1.3 and TLS 1.2.
#[tokio::test]
async fn lab_client_cert_refusal_matches_real_postfix() {
    let pf = Postfix::start(REQUIRE_CLIENT_CERT).await;
    for version in [None, Some(TlsVersion::Tls12)] {
        let mut plan = plan_for(pf.addr, false);
        plan.ehlo = EHLO.into();
        with_version(version)(&mut plan);
        let (r, _) = run(plan).await;
        let (l, _) = common::probe(Scenario::ClientCertAfterHandshake, |p| {
            p.ehlo = EHLO.into();
            with_version(version)(p);
        })
        .await;
        let (real, lab) = (Refusal::of(&r), Refusal::of(&l));
        assert_eq!(
            real.cause,
            "client-cert-required",
            "{real:?}\n{}",
            pf.logs()
        );
        assert_eq!(
            lab, real,
            "the lab's imitation differs from Postfix ({version:?})"
        );
    }
}

/// A client certificate no configured CA issued (self-signed), PEM files in a fresh directory.
fn rogue_client_identity() -> (tempfile::TempDir, ClientIdentity) {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(vec!["rogue.client.test".into()]).unwrap();
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params
        .self_signed(&key)
        .expect("self-signed client certificate");
    let dir = tempfile::tempdir().expect("tempdir");
    let (c, k) = (dir.path().join("rogue.pem"), dir.path().join("rogue.key"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    let id = ClientIdentity::from_files(&c, &k).expect("client identity");
    (dir, id)
}

/// With a certificate it does not trust, Postfix still completes the handshake (its verify
/// callback lets OpenSSL go on) and refuses afterwards in its own words; the lab does the
/// same. The cause stays `post-tls-failure`: we did send a certificate.
#[tokio::test]
async fn untrusted_client_certificate_is_refused_after_the_handshake_by_postfix_and_lab() {
    let pf = Postfix::start(REQUIRE_CLIENT_CERT).await;
    let (_dir, rogue) = rogue_client_identity();
    for version in [None, Some(TlsVersion::Tls12)] {
        let mut plan = plan_for(pf.addr, false);
        plan.ehlo = EHLO.into();
        plan.tls.client = Some(rogue.clone());
        with_version(version)(&mut plan);
        let (r, d) = run(plan).await;
        // The refusal is the fact; the certificate is the step to check, and it is named.
        assert!(
            d.summary
                .starts_with("TLS worked with the client certificate from --cert"),
            "{}",
            d.summary
        );
        assert!(
            d.next_steps
                .iter()
                .any(|s| s.text.contains("does not accept the one sent")),
            "{:?}",
            d.next_steps
        );
        let (l, _) = common::probe(Scenario::ClientCertAfterHandshake, |p| {
            p.ehlo = EHLO.into();
            p.tls.client = Some(rogue.clone());
            with_version(version)(p);
        })
        .await;
        let (real, lab) = (Refusal::of(&r), Refusal::of(&l));
        assert_eq!(real.cause, "post-tls-failure", "{real:?}\n{}", pf.logs());
        assert_eq!(real.asked_and_we_sent, Some(true), "{real:?}");
        assert!(
            real.over_tls.iter().any(|(_, line)| line
                == &format!("421 4.7.1 {SERVER_NAME} Error: Client certificate not trusted")),
            "{real:?}"
        );
        assert_eq!(
            lab, real,
            "the lab's imitation differs from Postfix ({version:?})"
        );
    }
    assert!(
        pf.logged("NOQUEUE: abort: TLS from localhost[127.0.0.1]: Client certificate not trusted")
            .await,
        "{}",
        pf.logs()
    );
}

/// `smtpd_tls_protocols = >=TLSv1.3`: a TLS 1.2 hello gets protocol_version, and the scan
/// finds TLS 1.3 and nothing else.
#[tokio::test]
async fn postfix_tls13_only_refuses_tls12_and_scan_agrees() {
    let pf = Postfix::start(&[
        ("smtpd_tls_protocols", ">=TLSv1.3"),
        ("smtpd_tls_mandatory_protocols", ">=TLSv1.3"),
    ])
    .await;
    let v = probe_json(&pf, &["--tls-version", "1.2"]).await;
    assert_eq!(cause(&v), "no-shared-version", "{v:#}\n{}", pf.logs());

    let s = scan_json(&pf, &[]).await;
    let versions = s["versions"].as_array().expect("versions");
    let accepted: Vec<&str> = versions
        .iter()
        .filter(|r| r["accepted"] == true)
        .filter_map(|r| r["version"].as_str())
        .collect();
    assert_eq!(accepted, ["TLSv1.3"], "{s:#}");
    assert!(
        versions.iter().all(|r| r["complete"] == true),
        "every version answered: {s:#}"
    );
}

/// `smtpd_tls_security_level = none`: no STARTTLS in the EHLO reply.
#[tokio::test]
async fn postfix_without_tls_does_not_offer_starttls() {
    let pf = Postfix::start(&[("smtpd_tls_security_level", "none")]).await;
    let v = probe_json(&pf, &[]).await;
    assert_eq!(cause(&v), "starttls-not-offered", "{v:#}\n{}", pf.logs());
    let before: Vec<&str> = v["capabilities"]["before_tls"]
        .as_array()
        .expect("capabilities")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(before.contains(&"PIPELINING"), "{before:?}");
    assert!(!before.contains(&"STARTTLS"), "{before:?}");
}

/// Every sender profile's ClientHello gets through to a default Postfix.
#[tokio::test]
async fn every_sender_profile_gets_through_to_healthy_postfix() {
    let pf = Postfix::start(&[]).await;
    let s = scan_json(&pf, &["--senders"]).await;
    let senders = s["senders"].as_array().expect("senders");
    let names: Vec<&str> = senders.iter().filter_map(|p| p["name"].as_str()).collect();
    for name in [
        "postfix",
        "postfix-secure",
        "postfix-dane",
        "openssl35-pq",
        "exim",
        "exchange-online",
        "gmail",
        "rustls",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    for p in senders {
        assert_eq!(p["version"], "TLSv1.3", "{p:#}");
        // The scan trusts no CA for this lab Postfix: verifying senders abort, the others
        // (no TLSA here, so DANE falls back to opportunistic) deliver.
        if p["verify"] == "pkix" {
            assert_eq!(p["accepted"], false, "{p:#}");
            let why = p["blocked"].as_str().unwrap_or_default();
            assert!(why.contains("verifies the certificate"), "{p:#}");
        } else {
            assert_eq!(p["accepted"], true, "{p:#}\n{}", pf.logs());
        }
    }
}

/// `smtpd_tls_req_ccert = yes`: every hello is answered, yet Postfix answers 421 after the
/// handshake to a sender without a client certificate: no sender gets through.
#[tokio::test]
async fn no_sender_gets_through_to_postfix_requiring_a_client_certificate() {
    let pf = Postfix::start(REQUIRE_CLIENT_CERT).await;
    let s = scan_json(&pf, &["--senders"]).await;
    let senders = s["senders"].as_array().expect("senders");
    assert_eq!(senders.len(), 8, "{s:#}");
    for p in senders {
        assert_eq!(p["accepted"], false, "{p:#}");
        let why = p["blocked"].as_str().unwrap_or_default();
        assert!(why.contains("client certificate"), "{p:#}");
    }
}

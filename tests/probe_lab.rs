//! The engine and diagnosis against the lab's real servers on 127.0.0.1: every scenario gets
//! the cause code it was built to produce, and the evidence shows what the wire showed.

mod common;

use std::time::Duration;

use common::{fixture, probe};
use tlsdive::cert::CertProblem;
use tlsdive::diagnose::Retry;
use tlsdive::event::{ConnectionEnd, EventKind};
use tlsdive::lab::Scenario;
use tlsdive::plan::{Sni, TlsVersion};
use tlsdive::wire::{Dir, MessageInfo};

fn short_timeouts(s: Scenario) -> impl FnOnce(&mut tlsdive::plan::Plan) {
    move |p| {
        if matches!(
            s,
            Scenario::SlowBanner
                | Scenario::HandshakeStall
                | Scenario::DribbledBanner
                | Scenario::DribbledRecord
                | Scenario::WarningAlerts
                | Scenario::DropsLargeHello
        ) {
            p.timeouts.reply = Duration::from_millis(300);
        }
    }
}

#[tokio::test]
async fn every_lab_scenario_gets_its_cause() {
    let mut wrong = Vec::new();
    for &s in Scenario::ALL {
        let (a, d) = probe(s, short_timeouts(s)).await;
        if d.cause.code() != s.expected_cause() {
            wrong.push(format!(
                "{}: expected {}, got {} ({}) failure={:?}",
                s.name(),
                s.expected_cause(),
                d.cause,
                d.summary,
                a.failure()
            ));
        }
        assert!(!d.summary.is_empty());
        assert!(a.finished.is_some());
        // Every TLS 1.3 record of every scenario opens with the attempt's own secrets.
        for (_, note) in &a.notes {
            if note.contains("not decrypted") {
                wrong.push(format!("{}: {note}", s.name()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn healthy_server_negotiates_tls13_with_post_quantum_key_share() {
    let (a, d) = probe(Scenario::Healthy, |_| {}).await;
    assert!(d.ok, "{d:?}");
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Ok);
    let n = a.negotiated.as_ref().unwrap();
    assert_eq!(n.version, "TLSv1.3");
    assert_eq!(n.group.as_deref(), Some("X25519MLKEM768"));
    assert_eq!(n.handshake_kind, "full");
    // Negotiated names are spelled the IANA way, as the scanner spells them.
    assert!(
        n.cipher_suite.starts_with("TLS_AES_") || n.cipher_suite == "TLS_CHACHA20_POLY1305_SHA256",
        "{}",
        n.cipher_suite
    );
    // The ClientHello was decoded from the wire.
    let ch = a
        .messages()
        .find_map(|(_, dir, m)| match m {
            MessageInfo::ClientHello(ch) if dir == Dir::Client => Some(ch.clone()),
            _ => None,
        })
        .expect("ClientHello in the timeline");
    assert!(ch.versions.contains(&"TLSv1.3".to_string()));
    assert_eq!(ch.key_shares[0].0, "X25519MLKEM768");
    assert!(
        ch.size > 1000,
        "post-quantum key share makes a big hello: {}",
        ch.size
    );
    // The server's TLS 1.3 flight after its ServerHello is encrypted on the wire, and read
    // with the attempt's own secrets.
    assert!(a.records().any(|(_, dir, r)| dir == Dir::Server
        && r.encrypted
        && r.decrypted.as_deref() == Some("handshake")
        && matches!(
            r.messages.first(),
            Some(MessageInfo::EncryptedExtensions { .. })
        )));
    // Chain with intermediate, verified.
    assert_eq!(a.certificates.len(), 2);
    assert!(a.verdict.as_ref().unwrap().ok);
    // EHLO before and after TLS; STARTTLS is only offered before.
    assert!(a.capabilities(false).iter().any(|c| c == "STARTTLS"));
    assert!(!a.capabilities(true).iter().any(|c| c == "STARTTLS"));
    assert!(!a.capabilities(true).is_empty());
    // Never MAIL/RCPT/DATA/AUTH; ends with QUIT.
    let sent: Vec<&str> = a
        .transcript
        .iter()
        .filter(|l| l.dir == Dir::Client)
        .map(|l| l.line.as_str())
        .collect();
    assert_eq!(
        sent,
        vec![
            "EHLO probe.tlsdive.test",
            "STARTTLS",
            "EHLO probe.tlsdive.test",
            "QUIT"
        ]
    );
    assert_eq!(a.ended.map(|e| e.0), Some(ConnectionEnd::ClosedByUs));
}

#[tokio::test]
async fn tls12_only_server_shows_plaintext_handshake_messages() {
    let (a, d) = probe(Scenario::Tls12Only, |_| {}).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Ok);
    assert_eq!(a.negotiated.as_ref().unwrap().version, "TLSv1.2");
    let names: Vec<String> = a
        .messages()
        .map(|(_, _, m)| tlsdive::diagnose::evidence::message_words(m))
        .collect();
    for want in [
        "ServerHello",
        "Certificate (2",
        "ServerKeyExchange",
        "ServerHelloDone",
        "ClientKeyExchange",
        "ChangeCipherSpec",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(want)),
            "{want} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn tls13_only_server_with_tls12_client_is_no_shared_version() {
    let (_, d) = probe(Scenario::Tls13Only, |p| {
        p.tls.versions = vec![TlsVersion::Tls12]
    })
    .await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::NoSharedVersion, "{d:?}");
    assert!(
        d.next_steps
            .iter()
            .any(|s| s.retry == Some(Retry::BothVersions))
    );
}

#[tokio::test]
async fn close_after_client_hello_names_the_hello_and_suggests_dropping_pq() {
    let srv = common::server(Scenario::CloseAfterClientHello).await;
    let (a, d) = common::run(common::plan_for(srv.addr, false)).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::PeerClosedDuringHandshake);
    assert!(d.summary.contains("after our"), "{}", d.summary);
    assert!(
        d.summary.contains("ClientHello with no alert"),
        "{}",
        d.summary
    );
    assert_eq!(a.ended.map(|e| e.0), Some(ConnectionEnd::Fin));
    assert_eq!(d.next_steps[0].retry, Some(Retry::WithoutPostQuantum));
    assert!(
        d.next_steps
            .iter()
            .any(|s| s.retry == Some(Retry::Tls12Only))
    );
    // Following the advice changes the ClientHello: no post-quantum key share.
    let plan = Retry::WithoutPostQuantum
        .apply(a.plan.as_ref().unwrap())
        .unwrap();
    let (b, _) = common::run(plan).await;
    let ch = b
        .messages()
        .find_map(|(_, _, m)| match m {
            MessageInfo::ClientHello(ch) => Some(ch.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        ch.groups.iter().all(|g| !g.contains("MLKEM")),
        "{:?}",
        ch.groups
    );
}

#[tokio::test]
async fn reset_after_client_hello_is_seen_as_rst() {
    let (a, d) = probe(Scenario::ResetAfterClientHello, |_| {}).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::PeerResetDuringHandshake);
    assert_eq!(a.ended.map(|e| e.0), Some(ConnectionEnd::Rst));
}

#[tokio::test]
async fn certificate_problems_are_shown_even_when_verification_fails() {
    let (a, d) = probe(Scenario::ExpiredCert, |_| {}).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::CertExpired);
    assert!(!a.certificates.is_empty(), "chain captured");
    assert!(matches!(
        a.verdict.as_ref().unwrap().problem,
        Some(CertProblem::Expired { .. })
    ));
    assert!(d.summary.contains("expired on 20"), "{}", d.summary);
    // The handshake went on past the failed verification, to see what an opportunistic
    // sender gets: TLS and the EHLO over it work; the attempt still fails on the certificate.
    assert!(a.negotiated.is_some());
    assert_eq!(a.past_failed_verification, Some(None));
    assert!(
        a.notes
            .iter()
            .any(|(_, n)| n.contains("completed past the failed verification")),
        "{:?}",
        a.notes
    );
    assert!(a.capabilities(true).iter().any(|c| c == "8BITMIME"));

    let (a, d) = probe(Scenario::WrongNameCert, |_| {}).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::CertNameMismatch);
    assert!(d.summary.contains("looked for 127.0.0.1"), "{}", d.summary);
    assert!(d.summary.contains("wrong.example.net"), "{}", d.summary);
    // Sending the certificate's own name as SNI could never make it valid for 127.0.0.1.
    assert!(
        !d.next_steps
            .iter()
            .any(|s| matches!(&s.retry, Some(Retry::Sni(_)))),
        "{:?}",
        d.next_steps
    );
    assert!(
        d.next_steps
            .iter()
            .any(|s| s.text.contains("must name 127.0.0.1")),
        "{:?}",
        d.next_steps
    );
    assert!(
        a.certificates[0]
            .sans
            .contains(&"wrong.example.net".to_string())
    );
}

#[tokio::test]
async fn no_verify_completes_the_handshake_and_still_reports_the_verdict() {
    let (a, d) = probe(Scenario::ExpiredCert, |p| p.tls.verify = false).await;
    // The headline is the one strict verification gives: it never follows our own switch.
    let (_, strict) = probe(Scenario::ExpiredCert, |_| {}).await;
    assert!(!d.ok);
    assert_eq!(d.cause, tlsdive::diagnose::Cause::CertExpired);
    assert_eq!(d.summary, strict.summary);
    assert!(a.negotiated.is_some());
    assert_eq!(a.past_failed_verification, None, "nothing to go past");
    assert!(!a.verdict.as_ref().unwrap().ok);
}

#[tokio::test]
async fn untrusted_and_incomplete_chains_without_the_lab_ca() {
    let (_, d) = probe(Scenario::Healthy, |p| {
        p.tls.trust = tlsdive::plan::Trust::System
    })
    .await;
    assert!(
        matches!(d.cause.code(), "cert-untrusted" | "cert-chain-incomplete"),
        "system roots do not know the lab CA: {d:?}"
    );
    let (_, d) = probe(Scenario::ChainIncomplete, |_| {}).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::CertChainIncomplete);
    assert!(d.summary.contains("intermediate"), "{}", d.summary);
}

#[tokio::test]
async fn client_certificate_required_then_supplied() {
    let (a, d) = probe(Scenario::ClientCertRequired, |_| {}).await;
    assert_eq!(
        d.cause,
        tlsdive::diagnose::Cause::ClientCertRequired,
        "{d:?}"
    );
    assert!(
        a.notes
            .iter()
            .any(|(_, n)| n.contains("asked for a client certificate"))
    );
    let f = fixture();
    let (_, d) = probe(Scenario::ClientCertRequired, |p| {
        p.tls.client = Some(
            tlsdive::plan::ClientIdentity::from_files(&f.client_cert, &f.client_key)
                .expect("client identity"),
        );
    })
    .await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Ok, "{d:?}");
}

#[tokio::test]
async fn hostile_bytes_never_reach_the_transcript_raw() {
    let (a, d) = probe(Scenario::HostileBytes, |_| {}).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Ok);
    for l in &a.transcript {
        assert!(
            !l.line.chars().any(|c| c.is_control() && c != '\t'),
            "raw control byte in {:?}",
            l.line
        );
    }
    let banner = &a.transcript[0].line;
    assert!(banner.contains("\\e[2J"), "{banner}");
    let text = tlsdive::report::text::report(&a);
    assert!(!text.contains('\x1b') && !text.contains('\x07'));
}

#[tokio::test]
async fn huge_and_endless_replies_are_cut() {
    let (a, d) = probe(Scenario::HugeReply, |_| {}).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::ReplyTooLong, "{d:?}");
    assert!(a.reply_cut.is_some());
    assert!(a.transcript.iter().any(|l| l.truncated));
    assert!(a.transcript.iter().all(|l| l.line.len() < 3000));
}

#[tokio::test]
async fn plaintext_injection_is_reported_and_not_fed_to_tls() {
    let (a, d) = probe(Scenario::PlaintextInjection, |_| {}).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::PlaintextInjection);
    let (n, preview) = a.injected.clone().unwrap();
    assert!(n > 0);
    assert!(preview.contains("250-INJECTED"), "{preview}");
    assert!(
        !a.events()
            .any(|e| matches!(e.kind, EventKind::TlsRecord { .. })),
        "no TLS after injection"
    );
}

#[tokio::test]
async fn slow_banner_and_stalled_handshake_time_out() {
    let (a, d) = probe(Scenario::SlowBanner, short_timeouts(Scenario::SlowBanner)).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::BannerTimeout);
    assert_eq!(a.ended.map(|e| e.0), Some(ConnectionEnd::Timeout));
    let (_, d) = probe(
        Scenario::HandshakeStall,
        short_timeouts(Scenario::HandshakeStall),
    )
    .await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::HandshakeTimeout);
}

#[tokio::test]
async fn implicit_tls_reads_the_banner_over_tls() {
    let (a, d) = probe(Scenario::ImplicitTls, |_| {}).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Ok, "{d:?}");
    assert!(a.transcript[0].tls && a.transcript[0].line.starts_with("220"));
}

#[tokio::test]
async fn sni_is_sent_when_asked_but_the_sender_name_is_verified() {
    let (a, d) = probe(Scenario::Healthy, |p| {
        p.tls.sni = Sni::Name("localhost".into())
    })
    .await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Ok);
    let sni = a.messages().find_map(|(_, _, m)| match m {
        MessageInfo::ClientHello(ch) => ch.sni.clone(),
        _ => None,
    });
    assert_eq!(sni.as_deref(), Some("localhost"));
    let verdict = a.verdict.unwrap();
    assert_eq!(verdict.name_checked.as_deref(), Some("127.0.0.1"));
    assert!(
        verdict.detail.contains("SNI sent: localhost"),
        "{}",
        verdict.detail
    );
}

/// `[localhost]:PORT --sni wrong.example.net` against a server whose certificate is for
/// wrong.example.net: a sender checks "localhost", so this is a name mismatch, not "ok".
#[tokio::test]
async fn an_sni_experiment_never_turns_a_wrong_name_into_a_success() {
    let srv = common::server(Scenario::WrongNameCert).await;
    let mut plan = common::plan_for(srv.addr, false);
    plan.target = tlsdive::plan::Target::Host("localhost".into());
    plan.address = Some(srv.addr);
    plan.address_host = Some("localhost".into());
    plan.tls.sni = Sni::Name("wrong.example.net".into());
    let (a, d) = common::run(plan.clone()).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::CertNameMismatch, "{d:?}");
    assert!(d.summary.contains("looked for localhost"), "{}", d.summary);
    assert!(
        d.summary.contains("SNI sent: wrong.example.net"),
        "{}",
        d.summary
    );
    assert!(!a.verdict.unwrap().ok);
    // Asking for that name explicitly is a different question, and says so.
    plan.tls.verify_name = Some("wrong.example.net".into());
    let (a, d) = common::run(plan).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Ok, "{d:?}");
    assert_eq!(
        a.verdict.unwrap().name_checked.as_deref(),
        Some("wrong.example.net")
    );
}

#[tokio::test]
async fn engine_and_scanner_sockets_have_nagle_off() {
    // With Nagle on, our Finished and the EHLO after it wait for the server's delayed ACK
    // (~40 ms), which the timeline would show as server latency.
    let srv = common::server(Scenario::Healthy).await;
    let plan = common::plan_for(srv.addr, false);
    let tcp = tlsdive::engine::attempt::connect(&plan, srv.addr)
        .await
        .expect("connect");
    assert!(tcp.nodelay().unwrap(), "the engine's socket has Nagle on");
    let tcp = tlsdive::scan::dialogue::open(&plan, srv.addr)
        .await
        .expect("scanner dialogue");
    assert!(tcp.nodelay().unwrap(), "the scanner's socket has Nagle on");
}

/// An IP target sends no SNI (RFC 6066 §3): checked against another name, the verdict says
/// no SNI was sent, never that the IP was.
#[tokio::test]
async fn an_ip_target_is_never_reported_as_sni_sent() {
    let (a, d) = probe(Scenario::Healthy, |p| {
        p.tls.verify_name = Some("wrong.example.net".into())
    })
    .await;
    let hello_sni = a
        .records()
        .flat_map(|(_, _, r)| r.messages.iter())
        .find_map(|m| match m {
            tlsdive::wire::MessageInfo::ClientHello(ch) => Some(ch.sni.clone()),
            _ => None,
        })
        .expect("a ClientHello");
    assert_eq!(hello_sni, None, "an IP address went out as SNI");
    let detail = &a.verdict.as_ref().unwrap().detail;
    assert!(!detail.contains("SNI sent: 127.0.0.1"), "{detail}");
    assert!(detail.contains("(no SNI sent)"), "{detail}");
    assert!(!d.summary.contains("SNI sent: 127.0.0.1"), "{}", d.summary);
}

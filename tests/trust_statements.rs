//! Issue 7 and 8: what tlsdive states must be true. The reply quoted is the one that failed,
//! advice fits the code, Postfix's way of requiring a client certificate is named, steps
//! already answered are not offered again, and a value that could smuggle a command (or a
//! plan that cannot work) never reaches the network.

mod common;

use common::tlsdive;

use std::sync::{Arc, Mutex};

use common::{fixture, plan_for, probe, run, server};
use tlsdive::diagnose::{self, Cause, Retry};
use tlsdive::lab::Scenario;
use tlsdive::plan::{ClientIdentity, TlsMode, TlsVersion};
use tlsdive::session::Session;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[tokio::test]
async fn a_refused_starttls_quotes_the_454_not_the_221_to_quit() {
    let (_, d) = probe(Scenario::Starttls454, |_| {}).await;
    assert_eq!(d.cause, Cause::StarttlsRejected);
    assert!(
        d.summary.contains("454 4.7.0 TLS not available"),
        "{}",
        d.summary
    );
    assert!(!d.summary.contains("221"), "{}", d.summary);
    assert!(
        d.evidence.iter().any(|e| e.ends_with("C: STARTTLS")),
        "{:?}",
        d.evidence
    );
    assert!(
        !d.evidence
            .iter()
            .any(|e| e.contains("QUIT") || e.contains("221")),
        "{:?}",
        d.evidence
    );
}

#[tokio::test]
async fn a_rejected_ehlo_quotes_the_550() {
    let (_, d) = probe(Scenario::EhloRejected, |_| {}).await;
    assert_eq!(d.cause, Cause::EhloRejected);
    assert!(
        d.summary.contains("550 5.7.1 EHLO rejected"),
        "{}",
        d.summary
    );
    assert!(!d.summary.contains("221"), "{}", d.summary);
}

#[tokio::test]
async fn a_554_banner_is_not_told_to_retry_later() {
    let (_, d) = probe(Scenario::Banner554, |_| {}).await;
    assert_eq!(d.cause, Cause::ServiceUnavailable);
    assert!(d.summary.contains("554 5.7.1"), "{}", d.summary);
    assert!(
        !d.next_steps.iter().any(|s| s.retry == Some(Retry::Same)),
        "{:?}",
        d.next_steps
    );
    assert!(d.next_steps.iter().any(|s| s.text.contains("permanent")));
    let (_, d) = probe(Scenario::Banner421, |_| {}).await;
    assert!(d.next_steps.iter().any(|s| s.retry == Some(Retry::Same)));
}

/// Postfix with `smtpd_tls_req_ccert = yes`: handshake done, then 421 to the EHLO over TLS.
#[tokio::test]
async fn postfix_style_client_certificate_refusal_is_named() {
    let (a, d) = probe(Scenario::ClientCertAfterHandshake, |_| {}).await;
    assert!(a.negotiated.is_some(), "the handshake completed");
    assert_eq!(d.cause, Cause::ClientCertRequired, "{d:?}");
    assert!(d.summary.contains("421 4.7.1"), "{}", d.summary);
    assert!(
        d.evidence
            .iter()
            .any(|e| e.contains("asked for a client certificate")),
        "{:?}",
        d.evidence
    );
    assert!(d.next_steps.iter().any(|s| s.text.contains("--cert")));
    let f = fixture();
    let (_, d) = probe(Scenario::ClientCertAfterHandshake, |p| {
        p.tls.client = Some(ClientIdentity::from_files(&f.client_cert, &f.client_key).unwrap());
    })
    .await;
    assert_eq!(d.cause, Cause::Ok, "{d:?}");
}

#[tokio::test]
async fn implicit_tls_success_does_not_say_starttls() {
    let (_, d) = probe(Scenario::ImplicitTls, |_| {}).await;
    assert_eq!(d.cause, Cause::Ok);
    assert!(d.summary.starts_with("implicit TLS works"), "{}", d.summary);
}

/// `i` on a STARTTLS-only port: the server answers the ClientHello in plain SMTP. The advice
/// is to use STARTTLS, not "the server may not support STARTTLS".
#[tokio::test]
async fn implicit_tls_on_a_starttls_port_says_so() {
    let (_, d) = probe(Scenario::Healthy, |p| p.mode = TlsMode::Implicit).await;
    assert_ne!(d.cause, Cause::Ok);
    let steps: Vec<&str> = d.next_steps.iter().map(|s| s.text.as_str()).collect();
    assert!(
        !steps
            .iter()
            .any(|s| s.contains("may not really support STARTTLS")),
        "{steps:?}"
    );
    if d.cause == Cause::NotTls {
        assert!(
            steps.iter().any(|s| s.contains("with STARTTLS instead")),
            "{steps:?}"
        );
    }
}

#[tokio::test]
async fn steps_already_answered_in_the_session_are_not_offered() {
    let srv = server(Scenario::CloseAfterClientHello).await;
    let base = plan_for(srv.addr, false);
    let mut session = Session::new();
    let mut only12 = base.clone();
    only12.tls.versions = vec![TlsVersion::Tls12];
    for (id, plan) in [(1u32, base), (2, only12)] {
        for mut ev in tlsdive::engine::probe(plan).await {
            ev.attempt = id;
            session.apply(&ev);
        }
    }
    let first = &session.attempts[0];
    let alone = diagnose::diagnose(first);
    assert!(
        alone
            .next_steps
            .iter()
            .any(|s| s.retry == Some(Retry::Tls12Only)),
        "{:?}",
        alone.next_steps
    );
    let within = diagnose::diagnose_in(&session, first);
    assert!(
        !within
            .next_steps
            .iter()
            .any(|s| s.retry == Some(Retry::Tls12Only)),
        "TLS 1.2 only was tried as attempt 2: {:?}",
        within.next_steps
    );
    // The TLS 1.2-only attempt itself never suggests "TLS 1.2 only" again.
    let second = diagnose::diagnose(&session.attempts[1]);
    assert!(
        !second
            .next_steps
            .iter()
            .any(|s| s.retry == Some(Retry::Tls12Only)),
        "{:?}",
        second.next_steps
    );
}

#[tokio::test]
async fn a_failing_keylog_is_reported() {
    let srv = server(Scenario::Healthy).await;
    let mut plan = plan_for(srv.addr, false);
    plan.tls.keylog = Some("/dev/full".into());
    let (a, d) = run(plan).await;
    assert_eq!(d.cause, Cause::Ok);
    assert!(
        a.notes
            .iter()
            .any(|(_, n)| n.contains("could not write the key log")),
        "{:?}",
        a.notes
    );
}

/// A plain SMTP server that writes down every line it receives and offers no STARTTLS, so a
/// probe against it sends exactly EHLO and QUIT.
async fn recording_server() -> (std::net::SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let _ = w.write_all(b"220 recorder ESMTP\r\n").await;
                let mut lines = BufReader::new(r).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    log.lock().unwrap().push(line.clone());
                    let reply: &[u8] = if line.to_ascii_uppercase().starts_with("QUIT") {
                        b"221 bye\r\n"
                    } else if line.to_ascii_uppercase().starts_with("EHLO") {
                        b"250-recorder\r\n250 8BITMIME\r\n"
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    (addr, seen)
}

#[tokio::test]
async fn an_ehlo_with_a_line_break_never_reaches_the_server() {
    let (addr, seen) = recording_server().await;
    let target = addr.to_string();
    for cmd in ["probe", "scan"] {
        let out = tlsdive(&[
            cmd,
            &target,
            "--ehlo",
            "x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<v@e>\r\nDATA",
        ])
        .await;
        assert_eq!(out.status.code(), Some(2), "{cmd}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("control character"), "{cmd}: {err}");
        assert!(
            !err.contains('\r') && !err.contains('\x1b'),
            "{cmd}: {err:?}"
        );
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );
    // A valid probe sends EHLO and QUIT, nothing else (no STARTTLS was offered).
    let out = tlsdive(&[
        "probe",
        &target,
        "--ehlo",
        "probe.example.org",
        "--timeout",
        "5s",
    ])
    .await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        *seen.lock().unwrap(),
        vec!["EHLO probe.example.org".to_string(), "QUIT".to_string()]
    );
}

#[tokio::test]
async fn values_and_files_that_cannot_work_are_usage_errors_before_connecting() {
    let (addr, seen) = recording_server().await;
    let target = addr.to_string();
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let other_key = dir.path().join("other.key");
    std::fs::write(&other_key, f.pki.server.key_pem()).unwrap();
    let cert = f.client_cert.to_str().unwrap();
    let keylog = dir.path().join("no/such/dir/keys.log");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--sni", "a\x1b[2Jb"], "control character"),
        (vec!["--sni="], "--no-sni"),
        (vec!["--verify-name", "x y"], "not a host name"),
        (vec!["--ca-file", "/dev/zero"], "larger than"),
        (
            vec!["--cert", cert, "--key", other_key.to_str().unwrap()],
            "not the private key",
        ),
        (
            vec!["--keylog", keylog.to_str().unwrap()],
            "cannot write --keylog",
        ),
        (
            vec![
                "--tls-version",
                "1.2",
                "--cipher",
                "TLS13_AES_256_GCM_SHA384",
            ],
            "no chosen cipher suite works with TLSv1.2",
        ),
    ];
    for (extra, words) in cases {
        let mut args = vec!["probe", target.as_str()];
        args.extend(extra.iter().copied());
        let out = tlsdive(&args).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(words), "{extra:?}: {err}");
        assert!(!err.contains('\x1b'), "{extra:?}: raw ESC in {err:?}");
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );
}

/// A banner line that never ends: the report quotes its start (escaped), not "0 lines".
#[tokio::test]
async fn a_reply_cut_at_the_limit_shows_its_start() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        if let Ok((mut sock, _)) = listener.accept().await {
            let _ = sock.write_all(b"220 endless\x1b[31m").await;
            let chunk = vec![b'x'; 64 * 1024];
            // Bounded: a little more than the reader's 2 MiB reply cap.
            for _ in 0..40 {
                if sock.write_all(&chunk).await.is_err() {
                    break;
                }
            }
        }
    });
    let mut plan = tlsdive::plan::Plan::new(tlsdive::plan::Target::Ip(addr.ip()));
    plan.port = addr.port();
    plan.timeouts.reply = std::time::Duration::from_secs(5);
    let (a, d) = run(plan).await;
    assert_eq!(d.cause, Cause::ReplyTooLong, "{d:?}");
    assert!(!d.summary.contains("0 lines"), "{}", d.summary);
    let first = a
        .transcript
        .first()
        .expect("the start of the reply is shown");
    assert!(
        first.line.starts_with("220 endless\\e[31mxxx"),
        "{}",
        &first.line[..40]
    );
    assert!(first.line.ends_with("[line cut]"));
    assert!(
        d.evidence.iter().any(|e| e.contains("220 endless")),
        "{:?}",
        d.evidence
    );
}

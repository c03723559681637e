//! Servers rustls cannot play: `openssl s_server` behind the lab's STARTTLS front, speaking
//! only TLS 1.0, or TLS 1.2 with only RSA key exchange. Each must get the right diagnosis.
//! `.ci/run` installs openssl when it is missing.

mod common;

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use tlsdive::lab;

/// A running `openssl s_server` and the address it reported.
struct SServer {
    _child: Child,
    addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

/// Start `openssl s_server` with an RSA certificate and `args`; wait for its ACCEPT line.
async fn s_server(args: &[&str]) -> SServer {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    let mut child = Command::new("openssl")
        .args(["s_server", "-accept", "127.0.0.1:0", "-cert"])
        .arg(&c)
        .arg("-key")
        .arg(&k)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("openssl s_server (install openssl)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("s_server exited before ACCEPT");
        if let Some(a) = line.strip_prefix("ACCEPT ") {
            break a.trim().parse().expect("ACCEPT address");
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    SServer {
        _child: child,
        addr,
        _dir: dir,
    }
}

async fn probe_behind_front(
    args: &[&str],
) -> (tlsdive::session::Attempt, tlsdive::diagnose::Diagnosis) {
    let backend = s_server(args).await;
    let front = lab::start_front(backend.addr, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let plan = common::plan_for(front.addr, false);
    common::run(plan).await
}

#[tokio::test]
async fn tls10_only_server_is_no_shared_version() {
    let (a, d) = probe_behind_front(&["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]).await;
    assert_eq!(d.cause, "no-shared-version", "{d:?}");
    // The STARTTLS dialogue happened, then the server refused our versions.
    assert!(
        a.transcript
            .iter()
            .any(|l| l.line.starts_with("220") && l.line.contains("TLS"))
    );
    assert!(a.negotiated.is_none());
}

#[tokio::test]
async fn rsa_key_exchange_only_server_is_no_shared_cipher() {
    let (a, d) = probe_behind_front(&[
        "-tls1_2",
        "-cipher",
        "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA",
    ])
    .await;
    assert_eq!(d.cause, "no-shared-cipher", "{d:?}");
    let alert = a.messages().any(|(_, _, m)| {
        matches!(m, tlsdive::wire::MessageInfo::Alert(al) if al.description == "handshake_failure")
    });
    assert!(alert, "handshake_failure alert in the timeline");
}

#[tokio::test]
async fn modern_openssl_server_negotiates() {
    let (a, d) = probe_behind_front(&[]).await;
    // Self-signed RSA certificate: the handshake works, verification names the problem.
    assert_eq!(d.cause, "cert-self-signed", "{d:?}");
    assert_eq!(a.certificates[0].key, "RSA 2048");
}

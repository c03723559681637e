//! Servers rustls cannot play: `openssl s_server` behind the lab's STARTTLS front, speaking
//! only TLS 1.0, or TLS 1.2 with only RSA key exchange. Each must get the right diagnosis.
//! `.ci/run` installs openssl when it is missing.

mod common;

use common::openssl::s_server;
use tlsdive::lab;

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
    assert_eq!(d.cause, tlsdive::diagnose::Cause::NoSharedVersion, "{d:?}");
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
    // A bare handshake_failure: which parameter, a scan decides (tests/scan_openssl.rs).
    assert_eq!(
        d.cause,
        tlsdive::diagnose::Cause::NoSharedParameters,
        "{d:?}"
    );
    let alert = a.messages().any(|(_, _, m)| {
        matches!(m, tlsdive::wire::MessageInfo::Alert(al) if al.description == "handshake_failure")
    });
    assert!(alert, "handshake_failure alert in the timeline");
}

#[tokio::test]
async fn modern_openssl_server_negotiates() {
    let (a, d) = probe_behind_front(&[]).await;
    // Self-signed RSA certificate: the handshake works, verification names the problem.
    assert_eq!(d.cause, tlsdive::diagnose::Cause::CertSelfSigned, "{d:?}");
    assert_eq!(a.certificates[0].key, "RSA 2048");
}

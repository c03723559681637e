//! `probe --show-certs` against the lab's refused chains: the PEM blocks it prints are the
//! chain the server sent — `openssl x509` parses each, and their SHA-256 fingerprints are
//! those of the chain `openssl s_client -showcerts` receives from the same server.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{fixture, server, tlsdive};
use tlsdive::lab::Scenario;

/// The PEM blocks in `text`, in order.
fn pem_blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        if line == "-----BEGIN CERTIFICATE-----" {
            cur = Some(String::new());
        }
        if let Some(c) = cur.as_mut() {
            c.push_str(line);
            c.push('\n');
        }
        if line == "-----END CERTIFICATE-----"
            && let Some(c) = cur.take()
        {
            out.push(c);
        }
    }
    out
}

/// `openssl x509 -fingerprint -sha256` of one PEM block (fails the test if it does not parse).
fn fingerprint(pem: &str) -> String {
    let mut child = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(pem.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl x509 refused {pem}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim()
        .rsplit('=')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The chain `openssl s_client -starttls smtp -showcerts` receives.
async fn openssl_chain(addr: std::net::SocketAddr) -> Vec<String> {
    let out = tokio::process::Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &addr.to_string(),
            "-starttls",
            "smtp",
            "-showcerts",
        ])
        .stdin(Stdio::null())
        .output()
        .await
        .expect("openssl s_client");
    pem_blocks(&String::from_utf8_lossy(&out.stdout))
}

#[tokio::test]
async fn show_certs_prints_the_refused_chain_as_sent() {
    for scenario in [Scenario::ExpiredCert, Scenario::UntrustedCert] {
        let srv = server(scenario).await;
        let out = tlsdive(&[
            "probe",
            &srv.addr.to_string(),
            "--ca-file",
            fixture().ca.to_str().unwrap(),
            "--show-certs",
        ])
        .await;
        assert_eq!(out.status.code(), Some(1), "verification fails");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("Certificate chain as sent by the server"),
            "{text}"
        );
        let ours: Vec<String> = pem_blocks(&text).iter().map(|p| fingerprint(p)).collect();
        let theirs: Vec<String> = openssl_chain(srv.addr)
            .await
            .iter()
            .map(|p| fingerprint(p))
            .collect();
        assert!(!ours.is_empty(), "{text}");
        assert_eq!(ours, theirs, "{}", scenario.name());
        // The fingerprints printed beside the blocks are the same ones.
        for f in &ours {
            assert!(text.contains(f.as_str()), "{f} in {text}");
        }
    }
}

#[tokio::test]
async fn show_certs_without_a_chain_says_so() {
    let srv = server(Scenario::Starttls454).await;
    let out = tlsdive(&["probe", &srv.addr.to_string(), "--show-certs"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(pem_blocks(&String::from_utf8_lossy(&out.stdout)).is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no certificate received"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `probe ADDR --ca-file LAB_CA --json` against a lab server: its one JSON document.
async fn probe_json(srv: &tlsdive::lab::LabServer) -> serde_json::Value {
    let out = tlsdive(&[
        "probe",
        &srv.addr.to_string(),
        "--ca-file",
        fixture().ca.to_str().unwrap(),
        "--json",
    ])
    .await;
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

/// `jq -r '.certificates[0].pem' | openssl x509` works: the JSON string holds real line
/// breaks (JSON escapes them), not the terminal's `\x0a`, and it is the certificate the
/// server sent.
#[tokio::test]
async fn json_pem_is_pem() {
    let srv = server(Scenario::ExpiredCert).await;
    let v = probe_json(&srv).await;
    let certs = v["certificates"].as_array().expect("certificates");
    assert!(!certs.is_empty(), "{v}");
    let ours: Vec<String> = certs
        .iter()
        .map(|c| fingerprint(c["pem"].as_str().expect("pem string")))
        .collect();
    let theirs: Vec<String> = openssl_chain(srv.addr)
        .await
        .iter()
        .map(|p| fingerprint(p))
        .collect();
    assert_eq!(ours, theirs);
}

/// A finding carries TLS-RPT's word for it, so it can be joined with a report line: an
/// expired certificate is `certificate-expired`, a wrong name `certificate-host-mismatch`,
/// and a working server none.
#[tokio::test]
async fn json_outcome_names_the_tlsrpt_result_type() {
    for (scenario, want) in [
        (
            Scenario::ExpiredCert,
            serde_json::json!("certificate-expired"),
        ),
        (
            Scenario::WrongNameCert,
            serde_json::json!("certificate-host-mismatch"),
        ),
        (Scenario::Healthy, serde_json::Value::Null),
    ] {
        let v = probe_json(&server(scenario).await).await;
        assert_eq!(
            v["outcome"]["tlsrpt_result_type"],
            want,
            "{}",
            scenario.name()
        );
    }
}

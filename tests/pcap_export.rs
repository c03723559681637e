//! `probe --pcap FILE` against a lab server, read back by tshark: the SMTP dialogue before
//! STARTTLS, and the TLS 1.3 handshake decrypted through the file's own Decryption Secrets
//! Block (no key-log file given to tshark).

mod common;

use common::{fixture, server, tlsdive};
use tlsdive::lab::Scenario;

/// tshark's one-line summaries of the frames in `file` that match `filter`, with the lab
/// port decoded as SMTP (tshark only guesses SMTP on port 25).
fn tshark(file: &std::path::Path, port: u16, filter: &str) -> String {
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-d", &format!("tcp.port=={port},smtp"), "-Y", filter])
        .output()
        .expect("tshark runs (apt-get install tshark)");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn tshark_reads_the_pcap_decrypted_without_a_key_log_file() {
    let srv = server(Scenario::Tls13Only).await;
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("probe.pcapng");
    let out = tlsdive(&[
        "probe",
        &srv.addr.to_string(),
        "--ca-file",
        fixture().ca.to_str().unwrap(),
        "--pcap",
        pcap.to_str().unwrap(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = srv.addr.port();
    let ee = tshark(&pcap, port, "tls.handshake.type == 8");
    assert_eq!(ee.lines().count(), 1, "one EncryptedExtensions: {ee}");
    assert!(ee.contains("Encrypted Extensions"), "{ee}");
    let smtp = tshark(&pcap, port, "smtp");
    assert!(smtp.contains("C: EHLO"), "{smtp}");
    assert!(smtp.contains("C: STARTTLS"), "{smtp}");
    assert!(smtp.contains("S: 220 2.0.0"), "{smtp}");
    // The EHLO after STARTTLS is inside TLS: tshark read it only by decrypting.
    assert_eq!(smtp.matches("C: EHLO").count(), 2, "{smtp}");
    assert!(smtp.contains("C: QUIT"), "{smtp}");
    // The TCP handshake and our FIN, with seq/ack tshark finds consistent.
    let tcp = tshark(&pcap, port, "tcp.flags.syn == 1 or tcp.flags.fin == 1");
    assert_eq!(tcp.lines().count(), 3, "{tcp}");
    let bad = tshark(&pcap, port, "tcp.analysis.flags");
    assert!(bad.trim().is_empty(), "tshark finds TCP problems: {bad}");
}

#[tokio::test]
async fn without_the_secrets_the_handshake_stays_encrypted() {
    // The same pcapng built without its key log: proof that the DSB is what decrypts.
    let srv = server(Scenario::Tls13Only).await;
    let plan = common::plan_for(srv.addr, false);
    let (a, _) = common::run(plan).await;
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("no-keys.pcapng");
    std::fs::write(&pcap, tlsdive::pcap::pcapng(&a, None).unwrap()).unwrap();
    let port = srv.addr.port();
    assert!(
        tshark(&pcap, port, "tls.handshake.type == 8")
            .trim()
            .is_empty()
    );
    assert_eq!(
        tshark(&pcap, port, "tls.handshake.type == 1")
            .lines()
            .count(),
        1
    );
}

#[tokio::test]
async fn an_ipv6_connection_gets_ipv6_frames() {
    let srv = tlsdive::lab::start(
        Scenario::Tls13Only,
        &fixture().pki,
        "[::1]:0".parse().unwrap(),
    )
    .await
    .expect("lab server on ::1");
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("v6.pcapng");
    let out = tlsdive(&[
        "probe",
        &srv.addr.to_string(),
        "--ca-file",
        fixture().ca.to_str().unwrap(),
        "--verify-name",
        "localhost",
        "--pcap",
        pcap.to_str().unwrap(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let port = srv.addr.port();
    let all = tshark(&pcap, port, "frame");
    let v6 = tshark(&pcap, port, "ipv6.src == ::1 and ipv6.dst == ::1");
    assert_eq!(all.lines().count(), v6.lines().count(), "{all}");
    assert_eq!(
        tshark(&pcap, port, "tls.handshake.type == 8")
            .lines()
            .count(),
        1
    );
    assert!(tshark(&pcap, port, "tcp.analysis.flags").trim().is_empty());
}

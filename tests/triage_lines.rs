//! Triage loses nothing (issue 19 item 3): every input line is used, skipped with its
//! reason, or unreadable, and the summary says which; a `relay=none` MTA-STS deferral and a
//! stock "Connection refused" line are probed; exit 0 only when every destination works.

mod common;

use common::{fixture, server};
use tlsdive::lab::Scenario;
use tlsdive::lab::policy_lab;

async fn tlsdive(args: &[&str], stdin: &str) -> std::process::Output {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tlsdive"))
        .args(args)
        .env_remove("SSLKEYLOGFILE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run tlsdive");
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.as_bytes()).await.unwrap();
    drop(pipe);
    child.wait_with_output().await.unwrap()
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The 11-line log of the issue: 8 lines name destinations (one a stock "Connection
/// refused"), a delivery and a qmgr line are skipped, one line is unreadable.
#[tokio::test]
async fn an_eleven_line_log_accounts_for_every_line() {
    let ok = server(Scenario::Healthy).await;
    let expired = server(Scenario::ExpiredCert).await;
    let (h, e, dead) = (ok.addr.port(), expired.addr.port(), closed_port());
    let log = format!(
        "Mar  3 10:15:01 mail postfix/smtp[1]: 1A: to=<a@example.com>, relay=mx.lab.tlsdive.test[127.0.0.1]:{e}, delay=1, dsn=4.7.5, status=deferred (Server certificate not verified)\n\
         Mar  3 10:15:02 mail postfix/smtp[1]: 1B: to=<b@example.org>, relay=mx.lab.tlsdive.test[127.0.0.1]:{e}, delay=1, dsn=4.7.5, status=deferred (Server certificate not verified)\n\
         Mar  3 10:15:03 mail postfix/smtp[1]: connect to mx.lab.tlsdive.test[127.0.0.1]:{dead}: Connection refused\n\
         Mar  3 10:15:04 mail postfix/smtp[1]: 1C: to=<c@example.net>, relay=mx.lab.tlsdive.test[127.0.0.1]:{dead}, delay=0, dsn=4.4.1, status=deferred (connect to mx.lab.tlsdive.test[127.0.0.1]:{dead}: Connection refused)\n\
         Mar  3 10:15:05 mail postfix/smtp[1]: SSL_connect error to mx.lab.tlsdive.test[127.0.0.1]:{e}: certificate verification failed\n\
         127.0.0.1:{h}\n\
         [mx.lab.tlsdive.test]:{h}\n\
         Mar  3 10:15:06 mail postfix/smtp[1]: lost connection with mx.lab.tlsdive.test[127.0.0.1]:{e} while performing the TLS handshake\n\
         Mar  3 10:15:07 mail postfix/smtp[1]: 1D: to=<d@example.com>, relay=mx.lab.tlsdive.test[127.0.0.1]:{h}, delay=1, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n\
         Mar  3 10:15:08 mail postfix/qmgr[2]: 1D: removed\n\
         this line is no log line\n"
    );
    let ca = fixture().ca.to_str().unwrap().to_string();
    let out = tlsdive(&["triage", "--ca-file", &ca, "--timeout", "5s"], &log).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains(
            "\n11 lines: 8 used, 2 skipped (1 delivery, 1 line of another MTA daemon), 1 unreadable\n"
        ),
        "{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains(&format!("[127.0.0.1]:{dead}")) && stdout.contains("connect-refused"),
        "the refused connection is a destination: {stdout}"
    );
    assert!(stdout.contains("cert-expired"), "{stdout}");
    assert!(
        stderr.contains("line 11: this line is no log line"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(1), "two destinations fail");
}

/// A `relay=none` MTA-STS deferral names its recipient domain: that domain is probed from
/// its MX (through the lab's signed DNS), and it works now: exit 0.
#[tokio::test]
async fn a_relay_none_mta_sts_deferral_probes_the_recipient_domain() {
    let smtp = server(Scenario::Healthy).await;
    let lab = policy_lab::start(&fixture().pki, smtp.addr.port())
        .await
        .expect("policy lab");
    let dir = tempfile::tempdir().unwrap();
    let anchor = dir.path().join("root.key");
    std::fs::write(&anchor, &lab.anchor).unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, fixture().pki.ca_pem()).unwrap();
    let domain = policy_lab::domain("sts-enforce");
    let log = format!(
        "Dec  1 09:00:03 mail postfix/smtp[2003]: 0B1C2D3E4F: to=<bob@{domain}>, \
         relay=none, delay=0.2, delays=0.01/0/0.2/0, dsn=4.7.5, status=deferred (MX host \
         mx.{domain} does not match any MX pattern in the MTA-STS policy)\n"
    );
    let out = tlsdive(
        &[
            "triage",
            "--resolver",
            &lab.dns.addr.to_string(),
            "--trust-anchor",
            anchor.to_str().unwrap(),
            "--ca-file",
            ca.to_str().unwrap(),
            "--port",
            &lab.port_for("sts-enforce").to_string(),
            "--timeout",
            "5s",
        ],
        &log,
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("1 destination: 1 ok now (covers 1 MTA log lines)"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(&format!("to {domain}")), "{stdout}");
    assert!(
        stdout.contains("\n1 line: 1 used, 0 skipped, 0 unreadable\n"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(0));
}

/// A failure that names neither a host nor a recipient cannot be checked: it is counted,
/// said on stderr, and the triage does not claim that all is well.
#[tokio::test]
async fn an_unchecked_failure_is_not_all_well() {
    let log = "Dec  1 09:00:04 mail postfix/smtp[2004]: 1C2D3E4F5A: relay=none, status=deferred (x)\n\
               Dec  1 09:00:05 mail postfix/qmgr[9]: 1C2D3E4F5A: removed\n";
    let out = tlsdive(&["triage"], log).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains(
            "2 lines: 0 used, 2 skipped (1 line of another MTA daemon, \
             1 failure naming no host or recipient domain), 0 unreadable"
        ),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 failure the MTA logged named no host"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// Only unreadable lines: nothing was checked, so not exit 0.
#[tokio::test]
async fn an_input_of_only_unreadable_lines_is_not_all_well() {
    let out = tlsdive(&["triage"], "no log\nat all here\n").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("2 lines: 0 used, 0 skipped, 2 unreadable"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(1));
}

//! Triage on hostile or foreign input: `--merge` of an endless line, counts that would
//! wrap, random tokens taken for domains, and the flags that keep a triage on a lab
//! (`--only`, `--port`, `--dry-run`). Every server is a lab server on 127.0.0.1; the other
//! addresses in the inputs (192.0.2.x, TEST-NET) are never connected to.

mod common;

use common::{fixture, server};
use tlsdive::lab::Scenario;
use tlsdive::triage::Row;

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

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Before: `--merge` read a line with no cap and aborted ("memory allocation of 2147483648
/// bytes failed", exit 134). A file of one endless line (no newline) is refused at the cap.
#[tokio::test]
async fn merge_of_an_endless_line_is_refused_at_the_line_cap() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("zeros.jsonl");
    std::fs::write(&p, vec![0u8; 4 << 20]).unwrap();
    let out = tlsdive(&["triage", "--merge", p.to_str().unwrap()], "").await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("zeros.jsonl line 1: longer than 64 KiB; not a triage --jsonl output"),
        "{err}"
    );
}

/// Before: `log_lines` added up with `+=` (a panic in a debug build, a silent wrap in a
/// release one). It saturates.
#[tokio::test]
async fn merged_log_line_counts_saturate() {
    let dir = tempfile::tempdir().unwrap();
    let row = |lines: u64| {
        format!(
            r#"{{"destination":"[192.0.2.1]:25","cause":"ok","summary":"s","log_lines":{lines},"recipient_domains":[],"mta_error":null}}"#
        )
    };
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    std::fs::write(&a, row(u64::MAX) + "\n").unwrap();
    std::fs::write(&b, row(3) + "\n").unwrap();
    let out = tlsdive(
        &[
            "triage",
            "--merge",
            "--jsonl",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let r: Row = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(r.log_lines, u64::MAX);
}

/// Before: bare tokens from random bytes (`17`, `2c`) became destinations with an MX
/// lookup each, and there was no way to see what a triage would probe or to keep it on a
/// lab. `--dry-run` connects nowhere and says where each probe would go; `--only` leaves
/// out what no pattern admits; bare number/hex tokens are garbage.
#[tokio::test]
async fn dry_run_and_only_say_what_would_be_probed_and_leave_out_the_rest() {
    let input = "17\n2c\ndeadbeef\n\
        Mar  3 10:15:02 mail postfix/smtp[1]: 4F3A: to=<a@example.com>, relay=mx.lab.test[127.0.0.1]:2525, dsn=4.4.2, status=deferred (lost connection)\n\
        Mar  3 10:15:03 mail postfix/smtp[1]: 4F3B: to=<b@example.org>, relay=mx.far.example[192.0.2.7]:25, dsn=4.4.2, status=deferred (lost connection)\n\
        mail.example.net\n";
    let out = tlsdive(
        &[
            "triage",
            "-",
            "--dry-run",
            "--only",
            "127.0.0.0/8",
            "--only",
            "*.example.net",
        ],
        input,
    )
    .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("--dry-run: 2 destinations would be probed (no connection was made)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  [127.0.0.1]:2525: would connect to 127.0.0.1:2525 (STARTTLS), the address the MTA \
             logged for mx.lab.test; first named on line 4\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  mail.example.net: would look up the MX of mail.example.net (asking the system's \
             resolver) and connect to its best host on port 25 (STARTTLS); first named on line 6"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("192.0.2.7"), "{stdout}");
    assert!(
        stderr.contains(
            "1 destination left out: no --only pattern admits it (first: [192.0.2.7]:25 on line 5)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 of 6 lines were neither a target nor a Postfix/Exim log line"),
        "{stderr}"
    );
}

/// `--port` sends every probe to the lab's port whatever port the log named, and `--only`
/// keeps it on 127.0.0.1: the relay on 192.0.2.7 is never connected to.
#[tokio::test]
async fn port_and_only_keep_a_log_triage_on_the_lab() {
    let lab = server(Scenario::Healthy).await;
    let port = lab.addr.port().to_string();
    let ca = fixture().ca.to_str().unwrap().to_string();
    let input = "\
        Mar  3 10:15:02 mail postfix/smtp[1]: 4F3A: to=<a@example.com>, relay=mx.lab.tlsdive.test[127.0.0.1]:25, dsn=4.4.2, status=deferred (lost connection)\n\
        Mar  3 10:15:03 mail postfix/smtp[1]: 4F3B: to=<b@example.org>, relay=mx.far.example[192.0.2.7]:25, dsn=4.4.2, status=deferred (lost connection)\n";
    let out = tlsdive(
        &[
            "triage",
            "-",
            "--jsonl",
            "--ca-file",
            &ca,
            "--port",
            &port,
            "--only",
            "127.0.0.1",
            "--timeout",
            "5s",
        ],
        input,
    )
    .await;
    let stdout = text(&out.stdout);
    let rows: Vec<Row> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{stdout}");
    assert_eq!(rows[0].destination, format!("[127.0.0.1]:{port}"));
    assert_eq!(rows[0].cause.code(), "ok", "{stdout}");
    assert_eq!(out.status.code(), Some(0));
}

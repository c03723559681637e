//! `tlsdive triage` against lab servers on 127.0.0.1: a file mixing typed targets,
//! real-format Postfix and Exim log lines (every relay address is 127.0.0.1 with a lab
//! server's port), duplicates and garbage; back-off on 421; shards that cover the whole
//! list exactly once; and `--merge` of the shards' JSONL giving back the whole run.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{fixture, server};
use tlsdive::lab::{LabServer, Scenario};
use tlsdive::triage::{Row, run};

struct Lab {
    healthy: LabServer,
    expired: LabServer,
    closes: LabServer,
    no_starttls: LabServer,
}

async fn lab() -> Lab {
    Lab {
        healthy: server(Scenario::Healthy).await,
        expired: server(Scenario::ExpiredCert).await,
        closes: server(Scenario::CloseAfterClientHello).await,
        no_starttls: server(Scenario::NoStarttls).await,
    }
}

/// The triage input: 12 lines, 4 destinations, 2 garbage lines, 2 skipped.
fn input(l: &Lab) -> String {
    let (h, e, c, n) = (
        l.healthy.addr.port(),
        l.expired.addr.port(),
        l.closes.addr.port(),
        l.no_starttls.addr.port(),
    );
    format!(
        "# mail queue of mx-out-1, 2024-03-03\n\
         127.0.0.1:{h}\n\
         Mar  3 10:15:02 mail postfix/smtp[12345]: 4F3A21C0123: to=<alice@example.com>, relay=mx.lab.tlsdive.test[127.0.0.1]:{c}, delay=1.2, delays=0.01/0/1.1/0, dsn=4.4.2, status=deferred (lost connection with mx.lab.tlsdive.test[127.0.0.1] while performing the TLS handshake)\n\
         Mar  3 10:15:03 mail postfix/smtp[12345]: 5B1C2D3E4F: to=<bob@example.org>, relay=mx.lab.tlsdive.test[127.0.0.1]:{e}, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (Server certificate not verified)\n\
         2024-03-03 10:15:04 1rgXyZ-000ABC-12 == carol@example.net R=dnslookup T=remote_smtp defer (-37) H=mx.lab.tlsdive.test [127.0.0.1]:{e}: TLS session: (SSL_connect): error:0A000086:SSL routines::certificate verify failed\n\
         this is not a target\n\
         Mar  3 10:15:05 mail postfix/smtp[12345]: 6C7D8E9F0A: to=<dave@example.com>, relay=mx.lab.tlsdive.test[127.0.0.1]:{n}, delay=1, delays=0/0/1/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.lab.tlsdive.test[127.0.0.1])\n\
         Mar  3 10:15:06 mail postfix/smtp[12345]: SSL_connect error to mx.lab.tlsdive.test[127.0.0.1]:{c}: lost connection\n\
         2024-03-03 10:15:07 1rgXyZ-000ABC-13 TLS error on connection to mx.lab.tlsdive.test [127.0.0.1]:{c} (SSL_connect): error:0A000126:SSL routines::unexpected eof while reading\n\
         Mar  3 10:15:08 mail postfix/smtp[12345]: 7D8E9F0A1B: to=<erin@example.com>, relay=mx.lab.tlsdive.test[127.0.0.1]:{h}, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 42)\n\
         \u{1b}[31m red garbage \u{7}\n\
         127.0.0.1:{h}\n"
    )
}

fn config(concurrency: usize) -> run::Config {
    common::triage_config(concurrency, Duration::from_secs(5), 2)
}

async fn triage(text: String, cfg: &run::Config) -> (BTreeMap<String, Row>, run::Stats) {
    let mut rows = BTreeMap::new();
    let stats =
        tlsdive::cli::drive::triage::run(std::io::Cursor::new(text.into_bytes()), cfg, |r| {
            assert!(
                rows.insert(r.destination.clone(), r).is_none(),
                "a destination twice"
            );
        })
        .await;
    (rows, stats)
}

#[tokio::test]
async fn mixed_input_is_grouped_per_destination_with_the_mta_error_beside_the_verdict() {
    let l = lab().await;
    let (rows, stats) = triage(input(&l), &config(8)).await;
    assert_eq!(stats.lines, 12);
    assert_eq!(stats.destinations, 4);
    assert_eq!(stats.garbage, 2);
    assert_eq!(
        stats.first_garbage,
        Some((6, "this is not a target".to_string()))
    );
    assert_eq!(stats.skipped, 2); // the comment and the status=sent line
    let key = |s: &LabServer| format!("[127.0.0.1]:{}", s.addr.port());
    let ok = &rows[&key(&l.healthy)];
    assert_eq!((ok.cause.code(), ok.log_lines), ("ok", 0));
    assert_eq!(ok.mta_error, None);
    let exp = &rows[&key(&l.expired)];
    assert_eq!(exp.cause.code(), "cert-expired");
    assert_eq!(exp.log_lines, 2);
    assert_eq!(exp.recipient_domains, ["example.net", "example.org"]);
    assert_eq!(
        exp.mta_error.as_deref(),
        Some("Server certificate not verified")
    );
    assert_eq!(exp.relay_host.as_deref(), Some("mx.lab.tlsdive.test"));
    let closes = &rows[&key(&l.closes)];
    assert_eq!(closes.cause.code(), "peer-closed-during-handshake");
    assert_eq!(closes.log_lines, 3);
    assert_eq!(closes.recipient_domains, ["example.com"]);
    assert!(
        closes
            .mta_error
            .as_deref()
            .unwrap()
            .starts_with("lost connection with")
    );
    let none = &rows[&key(&l.no_starttls)];
    assert_eq!(none.cause.code(), "starttls-not-offered");
    let rows: Vec<Row> = rows.into_values().collect();
    assert_eq!(
        tlsdive::triage::summary::headline(&rows),
        "4 destinations: 1 ok now, 1 cert-expired, 1 peer-closed-during-handshake, \
         1 starttls-not-offered (covers 6 MTA log lines)"
    );
}

#[tokio::test]
async fn a_421_greeting_is_retried_after_a_back_off() {
    use tokio::io::AsyncReadExt;
    let srv = server(Scenario::RefuseEverySecond).await;
    // Use up the server's first connection so the triage's first one gets the 421.
    let mut first = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    let mut banner = [0u8; 3];
    first.read_exact(&mut banner).await.unwrap();
    assert_eq!(&banner, b"220");
    drop(first);
    let line = format!("127.0.0.1:{}\n", srv.addr.port());
    let (rows, _) = triage(line.clone(), &config(1)).await;
    let row = rows.values().next().unwrap();
    assert_eq!((row.cause.code(), row.retries_after_421), ("ok", 1));
    // Without retries the same sequence ends at the 421 (the server is at an odd count again).
    let mut no_retry = config(1);
    no_retry.retries_on_421 = 0;
    let (rows, _) = triage(line, &no_retry).await;
    assert_eq!(
        rows.values().next().unwrap().cause.code(),
        "service-unavailable"
    );
}

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

fn rows_of(out: &[u8]) -> Vec<Row> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// What must survive a round trip: everything but the summary's timings.
fn facts(rows: &[Row]) -> BTreeMap<String, (String, u64, Vec<String>, Option<String>)> {
    rows.iter()
        .map(|r| {
            let f = (
                r.cause.code().to_string(),
                r.log_lines,
                r.recipient_domains.clone(),
                r.mta_error.clone(),
            );
            (r.destination.clone(), f)
        })
        .collect()
}

#[tokio::test]
async fn shards_split_the_list_and_merge_gives_back_the_whole() {
    let l = lab().await;
    let text = input(&l);
    let ca = fixture().ca.to_str().unwrap().to_string();
    let base = [
        "triage",
        "-",
        "--jsonl",
        "--ca-file",
        &ca,
        "--timeout",
        "5s",
    ];
    let whole = tlsdive(&base, &text).await;
    assert_eq!(whole.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&whole.stderr);
    assert!(stderr.contains("2 of 12 lines were neither"), "{stderr}");
    // The ANSI escape in the garbage line is not passed to the terminal.
    assert!(!stderr.contains('\u{1b}'));
    let whole = rows_of(&whole.stdout);
    assert_eq!(whole.len(), 4);
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut union = BTreeMap::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let mut args = base.to_vec();
        args.extend(["--shard", shard, "--concurrency", "1"]);
        let out = tlsdive(&args, &text).await;
        for r in rows_of(&out.stdout) {
            assert!(
                union.insert(r.destination.clone(), shard).is_none(),
                "{} twice",
                r.destination
            );
        }
        let path = dir.path().join(shard.replace('/', "-"));
        std::fs::write(&path, &out.stdout).unwrap();
        files.push(path.to_str().unwrap().to_string());
    }
    let keys: Vec<&String> = union.keys().collect();
    assert_eq!(keys, facts(&whole).keys().collect::<Vec<_>>());
    let mut args = vec!["triage", "--merge", "--jsonl"];
    args.extend(files.iter().map(String::as_str));
    let merged = tlsdive(&args, "").await;
    assert_eq!(merged.status.code(), Some(1));
    assert_eq!(facts(&rows_of(&merged.stdout)), facts(&whole));
    let mut args = vec!["triage", "--merge"];
    args.extend(files.iter().map(String::as_str));
    let text_out = tlsdive(&args, "").await;
    let summary = String::from_utf8_lossy(&text_out.stdout);
    assert!(
        summary.starts_with(&tlsdive::triage::summary::headline(&whole)),
        "{summary}"
    );
    assert!(
        summary.contains(
            "MTA says:     Server certificate not verified\n    tlsdive says: cert-expired:"
        ),
        "{summary}"
    );
}

/// Review finding (issue 19): the repeat hint printed `tlsdive probe [IP]:port`, which sends
/// no SNI and checks the certificate against the IP, without the triage's --ca-file: every
/// attempt of it said cert-name-mismatch where the triage said ok. The printed command, run
/// as printed (one attempt, JSON, instead of 20), finds what the triage found.
#[tokio::test]
async fn the_repeat_hint_probes_what_the_triage_probed() {
    let srv = server(Scenario::Healthy).await;
    let ca = fixture().ca.to_str().unwrap().to_string();
    let line = format!(
        "Mar  3 10:15:03 mail postfix/smtp[12345]: 5B1C2D3E4F: to=<bob@example.org>, \
         relay=mx.lab.tlsdive.test[127.0.0.1]:{}, delay=1, delays=0/0/1/0, dsn=4.7.5, \
         status=deferred (Server certificate not verified)\n",
        srv.addr.port()
    );
    let out = tlsdive(&["triage", "-", "--ca-file", &ca, "--timeout", "5s"], &line).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\nok now (1):"), "{text}");
    let hint = text
        .lines()
        .find(|l| l.contains("hint:"))
        .unwrap_or_else(|| panic!("no hint: {text}"));
    let command = hint
        .split_once("repeat it (")
        .and_then(|(_, c)| c.split_once(" --repeat 20)"))
        .map(|(c, _)| c)
        .unwrap_or_else(|| panic!("{hint}"));
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[..2], ["tlsdive", "probe"], "{hint}");
    assert!(words.contains(&ca.as_str()), "{hint}");
    let mut args = words[1..].to_vec();
    args.push("--json");
    let probe = tlsdive(&args, "").await;
    let v: serde_json::Value = serde_json::from_slice(&probe.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&probe.stderr)));
    assert_eq!(v["outcome"]["cause"], "ok", "{command}");
}

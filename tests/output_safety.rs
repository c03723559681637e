//! Output boundaries of the real `tlsdive` binary: a hostile recording replayed as text or
//! JSON prints nothing raw, a recording survives the signal that ends its probe, a cut or
//! broken recording replays what it can and names the rest, and a closed pipe is a quiet exit.

mod common;

use common::tlsdive;

use std::process::{Output, Stdio};
use std::time::Duration;

use common::{fixture, server};
use tlsdive::event::{EventKind, Failure, MxHost, ProbeEvent};
use tlsdive::lab::Scenario;
use tlsdive::sanitize::is_unsafe;

/// Everything a hostile server or a hand-edited recording could slip in: OSC 52 (write the
/// clipboard), OSC 0 (window title), CSI 2J (clear screen), a C1 CSI, bidi overrides and
/// every invisible character, C0 and DEL, and a literal `\e` posing as an escape.
const HOSTILE: &str = "\u{1b}]52;c;aGVsbG8=\u{7} \u{1b}]0;pwned\u{7} \u{1b}[2J \u{9b}31m \
    \u{202e}evil\u{202c} \u{200b}\u{200c}\u{200d}\u{200e}\u{200f}\u{2028}\u{2029}\u{202a}\
    \u{202b}\u{202d}\u{2060}\u{2066}\u{2067}\u{2068}\u{2069}\u{feff}\u{61c} \0\u{7f}\r\n \\e[1m";

/// A character that must never reach a terminal raw (a line break between report lines is
/// ours and fine).
fn forbidden(c: char) -> bool {
    c != '\n' && (c.is_control() || is_unsafe(c))
}

fn assert_clean(what: &str, text: &str) {
    if let Some((i, c)) = text.char_indices().find(|&(_, c)| forbidden(c)) {
        panic!(
            "{what}: raw {c:?} at byte {i}: {:?}",
            &text[i.saturating_sub(40)..]
        );
    }
}

/// Every string of a JSON document, as `jq -r` would print it.
fn json_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_strings(x, out)),
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                json_strings(x, out);
            }
        }
        _ => {}
    }
}

/// A real recording of a probe against `s`, as events.
async fn recorded(s: Scenario, dir: &std::path::Path) -> Vec<ProbeEvent> {
    let srv = server(s).await;
    let rec = dir.join("live.jsonl");
    let ca = fixture().ca.to_str().unwrap().to_string();
    let addr = srv.addr.to_string();
    let out = tlsdive(&[
        "probe",
        &addr,
        "--ca-file",
        &ca,
        "--record",
        rec.to_str().unwrap(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", s.name());
    let session = tlsdive::recording::read(&rec).expect("live recording");
    session.events().map(|e| e.into_owned()).collect()
}

/// The real events of a wrong-name certificate, with hostile text wherever a string goes.
fn poisoned(events: Vec<ProbeEvent>) -> Vec<ProbeEvent> {
    let h = HOSTILE.to_string();
    let mut out = Vec::new();
    for mut ev in events {
        let (attempt, at_us) = (ev.attempt, ev.at_us);
        let extra = |kind| ProbeEvent {
            attempt,
            at_us,
            kind,
        };
        match &mut ev.kind {
            EventKind::AttemptStarted { plan } => {
                plan.ehlo = h.clone();
                out.push(ev);
                out.push(extra(EventKind::MxResolved {
                    domain: h.clone(),
                    hosts: vec![MxHost {
                        preference: 10,
                        exchange: h.clone(),
                        addresses: vec![],
                        error: Some(h.clone()),
                    }],
                }));
                out.push(extra(EventKind::Note { text: h.clone() }));
                continue;
            }
            EventKind::ConnectStarted { host, .. } => *host = Some(h.clone()),
            EventKind::SmtpReceived { line, .. } => line.push_str(&h),
            EventKind::CertificatesReceived { chain, verdict } => {
                chain[0].subject = h.clone();
                chain[0].sans.push(h.clone());
                verdict.detail.push_str(&h);
            }
            EventKind::AttemptFinished { failure, .. } => {
                // rustls repeats the certificate's names in its message.
                match failure {
                    Some(Failure::Tls { error, .. }) => error.push_str(&h),
                    other => panic!("expected a TLS failure, got {other:?}"),
                }
                out.push(extra(EventKind::PlaintextInjected {
                    bytes: h.len(),
                    preview: h.clone(),
                }));
            }
            _ => {}
        }
        out.push(ev);
    }
    out
}

fn write_recording(path: &std::path::Path, events: &[ProbeEvent]) {
    let mut buf = Vec::new();
    for ev in events {
        tlsdive::recording::write_event(&mut buf, ev).expect("serialise");
    }
    std::fs::write(path, buf).expect("write recording");
}

#[tokio::test]
async fn output_safety_a_hostile_recording_replays_with_nothing_raw() {
    let dir = tempfile::tempdir().unwrap();
    let events = poisoned(recorded(Scenario::WrongNameCert, dir.path()).await);
    let rec = dir.path().join("hostile.jsonl");
    write_recording(&rec, &events);
    let rec = rec.to_str().unwrap();

    let text = tlsdive(&["replay", rec]).await;
    assert_eq!(text.status.code(), Some(1));
    let stdout = String::from_utf8(text.stdout).expect("UTF-8 report");
    assert_clean("text report", &stdout);
    assert_clean("stderr", &String::from_utf8_lossy(&text.stderr));
    // Shown, escaped — not dropped.
    assert!(stdout.contains("\\e]52;c;aGVsbG8=\\x07"), "{stdout}");
    assert!(stdout.contains("\\u{202e}evil"), "{stdout}");

    let json = tlsdive(&["replay", rec, "--json"]).await;
    assert_eq!(json.status.code(), Some(1));
    let raw = String::from_utf8(json.stdout).expect("UTF-8 JSON");
    assert_clean("JSON as printed", &raw);
    let v: serde_json::Value = serde_json::from_str(&raw).expect("JSON");
    let mut strings = Vec::new();
    json_strings(&v, &mut strings);
    for s in &strings {
        assert_clean("a JSON string, decoded", s);
    }
    let error = v["outcome"]["failure"]["error"].as_str().expect("error");
    assert!(error.contains("\\e]52;c;aGVsbG8=\\x07"), "{error}");

    // The schema says so too, and is not a rubber stamp.
    let validator = report_schema();
    let errors = common::schema::errors(&validator, &v);
    assert!(errors.is_empty(), "{errors:?}");
    let mut raw_error = v.clone();
    raw_error["outcome"]["failure"]["error"] = HOSTILE.into();
    assert!(!validator.is_valid(&raw_error));
}

fn report_schema() -> jsonschema::Validator {
    common::schema::validator("report.schema.json")
}

#[tokio::test]
async fn output_safety_a_recording_survives_sigterm() {
    let srv = server(Scenario::HandshakeStall).await;
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("killed.jsonl");
    let ca = fixture().ca.to_str().unwrap().to_string();
    let addr = srv.addr.to_string();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tlsdive"))
        .args(["probe", &addr, "--ca-file", &ca, "--timeout", "120s"])
        .arg("--record")
        .arg(&rec)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start tlsdive");
    // The server stalls after our ClientHello: wait (bounded) until that is in the file.
    let mut seen = String::new();
    for _ in 0..600 {
        seen = std::fs::read_to_string(&rec).unwrap_or_default();
        if seen.lines().any(|l| l.contains("\"event\":\"tls_record\"")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        seen.lines().any(|l| l.contains("\"event\":\"tls_record\"")),
        "the ClientHello never reached the recording; it holds {} bytes",
        seen.len()
    );
    let pid = child.id().expect("pid").to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = child.wait().await.expect("wait");
    assert!(!status.success());

    let session = tlsdive::recording::read(&rec).expect("the recording reads back");
    let a = session.latest().expect("attempt");
    assert!(a.plan.is_some());
    assert!(a.transcript.iter().any(|l| l.line.starts_with("220 ")));
    assert!(!a.timeline.is_empty(), "the ClientHello is recorded");
    let replay = tlsdive(&["replay", rec.to_str().unwrap()]).await;
    assert!(
        String::from_utf8_lossy(&replay.stdout).contains("ClientHello"),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
}

#[tokio::test]
async fn output_safety_a_cut_recording_replays_what_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let events = recorded(Scenario::WrongNameCert, dir.path()).await;
    let rec = dir.path().join("cut.jsonl");
    write_recording(&rec, &events);
    let whole = std::fs::read_to_string(&rec).unwrap();
    // Killed in the middle of writing the last event.
    std::fs::write(&rec, &whole[..whole.len() - 20]).unwrap();
    let out = tlsdive(&["replay", rec.to_str().unwrap()]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_ne!(out.status.code(), Some(2), "{stderr}");
    assert_ne!(out.status.code(), Some(3), "{stderr}");
    let line = events.len();
    assert!(
        stderr.contains(&format!("cut.jsonl was cut: its last line ({line},")),
        "{stderr}"
    );
    assert!(
        stdout.contains("was cut"),
        "the report says so too: {stdout}"
    );
    assert!(stdout.contains("Certificates"), "{stdout}");
    let json = tlsdive(&["replay", rec.to_str().unwrap(), "--json"]).await;
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert!(v["notes"].to_string().contains("was cut"), "{v}");
}

#[tokio::test]
async fn output_safety_a_broken_recording_is_a_usage_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let events = recorded(Scenario::WrongNameCert, dir.path()).await;
    let rec = dir.path().join("garbage.jsonl");
    write_recording(&rec, &events);
    let mut lines: Vec<String> = std::fs::read_to_string(&rec)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines[2] = "this is not JSON".into();
    std::fs::write(&rec, lines.join("\n") + "\n").unwrap();
    let out = tlsdive(&["replay", rec.to_str().unwrap()]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("garbage.jsonl line 3: not a tlsdive event"),
        "{stderr}"
    );

    // A missing file: a usage error, said once.
    let missing = dir.path().join("missing.jsonl");
    let out = tlsdive(&["replay", missing.to_str().unwrap()]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches("missing.jsonl").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");

    // Endless input ends with a clear error, not with the memory.
    let out = tlsdive(&["replay", "/dev/zero"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/dev/zero line 1: longer than"), "{stderr}");
}

/// Run tlsdive with its stdout a pipe whose reader is already gone.
async fn into_closed_pipe(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    tokio::process::Command::new(env!("CARGO_BIN_EXE_tlsdive"))
        .args(args)
        .env_remove("SSLKEYLOGFILE")
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        // Not `output()`: tokio's would replace our stdout with a fresh pipe.
        .spawn()
        .expect("run tlsdive")
        .wait_with_output()
        .await
        .expect("wait for tlsdive")
}

#[tokio::test]
async fn output_safety_a_closed_pipe_is_a_quiet_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let events = recorded(Scenario::WrongNameCert, dir.path()).await;
    let rec = dir.path().join("rec.jsonl");
    write_recording(&rec, &events);
    let srv = server(Scenario::Healthy).await;
    let addr = srv.addr.to_string();
    let ca = fixture().ca.to_str().unwrap().to_string();
    let ca_out = dir.path().join("lab-ca.pem");
    let runs: Vec<Vec<&str>> = vec![
        vec!["replay", rec.to_str().unwrap()],
        vec!["replay", rec.to_str().unwrap(), "--json"],
        vec!["probe", &addr, "--ca-file", &ca],
        vec!["scan", &addr, "--timeout", "5s"],
        vec!["lab", "--ca-out", ca_out.to_str().unwrap()],
        vec![
            "lab",
            "--ca-out",
            ca_out.to_str().unwrap(),
            "--probe",
            "healthy",
        ],
    ];
    for args in runs {
        let out = into_closed_pipe(&args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

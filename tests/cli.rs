//! The real `tlsdive` binary against lab servers on 127.0.0.1: exit codes, the JSON report
//! validated against `assets/report.schema.json`, recordings that replay to the same report,
//! and clear errors for bad input.

mod common;

use common::tlsdive;

use std::process::Output;

use common::{fixture, server};
use tlsdive::lab::Scenario;

fn schema() -> jsonschema::Validator {
    schema_file("report.schema.json")
}

fn schema_file(name: &str) -> jsonschema::Validator {
    common::schema::validator(name)
}

async fn probe_json(s: Scenario, extra: &[&str]) -> (Output, serde_json::Value) {
    let srv = server(s).await;
    let addr = srv.addr.to_string();
    let ca = fixture().ca.to_str().unwrap().to_string();
    let mut args = vec![
        "probe",
        &addr,
        "--ca-file",
        &ca,
        "--json",
        "--timeout",
        "5s",
    ];
    if s.implicit_tls() {
        args.push("--implicit-tls");
    }
    args.extend_from_slice(extra);
    let out = tlsdive(&args).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out, v)
}

#[tokio::test]
async fn json_reports_validate_against_the_schema() {
    let validator = schema();
    for s in [
        Scenario::Healthy,
        Scenario::Tls12Only,
        Scenario::ExpiredCert,
        Scenario::CloseAfterClientHello,
        Scenario::NoStarttls,
        Scenario::HostileBytes,
    ] {
        let (out, v) = probe_json(s, &[]).await;
        let errors = common::schema::errors(&validator, &v);
        assert!(errors.is_empty(), "{}: {errors:?}", s.name());
        assert_eq!(v["outcome"]["cause"], s.expected_cause(), "{}", s.name());
        let code = out.status.code();
        assert_eq!(
            code,
            Some(if s.expected_cause() == "ok" { 0 } else { 1 }),
            "{}",
            s.name()
        );
    }
    // The schema is not a rubber stamp: a report without its outcome fails it.
    let (_, mut v) = probe_json(Scenario::Healthy, &[]).await;
    assert_eq!(v["tls"]["version"], "TLSv1.3");
    v.as_object_mut().unwrap().remove("outcome");
    assert!(!validator.is_valid(&v));
}

#[tokio::test]
async fn recording_replays_to_the_same_report() {
    let srv = server(Scenario::ExpiredCert).await;
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let addr = srv.addr.to_string();
    let ca = fixture().ca.to_str().unwrap().to_string();
    let live = tlsdive(&[
        "probe",
        &addr,
        "--ca-file",
        &ca,
        "--record",
        rec.to_str().unwrap(),
    ])
    .await;
    assert_eq!(live.status.code(), Some(1));
    let replay = tlsdive(&["replay", rec.to_str().unwrap()]).await;
    assert_eq!(replay.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&live.stdout),
        String::from_utf8_lossy(&replay.stdout)
    );
    assert!(String::from_utf8_lossy(&live.stdout).contains("cert-expired"));
}

#[tokio::test]
async fn bad_input_exits_2_with_a_message_naming_the_problem() {
    let out = tlsdive(&[
        "probe",
        "127.0.0.1:25",
        "--cipher",
        "TLS_RSA_WITH_RC4_128_MD5",
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown cipher suite TLS_RSA_WITH_RC4_128_MD5; this client can offer:"),
        "{err}"
    );

    let out = tlsdive(&["probe", "127.0.0.1:25", "--ca-file", "/nonexistent/ca.pem"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read --ca-file /nonexistent/ca.pem: no such file"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pem");
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let out = tlsdive(&["probe", "127.0.0.1:25", "--ca-file", bad.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.pem"));

    let out = tlsdive(&["probe", "127.0.0.1:25", "--tls-version", "1.1"]).await;
    assert_eq!(out.status.code(), Some(2));

    let out = tlsdive(&["probe", "127.0.0.1:25", "--source", "192.0.2.77"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot use --source 192.0.2.77: not an address of this machine"),
        "{err}"
    );

    let out = tlsdive(&["probe", "127.0.0.1", "--port", "0"]).await;
    assert_eq!(out.status.code(), Some(2));

    let out = tlsdive(&["replay", dir.path().join("missing.jsonl").to_str().unwrap()]).await;
    // A file that is not there is the user's to fix: a usage error (see output_safety.rs).
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read recording"));
    std::fs::write(dir.path().join("junk.jsonl"), "{\"not\": \"an event\"}\n").unwrap();
    let out = tlsdive(&["replay", dir.path().join("junk.jsonl").to_str().unwrap()]).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1: not a tlsdive event"));
}

#[tokio::test]
async fn hostile_server_text_never_reaches_the_terminal_raw() {
    let srv = server(Scenario::HostileBytes).await;
    let addr = srv.addr.to_string();
    let ca = fixture().ca.to_str().unwrap().to_string();
    let out = tlsdive(&["probe", &addr, "--ca-file", &ca]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(!out.stdout.iter().any(|&b| b == 0x1b || b == 0x07 || b == 0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\\e[2J"));
}

#[tokio::test]
async fn keylog_file_gets_the_session_secrets() {
    let srv = server(Scenario::Healthy).await;
    let dir = tempfile::tempdir().unwrap();
    let keylog = dir.path().join("keys.log");
    let addr = srv.addr.to_string();
    let ca = fixture().ca.to_str().unwrap().to_string();
    let out = tlsdive(&[
        "probe",
        &addr,
        "--ca-file",
        &ca,
        "--keylog",
        keylog.to_str().unwrap(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(0));
    let log = std::fs::read_to_string(&keylog).unwrap();
    assert!(log.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET "), "{log}");
}

#[tokio::test]
async fn scan_json_validates_against_its_schema() {
    let validator = schema_file("scan.schema.json");
    for (s, code) in [(Scenario::Tls12Only, 0), (Scenario::NoStarttls, 1)] {
        let srv = server(s).await;
        let addr = srv.addr.to_string();
        let out = tlsdive(&["scan", &addr, "--json", "--timeout", "5s"]).await;
        assert_eq!(out.status.code(), Some(code), "{}", s.name());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("scan JSON");
        let errors = common::schema::errors(&validator, &v);
        assert!(errors.is_empty(), "{}: {errors:?}", s.name());
        if s == Scenario::Tls12Only {
            assert_eq!(v["overlap"]["versions"], serde_json::json!(["TLSv1.2"]));
        } else {
            assert!(
                v["stopped"]
                    .as_str()
                    .is_some_and(|w| w.contains("STARTTLS")),
                "{v}"
            );
            assert_eq!(v["connections"], 1);
        }
    }
}

#[tokio::test]
async fn scan_senders_json_validates_and_the_text_is_a_table() {
    let validator = schema_file("scan.schema.json");
    let srv = server(Scenario::Tls12Only).await;
    let addr = srv.addr.to_string();
    let out = tlsdive(&["scan", &addr, "--senders", "--json", "--timeout", "5s"]).await;
    // Every profile offers TLS 1.2 with an ECDHE suite the lab serves, but the lab's CA is
    // no sender's: the verifying ones (postfix-secure, rustls) abort, so not all get through.
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("scan JSON");
    let errors = common::schema::errors(&validator, &v);
    assert!(errors.is_empty(), "{errors:?}");
    let senders = v["senders"].as_array().expect("senders array");
    assert_eq!(senders.len(), 8, "{v}");
    assert_eq!(senders[0]["name"], "postfix");
    assert_eq!(senders[0]["version"], "TLSv1.2");
    for s in senders {
        assert_eq!(s["accepted"], s["verify"] != "pkix", "{s}");
    }
    let out = tlsdive(&["scan", &addr, "--senders", "--timeout", "5s"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Senders (each MTA's default ClientHello)"),
        "{text}"
    );
    assert!(
        text.contains("exchange-online yes  TLSv1.2 TLS_ECDHE_"),
        "{text}"
    );
    assert!(
        !text.contains("In common with a rustls-based sender"),
        "{text}"
    );
    // A broken --sender-file is a usage error before any connection.
    let out = tlsdive(&["scan", &addr, "--sender-file", "/nonexistent.toml"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sender-file"));
}

#[tokio::test]
async fn without_a_terminal_the_interactive_forms_fall_back_or_say_why() {
    // `tlsdive TARGET` piped: the same probe, printed.
    let srv = server(Scenario::Tls12Only).await;
    let addr = srv.addr.to_string();
    let ca = fixture().ca.to_str().unwrap().to_string();
    let out = tlsdive(&[&addr, "--ca-file", &ca]).await;
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("negotiated: TLSv1.2"), "{text}");
    // `tlsdive demo` cannot fall back: it says what to run instead.
    let out = tlsdive(&["demo"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("demo needs a terminal"));
}

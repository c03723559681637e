//! Every `probe --json` mode prints ONE JSON document that validates against its schema in
//! `assets/`: a single probe and `--repeat` (report.schema.json), `--all` (sweep.schema.json)
//! and `--investigate` (investigate.schema.json, every attempt inside also a report). The
//! real binary against the lab on 127.0.0.1; `serde_json::from_slice` refuses trailing data,
//! as Python's `json.load` does ("Extra data").

mod common;

use common::{fixture, server, tlsdive};
use tlsdive::lab::Scenario;
use tlsdive::lab::policy_lab;

fn validator(name: &str) -> jsonschema::Validator {
    common::schema::validator(name)
}

/// The output as one document, valid against `schema`.
fn one_document(stdout: &[u8], schema: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "not one JSON document ({e}):\n{}",
            String::from_utf8_lossy(stdout)
        )
    });
    let errors = common::schema::errors(&validator(schema), &v);
    assert!(errors.is_empty(), "{schema}: {errors:?}\n{v}");
    v
}

/// `probe ADDR --json` plus `extra` against a lab server running `s`.
async fn probe(s: Scenario, extra: &[&str]) -> std::process::Output {
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
    args.extend_from_slice(extra);
    tlsdive(&args).await
}

#[tokio::test]
async fn a_single_probe_is_one_report() {
    let out = probe(Scenario::Healthy, &[]).await;
    let v = one_document(&out.stdout, "report.schema.json");
    assert_eq!(v["outcome"]["cause"], "ok");
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test]
async fn a_repeat_is_one_report_with_its_counts() {
    let out = probe(
        Scenario::EveryThirdExpired,
        &["--repeat", "3", "--interval", "1ms"],
    )
    .await;
    let v = one_document(&out.stdout, "report.schema.json");
    assert_eq!(v["repeat"]["attempts"], 3, "{v}");
    assert_eq!(out.status.code(), Some(1), "one of three fails");
}

#[tokio::test]
async fn an_investigation_is_one_document_holding_every_attempt_and_the_case() {
    let out = probe(Scenario::CloseAfterClientHello, &["--investigate"]).await;
    let v = one_document(&out.stdout, "investigate.schema.json");
    assert_eq!(v["schema"], 2);
    let attempts = v["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 3, "{v}");
    let report = validator("report.schema.json");
    for a in attempts {
        assert!(report.is_valid(a), "{a}");
    }
    assert_eq!(v["case"]["cause"], "server-drops-every-hello", "{v}");
    assert_eq!(v["case"]["confirmed"], true);
    // The schema says something: a document without its case does not pass.
    let mut broken = v.clone();
    broken.as_object_mut().unwrap().remove("case");
    assert!(!validator("investigate.schema.json").is_valid(&broken));
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test]
async fn a_sweep_is_one_array_of_rows() {
    let smtp = server(Scenario::Healthy).await;
    let lab = policy_lab::start(&fixture().pki, smtp.addr.port())
        .await
        .expect("policy lab");
    let dir = tempfile::tempdir().unwrap();
    let anchor = dir.path().join("root.key");
    std::fs::write(&anchor, &lab.anchor).unwrap();
    let port = lab.port_for("all").to_string();
    let resolver = lab.dns.addr.to_string();
    let out = tlsdive(&[
        "probe",
        &policy_lab::domain("all"),
        "--all",
        "--json",
        "--port",
        &port,
        "--resolver",
        &resolver,
        "--trust-anchor",
        anchor.to_str().unwrap(),
        "--ca-file",
        fixture().ca.to_str().unwrap(),
    ])
    .await;
    let v = one_document(&out.stdout, "sweep.schema.json");
    assert_eq!(v.as_array().map(Vec::len), Some(4), "{v}");
}

//! `probe --repeat` against the lab's `every-third-expired` server on 127.0.0.1: one
//! backend in three serves an expired certificate, and the repeat must say so with exact
//! counts, the certificate that tells the failures apart, and the `intermittent` verdict.

mod common;

use std::time::Duration;

use common::{fixture, plan_for, server};
use tlsdive::diagnose::Cause;
use tlsdive::lab::Scenario;
use tlsdive::repeat;

#[tokio::test]
async fn every_third_connection_failing_is_called_intermittent() {
    let srv = server(Scenario::EveryThirdExpired).await;
    let plan = plan_for(srv.addr, false);
    let run = tlsdive::runs::Run::Repeat(tlsdive::runs::repeat::Repeat::new(
        plan,
        Some(9),
        Duration::from_millis(1),
    ));
    let session = tlsdive::cli::drive::to_end(run).await;
    let r = repeat::summarize(&session.attempts);
    assert_eq!(r.attempts, 9);
    assert_eq!(r.by_cause.len(), 2, "{:?}", r.by_cause);
    assert_eq!(r.by_cause[&Cause::Ok], 6);
    assert_eq!(r.by_cause[&Cause::CertExpired], 3);
    let addr = srv.addr.to_string();
    assert_eq!(r.by_address.len(), 1);
    assert_eq!(r.by_address[&addr][&Cause::CertExpired], 3);
    assert_eq!(repeat::words::strip(&r), "..x..x..x");
    // The failures' leaf is the expired one, and only it.
    let bad = session.attempts[2].certificates[0].sha256.clone();
    let good = session.attempts[0].certificates[0].sha256.clone();
    assert_ne!(bad, good);
    let cert = r
        .differences
        .iter()
        .find(|d| d.what == repeat::Fact::Certificate)
        .expect("the certificate tells the attempts apart");
    assert_eq!(
        (cert.worked.clone(), cert.failed.clone()),
        (vec![good], vec![bad.clone()])
    );
    assert_eq!(r.conclusion.cause, tlsdive::diagnose::Cause::Intermittent);
    assert_eq!(
        r.conclusion.summary,
        format!(
            "3 of 9 failed with cert-expired, all on {addr}, always with certificate SHA-256 {}: \
             one backend behind this address serves an expired certificate",
            repeat::words::short_fingerprint(&bad)
        )
    );
    // The case over the session draws the same conclusion, confirmed, and suggests no
    // client change: the same plan both worked and failed.
    let case = tlsdive::case::Case::of(&session).expect("a case");
    assert_eq!(case.cause, tlsdive::diagnose::Cause::Intermittent);
    assert!(case.confirmed);
    assert_eq!(case.summary, r.conclusion.summary);
    assert!(case.next_steps.iter().all(|s| s.retry.is_none()));
    assert_eq!(tlsdive::case::next_experiment(&session), None);
}

#[tokio::test]
async fn repeat_json_carries_the_counts_and_validates() {
    let srv = server(Scenario::EveryThirdExpired).await;
    let addr = srv.addr.to_string();
    let ca = fixture().ca.to_str().unwrap().to_string();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tlsdive"))
        .args(["probe", &addr, "--ca-file", &ca, "--timeout", "5s"])
        .args(["--repeat", "6", "--interval", "1ms", "--json"])
        .env_remove("SSLKEYLOGFILE")
        .output()
        .await
        .expect("run tlsdive");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let validator = common::schema::validator("report.schema.json");
    let errors = common::schema::errors(&validator, &v);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(v["repeat"]["attempts"], 6);
    assert_eq!(
        v["repeat"]["by_cause"],
        serde_json::json!({"ok": 4, "cert-expired": 2})
    );
    assert_eq!(v["repeat"]["by_address"][&addr]["ok"], 4);
    assert_eq!(v["repeat"]["conclusion"]["cause"], "intermittent");
    // The report shown is the first attempt that failed: the third.
    assert_eq!(v["attempt"], 3);
    assert_eq!(v["outcome"]["cause"], "cert-expired");
    // A repeat missing its counts fails the schema.
    let mut broken = v.clone();
    broken["repeat"].as_object_mut().unwrap().remove("by_cause");
    assert!(!validator.is_valid(&broken));
}

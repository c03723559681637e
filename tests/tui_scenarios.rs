//! Recorded event scenarios for the TUI tests, in `assets/scenarios/*.jsonl`.
//!
//! `record_scenarios` (ignored; run it with `cargo test --test tui_scenarios -- --ignored`)
//! probes lab servers with the real engine and writes the event streams. The other test
//! checks that every recording replays through `Session::apply` to the diagnosis the lab
//! scenario promises, so the snapshots are drawn from honest data.

mod common;

use std::path::PathBuf;

use common::{fixture, plan_for, server};
use tlsdive::diagnose;
use tlsdive::engine::EngineHandle;
use tlsdive::event::{EventKind, ProbeEvent};
use tlsdive::lab::Scenario;
use tlsdive::plan::{Plan, TlsVersion};

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/scenarios"))
}

/// (file, lab scenario, expected cause of the last attempt).
const SINGLE: &[(&str, Scenario, &str)] = &[
    ("healthy", Scenario::Healthy, "ok"),
    (
        "close-after-client-hello",
        Scenario::CloseAfterClientHello,
        "peer-closed-during-handshake",
    ),
    (
        "reset-after-client-hello",
        Scenario::ResetAfterClientHello,
        "peer-reset-during-handshake",
    ),
    ("expired-cert", Scenario::ExpiredCert, "cert-expired"),
    (
        "wrong-name-cert",
        Scenario::WrongNameCert,
        "cert-name-mismatch",
    ),
    ("fatal-alert", Scenario::FatalAlert, "tls-alert"),
    ("hostile-bytes", Scenario::HostileBytes, "ok"),
    ("starttls-454", Scenario::Starttls454, "starttls-rejected"),
];

/// Run `plans` one after another on one handle (attempt ids 1, 2, ...), optionally stepping.
async fn session(plans: Vec<Plan>, step: bool) -> Vec<ProbeEvent> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = EngineHandle::new(tx);
    engine.set_step_mode(step);
    let mut out = Vec::new();
    for plan in plans {
        engine.start(plan);
        while let Some(ev) = rx.recv().await {
            let done = matches!(ev.kind, EventKind::AttemptFinished { .. });
            if matches!(ev.kind, EventKind::Paused { .. }) {
                engine.step();
            }
            out.push(ev);
            if done {
                break;
            }
        }
    }
    out
}

fn write(name: &str, events: &[ProbeEvent]) {
    let mut buf = Vec::new();
    for ev in events {
        tlsdive::recording::write_event(&mut buf, ev).expect("serialise");
    }
    std::fs::write(dir().join(format!("{name}.jsonl")), buf).expect("write scenario");
}

#[tokio::test]
#[ignore = "regenerates assets/scenarios from the lab; run by hand"]
async fn record_scenarios() {
    std::fs::create_dir_all(dir()).expect("scenario dir");
    let _ = fixture();
    for (name, scenario, _) in SINGLE {
        let srv = server(*scenario).await;
        let events = session(vec![plan_for(srv.addr, scenario.implicit_tls())], false).await;
        write(name, &events);
    }
    // A session of three attempts against a TLS 1.2-only server: default, 1.3 only, 1.2 only.
    let srv = server(Scenario::Tls12Only).await;
    let base = plan_for(srv.addr, false);
    let mut only13 = base.clone();
    only13.tls.versions = vec![TlsVersion::Tls13];
    let mut only12 = base.clone();
    only12.tls.versions = vec![TlsVersion::Tls12];
    write("retries", &session(vec![base, only13, only12], false).await);
    // One healthy attempt in step mode: Paused events before each step.
    let srv = server(Scenario::Healthy).await;
    write(
        "step",
        &session(vec![plan_for(srv.addr, false)], true).await,
    );
}

#[test]
fn recordings_replay_to_the_expected_diagnosis() {
    let mut expected: Vec<(&str, &str)> = SINGLE.iter().map(|(n, _, c)| (*n, *c)).collect();
    expected.extend([("retries", "ok"), ("step", "ok")]);
    for (name, cause) in expected {
        let path = dir().join(format!("{name}.jsonl"));
        let session = tlsdive::recording::read(&path).expect("recording");
        let last = session.latest().expect("an attempt");
        assert_eq!(diagnose::diagnose(last).cause.code(), cause, "{name}");
    }
    let retries = tlsdive::recording::read(&dir().join("retries.jsonl")).expect("recording");
    let causes: Vec<&str> = retries
        .attempts
        .iter()
        .map(|a| diagnose::diagnose(a).cause.code())
        .collect();
    assert_eq!(causes.len(), 3);
    assert_ne!(
        causes[1], "ok",
        "TLS 1.3 only against a TLS 1.2 server fails"
    );
}

//! `--investigate` against lab servers: the engine runs the case's experiments by itself and
//! reaches the right conclusion within 24 connections, with the exact experiments asserted.

mod common;

use std::time::Duration;

use common::{plan_for, server};
use tlsdive::case::Case;
use tlsdive::diagnose::Cause;
use tlsdive::lab::Scenario;
use tlsdive::runs::{Run, investigate::Investigation};
use tlsdive::session::Session;

async fn investigate(s: Scenario) -> (Session, Case) {
    let srv = server(s).await;
    investigate_at(srv.addr).await
}

/// `--investigate` against `addr`, its events folded into a session.
async fn investigate_at(addr: std::net::SocketAddr) -> (Session, Case) {
    let mut plan = plan_for(addr, false);
    // A silent server costs one timeout per experiment: keep it short.
    plan.timeouts.reply = Duration::from_millis(800);
    let run = Run::Investigate(Investigation::of_plan(plan));
    let session = tlsdive::cli::drive::to_end(run).await;
    let case = Case::of(&session).expect("a case");
    (session, case)
}

fn changes(c: &Case) -> Vec<&str> {
    c.steps.iter().map(|s| s.change.as_str()).collect()
}

#[tokio::test]
async fn a_path_that_drops_large_hellos_is_hello_size_intolerant() {
    let (session, c) = investigate(Scenario::DropsLargeHello).await;
    assert_eq!(c.cause, Cause::HelloSizeIntolerant, "{}", c.summary);
    assert!(c.confirmed);
    assert_eq!(
        changes(&c),
        ["first attempt", "without the post-quantum key share"]
    );
    assert_eq!(session.attempts.len(), 2);
    assert_eq!(c.connections, 2);
    assert!(c.next_steps.iter().all(|s| s.retry.is_none()));
}

#[tokio::test]
async fn a_server_that_closes_after_every_hello_drops_every_hello() {
    let (session, c) = investigate(Scenario::CloseAfterClientHello).await;
    assert_eq!(c.cause, Cause::ServerDropsEveryHello, "{}", c.summary);
    assert!(c.confirmed, "the scan backs it");
    assert_eq!(
        changes(&c),
        [
            "first attempt",
            "without the post-quantum key share",
            "TLS 1.2 only, without the post-quantum key share",
            "scan: versions"
        ]
    );
    assert_eq!(session.attempts.len(), 3);
    // Three attempts and one connection per version scanned (SSL 3.0 to TLS 1.3).
    assert_eq!(c.connections, 3 + 5);
    assert!(c.connections <= 24);
}

#[tokio::test]
async fn a_server_that_refuses_every_version_is_named_after_the_scan() {
    let (session, c) = investigate(Scenario::RefusesEveryVersion).await;
    assert_eq!(c.cause, Cause::ServerRefusesEveryVersion, "{}", c.summary);
    assert!(c.confirmed);
    assert!(c.summary.contains("protocol_version"), "{}", c.summary);
    assert_eq!(changes(&c), ["first attempt", "scan: versions"]);
    assert_eq!(session.attempts.len(), 1);
    assert_eq!(c.connections, 1 + 5);
}

#[tokio::test]
async fn a_healthy_server_needs_no_experiment() {
    let (session, c) = investigate(Scenario::Healthy).await;
    assert_eq!(c.cause, Cause::Ok);
    assert_eq!(session.attempts.len(), 1);
    assert_eq!(c.connections, 1);
}

/// No step the case suggests has its outcome already in the session.
#[tokio::test]
async fn no_suggested_step_is_already_answered() {
    for s in [
        Scenario::CloseAfterClientHello,
        Scenario::Tls12Only,
        Scenario::FatalAlert,
    ] {
        let (session, c) = investigate(s).await;
        let latest = session.latest().and_then(|a| a.plan.clone()).unwrap();
        for step in &c.next_steps {
            match &step.retry {
                Some(tlsdive::diagnose::Retry::Scan) => {
                    assert!(session.attempts.iter().all(|a| a.scans.is_empty()), "{s}")
                }
                Some(r) => {
                    if let Some(p) = r.apply(&latest) {
                        assert!(
                            !session.attempts.iter().any(|a| a.plan.as_ref() == Some(&p)),
                            "{s}: {step:?} was already run"
                        );
                    }
                }
                None => {}
            }
        }
    }
}

/// Carry out a TUI effect on the engine, as the TUI's loop does.
fn carry_out(
    effect: tlsdive::tui::command::Effect,
    engine: &mut tlsdive::engine::EngineHandle,
    ui: &mut tlsdive::tui::Ui,
) {
    use tlsdive::tui::command::Effect;
    match effect {
        Effect::Run(orders) => tlsdive::tui::carry_out(engine, ui, orders),
        other => panic!("an investigation asks only for attempts and scans: {other:?}"),
    }
}

/// `I` in the TUI runs the same experiments as `--investigate`, through the engine handle,
/// each one a normal attempt or scan in the session; the status line gives the conclusion.
#[tokio::test]
async fn the_tui_key_runs_the_same_investigation() {
    let srv = server(Scenario::CloseAfterClientHello).await;
    let mut plan = plan_for(srv.addr, false);
    plan.timeouts.reply = Duration::from_millis(800);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = tlsdive::engine::EngineHandle::new(tx);
    let mut app = tlsdive::tui::app::App::new();
    app.color = false;
    let mut ui = tlsdive::tui::Ui::new(Session::new(), app);
    engine.start(plan);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut pressed = false;
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the investigation ends in time")
            .expect("the engine reports");
        ui.apply(&ev);
        if !pressed && ui.session.attempts.iter().all(|a| !a.is_running()) {
            ui.sync();
            assert!(ui.derived.investigable, "the diagnosis offers I");
            let effect = twice(&mut ui, 'I').expect("I starts an experiment");
            carry_out(effect, &mut engine, &mut ui);
            pressed = true;
            continue;
        }
        if let Some(effect) = ui.run_tick() {
            carry_out(effect, &mut engine, &mut ui);
        }
        let idle = ui.app.scanning.is_none() && ui.session.attempts.iter().all(|a| !a.is_running());
        if pressed && ui.app.investigation().is_none() && idle {
            break;
        }
    }
    let c = Case::of(&ui.session).expect("a case");
    assert_eq!(c.cause, Cause::ServerDropsEveryHello, "{}", c.summary);
    assert!(c.confirmed);
    assert_eq!(
        changes(&c),
        [
            "first attempt",
            "without the post-quantum key share",
            "TLS 1.2 only, without the post-quantum key share",
            "scan: versions"
        ]
    );
    assert_eq!(ui.session.attempts.len(), 3);
    assert_eq!(c.connections, 3 + 5);
    assert!(
        ui.app
            .status
            .starts_with("investigation done: server-drops-every-hello (confirmed) after 3 experiments, 7 connections"),
        "{}",
        ui.app.status
    );
    ui.sync();
    assert!(!ui.derived.investigable, "nothing left to offer");
}

/// A real old server (`openssl s_server -tls1` behind the lab's STARTTLS front): the
/// investigation scans once and confirms no-shared-version with what the server accepts.
#[tokio::test]
async fn a_tls10_only_openssl_server_is_a_confirmed_no_shared_version() {
    let backend = common::openssl::s_server(&["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]).await;
    let front = tlsdive::lab::start_front(backend.addr, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (session, c) = investigate_at(front.addr).await;
    assert_eq!(c.cause, Cause::NoSharedVersion, "{}", c.summary);
    assert!(c.confirmed, "the scan backs it: {}", c.summary);
    assert!(c.summary.contains("TLSv1.0"), "{}", c.summary);
    assert_eq!(changes(&c), ["first attempt", "scan: versions"]);
    assert_eq!(session.attempts.len(), 1);
    let scan = &session.attempts[0].scans[0].profile;
    let per_version: Vec<String> = scan
        .versions
        .iter()
        .map(|v| format!("{} {}", v.version, v.answer))
        .collect();
    assert_eq!(c.connections, 1 + scan.connections, "{per_version:?}");
    // One connection per version, and one more for SSL 3.0: its handshake_failure to the
    // first chunk of suites may only mean "none of these", so the scanner offers the rest.
    assert_eq!(scan.connections, 6, "{per_version:?}");
    assert_eq!(c.connections, 7);
}

/// A key that starts many connections asks first: the second press starts it (issue 19).
fn twice(ui: &mut tlsdive::tui::Ui, c: char) -> Option<tlsdive::tui::command::Effect> {
    let key = tlsdive::tui::keymap::Key::Char(c);
    assert_eq!(ui.key(key), None, "{c} asks first: {}", ui.app.status);
    ui.key(key)
}

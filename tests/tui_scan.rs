//! The scanner in the TUI: which focused scan the scan key runs for each diagnosis, the
//! legacy probes, cancelling, a real scan run from the `Ui` core against a lab server, and
//! snapshots of the profile view and of the diagnosis citing a scan — drawn from a recording
//! of a real TUI session against `openssl s_server -tls1` behind the lab's STARTTLS front
//! (`record_scan_assets`, ignored: `cargo test --test tui_scan -- --ignored`).

mod common;

use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use tlsdive::engine::EngineHandle;
use tlsdive::engine::scans::ScanRequest;
use tlsdive::event::{EventKind, Failure, Phase, ProbeEvent};
use tlsdive::lab::Scenario;
use tlsdive::plan::{Plan, Target, TlsVersion};
use tlsdive::profile::kind::ScanKind;
use tlsdive::scan::{Profile, ScanVersion};
use tlsdive::session::Session;
use tlsdive::tui::Ui;
use tlsdive::tui::app::{App, Mode};
use tlsdive::tui::command::Effect;
use tlsdive::tui::keymap::Key;
use tlsdive::tui::render::page_rows;

const W: u16 = 120;
const H: u16 = 36;
const RECORDING: &str = "tls10-only-scanned";

fn asset(name: &str) -> String {
    format!("{}/assets/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn ui_for(session: Session) -> Ui {
    let mut app = App::new();
    app.color = false;
    app.layout.page = page_rows(Rect::new(0, 0, W, H));
    Ui::new(session, app)
}

fn recording(name: &str) -> Session {
    tlsdive::recording::read(std::path::Path::new(&asset(&format!("{name}.jsonl"))))
        .expect("recording")
}

fn draw(ui: &mut Ui) -> String {
    draw_sized(ui, H)
}

fn draw_sized(ui: &mut Ui, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(W, h)).expect("test terminal");
    ui.sync();
    t.draw(|f| ui.draw(f)).expect("draw");
    t.backend().to_string()
}

fn job(e: Option<Effect>) -> ScanRequest {
    match e {
        Some(Effect::Scan(j)) => *j,
        other => panic!("expected a scan, got {other:?}"),
    }
}

/// A finished attempt that failed with `failure` in the handshake, for the plan `tweak` makes.
fn failed(failure: Failure, tweak: impl FnOnce(&mut Plan)) -> Session {
    let mut plan = Plan::new(Target::Host("mx.example.net".into()));
    tweak(&mut plan);
    let mut s = Session::new();
    let ev = |at_us, kind| ProbeEvent {
        attempt: 1,
        at_us,
        kind,
    };
    s.apply(&ev(
        0,
        EventKind::AttemptStarted {
            plan: Box::new(plan),
        },
    ));
    s.apply(&ev(
        10,
        EventKind::PhaseStarted {
            phase: Phase::TlsHandshake,
        },
    ));
    s.apply(&ev(
        20,
        EventKind::AttemptFinished {
            failure: Some(failure),
            phase: Phase::TlsHandshake,
        },
    ));
    s
}

fn alert(name: &str) -> Failure {
    Failure::Tls {
        error: format!("received fatal alert: {name}"),
        failure: tlsdive::event::TlsFailure::Alert {
            description: (0..=255u8)
                .find(|d| tlsdive::wire::names::alert_name(*d) == name)
                .expect("a known alert"),
        },
    }
}

fn cause(u: &mut Ui) -> &'static str {
    u.sync();
    u.derived
        .diagnosis
        .as_ref()
        .map(|d| d.cause.code())
        .unwrap_or("")
}

#[test]
fn the_scan_key_runs_the_focused_part_for_each_cause() {
    let cases: Vec<(Session, &str, ScanKind)> = vec![
        (
            failed(alert("protocol_version"), |_| {}),
            "no-shared-version",
            ScanKind::Versions,
        ),
        (
            // A bare handshake_failure: the versions scan decides which parameter.
            failed(alert("handshake_failure"), |_| {}),
            "no-shared-parameters",
            ScanKind::Versions,
        ),
        (
            failed(alert("handshake_failure"), |p| {
                p.tls.versions = vec![TlsVersion::Tls12]
            }),
            "no-shared-parameters",
            ScanKind::Versions,
        ),
        (
            failed(alert("handshake_failure"), |p| {
                p.tls.groups = vec!["secp384r1".into()]
            }),
            "no-shared-group",
            ScanKind::Groups,
        ),
        (
            recording("close-after-client-hello"),
            "peer-closed-during-handshake",
            ScanKind::Versions,
        ),
        (
            recording("reset-after-client-hello"),
            "peer-reset-during-handshake",
            ScanKind::Versions,
        ),
        (recording("fatal-alert"), "tls-alert", ScanKind::Full),
    ];
    for (session, want_cause, want) in cases {
        let mut u = ui_for(session);
        assert_eq!(cause(&mut u), want_cause);
        // A tall screen: the diagnosis panel shows every next step.
        let screen = draw_sized(&mut u, 80);
        assert!(
            screen.contains("press w to scan"),
            "{want_cause}:\n{screen}"
        );
        let j = job(twice(&mut u, 'w'));
        assert_eq!(j.kind, want, "{want_cause}");
        assert_eq!(j.attempt, 1);
        assert!(u.app.status.contains("Esc cancels"), "{}", u.app.status);
    }
}

#[test]
fn full_scan_and_legacy_probes_and_their_labels() {
    let mut u = ui_for(recording("healthy"));
    assert_eq!(job(twice(&mut u, 'W')).kind, ScanKind::Full);
    assert_eq!(u.key(Key::Char('W')), None, "one scan at a time");
    assert!(u.app.status.contains("is running"), "{}", u.app.status);
    assert_eq!(u.key(Key::Esc), Some(Effect::CancelScan));
    assert!(u.app.scanning.is_none());

    let j = job(u.key(Key::Char('0')));
    assert_eq!(
        j.kind,
        ScanKind::Legacy {
            version: ScanVersion::Tls10,
            suite: None
        }
    );
    assert!(
        u.app
            .status
            .contains("the server's answer to the ClientHello, not a full handshake"),
        "{}",
        u.app.status
    );
    u.key(Key::Esc);
    assert_eq!(
        job(u.key(Key::Char('1'))).kind,
        ScanKind::Legacy {
            version: ScanVersion::Tls11,
            suite: None
        }
    );
    u.key(Key::Esc);
    u.key(Key::Char('L'));
    assert_eq!(u.app.mode, Mode::Picker);
    let j = job(u.key(Key::Enter));
    assert_eq!(
        j.kind,
        ScanKind::Legacy {
            version: ScanVersion::Tls12,
            suite: Some("TLS_RSA_WITH_AES_128_CBC_SHA".into())
        }
    );
    assert_eq!(u.app.mode, Mode::Main);
}

#[test]
fn scans_are_refused_in_replay_and_while_the_attempt_runs() {
    let mut u = ui_for(recording("healthy"));
    u.app.options.read_only = true;
    for k in ['w', 'W', '0', '1', 'L'] {
        assert_eq!(u.key(Key::Char(k)), None, "{k}");
        assert_eq!(u.app.mode, Mode::Main);
    }
    assert!(u.app.status.contains("read-only"), "{}", u.app.status);
    // The profile view still opens (a replay shows its recorded scans).
    u.key(Key::Char('P'));
    assert_eq!(u.app.mode, Mode::Profile);
    u.key(Key::Esc);
    assert_eq!(u.app.mode, Mode::Main, "Esc with nothing running: back");

    let full = recording("step");
    let mut s = Session::new();
    for e in full.events().take(12) {
        s.apply(&e);
    }
    let mut u = ui_for(s);
    assert_eq!(u.key(Key::Char('w')), None);
    assert!(
        u.app.status.contains("wait for the attempt"),
        "{}",
        u.app.status
    );
}

#[test]
fn the_end_of_a_cancelled_scan_does_not_end_the_running_one() {
    let mut u = ui_for(recording("close-after-client-hello"));
    job(twice(&mut u, 'w'));
    u.scan_started(1);
    u.key(Key::Esc);
    assert!(u.app.scanning.is_none());
    let second = job(twice(&mut u, 'W'));
    u.scan_started(2);
    let profile: Profile = serde_json::from_str(
        &std::fs::read_to_string(asset("profile-tls10.json")).expect("profile asset"),
    )
    .expect("profile JSON");
    let ev = |kind| ProbeEvent {
        attempt: 1,
        at_us: 0,
        kind,
    };
    u.apply(&ev(EventKind::ScanStarted {
        scan: 2,
        kind: second.kind.clone(),
    }));
    // The first scan's cancellation reaches the loop after the second started.
    u.apply(&ev(EventKind::ScanCancelled { scan: 1 }));
    assert!(u.app.scanning.is_some(), "the second scan still runs");
    assert!(u.session.attempts[0].scan_running.is_some());
    u.apply(&ev(EventKind::ScanFinished {
        scan: 2,
        kind: second.kind,
        profile: Box::new(profile),
    }));
    assert_eq!(u.session.attempts[0].scans.len(), 1);
    assert!(u.session.attempts[0].scan_running.is_none());
    assert!(u.app.scanning.is_none());
    assert!(
        u.app.status.contains("P shows the profile"),
        "{}",
        u.app.status
    );
}

#[test]
fn diagnosis_cites_the_scan_and_profile_view_snapshots() {
    let mut u = ui_for(recording(RECORDING));
    assert_eq!(cause(&mut u), "no-shared-version");
    let main = draw(&mut u);
    assert!(
        main.contains("scan: the server accepts only TLS 1.0 (TLS_")
            || main.contains("case: no-shared-version (confirmed) the scan confirms it: the server accepts only TLSv1.0"),
        "{main}"
    );
    insta::assert_snapshot!("scan_diagnosis_evidence", main);
    u.key(Key::Char('P'));
    assert_eq!(u.app.mode, Mode::Profile);
    insta::assert_snapshot!("scan_profile_focused", draw(&mut u));

    // The full profile recorded from the same server, added as a later scan.
    let profile: Profile = serde_json::from_str(
        &std::fs::read_to_string(asset("profile-tls10.json")).expect("profile asset"),
    )
    .expect("profile JSON");
    let at_us = u.session.attempts[0].last_us;
    u.apply(&ProbeEvent {
        attempt: 1,
        at_us,
        kind: EventKind::ScanFinished {
            scan: 9,
            kind: ScanKind::Full,
            profile: Box::new(profile),
        },
    });
    insta::assert_snapshot!("scan_profile_full", draw(&mut u));
    u.key(Key::Char('?'));
    insta::assert_snapshot!("help_profile", draw(&mut u));
}

#[test]
fn scans_are_exported_with_their_attempt() {
    let session = recording(RECORDING);
    let text = tlsdive::tui::export::text(&session);
    assert!(text.contains("Scan for attempt #1 (versions)"), "{text}");
    assert!(text.contains("TLS profile of"), "{text}");
    let json = tlsdive::tui::export::json(&session);
    assert_eq!(json["attempts"][0]["scans"][0]["what"], "versions");
    assert_eq!(json["attempts"][0]["scans"][0]["profile"]["schema"], 1);
    let bytes = tlsdive::tui::export::recording(&session).expect("recording");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("r.jsonl");
    std::fs::write(&path, bytes).expect("write");
    let back = tlsdive::recording::read(&path).expect("replay");
    assert_eq!(back.attempts[0].scans, session.attempts[0].scans);
}

/// Hand the scan to an engine handle, as the loop does, and fold its events into the `Ui`
/// until it is done (bounded: the scan's own timeouts are 5 s per reply; 60 s is far beyond
/// them).
async fn run_through_engine(u: &mut Ui, req: ScanRequest) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = EngineHandle::new(tx);
    let scan = engine.scan(req);
    u.scan_started(scan);
    let progressed = fold_until_done(u, &mut rx).await;
    assert!(progressed > 0, "the scan reported its progress");
}

/// Fold engine events into the `Ui` until the scan it waits for is over; how many progress
/// reports came.
async fn fold_until_done(
    u: &mut Ui,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<ProbeEvent>,
) -> usize {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut progressed = 0;
    while u.app.scanning.is_some() {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the scan finished in time")
            .expect("the engine reported");
        if matches!(ev.kind, EventKind::ScanProgressed { .. }) {
            progressed += 1;
        }
        u.apply(&ev);
    }
    progressed
}

/// A real probe that fails, then the scan key's focused scan against the same lab server,
/// run by the engine handle and folded in through `Ui::apply`, as the loop does.
#[tokio::test]
async fn a_real_focused_scan_from_the_ui_core() {
    let srv = common::server(Scenario::Tls13Only).await;
    let mut plan = common::plan_for(srv.addr, false);
    plan.tls.versions = vec![TlsVersion::Tls12];
    let mut session = Session::new();
    for ev in tlsdive::engine::probe(plan).await {
        session.apply(&ev);
    }
    let mut u = ui_for(session);
    assert_eq!(cause(&mut u), "no-shared-version");
    let j = job(twice(&mut u, 'w'));
    assert_eq!(j.kind, ScanKind::Versions);
    run_through_engine(&mut u, j).await;
    let a = u.session.latest().expect("attempt");
    let [scan] = &a.scans[..] else {
        panic!("one scan: {:?}", a.scans)
    };
    assert_eq!(scan.kind, ScanKind::Versions);
    let accepted: Vec<&str> = scan
        .profile
        .versions
        .iter()
        .filter(|v| v.accepted)
        .map(|v| v.version.name())
        .collect();
    assert_eq!(accepted, ["TLSv1.3"], "{:#?}", scan.profile);
    let main = draw(&mut u);
    assert!(
        main.contains("scan: the server accepts only TLS 1.3 (TLS_"),
        "{main}"
    );
    u.key(Key::Char('P'));
    let profile = draw(&mut u);
    assert!(profile.contains("server profile of 127.0.0.1"), "{profile}");
    assert!(profile.contains("TLS 1.3   yes"), "{profile}");
}

/// The senders key: every real MTA's hello against a TLS 1.3-only lab server, run from the
/// `Ui` core; the profile view shows one row per sender.
#[tokio::test]
async fn the_senders_key_runs_every_profile_and_the_view_lists_them() {
    let srv = common::server(Scenario::Tls13Only).await;
    let mut session = Session::new();
    for ev in tlsdive::engine::probe(common::plan_for(srv.addr, false)).await {
        session.apply(&ev);
    }
    let mut u = ui_for(session);
    let j = job(twice(&mut u, 'E'));
    assert_eq!(j.kind, ScanKind::Senders);
    run_through_engine(&mut u, j).await;
    let a = u.session.latest().expect("attempt");
    let [scan] = &a.scans[..] else {
        panic!("one scan: {:?}", a.scans)
    };
    assert_eq!(scan.kind, ScanKind::Senders);
    assert_eq!(scan.profile.senders.len(), 8, "{:#?}", scan.profile);
    u.key(Key::Char('P'));
    let view = draw_sized(&mut u, 60);
    assert!(
        view.contains("senders — each real MTA's default ClientHello"),
        "{view}"
    );
    for name in [
        "postfix",
        "postfix-secure",
        "postfix-dane",
        "openssl35-pq",
        "exim",
        "exchange-online",
        "gmail",
        "rustls",
    ] {
        assert!(
            view.lines()
                .any(|l| l.contains(&format!("  {name:<16}yes  TLSv1.3 TLS_"))),
            "{name}: {view}"
        );
    }
}

/// A real legacy probe: cancelled at once, then run, from the `Ui` core.
#[tokio::test]
async fn a_real_legacy_probe_and_a_cancelled_scan() {
    let srv = common::server(Scenario::Tls12Only).await;
    let plan = common::plan_for(srv.addr, false);
    let mut session = Session::new();
    for ev in tlsdive::engine::probe(plan).await {
        session.apply(&ev);
    }
    let mut u = ui_for(session);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = EngineHandle::new(tx);
    let first = engine.scan(job(twice(&mut u, 'W')));
    u.scan_started(first);
    assert_eq!(u.key(Key::Esc), Some(Effect::CancelScan));
    engine.cancel_scan();
    let second = engine.scan(job(u.key(Key::Char('0'))));
    u.scan_started(second);
    fold_until_done(&mut u, &mut rx).await;
    let a = u.session.latest().expect("attempt");
    assert_eq!(a.scans.len(), 1, "only the legacy probe: {:?}", a.scans);
    let v = &a.scans[0].profile.versions;
    assert_eq!(v.len(), 1);
    assert!(!v[0].accepted, "rustls never speaks TLS 1.0: {v:?}");
    let main = draw(&mut u);
    assert!(
        main.contains("legacy probe: TLS 1.0 ClientHello →"),
        "{main}"
    );
}

mod record {
    //! Records `assets/scenarios/tls10-only-scanned.jsonl` and `profile-tls10.json` from
    //! `openssl s_server -tls1` behind the lab's STARTTLS front.

    use super::*;

    const TLS10_SPEC: &str = "AES128-SHA:AES256-SHA:DES-CBC3-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0";

    async fn s_server() -> super::common::openssl::SServer {
        super::common::openssl::s_server(&["-tls1", "-cipher", TLS10_SPEC]).await
    }

    async fn run_key(u: &mut Ui, key: Key) {
        if key == Key::Char('L') {
            u.key(key);
            let j = job(u.key(Key::Enter));
            return run_job(u, j).await;
        }
        let j = job(u.key(key));
        run_job(u, j).await
    }

    async fn run_job(u: &mut Ui, j: ScanRequest) {
        run_through_engine(u, j).await
    }

    #[tokio::test]
    #[ignore = "regenerates assets/scenarios from openssl s_server; run by hand"]
    async fn record_scan_assets() {
        let backend = s_server().await;
        let front = tlsdive::lab::start_front(backend.addr, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let plan = common::plan_for(front.addr, false);
        let mut session = Session::new();
        for ev in tlsdive::engine::probe(plan.clone()).await {
            session.apply(&ev);
        }
        let mut u = ui_for(session);
        assert_eq!(cause(&mut u), "no-shared-version");
        for key in [Key::Char('w'), Key::Char('0'), Key::Char('L')] {
            run_key(&mut u, key).await;
        }
        let mut out = Vec::new();
        for ev in u.session.events() {
            tlsdive::recording::write_event(&mut out, &ev).unwrap();
        }
        std::fs::write(asset(&format!("{RECORDING}.jsonl")), out).unwrap();
        let full =
            tlsdive::scan::run_kind(&tlsdive::scan::ScanPlan::new(plan), &ScanKind::Full, |_| {})
                .await;
        let mut json = serde_json::to_string_pretty(&full).unwrap();
        json.push('\n');
        std::fs::write(asset("profile-tls10.json"), json).unwrap();
    }
}

/// The senders key against a server that requires a client certificate: each sender gets
/// past its hello, but the attempt the scan was run for shows the server then demands a
/// certificate no sender sends, so the view says no for every one of them and why, as
/// `scan --senders` does (it said yes for every sender before the fold).
#[tokio::test]
async fn the_senders_key_judges_senders_by_the_attempts_client_certificate_request() {
    let srv = common::server(Scenario::ClientCertRequired).await;
    let mut session = Session::new();
    for ev in tlsdive::engine::probe(common::plan_for(srv.addr, false)).await {
        session.apply(&ev);
    }
    let mut u = ui_for(session);
    assert_eq!(cause(&mut u), "client-cert-required");
    let j = job(twice(&mut u, 'E'));
    assert_eq!(j.kind, ScanKind::Senders);
    run_through_engine(&mut u, j).await;
    u.key(Key::Char('P'));
    let view = draw_sized(&mut u, 60);
    for name in ["postfix", "exim", "rustls"] {
        let row = view
            .lines()
            .find(|l| l.contains(&format!("  {name:<16}")))
            .unwrap_or_else(|| panic!("{name}: {view}"));
        assert!(
            row.contains(&format!(
                "  {name:<16}no   the server requires a client certificate"
            )),
            "{row}\n{view}"
        );
    }
    assert!(
        !view.lines().any(|l| l.contains("yes  TLSv1")),
        "no sender gets through: {view}"
    );
}

/// A key that starts many connections asks first: the second press starts it (issue 19).
fn twice(ui: &mut tlsdive::tui::Ui, c: char) -> Option<tlsdive::tui::command::Effect> {
    let key = tlsdive::tui::keymap::Key::Char(c);
    assert_eq!(ui.key(key), None, "{c} asks first: {}", ui.app.status);
    ui.key(key)
}

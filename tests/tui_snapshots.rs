//! Whole-screen snapshots of every view and mode, drawn on ratatui's `TestBackend` from the
//! recorded scenarios in `assets/scenarios/` (replayed through `Session::apply`), driven by
//! the same key presses a user would type. Colour is off so the text is the snapshot.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::Color;
use tlsdive::event::{EventKind, ProbeEvent};
use tlsdive::plan::{Plan, Target};
use tlsdive::session::Session;
use tlsdive::tui::Ui;
use tlsdive::tui::app::App;
use tlsdive::tui::keymap::Key;
use tlsdive::tui::render::page_rows;

const W: u16 = 120;
const H: u16 = 36;

fn recording(name: &str) -> Session {
    let path = format!(
        "{}/assets/scenarios/{name}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    tlsdive::recording::read(std::path::Path::new(&path)).expect("recording")
}

fn ui_for(session: Session) -> Ui {
    let mut app = App::new();
    app.color = false;
    app.page = page_rows(Rect::new(0, 0, W, H));
    Ui::new(session, app)
}

fn ui(name: &str) -> Ui {
    ui_for(recording(name))
}

fn screen(ui: &mut Ui, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    ui.sync();
    t.draw(|f| ui.draw(f)).expect("draw");
    t
}

fn draw(ui: &mut Ui) -> String {
    screen(ui, W, H).backend().to_string()
}

fn keys(ui: &mut Ui, keys: &[Key]) {
    for k in keys {
        ui.key(*k);
    }
}

fn chars(s: &str) -> Vec<Key> {
    s.chars().map(Key::Char).collect()
}

#[test]
fn main_view_of_each_scenario() {
    for name in [
        "healthy",
        "close-after-client-hello",
        "reset-after-client-hello",
        "expired-cert",
        "wrong-name-cert",
        "fatal-alert",
        "hostile-bytes",
        "starttls-454",
    ] {
        insta::assert_snapshot!(format!("main_{name}"), draw(&mut ui(name)));
    }
}

#[test]
fn timeline_selection_shows_the_client_hello() {
    let mut u = ui("healthy");
    keys(&mut u, &[Key::Tab, Key::Home]);
    insta::assert_snapshot!(draw(&mut u));
}

#[test]
fn certificates_view() {
    for name in ["healthy", "expired-cert", "wrong-name-cert"] {
        let mut u = ui(name);
        keys(&mut u, &[Key::Char('C')]);
        insta::assert_snapshot!(format!("certificates_{name}"), draw(&mut u));
    }
}

#[test]
fn attempts_view_and_comparison() {
    let mut u = ui("retries");
    keys(&mut u, &[Key::Char('A')]);
    insta::assert_snapshot!("attempts", draw(&mut u));
    keys(
        &mut u,
        &[
            Key::Char('g'),
            Key::Space,
            Key::Char('j'),
            Key::Space,
            Key::Enter,
        ],
    );
    insta::assert_snapshot!("compare", draw(&mut u));
}

#[test]
fn previous_attempt() {
    let mut u = ui("retries");
    keys(&mut u, &[Key::Char('[')]);
    insta::assert_snapshot!(draw(&mut u));
}

#[test]
fn help_overlay_per_view() {
    let mut u = ui("healthy");
    keys(&mut u, &[Key::Char('?')]);
    insta::assert_snapshot!("help_main", draw(&mut u));
    let mut u = ui("retries");
    keys(&mut u, &[Key::Char('A'), Key::Char('?')]);
    insta::assert_snapshot!("help_attempts", draw(&mut u));
}

#[test]
fn pickers_and_editor() {
    let mut u = ui("healthy");
    keys(&mut u, &[Key::Char('c'), Key::Char('j'), Key::Space]);
    insta::assert_snapshot!("picker_suites", draw(&mut u));
    let mut u = ui("healthy");
    keys(&mut u, &[Key::Char('g'), Key::Space]);
    insta::assert_snapshot!("picker_groups", draw(&mut u));
    let mut u = ui("healthy");
    keys(&mut u, &[Key::Char('m')]);
    insta::assert_snapshot!("picker_address", draw(&mut u));
    let mut u = ui("healthy");
    u.app.demo = true;
    keys(&mut u, &[Key::Char('l')]);
    insta::assert_snapshot!("picker_scenarios", draw(&mut u));
    let mut u = ui("wrong-name-cert");
    keys(&mut u, &[Key::Char('s')]);
    keys(&mut u, &chars("mx.example"));
    insta::assert_snapshot!("editor_sni", draw(&mut u));
}

#[test]
fn running_attempt_paused_in_step_mode() {
    let full = recording("step");
    let events: Vec<&ProbeEvent> = full.events().collect();
    let paused = events
        .iter()
        .position(
            |e| matches!(&e.kind, EventKind::Paused { before } if before.contains("STARTTLS")),
        )
        .expect("a pause before STARTTLS");
    let mut s = Session::new();
    for e in &events[..=paused] {
        s.apply(e);
    }
    let mut u = ui_for(s);
    u.app.step_mode = true;
    insta::assert_snapshot!(draw(&mut u));
}

#[test]
fn read_only_replay_refuses_plan_changes() {
    let mut u = ui("healthy");
    u.app.read_only = true;
    assert_eq!(u.key(Key::Char('2')), None);
    insta::assert_snapshot!(draw(&mut u));
}

#[test]
fn too_small_says_so() {
    let mut u = ui("healthy");
    insta::assert_snapshot!(screen(&mut u, 60, 20).backend().to_string());
}

fn ev(at_us: u64, kind: EventKind) -> ProbeEvent {
    ProbeEvent {
        attempt: 1,
        at_us,
        kind,
    }
}

/// One attempt whose EHLO reply has 40 lines.
fn long_reply() -> Session {
    let mut plan = Plan::new(Target::Host("mx.example.net".into()));
    plan.ehlo = "probe.example.org".into();
    let mut s = Session::new();
    s.apply(&ev(
        0,
        EventKind::AttemptStarted {
            plan: Box::new(plan),
        },
    ));
    let sent = |line: &str| EventKind::SmtpSent {
        line: line.into(),
        tls: false,
    };
    let got = |line: String| EventKind::SmtpReceived {
        line,
        tls: false,
        truncated: false,
    };
    s.apply(&ev(10, got("220 mx.example.net ESMTP".into())));
    s.apply(&ev(20, sent("EHLO probe.example.org")));
    for i in 0..39 {
        s.apply(&ev(30 + i, got(format!("250-X-EXTENSION-{i}"))));
    }
    s.apply(&ev(80, got("250 STARTTLS".into())));
    s.apply(&ev(90, sent("STARTTLS")));
    s
}

#[test]
fn long_replies_fold_and_unfold() {
    let mut u = ui_for(long_reply());
    insta::assert_snapshot!("folded", draw(&mut u));
    keys(&mut u, &[Key::Char('f'), Key::Home]);
    insta::assert_snapshot!("unfolded", draw(&mut u));
}

#[test]
fn no_color_means_no_colours() {
    let mut u = ui("fatal-alert");
    let t = screen(&mut u, W, H);
    let coloured = t
        .backend()
        .buffer()
        .content()
        .iter()
        .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
        .count();
    assert_eq!(coloured, 0);
    u.app.color = true;
    let t = screen(&mut u, W, H);
    assert!(
        t.backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg == Color::Red),
        "the alert is red with colour on"
    );
}

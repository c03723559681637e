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
    app.layout.page = page_rows(Rect::new(0, 0, W, H));
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

/// The server's encrypted TLS 1.3 flight, decrypted with the attempt's own secrets: the
/// fourth row, selected, shows EncryptedExtensions, Certificate, CertificateVerify, Finished.
#[test]
fn timeline_selection_shows_the_decrypted_flight() {
    let mut u = ui("healthy");
    keys(
        &mut u,
        &[
            Key::Tab,
            Key::Home,
            Key::Char('j'),
            Key::Char('j'),
            Key::Char('j'),
        ],
    );
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
            Key::Home,
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
    u.app.options.demo = true;
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
    let events: Vec<ProbeEvent> = full.events().map(|e| e.into_owned()).collect();
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
    u.app.options.step_mode = true;
    insta::assert_snapshot!(draw(&mut u));
}

#[test]
fn read_only_replay_refuses_plan_changes() {
    let mut u = ui("healthy");
    u.app.options.read_only = true;
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

fn text_of(t: &Terminal<TestBackend>) -> String {
    t.backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect()
}

/// Issue 7: at 80×24 the timeline dropped its record-type column and cut the cause. The
/// record names and the cause stay; the less important columns go first.
#[test]
fn main_view_at_80x24() {
    for (name, cause, record) in [
        ("healthy", "ok", "ClientHello"),
        ("fatal-alert", "tls-alert", "internal_error"),
        (
            "close-after-client-hello",
            "peer-closed-during-handshake",
            "FIN: the server closed",
        ),
        ("starttls-454", "starttls-rejected", "no TLS records"),
    ] {
        let mut u = ui(name);
        let t = screen(&mut u, 80, 24);
        insta::assert_snapshot!(format!("small_{name}"), t.backend().to_string());
        let text = text_of(&t);
        assert!(text.contains(cause), "{name}: cause {cause}");
        assert!(text.contains(record), "{name}: {record}");
    }
}

/// Issue 7: scrolling the diagnosis past its end left it blank. It stops at the last page,
/// says where it stands, and one key up moves at once.
#[test]
fn diagnosis_scroll_stops_at_the_end() {
    let mut u = ui("close-after-client-hello");
    u.app.layout.page = page_rows(Rect::new(0, 0, 80, 24));
    keys(&mut u, &[Key::Tab, Key::Tab]);
    screen(&mut u, 80, 24);
    let max = u.app.layout.extents.diagnosis;
    assert!(max > 0, "the diagnosis is longer than its panel at 80×24");
    for _ in 0..50 {
        u.key(Key::Down);
    }
    assert_eq!(u.app.main.diagnosis_top, max);
    let t = screen(&mut u, 80, 24);
    let text = text_of(&t);
    // The panel shows its last rows, from the largest top on (its height is what its next
    // steps need, issue 19).
    assert!(text.contains(&format!(" {}–", max + 1)), "position shown");
    insta::assert_snapshot!("diagnosis_scrolled_to_the_end", t.backend().to_string());
    u.key(Key::Up);
    assert_eq!(u.app.main.diagnosis_top, max - 1);
    // The other scrolled views stop at their end too.
    for (open, top) in [('C', 0usize), ('?', 1)] {
        let mut u = ui("wrong-name-cert");
        keys(&mut u, &[Key::Char(open)]);
        screen(&mut u, 80, 24);
        for _ in 0..500 {
            u.key(Key::Down);
        }
        let (pos, max) = match top {
            0 => (u.app.certs.top, u.app.layout.extents.certs),
            _ => (u.app.help.top, u.app.layout.extents.help),
        };
        assert!(max > 0, "{open}");
        assert_eq!(pos, max, "{open}");
    }
}

/// Everything a recording says is untrusted: an ESC (ANSI escape) and a U+202E (right-to-left
/// override) in a server's reply, a certificate, a host name and the negotiated suite are shown
/// escaped in every view, never sent to the terminal.
#[test]
fn hostile_recording_is_escaped_at_render() {
    let evil = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}exe.txt";
    let mut s = Session::new();
    for e in recording("healthy").events() {
        let mut e = e.into_owned();
        match &mut e.kind {
            EventKind::AttemptStarted { plan } => plan.ehlo = format!("probe{evil}"),
            EventKind::SmtpReceived { line, .. } => line.push_str(evil),
            EventKind::ConnectStarted { host, .. } => *host = Some(format!("mx{evil}")),
            EventKind::CertificatesReceived { chain, verdict } => {
                chain[0].subject = format!("CN=mx{evil}");
                chain[0].sans.push(format!("alt{evil}"));
                verdict.detail.push_str(evil);
            }
            EventKind::TlsEstablished { negotiated } => negotiated.cipher_suite.push_str(evil),
            EventKind::AttemptFinished { .. } => e.at_us = 20_054_000,
            _ => {}
        }
        s.apply(&e);
    }
    let mut u = ui_for(s);
    let views: [&[Key]; 4] = [
        &[],
        &[Key::Char('C')],
        &[Key::Char('C'), Key::Char('A')],
        &[Key::Char('A'), Key::Char('q'), Key::Char('m')],
    ];
    for (i, ks) in views.iter().enumerate() {
        keys(&mut u, ks);
        let t = screen(&mut u, W, H);
        let text = text_of(&t);
        assert!(
            !text.contains('\u{1b}'),
            "view {i}: a raw ESC reached the screen"
        );
        assert!(
            !text.contains('\u{202e}'),
            "view {i}: a raw U+202E reached the screen"
        );
        assert!(text.contains("\\e[2J"), "view {i}: shown escaped");
        if i == 0 {
            assert!(text.contains("\\u{202e}exe.txt"));
            assert!(text.contains("ok in 20.1 s"), "durations in seconds");
            insta::assert_snapshot!("hostile_recording", t.backend().to_string());
        }
    }
}

/// Issue 7: the demo's first screen never mentioned `l`, nor which scenario was shown.
#[test]
fn demo_first_screen_names_the_scenario_and_the_l_key() {
    let mut u = ui("healthy");
    let a = u.session.latest().unwrap();
    let p = a.plan.as_ref().unwrap();
    let tlsdive::plan::Target::Ip(ip) = p.target else {
        panic!("lab plans aim at an address");
    };
    let addr = std::net::SocketAddr::new(ip, p.port);
    u.app
        .start_demo(vec![(addr, tlsdive::lab::Scenario::Healthy)]);
    let t = screen(&mut u, 80, 24);
    let text = text_of(&t);
    assert!(text.contains("lab scenario healthy"), "header names it");
    assert!(text.contains("press l to pick another scenario"));
    insta::assert_snapshot!("demo_first_screen", t.backend().to_string());
    keys(&mut u, &[Key::Char('l')]);
    let text = text_of(&screen(&mut u, W, H));
    assert!(text.contains("what is wrong with its server"));
    assert!(text.contains("reads the ClientHello, then resets (RST)"));
}

/// A running attempt with one TLS record: "1 row", and the timeline's words say "yet".
#[test]
fn one_record_so_far() {
    let full = recording("healthy");
    let mut s = Session::new();
    for e in full.events() {
        s.apply(&e);
        if matches!(e.kind, EventKind::TlsRecord { .. }) {
            break;
        }
    }
    let mut u = ui_for(s);
    let text = text_of(&screen(&mut u, W, H));
    assert!(text.contains("TLS handshake timeline (1 row)"));
    assert!(!text.contains("1 rows"));
    let mut u = ui("starttls-454");
    let text = text_of(&screen(&mut u, W, H));
    assert!(
        text.contains("no TLS records: the attempt ended in the starttls phase"),
        "a finished attempt without TLS says so"
    );
    assert!(!text.contains("yet"));
}

/// Issue 19: after `x` the status line names every file written — the pcapng and the PEM
/// chain too — and the folder, within 160 columns (it listed five full paths and was cut).
#[test]
fn export_status_names_every_file_on_screen() {
    let mut u = ui("healthy");
    let dir = tempfile::tempdir().expect("tempdir");
    u.export_to(dir.path(), std::time::SystemTime::now());
    let shown = screen(&mut u, 160, 48).backend().to_string();
    for ending in ["txt", "json", "jsonl", "pcapng", "chain.pem"] {
        assert!(shown.contains(ending), "{ending} not on screen:\n{shown}");
    }
    assert!(shown.contains("5 files into"), "{shown}");
}

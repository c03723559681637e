//! Key presses through the one keymap table to their effect: which attempts they start
//! (with which plan), which views they open, and what read-only replay refuses.

mod common;

use std::net::SocketAddr;

use tlsdive::plan::{Sni, TlsVersion};
use tlsdive::session::Session;
use tlsdive::tui::Ui;
use tlsdive::tui::app::{App, Focus, Mode};
use tlsdive::tui::command::Effect;
use tlsdive::tui::keymap::Key;

fn ui(name: &str) -> Ui {
    let path = format!(
        "{}/assets/scenarios/{name}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let session: Session =
        tlsdive::recording::read(std::path::Path::new(&path)).expect("recording");
    Ui::new(session, App::new())
}

fn started(e: Option<Effect>) -> tlsdive::plan::Plan {
    match e {
        Some(Effect::Start(p)) => *p,
        other => panic!("expected a new attempt, got {other:?}"),
    }
}

#[test]
fn version_keys_retry_with_one_change() {
    let mut u = ui("healthy");
    let base = u.session.latest().and_then(|a| a.plan.clone()).unwrap();
    let p = started(u.key(Key::Char('2')));
    assert_eq!(p.tls.versions, vec![TlsVersion::Tls12]);
    assert_eq!(p.tls.groups, base.tls.groups);
    assert_eq!(
        started(u.key(Key::Char('3'))).tls.versions,
        vec![TlsVersion::Tls13]
    );
    assert!(started(u.key(Key::Char('a'))).tls.versions.is_empty());
    assert_eq!(started(u.key(Key::Char('r'))), base);
    assert!(!started(u.key(Key::Char('v'))).tls.verify);
    assert_eq!(started(u.key(Key::Char('S'))).tls.sni, Sni::Off);
    assert_eq!(u.app.mode, Mode::Main);
    assert!(u.app.status.starts_with("new attempt"), "{}", u.app.status);
}

#[test]
fn group_picker_toggles_post_quantum_as_one() {
    let mut u = ui("healthy");
    assert_eq!(u.key(Key::Char('g')), None);
    assert_eq!(u.app.mode, Mode::Picker);
    // The first item is the post-quantum toggle; uncheck it and apply.
    u.key(Key::Space);
    let p = started(u.key(Key::Enter));
    assert!(!p.tls.groups.is_empty());
    assert!(
        p.tls.groups.iter().all(|g| !g.contains("MLKEM")),
        "{:?}",
        p.tls.groups
    );
    assert_eq!(u.app.mode, Mode::Main);
}

#[test]
fn suite_picker_refuses_an_empty_choice() {
    let mut u = ui("healthy");
    u.key(Key::Char('c'));
    let n = u.app.picker.as_ref().unwrap().items.len();
    for _ in 0..n {
        u.key(Key::Space);
        u.key(Key::Char('j'));
    }
    assert_eq!(u.key(Key::Enter), None);
    assert!(u.app.status.contains("check at least one"));
}

/// Issue 19: the SNI/EHLO editor takes readline's keys: Ctrl-U clears, Ctrl-W deletes a
/// word, Ctrl-A/Ctrl-E and the arrows move the cursor, and typing goes where it is.
#[test]
fn the_editor_takes_readline_keys() {
    let mut u = ui("healthy");
    u.key(Key::Char('e'));
    assert_eq!(u.app.mode, Mode::Edit);
    u.key(Key::Ctrl('u'));
    assert_eq!(u.app.editor.as_ref().unwrap().text, "");
    for c in "mx.example.org".chars() {
        u.key(Key::Char(c));
    }
    u.key(Key::Ctrl('w'));
    assert_eq!(u.app.editor.as_ref().unwrap().text, "mx.example.");
    u.key(Key::Ctrl('a'));
    for c in "relay-".chars() {
        u.key(Key::Char(c));
    }
    assert_eq!(u.app.editor.as_ref().unwrap().text, "relay-mx.example.");
    u.key(Key::Ctrl('e'));
    for c in "net".chars() {
        u.key(Key::Char(c));
    }
    u.key(Key::Left);
    u.key(Key::Backspace);
    assert_eq!(u.app.editor.as_ref().unwrap().text, "relay-mx.example.nt");
    u.key(Key::Right);
    u.key(Key::Ctrl('u'));
    assert_eq!(u.app.editor.as_ref().unwrap().text, "");
    for c in "relay.example.net".chars() {
        u.key(Key::Char(c));
    }
    assert_eq!(started(u.key(Key::Enter)).ehlo, "relay.example.net");
}

#[test]
fn editors_type_and_apply() {
    let mut u = ui("healthy");
    u.key(Key::Char('e'));
    assert_eq!(u.app.mode, Mode::Edit);
    for _ in 0..40 {
        u.key(Key::Backspace);
    }
    for c in "relay.example.org".chars() {
        // q, k, g... are typed, not commands, while editing.
        assert_eq!(u.key(Key::Char(c)), None);
    }
    assert_eq!(started(u.key(Key::Enter)).ehlo, "relay.example.org");

    u.key(Key::Char('s'));
    for c in "bad name".chars() {
        u.key(Key::Char(c));
    }
    assert_eq!(u.key(Key::Enter), None, "a name with a space is refused");
    assert!(u.app.status.contains("not a host name"), "{}", u.app.status);

    u.key(Key::Char('s'));
    for c in "mx.example.net".chars() {
        u.key(Key::Char(c));
    }
    assert_eq!(
        started(u.key(Key::Enter)).tls.sni,
        Sni::Name("mx.example.net".into())
    );
    u.key(Key::Char('s'));
    assert_eq!(u.key(Key::Esc), None);
    assert_eq!(u.app.mode, Mode::Main);
}

#[test]
fn address_picker_pins_the_resolved_address() {
    let mut u = ui("healthy");
    let peer: SocketAddr = u.session.latest().and_then(|a| a.peer).unwrap();
    u.key(Key::Char('m'));
    u.key(Key::Char('j'));
    let p = started(u.key(Key::Enter));
    assert_eq!(p.address, Some(peer));
    u.key(Key::Char('m'));
    assert_eq!(
        started(u.key(Key::Enter)).address,
        None,
        "first item unpins"
    );
}

#[test]
fn step_cancel_export_quit() {
    let mut u = ui("healthy");
    assert_eq!(u.key(Key::Char('n')), Some(Effect::SetStepMode(true)));
    assert_eq!(u.key(Key::Space), Some(Effect::Step));
    assert_eq!(u.key(Key::Char('n')), Some(Effect::SetStepMode(false)));
    assert_eq!(u.key(Key::Space), None);
    assert_eq!(u.key(Key::Esc), None, "nothing runs: nothing to cancel");
    assert_eq!(u.key(Key::Char('x')), Some(Effect::Export));
    assert_eq!(u.key(Key::Char('q')), Some(Effect::Quit));
    assert_eq!(u.key(Key::Ctrl('c')), Some(Effect::Quit));
}

#[test]
fn escape_cancels_a_running_attempt() {
    let full = ui("step").session;
    let mut s = Session::new();
    for e in full.events().take(12) {
        s.apply(&e);
    }
    let mut u = Ui::new(s, App::new());
    assert_eq!(u.key(Key::Esc), Some(Effect::Cancel));
}

#[test]
fn attempts_navigation_and_views() {
    let mut u = ui("retries");
    assert_eq!(u.app.attempt(&u.session).unwrap().id, 3);
    u.key(Key::Char('['));
    assert_eq!(u.app.attempt(&u.session).unwrap().id, 2);
    u.key(Key::Char('['));
    u.key(Key::Char('['));
    assert_eq!(u.app.attempt(&u.session).unwrap().id, 1);
    // Retrying from an older attempt uses its plan and follows the new attempt.
    let p = started(u.key(Key::Char('3')));
    assert_eq!(p.tls.versions, vec![TlsVersion::Tls13]);
    assert_eq!(u.app.selected, None);
    u.key(Key::Char('A'));
    assert_eq!(u.app.mode, Mode::Attempts);
    u.key(Key::Home);
    u.key(Key::Space);
    u.key(Key::Char('G'));
    u.key(Key::Space);
    u.key(Key::Enter);
    assert_eq!(
        (u.app.mode, u.app.compare.pair),
        (Mode::Compare, Some((1, 3)))
    );
    // The comparison scrolls itself, not the certificates view.
    u.app.layout.extents.compare = 5;
    u.key(Key::Char('j'));
    assert_eq!((u.app.compare.top, u.app.certs.top), (1, 0));
    u.key(Key::Esc);
    assert_eq!(u.app.mode, Mode::Attempts);
    u.key(Key::Esc);
    u.key(Key::Char('C'));
    assert_eq!(u.app.mode, Mode::Certificates);
    u.key(Key::Char('C'));
    assert_eq!(u.app.mode, Mode::Main);
}

#[test]
fn help_opens_and_closes_and_scroll_keys_follow_focus() {
    let mut u = ui("healthy");
    u.key(Key::Char('?'));
    assert_eq!((u.app.mode, u.app.back), (Mode::Help, Mode::Main));
    u.key(Key::Char('?'));
    assert_eq!(u.app.mode, Mode::Main);
    u.app.layout.page = 5;
    u.key(Key::Up);
    assert_eq!(
        u.app.main.transcript_top,
        Some(12),
        "18 lines, page 5: one up from the tail"
    );
    u.key(Key::End);
    assert_eq!(
        u.app.main.transcript_top, None,
        "End follows the tail again"
    );
    u.key(Key::Tab);
    assert_eq!(u.app.main.focus, Focus::Timeline);
    u.key(Key::Home);
    assert_eq!(u.app.main.timeline_row, Some(0));
    u.key(Key::Char('j'));
    assert_eq!(u.app.main.timeline_row, Some(1));
    u.wheel(false);
    assert_eq!(u.app.main.timeline_row, Some(4));
}

#[test]
fn read_only_replay_and_lab_only_keys() {
    let mut u = ui("healthy");
    u.app.options.read_only = true;
    for k in ['2', '3', 'a', 'r', 'v', 'c', 'g', 's', 'e', 'm'] {
        assert_eq!(u.key(Key::Char(k)), None, "{k}");
        assert_eq!(u.app.mode, Mode::Main, "{k}");
    }
    assert_eq!(
        u.key(Key::Char('x')),
        Some(Effect::Export),
        "export still works"
    );
    assert_eq!(u.key(Key::Char('l')), None);
    assert!(u.app.status.contains("demo"));
    u.app.options.demo = true;
    u.key(Key::Char('l'));
    u.key(Key::Char('j'));
    assert_eq!(
        u.key(Key::Enter),
        Some(Effect::Scenario("tls12-only".into()))
    );
}

#[test]
fn the_wheel_scrolls_the_panel_under_the_pointer() {
    let mut u = ui("healthy");
    u.app.layout.area = ratatui::layout::Rect::new(0, 0, 200, 60);
    let a = tlsdive::tui::render::areas(u.app.layout.area);
    assert_eq!(u.app.main.focus, Focus::Transcript);
    // Over the timeline: it takes the focus and moves its selection up from the last row.
    u.wheel_at(true, a.timeline.x + 2, a.timeline.y + 2);
    assert_eq!(u.app.main.focus, Focus::Timeline);
    assert!(u.app.main.timeline_row.is_some());
    // Over the transcript: back there, scrolling up from the tail.
    u.app.layout.page = 5;
    u.wheel_at(true, a.transcript.x + 2, a.transcript.y + 2);
    assert_eq!(u.app.main.focus, Focus::Transcript);
    assert!(u.app.main.transcript_top.is_some());
    // Over the diagnosis.
    u.wheel_at(false, a.diagnosis.x + 2, a.diagnosis.y + 1);
    assert_eq!(u.app.main.focus, Focus::Diagnosis);
    // Over the header: the focus stays.
    u.wheel_at(false, 1, 0);
    assert_eq!(u.app.main.focus, Focus::Diagnosis);
}

/// The healthy recording plus a second attempt made in this session (the same events under
/// attempt id 2): something quitting would lose.
fn with_new_attempt() -> Ui {
    let mut u = ui("healthy");
    let events: Vec<_> = u.session.events().map(|e| e.into_owned()).collect();
    for mut e in events {
        e.attempt = 2;
        u.apply(&e);
    }
    u
}

/// Issue 7: `q` in a picker or overlay quit the program and lost every attempt.
#[test]
fn q_closes_overlays_and_views_without_quitting() {
    let mut u = with_new_attempt();
    for open in ['c', 'g', 'm', '?', 'C', 'A', 'P', 's'] {
        u.key(Key::Char(open));
        assert_ne!(u.app.mode, Mode::Main, "{open} opens something");
        // In the SNI editor `q` is typed; Esc leaves it.
        let close = if open == 's' {
            Key::Esc
        } else {
            Key::Char('q')
        };
        assert_eq!(u.key(close), None, "{open} then {close:?}");
        assert_eq!(u.app.mode, Mode::Main, "{open} then {close:?}");
        assert!(!u.app.leaving.quit);
    }
}

/// Issue 7: quitting with attempts that were never exported asks once; `q` again quits, any
/// other key forgets the question; after an export it quits at once.
#[test]
fn quitting_with_unexported_attempts_asks_once() {
    let mut u = with_new_attempt();
    assert_eq!(u.key(Key::Char('q')), None);
    assert!(
        u.app
            .status
            .contains("1 attempt is not exported: q again quits, x exports it"),
        "{}",
        u.app.status
    );
    assert_eq!(u.key(Key::Char('q')), Some(Effect::Quit));

    let mut u = with_new_attempt();
    assert_eq!(u.key(Key::Ctrl('c')), None, "Ctrl-c asks too");
    u.key(Key::Char('j'));
    assert_eq!(
        u.key(Key::Char('q')),
        None,
        "another key in between: ask again"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(u.key(Key::Char('x')), Some(Effect::Export));
    u.export_to(dir.path(), std::time::SystemTime::now());
    assert!(u.app.status.starts_with("exported: "), "{}", u.app.status);
    // Every file is named, the pcapng too, and the folder they went into.
    assert!(u.app.status.contains("pcapng"), "{}", u.app.status);
    assert!(
        u.app.status.contains(&dir.path().display().to_string()),
        "{}",
        u.app.status
    );
    // The attempt in view goes along as a pcapng (its secrets only the live engine has).
    let pcap = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "pcapng"))
        .unwrap_or_else(|| panic!("no pcapng: {}", u.app.status));
    let bytes = std::fs::read(pcap.path()).unwrap();
    assert_eq!(
        bytes.get(..4),
        Some(&[0x0a, 0x0d, 0x0d, 0x0a][..]),
        "pcapng section header"
    );
    assert_eq!(
        u.key(Key::Char('q')),
        Some(Effect::Quit),
        "exported: nothing lost"
    );

    // A replayed recording holds nothing new; `--record` saves on exit.
    assert_eq!(ui("healthy").key(Key::Char('q')), Some(Effect::Quit));
    let mut u = with_new_attempt();
    u.app.leaving.saved.on_exit = true;
    assert_eq!(u.key(Key::Char('q')), Some(Effect::Quit));
}

/// Issue 7: a key to copy the diagnosis or a certificate, and one to free the mouse.
#[test]
fn copy_and_mouse_keys() {
    let mut u = ui("wrong-name-cert");
    let Some(Effect::Copy { what, text }) = u.key(Key::Char('y')) else {
        panic!("y copies");
    };
    assert_eq!(what, "the diagnosis");
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("cert-name-mismatch (phase tls-handshake): "),
        "{text}"
    );
    assert!(text.contains("\n  · "), "evidence lines: {text}");

    u.key(Key::Char('C'));
    u.key(Key::Tab);
    let Some(Effect::Copy { what, text }) = u.key(Key::Char('y')) else {
        panic!("y copies the marked certificate");
    };
    assert!(what.starts_with("certificate #1"), "{what}");
    // The recording keeps the chain as sent, so the copy is the certificate itself.
    assert!(text.starts_with("-----BEGIN CERTIFICATE-----"), "{text}");

    assert_eq!(u.key(Key::Char('M')), Some(Effect::SetMouse(false)));
    assert!(u.app.status.contains("select text"), "{}", u.app.status);
    assert_eq!(u.key(Key::Char('M')), Some(Effect::SetMouse(true)));
}

/// Issue 7: the timeline opened on "closed by us"; it opens on our ClientHello.
#[test]
fn the_timeline_opens_on_the_client_hello() {
    use tlsdive::tui::render::timeline::selected;
    for name in ["healthy", "fatal-alert", "close-after-client-hello"] {
        let u = ui(name);
        let a = u.app.attempt(&u.session).unwrap();
        let i = selected(u.app.main.timeline_row, &a.timeline).unwrap();
        assert_eq!(i, 0, "{name}");
        let words = tlsdive::tui::render::timeline::row_words(&a.timeline[i]);
        assert!(words.starts_with("ClientHello"), "{name}: {words}");
    }
    // Moving from there: down goes to the row after it, End to the last.
    let mut u = ui("healthy");
    u.key(Key::Tab);
    u.key(Key::Char('j'));
    assert_eq!(u.app.main.timeline_row, Some(1));
    u.key(Key::End);
    let n = u.app.attempt(&u.session).unwrap().timeline.len();
    assert_eq!(u.app.main.timeline_row, Some(n - 1));
}

/// `y` in the certificates view copies the marked certificate as PEM when the attempt kept
/// it (a recording from before PEMs were kept gets the fields instead, and says so).
#[test]
fn y_copies_the_marked_certificate_as_pem() {
    use tlsdive::event::EventKind;
    let pem = tlsdive::cert::pem(b"not really DER, but base64 all the same");
    let mut s = Session::new();
    for e in ui("healthy").session.events() {
        let mut e = e.into_owned();
        if let EventKind::CertificatesReceived { chain, .. } = &mut e.kind {
            // #0 as in a recording from before PEMs were kept, #1 with one.
            chain[0].pem = String::new();
            chain[1].pem = pem.clone();
        }
        s.apply(&e);
    }
    let mut u = Ui::new(s, App::new());
    u.key(Key::Char('C'));
    let Some(Effect::Copy { what, .. }) = u.key(Key::Char('y')) else {
        panic!("y copies");
    };
    assert!(what.ends_with("(no PEM in this recording)"), "{what}");
    u.key(Key::Tab);
    let Some(Effect::Copy { what, text }) = u.key(Key::Char('y')) else {
        panic!("y copies");
    };
    assert!(what.ends_with("as PEM"), "{what}");
    assert_eq!(text, pem);
    assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n"));
}

/// A TUI on a real engine: keys go in as a person types them, the attempts they start run
/// against a lab server on 127.0.0.1, and their events are folded in as the loop does.
struct Live {
    ui: Ui,
    engine: tlsdive::engine::EngineHandle,
    rx: tokio::sync::mpsc::UnboundedReceiver<tlsdive::event::ProbeEvent>,
}

impl Live {
    fn new() -> Live {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut app = App::new();
        app.color = false;
        Live {
            ui: Ui::new(Session::new(), app),
            engine: tlsdive::engine::EngineHandle::new(tx),
            rx,
        }
    }

    /// Start `plan` and fold its events in until it finishes.
    async fn run(&mut self, plan: tlsdive::plan::Plan) {
        self.engine.start(plan);
        while let Some(ev) = self.rx.recv().await {
            self.ui.apply(&ev);
            if matches!(ev.kind, tlsdive::event::EventKind::AttemptFinished { .. }) {
                break;
            }
        }
    }

    fn screen(&mut self, w: u16, h: u16) -> String {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h))
            .expect("test terminal");
        self.ui.sync();
        t.draw(|f| self.ui.draw(f)).expect("draw");
        t.backend().to_string()
    }
}

/// The plan line of a screen.
fn plan_line(screen: &str) -> &str {
    screen
        .lines()
        .find(|l| l.contains("plan "))
        .unwrap_or_else(|| panic!("no plan line:\n{screen}"))
}

/// Issue 19: one TLS 1.2 suite picked left the plan line at `TLSv1.2+1.3`, the diagnosis
/// then said "press 2" (the very ClientHello just sent), and no key went back to the
/// default suites; `T`'s longer timeout was nowhere on screen.
#[tokio::test]
async fn the_plan_line_shows_suites_and_timeout_and_no_step_repeats_the_plan() {
    use tlsdive::diagnose::Retry;
    let srv = common::server(tlsdive::lab::Scenario::CloseAfterClientHello).await;
    let mut live = Live::new();
    live.run(common::plan_for(srv.addr, false)).await;
    let first = live.screen(160, 48);
    assert!(
        first.contains("press 2"),
        "TLS 1.2 only is a real step here:\n{first}"
    );

    // Uncheck every suite but one TLS 1.2 suite, as a person would, and apply.
    let one = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    live.ui.key(Key::Char('c'));
    let labels: Vec<String> = live
        .ui
        .app
        .picker
        .as_ref()
        .expect("suite picker")
        .items
        .iter()
        .map(|i| i.label.clone())
        .collect();
    assert!(labels.iter().any(|l| l == one), "{labels:?}");
    for l in &labels {
        if l != one {
            live.ui.key(Key::Space);
        }
        live.ui.key(Key::Char('j'));
    }
    let plan = started(live.ui.key(Key::Enter));
    assert_eq!(plan.tls.cipher_suites, vec![one.to_string()]);
    live.run(plan).await;
    let screen = live.screen(160, 48);
    let line = plan_line(&screen);
    assert!(
        line.contains(&format!("suites:1 of {} ({one})", labels.len())),
        "{line}"
    );
    assert!(line.contains("TLSv1.2 (no TLS 1.3 suite chosen)"), "{line}");
    assert!(
        !screen.contains("press 2"),
        "2 would send the same hello:\n{screen}"
    );
    let d = live.ui.derived.diagnosis.as_ref().expect("diagnosis");
    assert!(
        d.next_steps
            .iter()
            .all(|s| s.retry != Some(Retry::Tls12Only)),
        "{:?}",
        d.next_steps
    );
    let case = live.ui.derived.case.as_ref();
    assert!(
        case.is_none_or(|c| c
            .next_steps
            .iter()
            .all(|s| s.retry != Some(Retry::Tls12Only))),
        "{case:?}"
    );

    // `T`: the longer timeout is in the plan line of the attempt it starts.
    let longer = started(live.ui.key(Key::Char('T')));
    live.run(longer).await;
    let screen = live.screen(160, 48);
    assert!(plan_line(&screen).contains("timeout:20.0 s"), "{screen}");

    // One key in the suite picker goes back to the defaults.
    live.ui.key(Key::Char('c'));
    live.ui.key(Key::Char('d'));
    let back = started(live.ui.key(Key::Enter));
    assert!(
        back.tls.cipher_suites.is_empty(),
        "{:?}",
        back.tls.cipher_suites
    );
    live.run(back).await;
    let screen = live.screen(160, 48);
    assert!(
        plan_line(&screen).contains("TLSv1.2+1.3 suites:default"),
        "{screen}"
    );
}

/// Issue 19: a replay's footer offered `w scan`, `r retry`, `2 TLS 1.2`, and each then said
/// "read-only". Every key the replay footer shows does something there.
#[test]
fn a_replay_footer_offers_only_what_a_replay_does() {
    let mut u = ui("healthy");
    u.app.options.read_only = true;
    u.app.color = false;
    let mut t =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).expect("test terminal");
    u.sync();
    t.draw(|f| u.draw(f)).expect("draw");
    let screen = t.backend().to_string();
    let foot = screen.lines().last().unwrap_or_default().to_string();
    let offered: Vec<tlsdive::tui::keymap::FooterKey> = tlsdive::tui::keymap::footer(Mode::Main)
        .into_iter()
        .filter(|r| foot.contains(&format!("{} {}", r.label(), r.short)))
        .collect();
    assert!(offered.len() >= 5, "{foot}");
    for r in offered {
        let mut u = ui("healthy");
        u.app.options.read_only = true;
        u.key(r.keys[0]);
        assert!(
            !u.app.status.starts_with("read-only"),
            "the footer offers {} {} and the replay refuses it: {foot}",
            r.label(),
            r.short
        );
    }
    // The help says what a replay cannot do instead of listing those keys.
    u.key(Key::Char('?'));
    u.sync();
    t.draw(|f| u.draw(f)).expect("draw");
    let help = t.backend().to_string();
    assert!(
        help.contains("a replayed recording: no new attempts"),
        "{help}"
    );
    assert!(!help.contains("retry with TLS 1.2 only"), "{help}");
}

/// Issue 19: step mode paused before the ClientHello without showing it. The pause now shows
/// what will be sent, parsed from the bytes rustls prepared — the very hello that then goes
/// out (the timeline's record says the same), and the handshake still completes.
#[tokio::test]
async fn step_mode_shows_the_client_hello_before_it_is_sent() {
    use tlsdive::event::EventKind;
    use tlsdive::wire::MessageInfo;
    let srv = common::server(tlsdive::lab::Scenario::Healthy).await;
    let mut live = Live::new();
    assert_eq!(live.ui.key(Key::Char('n')), Some(Effect::SetStepMode(true)));
    live.engine.set_step_mode(true);
    let mut plan = common::plan_for(srv.addr, false);
    plan.tls.sni = Sni::Name(tlsdive::lab::SERVER_NAME.into());
    live.engine.start(plan);
    let mut paused_screen = None;
    let mut paused_small = None;
    while let Some(ev) = live.rx.recv().await {
        live.ui.apply(&ev);
        match &ev.kind {
            EventKind::Paused { before } => {
                if before == "ClientHello" {
                    // Nothing of TLS has crossed the wire yet.
                    let a = live.ui.session.latest().expect("attempt");
                    assert!(a.timeline.is_empty());
                    paused_screen = Some(live.screen(160, 48));
                    paused_small = Some(live.screen(80, 24));
                }
                live.engine.step();
            }
            EventKind::AttemptFinished { .. } => break,
            _ => {}
        }
    }
    let screen = paused_screen.expect("paused before the ClientHello");
    for words in [
        "ClientHello about to be sent — space sends it",
        "versions: TLSv1.3, TLSv1.2",
        "suites: TLS_AES_256_GCM_SHA384, ",
        "groups: X25519MLKEM768",
        "key shares: X25519MLKEM768 (1,216 B)",
        &format!("SNI: {}", tlsdive::lab::SERVER_NAME),
        "ALPN: (none)",
        "sig algs: ECDSA_NISTP384_SHA384, ",
        "size: ",
    ] {
        assert!(screen.contains(words), "{words}:\n{screen}");
    }
    let small = paused_small.expect("80×24");
    assert!(small.contains("ClientHello about to be sent"), "{small}");
    let a = live.ui.session.latest().expect("attempt");
    let sent = a
        .timeline
        .iter()
        .find_map(|r| match r {
            tlsdive::session::TimelineRow::Record { record, .. } => {
                record.messages.iter().find_map(|m| match m {
                    MessageInfo::ClientHello(h) => Some(h.clone()),
                    _ => None,
                })
            }
            _ => None,
        })
        .expect("the ClientHello went out");
    assert_eq!(
        a.hello_preview.as_deref(),
        Some(&sent),
        "the preview is what was sent"
    );
    live.ui.sync();
    let d = live.ui.derived.diagnosis.as_ref().expect("diagnosis");
    assert!(d.ok, "{}", d.summary);
}

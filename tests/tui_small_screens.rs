//! Issue 19: every view readable at 80×24 and at 160×48 — laid out by priority, long reasons
//! wrapped, what does not fit scrolled with a position shown, never a silent cut. Drawn on
//! ratatui's `TestBackend` from the recorded scenarios in `assets/scenarios/` (colour off).

use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use tlsdive::event::{EventKind, ProbeEvent};
use tlsdive::runs::Run;
use tlsdive::runs::repeat::Repeat;
use tlsdive::runs::sweep::Sweep;
use tlsdive::session::Session;
use tlsdive::tui::Ui;
use tlsdive::tui::app::{App, Mode};
use tlsdive::tui::keymap::Key;
use tlsdive::tui::render::page_rows;

const SMALL: (u16, u16) = (80, 24);
const LARGE: (u16, u16) = (160, 48);

fn events(name: &str) -> Vec<ProbeEvent> {
    let path = format!(
        "{}/assets/scenarios/{name}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let s = tlsdive::recording::read(std::path::Path::new(&path)).expect("recording");
    s.events().map(|e| e.into_owned()).collect()
}

fn recording(name: &str) -> Session {
    let mut s = Session::new();
    for e in events(name) {
        s.apply(&e);
    }
    s
}

fn ui_for(session: Session, (w, h): (u16, u16)) -> Ui {
    let mut app = App::new();
    app.color = false;
    app.layout.page = page_rows(Rect::new(0, 0, w, h));
    Ui::new(session, app)
}

/// The screen as rows of text.
fn draw(ui: &mut Ui, (w, h): (u16, u16)) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    ui.sync();
    t.draw(|f| ui.draw(f)).expect("draw");
    let buf = t.backend().buffer().clone();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect())
        .collect()
}

fn snapshot(rows: &[String]) -> String {
    rows.iter()
        .map(|r| format!("\"{r}\""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The words on screen with borders, padding and line breaks taken out, so a sentence
/// wrapped over several rows reads as one.
fn words(rows: &[String]) -> String {
    rows.iter()
        .flat_map(|r| {
            r.split(['│', '┌', '┐', '└', '┘', '─'])
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .flat_map(|cell| {
            cell.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn keys(ui: &mut Ui, keys: &[Key]) {
    for k in keys {
        ui.key(*k);
    }
}

/// Twenty attempts of one plan against one server whose every third connection serves the
/// expired certificate: the recorded `healthy` and `expired-cert` attempts, numbered 1..=20
/// and all aimed at the healthy one's address (as the lab's `every-third-expired` is).
fn every_third_expired(n: u32) -> (Session, Repeat) {
    let ok = events("healthy");
    let bad = events("expired-cert");
    let plan = ok
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::AttemptStarted { plan } => Some((**plan).clone()),
            _ => None,
        })
        .expect("a plan");
    let peer = ok
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Connected { peer, .. } => Some(*peer),
            _ => None,
        })
        .expect("a peer");
    let mut s = Session::new();
    for id in 1..=n {
        let from = if id % 3 == 0 { &bad } else { &ok };
        for e in from {
            let mut e = e.clone();
            e.attempt = id;
            match &mut e.kind {
                EventKind::AttemptStarted { plan: p } => **p = plan.clone(),
                EventKind::ConnectStarted { peer: p, .. } => *p = peer,
                EventKind::Connected { peer: p, .. } => *p = peer,
                // One server: the same banner from every backend.
                EventKind::SmtpReceived { line, .. } => {
                    *line = line.replace("expired-cert", "healthy")
                }
                _ => {}
            }
            s.apply(&e);
        }
    }
    let mut r = Repeat::new(plan, Some(n), Duration::from_secs(1));
    let mut now = Duration::ZERO;
    for id in 1..=n {
        now += Duration::from_secs(1);
        let next = r.poll(&s, now);
        assert_eq!(next.orders.len(), 1, "the repeat asks for attempt {id}");
        r.started(next.orders[0].key, id);
    }
    assert!(r.poll(&s, now + Duration::from_secs(1)).done);
    (s, r)
}

fn repeat_ui(size: (u16, u16)) -> Ui {
    let (s, r) = every_third_expired(20);
    let mut u = ui_for(s, size);
    u.app.run = Some(Run::Repeat(r));
    u.app.run_over = true;
    keys(&mut u, &[Key::Char('O')]);
    assert_eq!(u.app.mode, Mode::Repeat);
    u
}

/// The table's row of attempt `id` is on screen.
fn row_shown(rows: &[String], id: u32) -> bool {
    let head = format!("│{id} ");
    rows.iter().any(|r| r.starts_with(&head))
}

/// Item 1: the conclusion ("one backend … serves an expired certificate") was cut at 80×24
/// and only the last 5 attempts showed, unscrollable. The conclusion comes first, wrapped;
/// the rows scroll and say which are shown.
#[test]
fn repeat_view_puts_the_conclusion_first_and_scrolls_its_rows() {
    let conclusion = "conclusion intermittent: 6 of 20 failed with cert-expired, all on \
                      127.0.0.1:46307, always with certificate SHA-256 70:AB:B6:89:FE…: one \
                      backend behind this address serves an expired certificate";
    for (name, size) in [("small", SMALL), ("large", LARGE)] {
        let mut u = repeat_ui(size);
        let rows = draw(&mut u, size);
        assert!(
            words(&rows).contains(conclusion),
            "{name}:\n{}",
            rows.join("\n")
        );
        insta::assert_snapshot!(format!("repeat_{name}"), snapshot(&rows));
        if size == LARGE {
            assert!((1..=20).all(|id| row_shown(&rows, id)), "every row fits");
            assert!(!words(&rows).contains("rows "), "no position when all fit");
            continue;
        }
        assert!(
            words(&rows).contains("rows 17–20 of 20"),
            "the latest, and where:\n{}",
            rows.join("\n")
        );
        assert!(row_shown(&rows, 20) && !row_shown(&rows, 16));
        keys(&mut u, &[Key::Home]);
        let rows = draw(&mut u, size);
        assert!(row_shown(&rows, 1) && !row_shown(&rows, 20));
        assert!(words(&rows).contains("rows 1–4 of 20"));
        keys(&mut u, &[Key::Char('j'), Key::PageDown]);
        let rows = draw(&mut u, size);
        assert!(
            words(&rows).contains("rows 6–9 of 20"),
            "{}",
            rows.join("\n")
        );
        insta::assert_snapshot!("repeat_small_scrolled", snapshot(&rows));
        keys(&mut u, &[Key::End]);
        assert_eq!(u.app.repeat_rows, None, "End follows the latest again");
        assert!(words(&draw(&mut u, size)).contains("rows 17–20 of 20"));
    }
}

//! The TUI's repeat mode against the lab's `every-third-expired` server on 127.0.0.1: the
//! keys go through the one keymap, the attempts through a real `EngineHandle`, and the test
//! plays the loop's part (it starts what the UI asks for and counts the interval as passed),
//! so every step is deterministic. The repeat view is drawn on ratatui's `TestBackend`.

mod common;

use std::time::Duration;

use common::{plan_for, server};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tlsdive::diagnose::Cause;
use tlsdive::engine::{EngineHandle, EventReceiver};
use tlsdive::lab::Scenario;
use tlsdive::session::Session;
use tlsdive::tui::Ui;
use tlsdive::tui::app::{App, Mode};
use tlsdive::tui::command::Effect;
use tlsdive::tui::keymap::Key;

const W: u16 = 120;
const H: u16 = 36;

struct Harness {
    ui: Ui,
    engine: EngineHandle,
    rx: EventReceiver,
    /// The attempt the engine started last.
    last: u32,
}

impl Harness {
    fn new() -> Harness {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut app = App::new();
        app.color = false;
        app.options.repeat_count = 6;
        app.options.repeat_interval = Duration::from_millis(1);
        Harness {
            ui: Ui::new(Session::new(), app),
            engine: EngineHandle::new(tx),
            rx,
            last: 0,
        }
    }

    /// Carry out what the UI asked for, as the loop does.
    fn carry_out(&mut self, effect: Option<Effect>) {
        match effect {
            None => {}
            Some(Effect::Start(plan)) => {
                self.last = self.engine.start(*plan);
            }
            Some(Effect::Run(orders)) => {
                tlsdive::tui::carry_out(&mut self.engine, &mut self.ui, orders);
                self.last = self
                    .ui
                    .app
                    .repeat()
                    .and_then(|r| r.ids.last().copied())
                    .unwrap();
            }
            Some(Effect::Cancel) => self.engine.cancel(),
            Some(other) => panic!("unexpected effect {other:?}"),
        }
    }

    /// Fold events in until the attempt started last has finished.
    async fn settle(&mut self) {
        while self
            .ui
            .session
            .attempt(self.last)
            .is_none_or(|a| a.is_running())
        {
            let ev = self.rx.recv().await.expect("the engine reports");
            self.ui.apply(&ev);
        }
    }

    /// The loop's interval timer fired (its clock moved past the interval): the next repeat
    /// attempt, if one is due, run to its end.
    async fn tick(&mut self) -> bool {
        let Some(effect) = self.next() else {
            return false;
        };
        self.carry_out(Some(effect));
        self.settle().await;
        true
    }

    /// What the run asks for once its interval has passed on the loop's clock.
    fn next(&mut self) -> Option<Effect> {
        self.ui.app.clock += Duration::from_secs(1);
        self.ui.run_tick()
    }

    fn repeating(&self) -> bool {
        self.ui.app.repeat().is_some_and(|r| r.active())
    }

    fn body(&mut self) -> Vec<String> {
        let mut t = Terminal::new(TestBackend::new(W, H)).expect("test terminal");
        self.ui.sync();
        t.draw(|f| self.ui.draw(f)).expect("draw");
        let buf = t.backend().buffer().clone();
        (0..H)
            .map(|y| (0..W).map(|x| buf[(x, y)].symbol().to_string()).collect())
            .collect()
    }
}

/// The strip's cells (✓ worked, ✗ failed) on the screen's `attempts` line.
fn strip_cells(screen: &[String]) -> String {
    let line = screen
        .iter()
        .find(|l| l.trim_start_matches('│').starts_with("attempts "))
        .unwrap_or_else(|| panic!("no strip on screen:\n{}", screen.join("\n")));
    line.chars().filter(|c| matches!(c, '✓' | '✗')).collect()
}

#[tokio::test]
async fn repeat_six_times_shows_four_ok_two_expired_and_six_cells() {
    let srv = server(Scenario::EveryThirdExpired).await;
    let mut h = Harness::new();
    // The first attempt (connection 1 of the lab server: ok), as the TUI starts it.
    h.carry_out(Some(Effect::Start(Box::new(plan_for(srv.addr, false)))));
    h.settle().await;
    let first = twice(&mut h.ui, 'R');
    assert!(matches!(first, Some(Effect::Run(_))), "{first:?}");
    assert_eq!(h.ui.app.mode, Mode::Repeat);
    h.carry_out(first);
    h.settle().await;
    let mut ticks = 0;
    while h.tick().await {
        ticks += 1;
        assert!(ticks < 10, "more attempts than asked for");
    }
    assert_eq!(ticks, 5, "R ran the plan 6 times (the first and 5 more)");
    assert!(!h.repeating(), "the repeat ended by itself");
    assert_eq!(h.ui.session.attempts.len(), 7);
    assert_eq!(srv.connections(), 7);
    assert!(
        h.ui.app.status.starts_with("repeat done: 6 attempts"),
        "{}",
        h.ui.app.status
    );

    h.ui.sync();
    let r = h.ui.derived.repeat.clone().expect("the repeat's summary");
    assert_eq!(r.attempts, 6);
    assert_eq!(r.by_cause[&Cause::Ok], 4, "{:?}", r.by_cause);
    assert_eq!(r.by_cause[&Cause::CertExpired], 2, "{:?}", r.by_cause);
    assert_eq!(r.conclusion.cause, Cause::Intermittent);
    // Connections 2..=7 of the lab server: its 3rd and 6th serve the expired certificate.
    assert_eq!(tlsdive::repeat::words::strip(&r), ".x..x.");

    let screen = h.body();
    let cells = strip_cells(&screen);
    assert_eq!(cells, "✓✗✓✓✗✓", "exactly one cell per attempt");
    assert_eq!(cells.chars().count(), 6);
    let text = screen.join("\n");
    assert!(text.contains("by cause    ok 4, cert-expired 2"), "{text}");
    assert!(
        text.contains(&format!("by address  {}  ok 4, cert-expired 2", srv.addr)),
        "{text}"
    );
    assert!(
        text.contains("conclusion  intermittent: 2 of 6 failed with cert-expired"),
        "{text}"
    );
    insta::assert_snapshot!(
        "repeat_view_every_third_expired",
        normalized(&screen, &h.ui, srv.addr)
    );

    // `O` leaves the view and comes back; `R` again would start a new repeat.
    h.ui.key(Key::Char('O'));
    assert_eq!(h.ui.app.mode, Mode::Main);
    h.ui.key(Key::Char('O'));
    assert_eq!(h.ui.app.mode, Mode::Repeat);
}

#[tokio::test]
async fn stopping_continuous_mode_stops_sending() {
    let srv = server(Scenario::EveryThirdExpired).await;
    let mut h = Harness::new();
    h.carry_out(Some(Effect::Start(Box::new(plan_for(srv.addr, false)))));
    h.settle().await;
    let first = twice(&mut h.ui, 'U');
    assert!(matches!(first, Some(Effect::Run(_))));
    h.carry_out(first);
    h.settle().await;
    assert!(h.tick().await);
    // Stop while the third attempt of the repeat runs: it finishes, nothing new starts.
    let third = h.next().expect("continuous mode goes on");
    h.carry_out(Some(third));
    assert!(h.repeating());
    assert_eq!(
        h.ui.key(Key::Esc),
        None,
        "Esc stops the repeat, not the attempt"
    );
    assert!(!h.repeating());
    assert!(
        h.ui.app
            .status
            .starts_with("repeat stopped after 3 attempts"),
        "{}",
        h.ui.app.status
    );
    h.settle().await;
    let (attempts, connections) = (h.ui.session.attempts.len(), srv.connections());
    assert_eq!((attempts, connections), (4, 4));
    // The loop's timer keeps firing: nothing is due any more.
    for _ in 0..20 {
        assert_eq!(h.ui.run_wake(), None);
        assert!(!h.tick().await);
    }
    assert_eq!(h.ui.session.attempts.len(), attempts);
    assert_eq!(srv.connections(), connections);
    h.ui.sync();
    let r = h.ui.derived.repeat.clone().expect("summary");
    assert_eq!(r.attempts, 3, "the attempt running at the stop is counted");

    // `U` again starts a new continuous repeat; `U` once more stops it before it sent more
    // than its first attempt.
    let again = twice(&mut h.ui, 'U');
    assert!(matches!(again, Some(Effect::Run(_))));
    h.carry_out(again);
    assert_eq!(h.ui.key(Key::Char('U')), None);
    h.settle().await;
    assert!(!h.tick().await);
    assert_eq!(srv.connections(), connections + 1);
}

#[tokio::test]
async fn a_hand_started_attempt_stops_the_repeat() {
    let srv = server(Scenario::Healthy).await;
    let mut h = Harness::new();
    h.carry_out(Some(Effect::Start(Box::new(plan_for(srv.addr, false)))));
    h.settle().await;
    let first = twice(&mut h.ui, 'R');
    h.carry_out(first);
    h.settle().await;
    // `2` (TLS 1.2 only) is a new attempt by hand: the repeat stops and does not count it.
    let manual = h.ui.key(Key::Char('2'));
    assert!(matches!(manual, Some(Effect::Start(_))));
    assert!(!h.repeating());
    assert!(
        h.ui.app.status.starts_with("new attempt"),
        "{}",
        h.ui.app.status
    );
    h.carry_out(manual);
    h.settle().await;
    assert!(!h.tick().await);
    let r = h.ui.app.repeat().expect("the repeat is kept");
    assert_eq!(r.ids.len(), 1);
    assert_eq!(h.ui.session.attempts.len(), 3);
}

#[test]
fn repeat_keys_are_in_the_help_and_the_footer() {
    use tlsdive::tui::keymap::{footer, help};
    let main = help(Mode::Main);
    assert!(
        main.iter()
            .any(|(k, h)| k == "R" && h.starts_with("repeat the current plan N times"))
    );
    assert!(
        main.iter()
            .any(|(k, h)| k == "U" && h.contains("until stopped"))
    );
    assert!(
        main.iter()
            .any(|(k, h)| k == "O" && h.starts_with("repeat view"))
    );
    let has = |mode, keys: &str, short: &str| {
        footer(mode)
            .iter()
            .any(|r| r.label() == keys && r.short == short)
    };
    assert!(has(Mode::Main, "R", "repeat"));
    assert!(has(Mode::Repeat, "Esc", "stop"));
    // A recording is read-only: no repeat.
    let mut ui = Ui::new(recording("healthy"), App::new());
    ui.app.options.read_only = true;
    assert_eq!(ui.key(Key::Char('R')), None);
    assert!(ui.app.status.starts_with("read-only"));
}

fn recording(name: &str) -> Session {
    let path = format!(
        "{}/assets/scenarios/{name}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    tlsdive::recording::read(std::path::Path::new(&path)).expect("recording")
}

/// The repeat view's rows (between the header and the status line) with what changes from
/// run to run made constant: the port, the certificates' fingerprints and the times.
fn normalized(screen: &[String], ui: &Ui, addr: std::net::SocketAddr) -> String {
    let mut fps: Vec<String> = Vec::new();
    for a in &ui.session.attempts {
        if let Some(c) = a.certificates.first() {
            let short = tlsdive::repeat::words::short_fingerprint(&c.sha256);
            if !fps.contains(&short) {
                fps.push(short);
            }
        }
    }
    let body = &screen[3..screen.len() - 2];
    body.iter()
        .map(|l| {
            let mut l = l.replace(
                &addr.port().to_string(),
                &"P".repeat(addr.port().to_string().len()),
            );
            for (i, fp) in fps.iter().enumerate() {
                l = l.replace(fp, &format!("{:<14}…", format!("<cert {}>", i + 1)));
            }
            // The right border moves with the masked widths: leave it out.
            let l = mask_times(&l);
            l.trim_end().trim_end_matches('│').trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// "3.1 ms" → "# ms": durations measured on this machine.
fn mask_times(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let rest: String = chars[i..].iter().take(4).collect();
        let unit = |u: &str| {
            rest.strip_prefix(u)
                .is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric()))
        };
        if i > start && (unit(" ms") || unit(" s")) {
            out.push('#');
        } else {
            out.extend(&chars[start..i]);
        }
        if i < chars.len() && i == start {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A key that starts many connections asks first: the second press starts it (issue 19).
fn twice(ui: &mut tlsdive::tui::Ui, c: char) -> Option<tlsdive::tui::command::Effect> {
    let key = tlsdive::tui::keymap::Key::Char(c);
    assert_eq!(ui.key(key), None, "{c} asks first: {}", ui.app.status);
    ui.key(key)
}

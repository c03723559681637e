//! Issue 19: Shift-pairs with unrelated meanings (`i` implicit TLS / `I` investigate with up
//! to 24 connections, `w`/`W`, `r`/`R`, `e`/`E`, `f`/`F`, ...): a slipped Shift must not
//! start many connections. Keys that would ask first and say how much; the same key again or
//! Enter starts, Esc (or any other key) drops the question. Light keys stay one press. The
//! help groups the keys by what they do.

use tlsdive::event::{EventKind, MxHost, Phase, ProbeEvent};
use tlsdive::plan::{Plan, Target};
use tlsdive::session::Session;
use tlsdive::tui::Ui;
use tlsdive::tui::app::{App, Mode};
use tlsdive::tui::command::{Command, Effect};
use tlsdive::tui::keymap::{self, Group, Key};

fn ui_for(session: Session) -> Ui {
    let mut app = App::new();
    app.color = false;
    Ui::new(session, app)
}

fn ui(name: &str) -> Ui {
    let path = format!(
        "{}/assets/scenarios/{name}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    ui_for(tlsdive::recording::read(std::path::Path::new(&path)).expect("recording"))
}

/// A finished attempt of a mail domain with two MX hosts and three addresses.
fn domain() -> Ui {
    let mut plan = Plan::new(Target::Domain("example.net".into()));
    plan.ehlo = "probe.example.org".into();
    let mx = |preference, exchange: &str, ips: &[&str]| MxHost {
        preference,
        exchange: exchange.into(),
        addresses: ips.iter().map(|ip| ip.parse().expect("ip")).collect(),
        error: None,
    };
    let mut s = Session::new();
    for kind in [
        EventKind::AttemptStarted {
            plan: Box::new(plan),
        },
        EventKind::MxResolved {
            domain: "example.net".into(),
            hosts: vec![
                mx(10, "mx1.example.net", &["192.0.2.1", "192.0.2.2"]),
                mx(20, "mx2.example.net", &["192.0.2.3"]),
            ],
        },
        EventKind::AttemptFinished {
            failure: None,
            phase: Phase::Done,
        },
    ] {
        s.apply(&ProbeEvent {
            attempt: 1,
            at_us: 0,
            kind,
        });
    }
    ui_for(s)
}

fn starts_heavy(e: &Option<Effect>) -> bool {
    matches!(e, Some(Effect::Run(_) | Effect::Scan(_)))
}

fn draw(u: &mut Ui, w: u16, h: u16) -> String {
    let mut t =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("test terminal");
    u.sync();
    t.draw(|f| u.draw(f)).expect("draw");
    t.backend().to_string()
}

/// The status line (second to last row) of a drawn screen.
fn status(screen: &str) -> String {
    let rows: Vec<&str> = screen.lines().collect();
    rows[rows.len() - 2]
        .trim_matches('"')
        .trim_end()
        .to_string()
}

/// A fresh UI for one case.
type Make = fn() -> Ui;

/// Every heavy key: one press asks (saying how much would run) and starts nothing.
#[test]
fn one_press_of_a_heavy_key_starts_nothing_and_says_how_much() {
    let cases: [(Make, char, &str); 7] = [
        (
            || ui("close-after-client-hello"),
            'I',
            "investigate: up to 24 connections",
        ),
        (
            domain,
            'F',
            "sweep: 3 attempts (every MX × address of example.net)",
        ),
        (|| ui("healthy"), 'R', "repeat: 10 attempts to 127.0.0.1"),
        (
            || ui("healthy"),
            'U',
            "repeat until stopped: up to 1000 attempts",
        ),
        (
            || ui("close-after-client-hello"),
            'w',
            "scan versions of 127.0.0.1",
        ),
        (|| ui("healthy"), 'W', "scan full profile of 127.0.0.1"),
        (|| ui("healthy"), 'E', "of 127.0.0.1 (paced probes)"),
    ];
    for (make, c, words) in cases {
        let mut u = make();
        let attempts = u.session.attempts.len();
        assert_eq!(u.key(Key::Char(c)), None, "{c} starts nothing at once");
        assert!(u.app.run.is_none() && u.app.scanning.is_none(), "{c}");
        let line = status(&draw(&mut u, 160, 48));
        assert!(line.contains(words), "{c}: {line}");
        assert!(
            line.ends_with(&format!("— {c}/Enter starts, Esc cancels")),
            "{c}: {line}"
        );
        // The footer offers the confirming key while the question is open.
        let screen = draw(&mut u, 160, 48);
        let foot = screen.lines().last().unwrap_or_default();
        assert!(foot.contains("Enter start"), "{c}: {foot}");
        assert_eq!(u.session.attempts.len(), attempts);

        // Esc drops the question; the next press asks again.
        assert_eq!(u.key(Key::Esc), None, "{c}");
        assert_eq!(u.app.status, "not started", "{c}");
        assert!(u.app.run.is_none() && u.app.scanning.is_none(), "{c}");
        assert_eq!(u.key(Key::Char(c)), None, "{c} asks again");
        // The same key again starts it.
        assert!(starts_heavy(&u.key(Key::Char(c))), "{c} again starts");

        // Enter starts it too; another key in between forgets the question.
        let mut u = make();
        u.key(Key::Char(c));
        u.key(Key::Char('j'));
        assert!(!u.app.status.contains("starts"), "{c}: {}", u.app.status);
        assert_eq!(u.key(Key::Enter), None, "{c}: Enter with no question");
        u.key(Key::Char(c));
        assert!(starts_heavy(&u.key(Key::Enter)), "{c}: Enter starts");
    }
}

/// The Shift-pairs: the lower-case key is light and works at once; its slipped upper case
/// starts no connection.
#[test]
fn a_slipped_shift_starts_no_connection() {
    for (light, heavy) in [('i', 'I'), ('r', 'R'), ('e', 'E')] {
        let mut u = ui("close-after-client-hello");
        let e = u.key(Key::Char(heavy));
        assert!(!starts_heavy(&e) && e.is_none(), "{heavy}: {e:?}");
        // Typing the intended key next drops the question and does what it always did.
        let e = u.key(Key::Char(light));
        assert!(!starts_heavy(&e), "{light}: {e:?}");
        assert!(u.app.asking.is_none(), "{light}");
    }
    // `w` is a scan too: after a slipped `W` it asks its own question, never the full scan.
    let mut u = ui("close-after-client-hello");
    u.key(Key::Char('W'));
    assert_eq!(u.key(Key::Char('w')), None);
    assert_eq!(u.app.asking, Some(Command::Scan));
    assert!(
        u.app.status.starts_with("scan versions"),
        "{}",
        u.app.status
    );
    let mut u = ui("healthy");
    assert!(matches!(u.key(Key::Char('i')), Some(Effect::Start(_))));
    let mut u = domain();
    assert_eq!(u.key(Key::Char('F')), None);
    assert_eq!(
        u.key(Key::Char('f')),
        None,
        "f folds: the sweep is forgotten"
    );
    assert!(u.app.run.is_none());
    // Light keys stay one press.
    for c in ['2', '3', 'a', 'v', 'p', 'T', 'S'] {
        let mut u = ui("healthy");
        assert!(matches!(u.key(Key::Char(c)), Some(Effect::Start(_))), "{c}");
    }
    // What would be refused anyway is refused at once, not asked about.
    let mut u = ui("healthy");
    u.app.options.read_only = true;
    assert_eq!(u.key(Key::Char('R')), None);
    assert!(u.app.status.starts_with("read-only"), "{}", u.app.status);
    assert!(u.app.asking.is_none());
    let mut u = ui("healthy");
    assert_eq!(u.key(Key::Char('I')), None);
    assert!(
        u.app.status.starts_with("nothing left to investigate"),
        "{}",
        u.app.status
    );
}

/// The help lists keys under what they do, heavy keys apart from the plan keys.
#[test]
fn the_help_groups_keys_by_what_they_do() {
    let groups = keymap::help_groups(Mode::Main);
    let titles: Vec<Group> = groups.iter().map(|(g, _)| *g).collect();
    assert_eq!(
        titles,
        vec![
            Group::Plan,
            Group::Run,
            Group::Running,
            Group::Views,
            Group::Move,
            Group::Export,
            Group::Leave
        ]
    );
    let group_of = |key: &str| {
        groups
            .iter()
            .find(|(_, rows)| rows.iter().any(|(k, _)| k.split(' ').any(|k| k == key)))
            .map(|(g, _)| *g)
    };
    for k in ["i", "2", "c", "p", "d", "e", "m", "T", "S", "v"] {
        assert_eq!(group_of(k), Some(Group::Plan), "{k}");
    }
    for k in ["I", "F", "R", "U", "w", "W", "E", "Enter"] {
        assert_eq!(group_of(k), Some(Group::Run), "{k}");
    }
    for k in ["C", "A", "P", "D", "M", "f", "O"] {
        assert_eq!(group_of(k), Some(Group::Views), "{k}");
    }
    assert_eq!(group_of("x"), Some(Group::Export));
    assert_eq!(group_of("q"), Some(Group::Leave));
    // The overlay shows the headings.
    let mut u = ui("healthy");
    u.key(Key::Char('?'));
    let screen = draw(&mut u, 160, 48);
    assert!(screen.contains(Group::Plan.title()), "{screen}");
    assert!(screen.contains(Group::Run.title()), "{screen}");
    // Every key the help names for a heavy command is one that asks.
    for (_, rows) in groups.iter().filter(|(g, _)| *g == Group::Run) {
        assert!(!rows.is_empty());
    }
    assert!(tlsdive::tui::confirm::asks_first(Command::Investigate));
    assert!(!tlsdive::tui::confirm::asks_first(Command::ToggleImplicit));
}

/// A heavy key's question and the quit question do not answer each other: `q`, then `I`
/// (asks), then `q` asks about quitting again instead of quitting.
#[test]
fn questions_do_not_answer_each_other() {
    let mut u = ui("close-after-client-hello");
    let events: Vec<_> = u.session.events().map(|e| e.into_owned()).collect();
    for mut e in events {
        e.attempt = 2;
        u.apply(&e);
    }
    assert_eq!(u.key(Key::Char('q')), None, "unexported: asks");
    assert_eq!(u.key(Key::Char('I')), None, "asks");
    assert_eq!(u.key(Key::Char('q')), None, "asks again, does not quit");
    assert!(u.app.status.contains("not exported"), "{}", u.app.status);
    assert!(u.app.asking.is_none());
    assert_eq!(u.key(Key::Char('I')), None, "asks");
    assert_eq!(u.key(Key::Esc), None);
    assert_eq!(u.key(Key::Char('q')), None, "asks again");
    assert_eq!(u.key(Key::Char('q')), Some(Effect::Quit));
}

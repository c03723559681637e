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

/// The recorded sweep of `dane-mismatch` (its domain attempt, then the other address pinned)
/// with the sweep as the TUI ran it, showing the pinned attempt, as after `F`.
fn swept(size: (u16, u16)) -> Ui {
    let s = recording("sweep-dane-mismatch");
    let head = s.attempts.first().expect("the domain attempt");
    let mut sweep = Sweep::from_attempt(head).expect("a domain attempt to sweep");
    let next = sweep.poll(&s);
    assert_eq!(next.orders.len(), 1, "one more address to probe");
    sweep.started(next.orders[0].key, 2);
    assert!(sweep.poll(&s).done);
    let mut u = ui_for(s, size);
    u.app.run = Some(Run::Sweep(sweep));
    u.app.run_over = true;
    u
}

/// Items 2 and 3: after `F`, `D` on the pinned attempt said "no routing-policy lookups for
/// this attempt" on a mail domain; the DANE and MTA-STS reasons were cut at 80 and 160
/// columns; the sweep's cause and detail ran together. The domain's policy shows, every
/// reason wraps, the view scrolls with its position, and the columns stand apart.
#[test]
fn policy_view_after_a_sweep_shows_the_domains_policy_wrapped() {
    for (name, size) in [("small", SMALL), ("large", LARGE)] {
        let mut u = swept(size);
        assert_eq!(u.session.latest().map(|a| a.id), Some(2));
        keys(&mut u, &[Key::Char('D')]);
        assert_eq!(u.app.mode, Mode::Policy);
        let mut seen = String::new();
        let mut first = None;
        // Page through to the end, collecting what is shown.
        for _ in 0..10 {
            let rows = draw(&mut u, size);
            first.get_or_insert_with(|| rows.clone());
            seen.push_str(&words(&rows));
            seen.push(' ');
            keys(&mut u, &[Key::PageDown]);
        }
        let first = first.expect("drawn");
        insta::assert_snapshot!(format!("policy_after_sweep_{name}"), snapshot(&first));
        let text = words(&first);
        assert!(!seen.contains("no routing-policy lookups"), "{seen}");
        assert!(
            text.contains("the domain's policy, as attempt #1 looked it up"),
            "{text}"
        );
        // The verdicts are the pinned attempt's own (#2 was refused: no certificate, no
        // SMTP), never #1's borrowed dane-mismatch.
        assert!(text.contains("the verdicts are #2's"), "{text}");
        assert!(
            !seen.contains("DANE: dane-mismatch"),
            "{name}: borrowed\n{seen}"
        );
        for said in [
            "DANE: unchecked — TLSA records apply, but the server sent no certificate to match",
            "MTA-STS: none — _mta-sts.dane-mismatch.lab.tlsdive.test: no TXT record",
            "opportunistic NO the SMTP session itself fails",
            "DANE NO TLS is mandatory and is not established",
        ] {
            assert!(seen.contains(said), "{name}: {said}\n{seen}");
        }
        // The sweep's rows: the cause, then the detail, apart.
        assert!(
            seen.contains("connect-refused mx.lab.tlsdive.test (127.0.0.2:39443) refused the TCP connection: nothing listens on that port"),
            "{seen}"
        );
        let table: Vec<&String> = first
            .iter()
            .filter(|r| r.contains("127.0.0.2:39443"))
            .collect();
        assert!(
            table.iter().any(|r| r.contains("connect-refused  ")
                || r.trim_end_matches([' ', '│']).ends_with("connect-refused")),
            "{table:?}"
        );
        if size == SMALL {
            assert!(
                first
                    .iter()
                    .any(|r| r.contains(&format!("/{}", u.app.layout.extents.policy + 17))),
                "the position is shown"
            );
        }
    }
}

/// Item 2 and the wording bullet: a `[host]` target's policy view. MTA-STS says why it was not
/// asked in one sentence, with no padding inside it, whole at 80 and 160 columns, and the
/// view scrolls to its end.
#[test]
fn policy_view_of_a_host_reads_whole_sentences() {
    for (name, size) in [("small", SMALL), ("large", LARGE)] {
        let mut u = ui_for(recording("host-dane-mismatch"), size);
        keys(&mut u, &[Key::Char('D')]);
        let rows = draw(&mut u, size);
        let mut seen = words(&rows);
        insta::assert_snapshot!(format!("policy_host_{name}"), snapshot(&rows));
        keys(&mut u, &[Key::End]);
        let end = draw(&mut u, size);
        seen.push_str(&words(&end));
        for said in [
            "MTA-STS: none — not looked up: MTA-STS is a recipient domain's policy, and a \
             [host] target names no domain",
            "MTA-STS yes not looked up: MTA-STS is a recipient domain's policy, and a [host] \
             target names no domain: over TLS (it does not verify the certificate)",
        ] {
            assert!(seen.contains(said), "{name}: {said}\n{seen}");
        }
        for r in rows.iter().chain(&end) {
            assert!(!r.contains("names  "), "padding inside a sentence: {r}");
        }
    }
}

/// Draw, then page down `pages` times, collecting every screen's words.
fn paged(u: &mut Ui, size: (u16, u16), pages: usize) -> (Vec<String>, String) {
    let first = draw(u, size);
    let mut seen = words(&first);
    for _ in 0..pages {
        keys(u, &[Key::PageDown]);
        seen.push(' ');
        seen.push_str(&words(&draw(u, size)));
    }
    (first, seen)
}

/// Item 2: the profile view neither wrapped nor scrolled sideways — the senders' verdict and
/// the title's way back were cut at 80 columns. Every line wraps, the title drops its least
/// important parts first, and the view scrolls with its position.
#[test]
fn profile_view_wraps_the_verdicts() {
    let verdict = "postfix, postfix-secure, postfix-dane, exim, exchange-online, gmail get \
                   through; openssl35-pq, rustls cannot (openssl35-pq: timeout; rustls: timeout)";
    for (name, size) in [("small", SMALL), ("large", LARGE)] {
        let mut u = ui_for(recording("senders-drops-large-hello"), size);
        keys(&mut u, &[Key::Char('P')]);
        assert_eq!(u.app.mode, Mode::Profile);
        let (first, seen) = paged(&mut u, size, 4);
        insta::assert_snapshot!(format!("profile_senders_{name}"), snapshot(&first));
        assert!(words(&first).contains("(Esc returns)"), "{}", first[3]);
        assert!(
            seen.contains(&format!("verdict: {verdict}")),
            "{name}: {seen}"
        );
        assert!(
            seen.contains(&format!("rustls no timeout (1444 byte hello) {verdict}")),
            "{name}: the senders' verdict under their rows: {seen}"
        );
        if size == SMALL {
            assert!(
                first[first.len() - 3].contains("1–17/"),
                "{}",
                first.join("\n")
            );
        }
    }
}

/// Item 4: the diagnosis had 5 rows at 80×24, so the "next:" list and `I` fell below its
/// edge. It takes the rows its cause, next steps and keys need; the evidence scrolls.
#[test]
fn diagnosis_shows_every_next_step_and_the_investigate_key() {
    for name in [
        "close-after-client-hello",
        "reset-after-client-hello",
        "fatal-alert",
        "expired-cert",
        "wrong-name-cert",
        "starttls-454",
        "sweep-dane-mismatch",
    ] {
        for (size_name, size) in [("small", SMALL), ("large", LARGE)] {
            let mut s = recording(name);
            // The domain attempt of the sweep (its header has the MX line: four rows).
            s.attempts.truncate(1);
            let mut u = ui_for(s, size);
            let rows = draw(&mut u, size);
            let text = words(&rows);
            let d = u.derived.diagnosis.clone().expect("a diagnosis");
            for step in &d.next_steps {
                let said: String = step.text.split_whitespace().collect::<Vec<_>>().join(" ");
                assert!(
                    text.contains(&said),
                    "{name} {size_name}: {said}\n{}",
                    rows.join("\n")
                );
            }
            if u.derived.investigable {
                assert!(
                    text.contains("press I to investigate"),
                    "{name} {size_name}"
                );
            }
            if size == SMALL && ["close-after-client-hello", "sweep-dane-mismatch"].contains(&name)
            {
                insta::assert_snapshot!(format!("diagnosis_{name}_small"), snapshot(&rows));
            }
        }
    }
}

/// Item 5: step mode at 80 columns dropped `[step mode]` and the attempt counter from the
/// header. The header lays out by priority: counter and mode before the peer and MX host.
#[test]
fn step_mode_header_keeps_the_mode_and_the_counter() {
    let full = events("step");
    let paused = full
        .iter()
        .position(
            |e| matches!(&e.kind, EventKind::Paused { before } if before.contains("STARTTLS")),
        )
        .expect("a pause before STARTTLS");
    for (name, size) in [("small", SMALL), ("large", LARGE)] {
        let mut s = Session::new();
        for e in &full[..=paused] {
            s.apply(e);
        }
        let mut u = ui_for(s, size);
        u.app.options.step_mode = true;
        let rows = draw(&mut u, size);
        assert!(rows[0].contains("attempt 1/1"), "{name}: {}", rows[0]);
        assert!(rows[0].contains("[step mode]"), "{name}: {}", rows[0]);
        assert!(rows[2].contains("⏸ paused before"), "{name}: {}", rows[2]);
        insta::assert_snapshot!(format!("step_mode_{name}"), snapshot(&rows));
    }
    // A mail domain's header is longer: the counter and the mode stay, the MX host goes.
    let mut u = ui_for(recording("sweep-dane-mismatch"), SMALL);
    u.app.options.step_mode = true;
    let rows = draw(&mut u, SMALL);
    assert!(rows[0].contains("attempt 2/2  [step mode]"), "{}", rows[0]);
    assert!(rows[0].starts_with("tlsdive dane-mismatch.lab.tlsdive.test:39443"));
    // A replay says so at 80 columns too.
    let mut u = ui_for(recording("sweep-dane-mismatch"), SMALL);
    u.app.options.read_only = true;
    let rows = draw(&mut u, SMALL);
    assert!(rows[0].contains("attempt 2/2"), "{}", rows[0]);
    assert!(rows[0].contains("[replay]"), "{}", rows[0]);
}

/// Item 6: the header ended `done 0.0 m` at 160 columns: the end of an attempt was shown as a
/// phase with a time of its own, and the chain was cut mid-unit. `done` is no phase; a chain
/// too long gives its shortest phases up to `…`, never half a unit.
#[test]
fn phase_chain_has_no_done_phase_and_no_cut_unit() {
    for name in [
        "healthy",
        "host-dane-mismatch",
        "sweep-dane-mismatch",
        "senders-drops-large-hello",
    ] {
        for size in [SMALL, LARGE, (120, 36)] {
            let mut u = ui_for(recording(name), size);
            let rows = draw(&mut u, size);
            let line = rows
                .iter()
                .find(|r| r.starts_with('✔') || r.starts_with('✘'))
                .unwrap_or_else(|| panic!("{name}: no outcome line\n{}", rows.join("\n")));
            assert!(!line.contains("done"), "{name} {size:?}: {line}");
            let end = line.trim_end();
            assert!(
                end.ends_with(" ms") || end.ends_with(" s") || end.ends_with(" min"),
                "{name} {size:?}: a whole duration ends the line: {line}"
            );
        }
    }
    let mut u = ui_for(recording("host-dane-mismatch"), SMALL);
    let rows = draw(&mut u, SMALL);
    assert!(rows[2].contains("…"), "short phases give way: {}", rows[2]);
    assert!(
        rows[2].contains("post-tls"),
        "the longest phase stays: {}",
        rows[2]
    );
}

/// Item 7: the attempts view's first row ended `verify:` and the negotiated suite was cut.
/// The long columns wrap inside their width; the row of the cursor says where it is.
#[test]
fn attempts_view_wraps_its_long_columns() {
    for (name, size) in [("small", SMALL), ("large", LARGE)] {
        let mut u = ui_for(recording("retries"), size);
        keys(&mut u, &[Key::Char('A')]);
        let rows = draw(&mut u, size);
        let text = words(&rows);
        insta::assert_snapshot!(format!("attempts_{name}"), snapshot(&rows));
        let plan = u.session.attempts[0]
            .plan
            .as_ref()
            .expect("a plan")
            .tls_summary();
        for part in plan.split(' ') {
            assert!(
                text.contains(part),
                "{name}: {part} of the first plan\n{text}"
            );
        }
        // The negotiated suite as a person reads it (no `TLS_`, no `_WITH_`), broken only
        // between its key exchange and its cipher, never inside a name.
        let n = u.session.attempts[0]
            .negotiated
            .as_ref()
            .expect("negotiated");
        let short = format!(
            "{} {}",
            n.version,
            tlsdive::tui::render::attempts::short_suite(&n.cipher_suite)
        );
        assert_eq!(short, "TLSv1.2 ECDHE_ECDSA AES_256_GCM_SHA384");
        let column = |r: &String, from: &str, to: &str| -> String {
            let head = rows.iter().find(|r| r.contains(from)).expect("a header");
            let cols = |s: &str| {
                head.chars()
                    .collect::<String>()
                    .find(s)
                    .map(|b| head[..b].chars().count())
            };
            let (a, b) = (cols(from).expect("from"), cols(to).expect("to"));
            r.chars()
                .skip(a)
                .take(b - a)
                .collect::<String>()
                .trim()
                .to_string()
        };
        let cells: Vec<String> = rows
            .iter()
            .skip_while(|r| !r.contains("negotiated"))
            .skip(1)
            .take_while(|r| !r.starts_with('└'))
            .map(|r| column(r, "negotiated", "time"))
            .filter(|c| !c.is_empty())
            .collect();
        let negotiated = cells.join(" ");
        assert_eq!(
            negotiated.matches(short.as_str()).count(),
            2,
            "{name}: {short} in {negotiated}"
        );
        for word in negotiated.split(' ') {
            assert!(short.split(' ').any(|w| w == word), "{name}: {word} cut");
        }
        if size == SMALL {
            assert!(cells.len() <= 4, "two rows a suite at most: {cells:?}");
        }
        assert!(text.contains("3/3"), "{name}: the position");
    }
}

/// The `healthy` recording with its target renamed to the host `name`.
fn renamed(name: &str) -> Session {
    let mut s = Session::new();
    for mut e in events("healthy") {
        if let EventKind::AttemptStarted { plan } = &mut e.kind {
            plan.target = tlsdive::plan::Target::Host(name.into());
        }
        s.apply(&e);
    }
    s
}

/// The status rows of a screen: those between the body's bottom border and the footer.
fn status_rows(rows: &[String]) -> Vec<String> {
    let bottom = rows
        .iter()
        .rposition(|r| r.starts_with('└'))
        .expect("a bottom border");
    rows[bottom + 1..rows.len() - 1]
        .iter()
        .map(|r| r.trim_end().to_string())
        .collect()
}

/// Issue 19, the status line: one row, cut at 80 columns, so a heavy key's question about a
/// long target lost its keys ("… — R/Enter starts, Esc cancels") and a sweep's result its
/// end. The status takes a second row when it needs one (the panels give it up); a question
/// too long even for two keeps its keys whole and shortens what comes before them.
#[test]
fn a_question_about_a_long_target_shows_its_keys_whole() {
    let long = "backup-relay.eu-west.datacenter3.example.net";
    let longer = format!("{}.{long}.{long}", "x".repeat(50));
    for (name, size) in [("small", SMALL), ("large", LARGE)] {
        let mut u = ui_for(renamed(long), size);
        keys(&mut u, &[Key::Char('R')]);
        let rows = draw(&mut u, size);
        let status = status_rows(&rows);
        let said =
            format!("repeat: 10 attempts to {long}, 1.0 s apart — R/Enter starts, Esc cancels");
        assert!(words(&status).contains(&said), "{name}: {status:?}");
        assert_eq!(
            status.len(),
            if size == SMALL { 2 } else { 1 },
            "{status:?}"
        );
        insta::assert_snapshot!(format!("question_long_target_{name}"), snapshot(&rows));

        let mut u = ui_for(renamed(&longer), size);
        keys(&mut u, &[Key::Char('R')]);
        let rows = draw(&mut u, size);
        let status = status_rows(&rows);
        assert!(status.len() <= 2, "{name}: {status:?}");
        assert!(
            words(&status).ends_with("… — R/Enter starts, Esc cancels"),
            "{name}: {status:?}"
        );
        assert!(words(&status).starts_with("repeat: 10 attempts to xxxxx"));
        // The question still answers to its keys.
        assert!(matches!(
            u.key(Key::Enter),
            Some(tlsdive::tui::command::Effect::Run(_))
        ));
    }
}

/// The help overlay's box, cut out of the screen.
fn help_box(rows: &[String]) -> Vec<String> {
    let top = rows
        .iter()
        .position(|r| r.contains("┌ keys"))
        .expect("the help");
    let chars: Vec<char> = rows[top].chars().collect();
    let from = rows[top]
        .split("┌ keys")
        .next()
        .map_or(0, |s| s.chars().count());
    let to = (from + 1..chars.len())
        .find(|&i| chars[i] == '┐')
        .expect("the help's corner");
    rows[top..]
        .iter()
        .map(|r| r.chars().skip(from).take(to + 1 - from).collect::<String>())
        .take_while(|r| !r.starts_with('└'))
        .collect()
}

/// A long status ends visibly (`… ? shows all`) and the help shows it whole.
#[test]
fn a_long_status_ends_visibly_and_the_help_shows_it_whole() {
    let long: String = (1..=12)
        .map(|i| format!("127.0.0.{i}:39443 peer-closed-during-handshake"))
        .collect::<Vec<_>>()
        .join(", ");
    let message = format!(
        "sweep of dane-mismatch.lab.tlsdive.test done: 12 pairs, 12 failing: {long} (D shows the table)"
    );
    for (name, size) in [("small", SMALL), ("large", LARGE)] {
        let mut u = ui_for(recording("healthy"), size);
        u.app.status = message.clone();
        let rows = draw(&mut u, size);
        let status = status_rows(&rows);
        assert_eq!(status.len(), 2, "{name}: {status:?}");
        assert!(status[1].ends_with("… ? shows all"), "{name}: {status:?}");
        assert!(words(&status).starts_with("sweep of dane-mismatch.lab.tlsdive.test done:"));
        insta::assert_snapshot!(format!("status_long_{name}"), snapshot(&rows));
        keys(&mut u, &[Key::Char('?')]);
        let rows = help_box(&draw(&mut u, size));
        assert!(
            words(&rows).contains(&format!("last message {message}")),
            "{name}:\n{}",
            rows.join("\n")
        );
    }
    // A message that fits in one row keeps the layout as it was: one status row.
    let mut u = ui_for(recording("healthy"), SMALL);
    u.app.status = "new attempt".into();
    let rows = draw(&mut u, SMALL);
    assert_eq!(status_rows(&rows), ["new attempt"]);
}

/// The compare view of `retries`' first two attempts (marked in the attempts view).
fn compared(size: (u16, u16)) -> Ui {
    let mut u = ui_for(recording("retries"), size);
    keys(
        &mut u,
        &[
            Key::Char('A'),
            Key::Home,
            Key::Space,
            Key::Char('j'),
            Key::Space,
            Key::Enter,
        ],
    );
    assert_eq!(u.app.mode, Mode::Compare);
    u
}

/// Issue 19, item 4: the compare view cut each attempt's summary and every timeline row at
/// its half's edge, at 80 columns and at 160, and did not scroll. Summaries wrap, a row too
/// long for its half wraps under its words (the other side waits), and the view scrolls with
/// its position.
#[test]
fn compare_view_wraps_its_summaries_and_timeline_rows() {
    for (name, size) in [("small", SMALL), ("large", LARGE)] {
        let mut u = compared(size);
        let rows = draw(&mut u, size);
        insta::assert_snapshot!(format!("compare_{name}"), snapshot(&rows));
        // As wide, but tall enough for everything: nothing is cut at this width.
        let tall = (size.0, 90);
        let mut u = compared(tall);
        let all = draw(&mut u, tall);
        let text = words(&all);
        let (a, b) = (&u.session.attempts[0], &u.session.attempts[1]);
        for x in [a, b] {
            let d = tlsdive::diagnose::diagnose(x);
            let said = format!("#{} {} {}", x.id, d.cause.code(), d.summary);
            assert!(text.contains(&said), "{name}: {said}\n{}", all.join("\n"));
        }
        // Each half, read on its own, holds every row of its timeline whole.
        let inner = usize::from(size.0) - 2;
        let half = (inner - 2) / 2;
        let side = |left: bool| -> String {
            let cells: Vec<String> = all
                .iter()
                .skip_while(|r| !r.contains("timelines part at row"))
                .skip(1)
                .take_while(|r| !r.starts_with('└'))
                .map(|r| {
                    let c: Vec<char> = r.chars().skip(1).take(inner).collect();
                    if left {
                        c[..half + 2].iter().collect()
                    } else {
                        c[half + 2..].iter().collect()
                    }
                })
                .collect();
            words(&cells)
        };
        for (x, left) in [(a, true), (b, false)] {
            let text = side(left);
            for r in &x.timeline {
                let said = tlsdive::tui::render::timeline::row_words(r);
                let said: String = said.split_whitespace().collect::<Vec<_>>().join(" ");
                let short = tlsdive::tui::render::attempts::short_suites(&said);
                assert!(
                    text.contains(&said) || (size == SMALL && text.contains(&short)),
                    "{name}: {said}\n{text}"
                );
            }
        }
        if size == SMALL {
            assert!(
                rows.iter().any(|r| r.starts_with('└') && r.contains(" 1–")),
                "the position is shown:\n{}",
                rows.join("\n")
            );
        }
    }
}

/// Issue 19, item 4: the help cut its longer rows at 80 columns ("… then re"). Every row
/// wraps under its words and the help scrolls with its position.
#[test]
fn help_wraps_its_rows_at_80_columns() {
    for (name, size) in [("small", SMALL), ("large", LARGE)] {
        let mut u = ui_for(recording("healthy"), size);
        keys(&mut u, &[Key::Char('?')]);
        let rows = draw(&mut u, size);
        insta::assert_snapshot!(format!("help_{name}"), snapshot(&rows));
        let mut seen = words(&help_box(&rows));
        for _ in 0..10 {
            keys(&mut u, &[Key::PageDown]);
            seen.push(' ');
            seen.push_str(&words(&help_box(&draw(&mut u, size))));
        }
        for said in [
            "g pick key-exchange groups (post-quantum is one toggle), then retry",
            "L probe one legacy cipher suite: the server's answer, not a handshake",
            "E send each real MTA's default hello (Postfix, Exim, Exchange, ...)",
        ] {
            assert!(seen.contains(said), "{name}: {said}\n{seen}");
        }
        if size == SMALL {
            assert!(rows.iter().any(|r| r.contains(" 1–")), "the position");
        }
    }
}

/// Issue 19, item 4: the certificates view at 80×24 and 160×48 — the verification verdict
/// and the name check wrap under their labels, nothing is cut, and the view scrolls with its
/// position to the last certificate.
#[test]
fn certificates_view_wraps_and_scrolls() {
    for (name, size) in [("small", SMALL), ("large", LARGE)] {
        let mut u = ui_for(recording("wrong-name-cert"), size);
        keys(&mut u, &[Key::Char('C')]);
        assert_eq!(u.app.mode, Mode::Certificates);
        let (first, seen) = paged(&mut u, size, 4);
        insta::assert_snapshot!(format!("certificates_{name}"), snapshot(&first));
        for said in [
            "verification: NOT verified — name mismatch: looked for 127.0.0.1, the certificate \
             has SANs [wrong.example.net]",
            "name match: no match: 127.0.0.1 is not among wrong.example.net — the server \
             presents a certificate for another name",
            "#1 CA subject: CN=tlsdive lab intermediate CA, O=tlsdive lab",
            "flags: CA",
        ] {
            assert!(seen.contains(said), "{name}: {said}\n{seen}");
        }
        if size == SMALL {
            assert!(
                first
                    .iter()
                    .any(|r| r.starts_with('└') && r.contains(" 1–")),
                "the position:\n{}",
                first.join("\n")
            );
        }
        // Every row ends inside the frame: no row runs into the border.
        for r in &first[4..first.len() - 3] {
            assert!(r.ends_with('│') || r.ends_with('┘'), "{r}");
        }
    }
}

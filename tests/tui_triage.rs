//! The live triage table fed by the real runner against servers on 127.0.0.1, drawn on
//! ratatui's `TestBackend`: mid-run (one destination done, one probing, one queued) and at
//! the end. The test writes the input itself and holds one server silent, so the mid-run
//! state is reached by events, never by waiting a while.

mod common;

use std::time::Duration;

use common::server;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tlsdive::lab::Scenario;
use tlsdive::triage::run;
use tlsdive::tui::keymap::Key;
use tlsdive::tui::triage_table::{Action, Msg, State, Table};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc::UnboundedReceiver;

const W: u16 = 140;
const H: u16 = 22;

fn config() -> run::Config {
    // The silent server is released by the test, not by a timeout.
    common::triage_config(1, Duration::from_secs(60), 0)
}

fn draw(t: &Table) -> String {
    draw_at(t, W, H)
}

/// Apply what the runner sends until `until` holds of the table.
async fn feed(t: &mut Table, rx: &mut UnboundedReceiver<Msg>, until: impl Fn(&Table) -> bool) {
    while !until(t) {
        let msg = rx.recv().await.expect("the runner reports");
        t.apply(msg);
    }
}

fn state_of(t: &Table, i: usize) -> State {
    t.rows[i].state
}

#[tokio::test]
async fn live_table_mid_run_and_at_the_end() {
    let healthy = server(Scenario::Healthy).await;
    let expired = server(Scenario::ExpiredCert).await;
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (h, s, e) = (
        healthy.addr.port(),
        silent.local_addr().unwrap().port(),
        expired.addr.port(),
    );
    let (mut writer, reader) = tokio::io::duplex(4096);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cfg = config();
    let runner = tokio::spawn(async move {
        let rows = tx.clone();
        let stats = tlsdive::cli::drive::triage::run_observed(
            tokio::io::BufReader::new(reader),
            &cfg,
            |r| {
                let _ = rows.send(Msg::Row(r));
            },
            |u| {
                let _ = tx.send(Msg::Update(u));
            },
        )
        .await;
        let _ = tx.send(Msg::Finished(stats));
    });
    let input = format!(
        "127.0.0.1:{h}\n\
         Mar  3 10:15:02 mail postfix/smtp[12345]: 4F3A21C0123: to=<alice@example.com>, relay=mx.lab.tlsdive.test[127.0.0.1]:{s}, delay=1.2, delays=0.01/0/1.1/0, dsn=4.4.2, status=deferred (lost connection with mx.lab.tlsdive.test[127.0.0.1] while performing the TLS handshake)\n\
         2024-03-03 10:15:04 1rgXyZ-000ABC-12 == carol@example.net R=dnslookup T=remote_smtp defer (-37) H=mx.lab.tlsdive.test [127.0.0.1]:{e}: TLS session: (SSL_connect): error:0A000086:SSL routines::certificate verify failed\n\
         Mar  3 10:15:05 mail postfix/smtp[12345]: 5B1C2D3E4F: to=<bob@example.org>, relay=mx.lab.tlsdive.test[127.0.0.1]:{s}, delay=1, delays=0/0/1/0, dsn=4.4.2, status=deferred (lost connection with mx.lab.tlsdive.test[127.0.0.1] while performing the TLS handshake)\n"
    );
    writer.write_all(input.as_bytes()).await.unwrap();
    let mut t = Table::new(false);
    // One at a time: the healthy one is done, the silent one waits for its banner, the
    // expired one waits its turn.
    feed(&mut t, &mut rx, |t| {
        t.rows.len() == 3
            && state_of(t, 0) == State::Done
            && state_of(t, 1) == State::Probing
            && t.rows[1].seen.log_lines == 2
    })
    .await;
    assert_eq!(state_of(&t, 2), State::Queued);
    assert!(!t.finished);
    // Enter on a destination still being probed is refused (one connection at a time).
    t.key(Key::Down);
    assert_eq!(t.key(Key::Enter), None);
    assert!(t.status.contains("is probing"), "{}", t.status);
    t.key(Key::Up);
    insta::assert_snapshot!("triage_table_mid_run", ports(&draw(&t), [h, s, e]));

    // Release the silent server (it closes without a banner) and end the input.
    let (conn, _) = silent.accept().await.unwrap();
    drop(conn);
    drop(writer);
    feed(&mut t, &mut rx, |t| t.finished).await;
    runner.await.unwrap();
    assert_eq!(t.counts(), (0, 0, 3));
    assert_eq!(t.finals.len(), 3);
    let causes: Vec<&str> = t.rows.iter().map(|r| r.cause.unwrap().code()).collect();
    assert_eq!(causes[0], "ok");
    assert_eq!(causes[2], "cert-expired");
    assert_ne!(causes[1], "ok");
    // The table's verdicts are the summary's.
    let summary = tlsdive::triage::summary::text(&t.done_rows());
    assert!(
        summary.starts_with("3 destinations: 1 ok now, "),
        "{summary}"
    );
    t.key(Key::End);
    insta::assert_snapshot!("triage_table_done", ports(&draw(&t), [h, s, e]));
    match t.key(Key::Enter) {
        Some(Action::Open(d)) => assert_eq!(d.key, format!("[127.0.0.1]:{e}")),
        other => panic!("Enter opens the done destination, got {other:?}"),
    }
    assert_eq!(t.key(Key::Char('q')), Some(Action::Quit));
}

/// The ports change from run to run: name them.
fn ports(screen: &str, [h, s, e]: [u16; 3]) -> String {
    screen
        .replace(&h.to_string(), "HHHHH")
        .replace(&s.to_string(), "SSSSS")
        .replace(&e.to_string(), "EEEEE")
}

/// Draw `t` at `w`×`h`.
fn draw_at(t: &Table, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    term.draw(|f| tlsdive::tui::render::triage::render(f, t, f.area()))
        .expect("draw");
    let buf = term.backend().buffer().clone();
    (0..h)
        .map(|y| {
            let l: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
            l.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Issue 19 at the size of a laptop terminal (80×24) and at 160×48: the selected row's
/// details keep "tlsdive says" with the cause uncut and the fix, the recipient domains are
/// named, no column is a few characters wide, and a destination the MTA saw fail that one
/// probe finds `ok` carries the repeat hint. Then a repeat done in the view `Enter` opens
/// (here driven as the view drives it) is carried back to the row, marked as its.
#[tokio::test]
async fn the_table_at_80x24_and_160x48_keeps_the_verdict_and_carries_the_drill_down_back() {
    let closes = server(Scenario::CloseAfterClientHello).await;
    let flaky = server(Scenario::EveryThirdExpired).await;
    let expired = server(Scenario::ExpiredCert).await;
    let (c, b, e) = (closes.addr.port(), flaky.addr.port(), expired.addr.port());
    let input = format!(
        "Mar  3 10:15:02 mail postfix/smtp[12345]: 4F3A21C0123: to=<alice@example.com>, relay=mx.lab.tlsdive.test[127.0.0.1]:{c}, delay=1.2, delays=0.01/0/1.1/0, dsn=4.4.2, status=deferred (lost connection with mx.lab.tlsdive.test[127.0.0.1] while performing the TLS handshake)\n\
         Mar  3 10:15:03 mail postfix/smtp[12345]: 4F3A21C0124: to=<bob@example.org>, relay=mx.lab.tlsdive.test[127.0.0.1]:{c}, delay=1.2, delays=0.01/0/1.1/0, dsn=4.4.2, status=deferred (lost connection with mx.lab.tlsdive.test[127.0.0.1] while performing the TLS handshake)\n\
         Mar  3 10:15:04 mail postfix/smtp[12345]: 5B1C2D3E4F: to=<carol@partner.example>, relay=mx.lab.tlsdive.test[127.0.0.1]:{b}, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (Server certificate not verified)\n\
         Mar  3 10:15:05 mail postfix/smtp[12345]: 6C7D8E9F0A: to=<dave@example.net>, relay=mx.lab.tlsdive.test[127.0.0.1]:{e}, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (Server certificate not verified)\n"
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cfg = config();
    let template = cfg.template.clone();
    let runner = tokio::spawn(async move {
        let rows = tx.clone();
        let stats = tlsdive::cli::drive::triage::run_observed(
            tokio::io::BufReader::new(std::io::Cursor::new(input.into_bytes())),
            &cfg,
            |r| {
                let _ = rows.send(Msg::Row(r));
            },
            |u| {
                let _ = tx.send(Msg::Update(u));
            },
        )
        .await;
        let _ = tx.send(Msg::Finished(stats));
    });
    let mut t = Table::new(false);
    feed(&mut t, &mut rx, |t| t.finished).await;
    runner.await.unwrap();
    let names = |s: &str| {
        masked(
            &s.replace(&c.to_string(), "CCCCC")
                .replace(&b.to_string(), "BBBBB")
                .replace(&e.to_string(), "EEEEE"),
        )
    };
    let causes: Vec<&str> = t.rows.iter().map(|r| r.cause.unwrap().code()).collect();
    assert_eq!(
        causes,
        ["peer-closed-during-handshake", "ok", "cert-expired"]
    );

    // 80×24: the first row selected.
    let small = draw_at(&t, 80, 24);
    let details = small
        .split("┌ selected")
        .nth(1)
        .expect("the details box is drawn");
    assert!(
        details.contains("tlsdive says  peer-closed-during-handshake: "),
        "{small}"
    );
    assert!(details.contains("fix  "), "{small}");
    assert!(
        details.contains("recipients    example.com, example.org"),
        "{small}"
    );
    // The table shows the cause uncut, and the MTA's words in a column of its own width.
    let list = small.split("┌ selected").next().unwrap();
    assert!(list.contains("peer-closed-during-handshake"), "{small}");
    let header = list.lines().find(|l| l.contains("tlsdive: cause")).unwrap();
    let mta = header
        .find("MTA says")
        .unwrap_or_else(|| panic!("the MTA column: {small}"));
    let after = header[mta + "MTA says".len()..].trim_start();
    assert!(
        after.is_empty() || header.len() - mta >= 20,
        "a narrow MTA column: {header}"
    );
    insta::assert_snapshot!("triage_table_80x24", names(&small));

    // The flaky destination: the MTA saw it fail, the one probe did not.
    t.key(Key::Down);
    let hint = "the MTA saw failures, one probe found none: repeat (Enter, then R) to catch a failing backend";
    let wide = draw_at(&t, 160, 48);
    assert!(wide.contains(hint), "{wide}");
    let small = draw_at(&t, 80, 24);
    assert!(
        small.contains("hint          the MTA saw failures"),
        "{small}"
    );
    insta::assert_snapshot!("triage_table_80x24_hint", names(&small));
    insta::assert_snapshot!("triage_table_160x48_hint", names(&wide));
    let summary = tlsdive::triage::summary::text(&t.done_rows());
    assert!(
        summary.contains(
            "recipient domains behind the failing destinations: example.com, example.net, example.org"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("    hint:         the MTA saw failures"),
        "{summary}"
    );

    // Enter opens it; a repeat there (three attempts, as `R` runs them) meets the bad
    // backend, and the row takes the view's conclusion.
    let Some(Action::Open(opened)) = t.key(Key::Enter) else {
        panic!("Enter opens the done destination");
    };
    let plan = opened.plan(&template);
    let repeat = tlsdive::runs::repeat::Repeat::new(plan.clone(), Some(3), Duration::ZERO);
    let session = tlsdive::cli::drive::to_end(tlsdive::runs::Run::Repeat(repeat)).await;
    assert_eq!(session.attempts.len(), 3);
    t.back_from(&opened.key, &session, &plan);
    let row = &t.rows[1];
    assert_eq!(row.cause.unwrap().code(), "intermittent", "{row:?}");
    let drill = row.drilldown.as_ref().expect("marked as the drill-down's");
    assert_eq!((drill.attempts, drill.probe_said.code()), (3, "ok"));
    let wide = draw_at(&t, 160, 48);
    assert!(!wide.contains(hint), "{wide}");
    assert!(wide.contains("intermittent ↩"), "{wide}");
    assert!(
        wide.contains("from the interactive view (3 attempts"),
        "{wide}"
    );
    insta::assert_snapshot!("triage_table_160x48_drilled", names(&wide));
    // The summary after the table says the same, and where it came from.
    let summary = tlsdive::triage::summary::text(&t.done_rows());
    assert!(summary.contains("intermittent (1):"), "{summary}");
    assert!(
        summary.contains("(from the interactive view: 3 attempts"),
        "{summary}"
    );
}

/// What changes from run to run made constant, each in its own width (so the layout stays
/// the one drawn): durations ("0.2 ms" → "#.# ms") and certificate fingerprints
/// ("CC:A4:D7" → "##:##:##").
fn masked(screen: &str) -> String {
    let chars: Vec<char> = screen.chars().collect();
    let mut out: Vec<char> = chars.clone();
    let hex = |c: char| c.is_ascii_digit() || ('A'..='F').contains(&c);
    let mut i = 0;
    while i < chars.len() {
        // A number followed by " ms".
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                j += 1;
            }
            let unit: String = chars[j..(j + 3).min(chars.len())].iter().collect();
            if unit == " ms" {
                for c in &mut out[i..j] {
                    if c.is_ascii_digit() {
                        *c = '#';
                    }
                }
                i = j;
                continue;
            }
        }
        // Three or more hex pairs joined by colons.
        let mut j = i;
        let mut pairs = 0;
        while j + 1 < chars.len() && hex(chars[j]) && hex(chars[j + 1]) {
            pairs += 1;
            j += 2;
            if j < chars.len() && chars[j] == ':' {
                j += 1;
            } else {
                break;
            }
        }
        if pairs >= 3 {
            for c in &mut out[i..j] {
                if *c != ':' {
                    *c = '#';
                }
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out.into_iter().collect()
}

/// Review finding (issue 19): the table's hint said "repeat (R)", but the table ignores R.
/// The real binary in a terminal (tmux, 120×30): the keys the hint names, typed in its
/// order, open the row, ask before the repeat and run it; back in the table the row holds
/// what the repeat found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keys_the_hint_names_run_the_repeat() {
    if let Some(why) = common::tmux::missing() {
        eprintln!("skipped: {why} (.ci/run installs tmux)");
        return;
    }
    let flaky = server(Scenario::EveryThirdExpired).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("maillog");
    std::fs::write(
        &log,
        format!(
            "Mar  3 10:15:04 mail postfix/smtp[12345]: 5B1C2D3E4F: to=<carol@partner.example>, \
             relay=mx.lab.tlsdive.test[127.0.0.1]:{}, delay=1, delays=0/0/1/0, dsn=4.7.5, \
             status=deferred (Server certificate not verified)\n",
            flaky.addr.port()
        ),
    )
    .unwrap();
    let ca = common::fixture().ca.to_str().unwrap().to_string();
    let cmd = format!(
        "{} triage '{}' --ca-file '{ca}' --timeout 5s --ehlo probe.tlsdive.test; \
         echo TLSDIVE-EXITED=$?; exec sleep 600",
        env!("CARGO_BIN_EXE_tlsdive"),
        log.display()
    );
    let pane = common::tmux::Pane::start("triage-hint", 120, 30, &cmd);
    let wait = Duration::from_secs(60);
    let table = pane
        .wait_for("the row with its hint", wait, |s| {
            s.contains("1 destination") && s.contains("repeat (")
        })
        .await;
    let keys: Vec<String> = table
        .split_once("repeat (")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(keys, _)| keys.split(", then ").map(String::from).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["Enter", "R"], "{table}");

    pane.keys(&keys[0]);
    pane.wait_for("the interactive view on the row", wait, |s| {
        // Its attempt over: ✔ ok in … or ✘ cause after …
        s.contains("attempt 1/1")
            && !s.contains("repeat (")
            && (s.contains("ok in") || s.contains(" after "))
    })
    .await;
    pane.keys(&keys[1]);
    let asked = pane
        .wait_for("the question before the repeat", wait, |s| {
            s.contains("repeat: 10 attempts to")
        })
        .await;
    assert!(!asked.contains("attempt 2/"), "it asks first: {asked}");
    pane.keys("Enter");
    pane.wait_for("the repeat's ten attempts", wait, |s| {
        s.contains("repeat done: 10 attempts")
    })
    .await;
    // The repeat's view, the main view, then the question before leaving unexported.
    pane.keys("q");
    pane.wait_for("the main view", wait, |s| s.contains("main q quit"))
        .await;
    pane.keys("q");
    pane.wait_for("the question before leaving", wait, |s| {
        s.contains("q again returns to the triage table")
    })
    .await;
    pane.keys("q");
    let back = pane
        .wait_for("the table with what the repeat found", wait, |s| {
            // Whole lines, not a capture taken in the middle of a redraw.
            s.contains("back from") && s.contains("↩")
        })
        .await;
    assert!(back.contains("intermittent ↩"), "{back}");
    pane.keys("q");
    let done = pane
        .wait_for("the summary", wait, |s| s.contains("TLSDIVE-EXITED="))
        .await;
    assert!(done.contains("intermittent (1):"), "{done}");
}

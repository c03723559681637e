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
    let mut term = Terminal::new(TestBackend::new(W, H)).expect("test terminal");
    term.draw(|f| tlsdive::tui::render::triage::render(f, t, f.area()))
        .expect("draw");
    let buf = term.backend().buffer().clone();
    (0..H)
        .map(|y| {
            let l: String = (0..W).map(|x| buf[(x, y)].symbol().to_string()).collect();
            l.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
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

//! One frame of the TUI at 200×60 on `TestBackend` for a session with 100,000 transcript
//! lines and 10,000 timeline rows. Goal: under 1 ms a frame — the panels window the visible
//! rows, so the cost must not grow with the transcript.

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tlsdive::event::{EventKind, ProbeEvent};
use tlsdive::plan::{Plan, Target};
use tlsdive::session::Session;
use tlsdive::tui::Ui;
use tlsdive::tui::app::{App, Focus};
use tlsdive::wire::{Dir, MessageInfo, RecordInfo};

fn big_session() -> Session {
    let mut plan = Plan::new(Target::Host("mx.example.net".into()));
    plan.ehlo = "probe.example.org".into();
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
    for i in 0..100_000u64 {
        // Alternate short dialogues and multi-line replies so folding has work to do.
        let kind = if i % 20 == 0 {
            EventKind::SmtpSent {
                line: format!("NOOP {i}"),
                tls: i > 50_000,
            }
        } else {
            EventKind::SmtpReceived {
                line: format!(
                    "250-line {i} of a long reply with some text to fill the panel width"
                ),
                tls: i > 50_000,
                truncated: false,
            }
        };
        s.apply(&ev(i * 10, kind));
    }
    for i in 0..10_000u64 {
        let record = RecordInfo {
            content_type: "application_data".into(),
            version: "TLSv1.2".into(),
            length: 1_000 + i as usize,
            encrypted: true,
            messages: vec![MessageInfo::Encrypted {
                length: 1_000 + i as usize,
            }],
            decrypted: None,
            repeated: 0,
        };
        let dir = if i % 2 == 0 { Dir::Client } else { Dir::Server };
        s.apply(&ev(1_000_000 + i, EventKind::TlsRecord { dir, record }));
    }
    s
}

fn bench(c: &mut Criterion) {
    let mut app = App::new();
    app.color = true;
    let mut ui = Ui::new(big_session(), app);
    ui.sync();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("frame 200x60, 100k lines, 10k records (tail)", |b| {
        b.iter(|| {
            terminal.draw(|f| ui.draw(f)).expect("draw");
        })
    });
    // Scrolled into the middle, timeline row selected in the middle.
    ui.app.main.transcript_top = Some(50_000);
    ui.app.main.timeline_row = Some(5_000);
    ui.app.main.focus = Focus::Timeline;
    c.bench_function("frame 200x60, 100k lines, 10k records (middle)", |b| {
        b.iter(|| {
            terminal.draw(|f| ui.draw(f)).expect("draw");
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

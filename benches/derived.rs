//! What one engine event costs the TUI in a long repeat: a session already holding 1,000
//! finished attempts of a repeat (each a real probe of the lab's expired-certificate server,
//! renumbered), then a 1,001st attempt's events applied one by one, the derived state (the
//! transcript rows, the diagnosis, the case, the repeat's conclusion) brought up to date after
//! each, as the TUI does before it draws. Run with `cargo bench --bench derived`.

use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tlsdive::event::ProbeEvent;
use tlsdive::lab::{self, Pki, Scenario};
use tlsdive::plan::{Plan, Target};
use tlsdive::session::Session;
use tlsdive::tui::Ui;
use tlsdive::tui::app::{App, Mode};

const FINISHED: u32 = 1_000;

/// One real attempt's events against the lab (loopback).
fn one_attempt() -> (Plan, Vec<ProbeEvent>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let pki = Arc::new(Pki::generate().expect("pki"));
    rt.block_on(async {
        let server = lab::start(
            Scenario::ExpiredCert,
            &pki,
            "127.0.0.1:0".parse().expect("addr"),
        )
        .await
        .expect("lab server");
        let mut plan = Plan::new(Target::Ip(server.addr.ip()));
        plan.port = server.addr.port();
        plan.tls.trust = tlsdive::plan::Trust::from_pem("the lab CA", &pki.ca_pem());
        let events = tlsdive::engine::probe(plan.clone()).await;
        (plan, events)
    })
}

fn renumbered(events: &[ProbeEvent], id: u32) -> impl Iterator<Item = ProbeEvent> + '_ {
    events.iter().cloned().map(move |mut e| {
        e.attempt = id;
        e
    })
}

/// A TUI in repeat mode whose repeat has run `FINISHED` attempts and started one more.
fn repeat_ui(plan: &Plan, events: &[ProbeEvent]) -> Ui {
    let mut session = Session::new();
    for id in 1..=FINISHED {
        for e in renumbered(events, id) {
            session.apply(&e);
        }
    }
    let mut app = App::new();
    let mut r = tlsdive::runs::repeat::Repeat::new(
        plan.clone(),
        Some(FINISHED + 1),
        Duration::from_millis(1),
    );
    r.ids = (1..=FINISHED + 1).collect();
    app.run = Some(tlsdive::runs::Run::Repeat(r));
    app.mode = Mode::Repeat;
    let mut ui = Ui::new(session, app);
    ui.sync();
    ui
}

fn derived(c: &mut Criterion) {
    let (plan, events) = one_attempt();
    let base = repeat_ui(&plan, &events);
    let next: Vec<ProbeEvent> = renumbered(&events, FINISHED + 1).collect();
    let mut group = c.benchmark_group("derived");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    // The whole 1,001st attempt, event by event; criterion's figure divided by the event
    // count (printed below) is the cost per event.
    eprintln!(
        "derived: {} events per attempt, {FINISHED} finished attempts before it",
        next.len()
    );
    group.bench_function("attempt_1001_event_by_event", |b| {
        b.iter_batched(
            || {
                let mut ui = Ui::new(base.session.clone(), App::new());
                ui.app = clone_app(&base.app);
                ui.sync();
                ui
            },
            |mut ui| {
                for e in &next {
                    ui.apply(e);
                    ui.sync();
                }
                ui
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn clone_app(app: &App) -> App {
    let mut out = App::new();
    out.run = app.run.clone();
    out.mode = app.mode;
    out
}

criterion_group!(benches, derived);
criterion_main!(benches);

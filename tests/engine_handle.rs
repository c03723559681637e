//! The engine handle a front end drives: cancel a hanging attempt, step through a
//! negotiation, bind a source address. Real lab servers on 127.0.0.1.

mod common;

use std::time::Duration;

use common::{plan_for, server};
use tlsdive::engine::EngineHandle;
use tlsdive::event::{EventKind, Failure, Phase, ProbeEvent};
use tlsdive::lab::Scenario;
use tokio::sync::mpsc::UnboundedReceiver;

async fn next(
    rx: &mut UnboundedReceiver<ProbeEvent>,
    want: impl Fn(&EventKind) -> bool,
) -> ProbeEvent {
    // Bounded: an attempt emits a few hundred events at most.
    for _ in 0..2000 {
        let ev = rx.recv().await.expect("engine alive");
        if want(&ev.kind) {
            return ev;
        }
    }
    panic!("event never came");
}

#[tokio::test]
async fn cancel_ends_a_hanging_attempt_at_once() {
    let srv = server(Scenario::SlowBanner).await;
    let mut plan = plan_for(srv.addr, false);
    plan.timeouts.reply = Duration::from_secs(3600);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = EngineHandle::new(tx);
    let id = engine.start(plan);
    next(&mut rx, |k| {
        matches!(
            k,
            EventKind::PhaseStarted {
                phase: Phase::Banner
            }
        )
    })
    .await;
    engine.cancel();
    let ev = next(&mut rx, |k| matches!(k, EventKind::AttemptFinished { .. })).await;
    assert_eq!(ev.attempt, id);
    assert_eq!(
        ev.kind,
        EventKind::AttemptFinished {
            failure: Some(Failure::Cancelled),
            phase: Phase::Banner
        }
    );
}

#[tokio::test]
async fn a_new_attempt_cancels_the_running_one() {
    let slow = server(Scenario::SlowBanner).await;
    let healthy = server(Scenario::Healthy).await;
    let mut plan = plan_for(slow.addr, false);
    plan.timeouts.reply = Duration::from_secs(3600);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = EngineHandle::new(tx);
    let first = engine.start(plan);
    next(&mut rx, |k| {
        matches!(
            k,
            EventKind::PhaseStarted {
                phase: Phase::Banner
            }
        )
    })
    .await;
    let second = engine.start(plan_for(healthy.addr, false));
    assert_eq!(second, first + 1);
    let mut finished = Vec::new();
    while finished.len() < 2 {
        let ev = next(&mut rx, |k| matches!(k, EventKind::AttemptFinished { .. })).await;
        if let EventKind::AttemptFinished { failure, .. } = ev.kind {
            finished.push((ev.attempt, failure));
        }
    }
    finished.sort_by_key(|f| f.0);
    assert_eq!(
        finished,
        vec![(first, Some(Failure::Cancelled)), (second, None)]
    );
}

#[tokio::test]
async fn step_mode_pauses_before_each_step_until_told() {
    let srv = server(Scenario::Healthy).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = EngineHandle::new(tx);
    engine.set_step_mode(true);
    engine.start(plan_for(srv.addr, false));
    let mut paused_before = Vec::new();
    loop {
        let ev = next(&mut rx, |k| {
            matches!(
                k,
                EventKind::Paused { .. } | EventKind::AttemptFinished { .. }
            )
        })
        .await;
        match ev.kind {
            EventKind::Paused { before } => {
                paused_before.push(before);
                engine.step();
            }
            EventKind::AttemptFinished { failure, .. } => {
                assert_eq!(failure, None);
                break;
            }
            _ => unreachable!(),
        }
    }
    assert_eq!(
        paused_before,
        vec!["EHLO", "STARTTLS", "ClientHello", "EHLO"]
    );
}

#[tokio::test]
async fn source_address_is_bound() {
    let srv = server(Scenario::Healthy).await;
    let mut plan = plan_for(srv.addr, false);
    plan.source = Some("127.0.0.2".parse().unwrap());
    let (a, d) = common::run(plan).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Ok);
    assert_eq!(
        a.local.map(|l| l.ip().to_string()).as_deref(),
        Some("127.0.0.2")
    );
}

#[tokio::test]
async fn connect_times_out_when_the_server_never_accepts() {
    // A listener with a full accept queue drops further SYNs: the connect hangs.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    let mut plan = plan_for(addr, false);
    plan.timeouts.connect = Duration::from_millis(300);
    // Fill the queue (bounded), then probe.
    for _ in 0..4 {
        match tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(s)) => fillers.push(s),
            _ => break,
        }
    }
    let (a, d) = common::run(plan).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::ConnectTimeout, "{d:?}");
    assert_eq!(a.tried.len(), 1);
    drop(listener);
}

#[tokio::test]
async fn steps_sent_while_running_are_not_saved_for_the_next_pause() {
    let srv = server(Scenario::Healthy).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = EngineHandle::new(tx);
    // Off → on with stray steps in between: the first pause must still hold.
    engine.set_step_mode(false);
    engine.step();
    engine.set_step_mode(true);
    engine.start(plan_for(srv.addr, false));
    let ev = next(&mut rx, |k| matches!(k, EventKind::Paused { .. })).await;
    assert_eq!(
        ev.kind,
        EventKind::Paused {
            before: "EHLO".into()
        }
    );
    // Nothing moves until told. (A negative check can only wait: 200 ms of silence. It
    // cannot fail a correct engine, only miss a broken one on a very slow machine.)
    let quiet = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await;
    assert!(quiet.is_err(), "the engine moved without a step: {quiet:?}");
    engine.step();
    let ev = next(&mut rx, |k| !matches!(k, EventKind::Note { .. })).await;
    assert_eq!(
        ev.kind,
        EventKind::SmtpSent {
            line: "EHLO probe.tlsdive.test".into(),
            tls: false
        }
    );
    engine.set_step_mode(false);
    let ev = next(&mut rx, |k| matches!(k, EventKind::AttemptFinished { .. })).await;
    assert!(matches!(
        ev.kind,
        EventKind::AttemptFinished { failure: None, .. }
    ));
}

#[tokio::test]
async fn ipv6_loopback_works_end_to_end() {
    let Ok(srv) = tlsdive::lab::start(
        Scenario::Healthy,
        &common::fixture().pki,
        "[::1]:0".parse().unwrap(),
    )
    .await
    else {
        panic!("cannot listen on [::1]: this machine has no IPv6 loopback");
    };
    let mut plan = plan_for(srv.addr, false);
    // The lab certificate names 127.0.0.1 and localhost, not ::1: check it against localhost.
    plan.tls.sni = tlsdive::plan::Sni::Name("localhost".into());
    plan.tls.verify_name = Some("localhost".into());
    let (a, d) = common::run(plan).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Ok, "{d:?}");
    assert!(a.peer.is_some_and(|p| p.is_ipv6()));
    let text = tlsdive::report::text::report(&a);
    assert!(text.contains("connect [::1]:"), "{text}");
}

/// `launch` runs attempts side by side (a sweep's pairs), each with its own id; `cancel_all`
/// ends every one of them, and `start` would have cancelled the others.
#[tokio::test]
async fn launched_attempts_run_side_by_side_until_cancel_all() {
    let srv = server(Scenario::SlowBanner).await;
    let mut plan = plan_for(srv.addr, false);
    plan.timeouts.reply = Duration::from_secs(3600);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = EngineHandle::new(tx);
    let ids = [
        engine.launch(plan.clone()),
        engine.launch(plan.clone()),
        engine.launch(plan),
    ];
    assert_eq!(ids, [1, 2, 3]);
    let mut waiting: Vec<u32> = ids.to_vec();
    while !waiting.is_empty() {
        let ev = next(&mut rx, |k| {
            matches!(
                k,
                EventKind::PhaseStarted {
                    phase: Phase::Banner
                }
            )
        })
        .await;
        waiting.retain(|id| *id != ev.attempt);
    }
    // All three wait for the banner at once: none was cancelled by the next launch.
    engine.cancel_all();
    let mut ended = Vec::new();
    while ended.len() < 3 {
        let ev = next(&mut rx, |k| matches!(k, EventKind::AttemptFinished { .. })).await;
        assert!(
            matches!(
                ev.kind,
                EventKind::AttemptFinished {
                    failure: Some(Failure::Cancelled),
                    ..
                }
            ),
            "{ev:?}"
        );
        ended.push(ev.attempt);
    }
    ended.sort_unstable();
    assert_eq!(ended, ids);
}

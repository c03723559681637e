//! Step mode keeps the user's pauses out of the server's timings: event times stop while
//! the attempt is paused, and a FIN that arrives during a pause is reported when it came,
//! not "0.0 ms after our ClientHello" sent after the pause.

mod common;

use std::time::Duration;

use common::{plan_for, server};
use tlsdive::diagnose;
use tlsdive::engine::EngineHandle;
use tlsdive::event::{ConnectionEnd, EventKind, Phase, ProbeEvent};
use tlsdive::lab::Scenario;
use tlsdive::session::Session;

/// How long the "user" keeps the attempt paused.
const USER_PAUSE: Duration = Duration::from_millis(400);

#[tokio::test]
async fn a_fin_during_a_pause_is_reported_when_it_arrived_and_the_pause_is_not_timed() {
    // close-after-starttls: 220 to STARTTLS, then FIN, while we wait before the ClientHello.
    let srv = server(Scenario::CloseAfterStarttls).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<ProbeEvent>();
    let mut engine = EngineHandle::new(tx);
    engine.set_step_mode(true);
    engine.start(plan_for(srv.addr, false));
    let mut session = Session::new();
    let mut fin_while_paused = false;
    let run = async {
        while let Some(ev) = rx.recv().await {
            session.apply(&ev);
            match &ev.kind {
                EventKind::Paused { before } if before == "ClientHello" => {}
                EventKind::Paused { .. } => engine.step(),
                EventKind::ConnectionEnded {
                    how: ConnectionEnd::Fin,
                } if !fin_while_paused => {
                    // Reported during the pause: the user takes a while, then steps.
                    fin_while_paused = true;
                    tokio::time::sleep(USER_PAUSE).await;
                    engine.step();
                }
                EventKind::AttemptFinished { .. } => break,
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("the FIN is reported during the pause and the attempt ends");
    assert!(fin_while_paused);
    let a = session.attempts.last().expect("one attempt");
    // The end is reported once, by whoever saw it first (here the watch during the pause),
    // not again by the handshake that later read the same FIN.
    let ends: Vec<ConnectionEnd> = a
        .events()
        .filter_map(|e| match e.kind {
            EventKind::ConnectionEnded { how } => Some(how),
            _ => None,
        })
        .collect();
    assert_eq!(ends, vec![ConnectionEnd::Fin]);
    let d = diagnose::diagnose(a);
    assert_eq!(d.cause, diagnose::Cause::PeerClosedDuringHandshake, "{d:?}");
    assert!(
        !d.summary.contains("after our"),
        "the FIN came before our ClientHello: {}",
        d.summary
    );
    let handshake = a
        .phase_durations(a.last_us)
        .into_iter()
        .find(|(p, _)| *p == Phase::TlsHandshake)
        .map(|(_, us)| us)
        .expect("a handshake phase");
    assert!(
        handshake < USER_PAUSE.as_micros() as u64,
        "the user's pause is counted in the handshake phase: {handshake} µs"
    );
}

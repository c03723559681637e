//! `probe --repeat`: the same plan run N times, paced: attempt k starts no sooner than
//! `interval` after attempt k-1 started, and never while k-1 still runs (one connection at a
//! time, so a repeat is never a burst a mail server would answer with 421). Judging the
//! attempts is `crate::repeat`'s, a pure function.

use std::time::Duration;

use crate::plan::Plan;
use crate::session::Session;

/// Most attempts one repeat may run (`--repeat` is checked against it).
pub const MAX_ATTEMPTS: u32 = 1000;

/// Run `plan` `n` times (at most [`MAX_ATTEMPTS`]), `interval` apart, and fold every event
/// into one session (attempt ids 1..=n). `after` sees each attempt as it finishes.
pub async fn run(
    plan: &Plan,
    n: u32,
    interval: Duration,
    mut after: impl FnMut(&crate::session::Attempt),
) -> Session {
    let mut session = Session::new();
    let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut keeper = crate::repeat::keep::Keeper::new();
    for id in 1..=n.min(MAX_ATTEMPTS) {
        ticks.tick().await;
        let mut attempt = Session::new();
        for mut ev in crate::engine::probe(plan.clone()).await {
            ev.attempt = id;
            attempt.apply(&ev);
        }
        // An attempt like an earlier one is kept slim: 1,000 runs stay small.
        if let Some(a) = attempt.attempt(id) {
            for ev in keeper.keep(a) {
                session.apply(&ev);
            }
        }
        if let Some(a) = session.attempt(id) {
            after(a);
        }
    }
    session
}

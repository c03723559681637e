//! `I` in the TUI: the same investigation as `probe --investigate`, one experiment at a
//! time, each a normal attempt or scan in the session. The loop asks `next` after every
//! batch of engine events; it waits until the last step is over, then takes the next one
//! from `engine::investigate::next_step`, the function the CLI's loop uses.

pub use super::runs::Investigation;

use super::app::{App, Scanning};
use super::verbs::Effect;
use crate::case::Case;
use crate::engine::investigate::{MAX_CONNECTIONS, Step, next_step};
use crate::engine::scans::ScanRequest;
use crate::profile::kind::ScanKind;
use crate::session::Session;

/// Begin an investigation of the session from the attempt on screen onwards.
pub fn start(app: &mut App, session: &Session) -> Option<Effect> {
    if app.read_only {
        app.status = "read-only: this is a recording (no new attempts)".into();
        return None;
    }
    if app.investigation.is_some() {
        app.status = "an investigation is running (Esc stops it)".into();
        return None;
    }
    if app.sweep.as_ref().is_some_and(|s| s.running) {
        app.status = "a sweep is running: stop it first (Esc), then investigate".into();
        return None;
    }
    if app.repeat.as_ref().is_some_and(|r| r.active()) {
        app.status = "a repeat is running: stop it first (Esc), then investigate".into();
        return None;
    }
    if app.scanning.is_some() || session.attempts.iter().any(|a| a.is_running()) {
        app.status = "wait for the attempt or scan to finish (Esc cancels it)".into();
        return None;
    }
    if next_step(session, 0).is_none() {
        app.status =
            "nothing left to investigate: the case is confirmed or nothing cheap is left".into();
        return None;
    }
    app.investigation = Some(Investigation {
        spent_before: Case::of(session).map(|c| c.connections).unwrap_or(0),
        steps: 0,
        awaiting: None,
    });
    next(app, session)
}

/// The next step, once the last one is over; ends the investigation when none is left.
pub fn next(app: &mut App, session: &Session) -> Option<Effect> {
    let inv = app.investigation.as_mut()?;
    if app.scanning.is_some() || session.attempts.iter().any(|a| a.is_running()) {
        return None;
    }
    if let Some(n) = inv.awaiting {
        if session.attempts.len() < n {
            return None; // the attempt we asked for has not begun yet
        }
        inv.awaiting = None;
    }
    let step = next_step(session, inv.spent_before);
    let Some(step) = step else {
        let inv = app.investigation.take()?;
        app.status = done_words(&inv, session);
        return None;
    };
    inv.steps += 1;
    let n = inv.steps;
    match step {
        Step::Attempt(plan) => {
            inv.awaiting = Some(session.attempts.len() + 1);
            app.status = format!(
                "investigating, step {n}: {} (Esc stops)",
                plan.tls_summary()
            );
            app.show_attempt(None);
            Some(Effect::Start(Box::new(plan)))
        }
        Step::ScanVersions(plan) => {
            let a = session.attempts.iter().rev().find(|a| !a.is_running())?;
            app.status = format!("investigating, step {n}: scan the versions (Esc stops)");
            app.scanning = Some(Scanning {
                scan: None,
                attempt: a.id,
                what: ScanKind::Versions.label(),
            });
            Some(Effect::Scan(Box::new(ScanRequest {
                attempt: a.id,
                at_us: a.last_us,
                kind: ScanKind::Versions,
                plan,
            })))
        }
    }
}

fn done_words(inv: &Investigation, session: &Session) -> String {
    let steps = crate::units::plural(u64::from(inv.steps), "experiment");
    match Case::of(session) {
        Some(c) => {
            let used = c.connections.saturating_sub(inv.spent_before);
            format!(
                "investigation done: {} ({}) after {steps}, {} of at most {MAX_CONNECTIONS}",
                c.cause.code(),
                if c.confirmed {
                    "confirmed"
                } else {
                    "suspected"
                },
                crate::units::plural(u64::from(used), "connection"),
            )
        }
        None => format!("investigation done after {steps}"),
    }
}

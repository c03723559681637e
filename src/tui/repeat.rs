//! The TUI's repeat mode (like trippy's continuous tracing): the plan on screen run again N
//! times or until stopped, one attempt at a time, paced. Only the state machine lives here —
//! which attempts belong to the repeat and whether the next may start; the loop owns the
//! clock and the `EngineHandle`, and `repeat::summarize_refs` judges the attempts.

use super::app::{App, Mode};
use super::verbs::Effect;
use crate::plan::Plan;
use crate::session::Session;

pub use super::runs::{DEFAULT_COUNT, DEFAULT_INTERVAL, End, MAX_ATTEMPTS, Repeating};

/// `R` (N times) or `U` (until stopped): start repeating the plan on screen, or stop the
/// repeat that runs.
pub fn toggle(app: &mut App, session: &Session, until_stopped: bool) -> Option<Effect> {
    if app.repeat.as_ref().is_some_and(Repeating::active) {
        stop(app, End::Stopped);
        return None;
    }
    if app.read_only {
        app.status = "read-only: this is a recording (no new attempts)".into();
        return None;
    }
    let Some(a) = app.attempt(session) else {
        app.status = "no attempt yet".into();
        return None;
    };
    if a.is_running() {
        app.status = "wait for the attempt to finish (Esc cancels it), then repeat".into();
        return None;
    }
    let Some(plan) = a.plan.clone() else {
        app.status = "this attempt has no plan to repeat".into();
        return None;
    };
    let limit = (!until_stopped).then_some(app.repeat_count);
    Some(begin(app, plan, limit))
}

/// Start repeating `plan` (`limit` attempts, or until stopped) and show the repeat view.
pub fn begin(app: &mut App, plan: Plan, limit: Option<u32>) -> Effect {
    let r = Repeating {
        plan: plan.clone(),
        limit: limit.map(|n| n.clamp(1, MAX_ATTEMPTS)),
        interval: app.repeat_interval,
        ids: Vec::new(),
        pending: true,
        ended: None,
    };
    let how = match r.limit {
        Some(n) => format!("{n} times"),
        None => "until stopped".into(),
    };
    app.status = format!(
        "repeating {how}, {} apart: {} (R stops)",
        crate::report::units::human_duration(r.interval),
        plan.tls_summary()
    );
    app.repeat = Some(r);
    app.show_attempt(None);
    app.mode = Mode::Repeat;
    Effect::Start(Box::new(plan))
}

/// Stop starting attempts (the one running finishes).
pub fn stop(app: &mut App, why: End) {
    let Some(r) = app.repeat.as_mut().filter(|r| r.active()) else {
        return;
    };
    r.ended = Some(why);
    r.pending = false;
    let n = r.ids.len();
    app.status = match why {
        End::Stopped => format!(
            "repeat stopped after {}: no new attempt starts",
            crate::report::units::plural(n as u64, "attempt")
        ),
        End::Replaced => format!("{} (the repeat stopped)", app.status),
        End::Done => format!("repeat done: {n} attempts (O shows the conclusion)"),
    };
}

/// The engine started attempt `id`: it is the repeat's if the repeat asked for it.
pub fn started(app: &mut App, id: u32) -> bool {
    match app.repeat.as_mut() {
        Some(r) if r.pending => {
            r.pending = false;
            r.ids.push(id);
            true
        }
        _ => false,
    }
}

/// Whether the next attempt may start once the interval is over: the repeat is active, its
/// last attempt finished and not all have run.
pub fn ready(app: &App, session: &Session) -> bool {
    app.repeat.as_ref().is_some_and(|r| {
        r.active()
            && !r.pending
            && r.last_finished(session)
            && u32::try_from(r.ids.len()).is_ok_and(|n| n < r.cap())
    })
}

/// The interval is over: start the next attempt if [`ready`].
pub fn next(app: &mut App, session: &Session) -> Option<Effect> {
    if !ready(app, session) {
        return None;
    }
    let r = app.repeat.as_mut()?;
    r.pending = true;
    let plan = r.plan.clone();
    app.status = format!("repeat: attempt {} (R stops)", next_label(r));
    Some(Effect::Start(Box::new(plan)))
}

fn next_label(r: &Repeating) -> String {
    match r.limit {
        Some(n) => format!("{} of {n}", r.ids.len() + 1),
        None => format!("{}", r.ids.len() + 1),
    }
}

/// After an attempt finished: end the repeat once its last attempt is in.
pub fn check_done(app: &mut App, session: &Session) {
    let done = app.repeat.as_ref().is_some_and(|r| {
        r.active()
            && !r.pending
            && r.last_finished(session)
            && u32::try_from(r.ids.len()).is_ok_and(|n| n >= r.cap())
    });
    if done {
        stop(app, End::Done);
    }
}

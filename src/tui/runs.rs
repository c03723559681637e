//! The TUI's self-running modes (repeat, investigation, MX × address sweep) are the same
//! `runs` machines the CLI drives: the `App` holds the one active run, this file begins,
//! polls and stops it and words what it does on the status line. The loop carries the
//! orders out on the `EngineHandle` and hands the ids back.

use std::time::Duration;

use super::app::{App, Mode, Scanning};
use super::keymap;
use super::verbs::{Command, Effect};
use crate::case::Case;
use crate::runs::investigate::{Investigation, MAX_CONNECTIONS};
use crate::runs::repeat::{End, Repeat};
use crate::runs::sweep::Sweep;
use crate::runs::{Job, Next, Order, Run, may_begin};
use crate::session::Session;

/// Attempts `R` runs unless `--repeat N` said otherwise.
pub const DEFAULT_COUNT: u32 = 10;
/// Least time between two attempt starts unless `--interval` said otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
/// "Until stopped" still stops here, as `probe --repeat` does.
pub use crate::runs::repeat::MAX_ATTEMPTS;

/// Begin `run` if the one-run-at-a-time rule allows it; its first orders, or the refusal
/// on the status line.
pub fn begin(app: &mut App, session: &Session, run: Run, now: Duration) -> Option<Effect> {
    if app.options.read_only {
        app.status = super::command::READ_ONLY.into();
        return None;
    }
    if let Err(busy) = may_begin(app.run.as_ref(), session, app.scanning.is_some()) {
        app.status = format!(
            "{} ({})",
            busy.words(),
            keymap::name(Mode::Main, Command::Cancel)
        );
        return None;
    }
    app.run = Some(run);
    app.run_over = false;
    tick(app, session, now)
}

/// Ask the active run what to start now; word what it starts, or its end.
pub fn tick(app: &mut App, session: &Session, now: Duration) -> Option<Effect> {
    if app.run_over {
        return None;
    }
    let next: Next = app.run.as_mut()?.poll(session, now);
    app.run_wake = next.wake;
    if next.done {
        app.run_over = true;
        app.run_wake = None;
        if let Some(words) = app.run.as_ref().and_then(|r| done_words(r, session)) {
            app.status = words;
        }
        return None;
    }
    if next.orders.is_empty() {
        return None;
    }
    ordered(app, &next.orders);
    Some(Effect::Run(next.orders))
}

/// The engine started the order `key` as attempt (or scan) `id`.
pub fn started(app: &mut App, key: u32, id: u32) {
    if let Some(r) = app.run.as_mut() {
        r.started(key, id);
    }
}

/// Words for what the run just asked for; a scan shows on the status line's progress.
fn ordered(app: &mut App, orders: &[Order]) {
    let Some(run) = app.run.as_ref() else { return };
    let mut scanning = None;
    let status = match run {
        Run::Repeat(r) if r.ids.is_empty() => {
            let how = match r.limit {
                Some(n) => format!("{n} times"),
                None => "until stopped".into(),
            };
            format!(
                "repeating {how}, {} apart: {} ({} stops)",
                crate::report::units::human_duration(r.interval),
                r.plan.tls_summary(),
                keymap::name(Mode::Main, Command::Repeat)
            )
        }
        Run::Repeat(r) => {
            // The attempt just ordered: the engine has not named it yet.
            let k = r.ids.len() + 1;
            let stop = keymap::name(Mode::Main, Command::Repeat);
            match r.limit {
                Some(n) => format!("repeat: attempt {k} of {n} ({stop} stops)"),
                None => format!("repeat: attempt {k} ({stop} stops)"),
            }
        }
        Run::Sweep(s) => format!(
            "sweep of {}: {} of {} pairs started ({} stops)",
            s.domain,
            s.total - s.left(),
            s.total,
            keymap::name(Mode::Main, Command::Cancel)
        ),
        Run::Investigate(inv) => {
            let n = inv.steps;
            match orders.first().map(|o| &o.job) {
                Some(Job::Scan(req)) => {
                    scanning = Some(Scanning {
                        scan: None,
                        attempt: req.attempt,
                        what: req.kind.label(),
                    });
                    format!(
                        "investigating, step {n}: scan the versions ({} stops)",
                        keymap::name(Mode::Main, Command::Cancel)
                    )
                }
                Some(Job::Attempt(plan)) => format!(
                    "investigating, step {n}: {} ({} stops)",
                    plan.tls_summary(),
                    keymap::name(Mode::Main, Command::Cancel)
                ),
                None => return,
            }
        }
        // The live triage table is fed by the triage command, not an active run.
        Run::Triage(_) => return,
    };
    app.status = status;
    if scanning.is_some() {
        app.scanning = scanning;
    }
    if orders.iter().any(|o| matches!(o.job, Job::Attempt(_))) {
        app.show_attempt(None);
    }
}

/// `R` (N times) or `U` (until stopped): repeat the plan on screen, or stop the repeat.
pub fn toggle_repeat(
    app: &mut App,
    session: &Session,
    until_stopped: bool,
    now: Duration,
) -> Option<Effect> {
    if app.repeat().is_some_and(Repeat::active) {
        stop(app, session);
        return None;
    }
    if app.options.read_only {
        app.status = super::command::READ_ONLY.into();
        return None;
    }
    let Some(a) = app.attempt(session) else {
        app.status = "no attempt yet".into();
        return None;
    };
    let Some(plan) = a.plan.clone() else {
        app.status = "this attempt has no plan to repeat".into();
        return None;
    };
    let limit = (!until_stopped).then_some(app.options.repeat_count);
    let run = Run::Repeat(Repeat::new(plan, limit, app.options.repeat_interval));
    let effect = begin(app, session, run, now);
    if effect.is_some() {
        app.mode = Mode::Repeat;
    }
    effect
}

/// `I`: investigate the session from the attempt on screen onwards.
pub fn investigate(app: &mut App, session: &Session, now: Duration) -> Option<Effect> {
    if !app.options.read_only
        && may_begin(app.run.as_ref(), session, app.scanning.is_some()).is_ok()
        && crate::runs::investigate::next_step(session, 0).is_none()
    {
        app.status =
            "nothing left to investigate: the case is confirmed or nothing cheap is left".into();
        return None;
    }
    let run = Run::Investigate(Investigation::of_session(session));
    begin(app, session, run, now)
}

/// `F`: sweep every MX × address of the domain attempt on screen.
pub fn sweep(app: &mut App, session: &Session, now: Duration) -> Option<Effect> {
    if app.options.read_only {
        app.status = super::command::READ_ONLY.into();
        return None;
    }
    let Some(a) = app.attempt(session) else {
        app.status = "no attempt yet".into();
        return None;
    };
    let run = match Sweep::from_attempt(a) {
        Ok(s) => Run::Sweep(s),
        Err(why) => {
            app.status = why.to_string();
            return None;
        }
    };
    begin(app, session, run, now)
}

/// Esc (or `R` again): start nothing more; a sweep's or an investigation's running attempt
/// or scan is cancelled, a repeat's is let finish.
pub fn stop(app: &mut App, session: &Session) -> Option<Effect> {
    let run = app.run.as_mut().filter(|r| r.active())?;
    run.stop();
    let running = session.attempts.iter().any(|a| a.is_running());
    let (status, effect) = match run {
        Run::Repeat(r) => (
            format!(
                "repeat stopped after {}: no new attempt starts",
                crate::report::units::plural(r.ids.len() as u64, "attempt")
            ),
            None,
        ),
        Run::Sweep(s) => (
            format!(
                "sweep of {} stopped: {} of {} pairs started",
                s.domain,
                s.total - s.left(),
                s.total
            ),
            running.then_some(Effect::Cancel),
        ),
        Run::Investigate(_) => {
            app.run_over = true;
            let effect = if app.scanning.take().is_some() {
                Some(Effect::CancelScan)
            } else {
                running.then_some(Effect::Cancel)
            };
            ("investigation stopped".to_string(), effect)
        }
        Run::Triage(_) => ("triage stopped".to_string(), None),
    };
    app.status = status;
    effect
}

/// An attempt started by hand: a repeat or a sweep stops (it would not be one of theirs).
pub fn replaced(app: &mut App) {
    match app.run.as_mut() {
        Some(Run::Repeat(r)) if r.active() && !r.pending => {
            r.stop(End::Replaced);
            app.status.push_str(" (the repeat stopped)");
        }
        Some(Run::Sweep(s)) if s.running => s.stop(),
        _ => {}
    }
}

fn done_words(run: &Run, session: &Session) -> Option<String> {
    Some(match run {
        Run::Repeat(r) if r.ended == Some(End::Done) => format!(
            "repeat done: {} attempts ({} shows the conclusion)",
            r.ids.len(),
            keymap::name(Mode::Main, Command::ViewRepeat)
        ),
        Run::Repeat(_) => return None,
        Run::Sweep(s) => sweep_done_words(s, session),
        Run::Investigate(inv) => investigation_done_words(inv, session),
        Run::Triage(_) => return None,
    })
}

fn sweep_done_words(sweep: &Sweep, session: &Session) -> String {
    let rows = sweep.rows(session);
    let failing: Vec<String> = rows
        .iter()
        .filter(|r| !(r.ok && r.cause == crate::diagnose::Cause::Ok))
        .map(|r| format!("{} {}", r.address, r.cause))
        .collect();
    let pairs = crate::units::plural(rows.len() as u64, "pair");
    if failing.is_empty() {
        format!(
            "sweep of {} done: {pairs}, every one ok ({} shows the table)",
            sweep.domain,
            keymap::name(Mode::Main, Command::ViewPolicy)
        )
    } else {
        format!(
            "sweep of {} done: {pairs}, {} failing: {} ({} shows the table)",
            sweep.domain,
            failing.len(),
            failing.join(", "),
            keymap::name(Mode::Main, Command::ViewPolicy)
        )
    }
}

fn investigation_done_words(inv: &Investigation, session: &Session) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, Phase, ProbeEvent};
    use crate::plan::{Plan, Target};

    fn ended(target: Target) -> Session {
        let mut s = Session::new();
        for kind in [
            EventKind::AttemptStarted {
                plan: Box::new(Plan::new(target.clone())),
            },
            EventKind::AttemptFinished {
                failure: None,
                phase: Phase::Done,
            },
        ] {
            s.apply(&ProbeEvent {
                attempt: 1,
                at_us: 0,
                kind,
            });
        }
        s
    }

    #[test]
    fn one_run_at_a_time_with_one_refusal() {
        let s = ended(Target::Host("mx.example.net".into()));
        let mut app = App::new();
        let first = toggle_repeat(&mut app, &s, true, Duration::ZERO);
        assert!(matches!(first, Some(Effect::Run(ref o)) if o.len() == 1));
        assert_eq!(app.mode, Mode::Repeat);
        // Whatever else is asked for, the same rule and the same words.
        assert_eq!(investigate(&mut app, &s, Duration::ZERO), None);
        assert_eq!(app.status, "a repeat is running: stop it first (Esc)");
        assert_eq!(sweep(&mut app, &s, Duration::ZERO), None);
        assert!(app.status.contains("domain target"), "{}", app.status);
        assert!(app.repeat().is_some_and(Repeat::active));
        assert_eq!(stop(&mut app, &s), None, "a repeat's attempt may finish");
        assert!(app.status.starts_with("repeat stopped"), "{}", app.status);
    }

    #[test]
    fn a_host_target_or_a_recording_is_refused_saying_why() {
        let s = ended(Target::Host("mx1.example.net".into()));
        let mut app = App::new();
        assert_eq!(sweep(&mut app, &s, Duration::ZERO), None);
        assert!(app.status.contains("domain target"), "{}", app.status);
        let s = ended(Target::Domain("example.net".into()));
        app.options.read_only = true;
        assert_eq!(sweep(&mut app, &s, Duration::ZERO), None);
        assert!(app.status.starts_with("read-only"), "{}", app.status);
        assert!(app.run.is_none());
    }
}

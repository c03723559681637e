//! Runs: repeat, sweep and investigate as pure state machines above `case`. Given the
//! session so far and the time (a value, so they stay pure), a run says what to start next,
//! when to wake and when it is done; the CLI's driver and the TUI's loop carry its orders out
//! on the `EngineHandle` and tell it the id the engine gave each one.

pub mod investigate;
pub mod repeat;
pub mod sweep;
pub mod triage;

use std::time::Duration;

use crate::event::ProbeEvent;
use crate::plan::Plan;
use crate::profile::kind::ScanKind;
use crate::scan::ScanPlan;
use crate::session::{Attempt, Session};

/// A scan to run for an attempt (the engine runs it; a run or a key asks for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRequest {
    pub attempt: u32,
    /// The attempt's last time: every scan event's `at_us` (the scan runs after it).
    pub at_us: u64,
    pub kind: ScanKind,
    pub plan: ScanPlan,
    /// The sender profiles a `Senders` scan sends (empty: the shipped ones).
    pub senders: Vec<crate::scan::senders::SenderProfile>,
}

/// What a run asks the engine to start.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    Attempt(Box<Plan>),
    Scan(Box<ScanRequest>),
}

/// One thing to start now; `key` is the run's own name for it, handed back with the id the
/// engine gave it (`Run::started`).
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub key: u32,
    pub job: Job,
}

/// A run's answer to "what now?".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Next {
    /// Start these now, in this order.
    pub orders: Vec<Order>,
    /// Ask again at this time (the run's clock) even if no event arrives.
    pub wake: Option<Duration>,
    /// Nothing more will be asked and everything the run started has ended.
    pub done: bool,
}

impl Next {
    fn done() -> Next {
        Next {
            done: true,
            ..Next::default()
        }
    }

    fn wait() -> Next {
        Next::default()
    }
}

/// The run under way (or the last one, whose rows and counts stay on screen).
#[derive(Debug, Clone, PartialEq)]
pub enum Run {
    Repeat(repeat::Repeat),
    Sweep(sweep::Sweep),
    Investigate(investigate::Investigation),
    Triage(triage::Triage),
}

/// What the session keeps of a finished attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Keep {
    /// All of it.
    All,
    /// These events in its place (a slimmer copy with the same facts).
    Slim(Vec<ProbeEvent>),
    /// Nothing: the run took what it needed (a triage keeps only its row).
    Drop,
}

impl Run {
    /// What to start now, when to wake, whether it is over. `now`: the driver's clock.
    pub fn poll(&mut self, session: &Session, now: Duration) -> Next {
        match self {
            Run::Repeat(r) => r.poll(session, now),
            Run::Sweep(s) => s.poll(session),
            Run::Investigate(i) => i.poll(session),
            Run::Triage(t) => t.poll(now),
        }
    }

    /// The engine started the order named `key` as attempt (or scan) `id`.
    pub fn started(&mut self, key: u32, id: u32) {
        match self {
            Run::Repeat(r) => r.started(key, id),
            Run::Sweep(s) => s.started(key, id),
            Run::Investigate(i) => i.started(key, id),
            Run::Triage(t) => t.started(key, id),
        }
    }

    /// Start nothing more (what runs may finish).
    pub fn stop(&mut self) {
        match self {
            Run::Repeat(r) => r.stop(repeat::End::Stopped),
            Run::Sweep(s) => s.stop(),
            Run::Investigate(i) => i.stop(),
            Run::Triage(t) => t.close(),
        }
    }

    /// Whether it may still start something.
    pub fn active(&self) -> bool {
        match self {
            Run::Repeat(r) => r.active(),
            Run::Sweep(s) => s.running,
            Run::Investigate(i) => !i.stopped,
            Run::Triage(_) => true,
        }
    }

    /// What of finished attempt `a` the session keeps (a repeat keeps later look-alike
    /// attempts slim, so 1,000 runs stay small; a triage judges it and drops it).
    pub fn keep(&mut self, a: &Attempt) -> Keep {
        match self {
            Run::Repeat(r) => r.keep(a).map_or(Keep::All, Keep::Slim),
            Run::Triage(t) => {
                if t.judge(a) {
                    Keep::Drop
                } else {
                    Keep::All
                }
            }
            Run::Sweep(_) | Run::Investigate(_) => Keep::All,
        }
    }

    /// The kind's name, for "a repeat is running".
    pub fn name(&self) -> &'static str {
        match self {
            Run::Repeat(_) => "repeat",
            Run::Sweep(_) => "sweep",
            Run::Investigate(_) => "investigation",
            Run::Triage(_) => "triage",
        }
    }
}

/// Why a new run cannot begin now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Another run is active (its name).
    Run(&'static str),
    /// An attempt or a scan is running.
    Working,
}

impl Busy {
    /// The refusal, in words (the front end adds its key for stopping).
    pub fn words(self) -> String {
        match self {
            Busy::Run(name) => format!("{} {name} is running: stop it first", article(name)),
            Busy::Working => "wait for the attempt or scan to finish".into(),
        }
    }
}

fn article(name: &str) -> &'static str {
    if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// The one "only one run at a time" rule: a run may begin when no other is active and
/// nothing runs (`scanning`: a scan asked for whose events have not all arrived).
pub fn may_begin(active: Option<&Run>, session: &Session, scanning: bool) -> Result<(), Busy> {
    if let Some(r) = active.filter(|r| r.active()) {
        return Err(Busy::Run(r.name()));
    }
    let running = session
        .attempts
        .iter()
        .any(|a| a.is_running() || a.scan_running.is_some());
    if scanning || running {
        return Err(Busy::Working);
    }
    Ok(())
}

/// Whether attempt `id` has begun and ended in `session`.
fn finished(session: &Session, id: u32) -> bool {
    session.attempt(id).is_some_and(|a| !a.is_running())
}

#[cfg(test)]
pub(crate) mod test_session {
    //! Sessions built from events, for the machines' tests.
    use crate::event::{EventKind, Phase, ProbeEvent};
    use crate::plan::Plan;
    use crate::session::Session;

    pub fn ev(attempt: u32, kind: EventKind) -> ProbeEvent {
        ProbeEvent {
            attempt,
            at_us: 0,
            kind,
        }
    }

    pub fn begin(s: &mut Session, id: u32, plan: &Plan) {
        s.apply(&ev(
            id,
            EventKind::AttemptStarted {
                plan: Box::new(plan.clone()),
            },
        ));
    }

    pub fn finish(s: &mut Session, id: u32, failure: Option<crate::event::Failure>) {
        let phase = if failure.is_some() {
            Phase::TlsHandshake
        } else {
            Phase::Done
        };
        s.apply(&ev(id, EventKind::AttemptFinished { failure, phase }));
    }
}

#[cfg(test)]
mod tests {
    use super::test_session::*;
    use super::*;
    use crate::plan::Target;

    #[test]
    fn one_run_at_a_time_and_not_while_something_runs() {
        let plan = Plan::new(Target::Host("mx.example.net".into()));
        let mut s = Session::new();
        assert_eq!(may_begin(None, &s, false), Ok(()));
        assert_eq!(may_begin(None, &s, true), Err(Busy::Working));
        begin(&mut s, 1, &plan);
        assert_eq!(may_begin(None, &s, false), Err(Busy::Working));
        finish(&mut s, 1, None);
        let mut r = Run::Repeat(repeat::Repeat::new(plan, Some(3), Duration::ZERO));
        assert_eq!(may_begin(Some(&r), &s, false), Err(Busy::Run("repeat")));
        assert_eq!(
            Busy::Run("investigation").words(),
            "an investigation is running: stop it first"
        );
        r.stop();
        assert_eq!(may_begin(Some(&r), &s, false), Ok(()));
    }
}

//! The investigation (`--investigate`, the TUI's `I`): the case's next experiments, one at a
//! time, until the case is confirmed or nothing cheap is left — each a normal attempt or scan
//! in the session. Bounded in connections; scans pace themselves like the scanner.

use super::{Job, Next, Order, ScanRequest, finished};
use crate::case::{Case, Experiment, next_experiment_after};
use crate::plan::Plan;
use crate::profile::kind::ScanKind;
use crate::scan::ScanPlan;
use crate::session::Session;

/// Most TCP connections one investigation may open.
pub const MAX_CONNECTIONS: u32 = 24;

/// The next experiment, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Attempt(Plan),
    /// A versions scan (at most two connections at once).
    ScanVersions(ScanPlan),
}

/// What to run next over `session`, or None when the case is confirmed, nothing cheap is
/// left or the next step would go over [`MAX_CONNECTIONS`]. `spent_before`: connections the
/// session had used before the investigation began (the TUI starts one mid-session).
pub fn next_step(session: &Session, spent_before: u32) -> Option<Step> {
    next_step_after(session, Case::of(session).as_ref(), spent_before)
}

/// [`next_step`] given the session's case (`Case::of(session)`, perhaps from a cache).
pub fn next_step_after(session: &Session, case: Option<&Case>, spent_before: u32) -> Option<Step> {
    let used = case
        .map(|c| c.connections)
        .unwrap_or(0)
        .saturating_sub(spent_before);
    let next = next_experiment_after(session, case?)?;
    let latest = session
        .attempts
        .iter()
        .rev()
        .find(|a| !a.is_running())?
        .plan
        .clone()?;
    match next {
        Experiment::Attempt(retry) => {
            if used + 1 > MAX_CONNECTIONS {
                return None;
            }
            retry.apply(&latest).map(Step::Attempt)
        }
        Experiment::ScanVersions => {
            let mut scan = ScanPlan::new(latest);
            // Each version costs one connection (more on 421 back-off): keep the total
            // within the budget or skip the scan.
            let left = MAX_CONNECTIONS.saturating_sub(used);
            if left < scan.versions.len() as u32 {
                return None;
            }
            scan.max_connections = scan.max_connections.min(2);
            Some(Step::ScanVersions(scan))
        }
    }
}

/// What the investigation waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Waiting {
    /// An attempt (its id once the engine named it).
    Attempt(Option<u32>),
    /// A scan of attempt `attempt`, which had `before` scans when it was asked for.
    Scan { attempt: u32, before: usize },
}

/// An investigation under way, or the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Investigation {
    /// The first attempt to run (the CLI's), until it is ordered.
    first: Option<Plan>,
    /// Connections the session had used before it began (they are not its budget's).
    pub spent_before: u32,
    /// Experiments started so far (the first attempt is not one).
    pub steps: u32,
    waiting: Option<Waiting>,
    /// The user stopped it, or it ended.
    pub stopped: bool,
}

impl Investigation {
    /// Run `plan`, then the experiments its case asks for (the CLI).
    pub fn of_plan(plan: Plan) -> Investigation {
        Investigation {
            first: Some(plan),
            spent_before: 0,
            steps: 0,
            waiting: None,
            stopped: false,
        }
    }

    /// Investigate `session` as it stands (the TUI, mid-session).
    pub fn of_session(session: &Session) -> Investigation {
        Investigation {
            first: None,
            spent_before: Case::of(session).map(|c| c.connections).unwrap_or(0),
            steps: 0,
            waiting: None,
            stopped: false,
        }
    }

    fn over(&self, session: &Session) -> bool {
        match &self.waiting {
            None => true,
            Some(Waiting::Attempt(id)) => id.is_some_and(|id| finished(session, id)),
            Some(Waiting::Scan { attempt, before }) => session
                .attempt(*attempt)
                .is_some_and(|a| a.scans.len() > *before),
        }
    }

    pub fn poll(&mut self, session: &Session) -> Next {
        if !self.over(session) {
            return Next::default();
        }
        self.waiting = None;
        if self.stopped {
            return Next::done();
        }
        let job = if let Some(plan) = self.first.take() {
            Job::Attempt(Box::new(plan))
        } else {
            let Some(step) = next_step(session, self.spent_before) else {
                self.stopped = true;
                return Next::done();
            };
            self.steps += 1;
            match step {
                Step::Attempt(plan) => Job::Attempt(Box::new(plan)),
                Step::ScanVersions(plan) => {
                    let Some(a) = session.attempts.iter().rev().find(|a| !a.is_running()) else {
                        self.stopped = true;
                        return Next::done();
                    };
                    Job::Scan(Box::new(ScanRequest {
                        attempt: a.id,
                        at_us: a.last_us,
                        kind: ScanKind::Versions,
                        plan,
                        senders: Vec::new(),
                    }))
                }
            }
        };
        self.waiting = Some(match &job {
            Job::Attempt(_) => Waiting::Attempt(None),
            Job::Scan(req) => Waiting::Scan {
                attempt: req.attempt,
                before: session.attempt(req.attempt).map_or(0, |a| a.scans.len()),
            },
        });
        Next {
            orders: vec![Order {
                key: self.steps,
                job,
            }],
            ..Next::default()
        }
    }

    pub fn started(&mut self, _key: u32, id: u32) {
        if let Some(Waiting::Attempt(slot)) = self.waiting.as_mut() {
            *slot = Some(id);
        }
    }

    /// Start no further experiment (the front end cancels what runs).
    pub fn stop(&mut self) {
        self.stopped = true;
        self.first = None;
        self.waiting = None;
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_session::*;
    use super::*;
    use crate::event::{ConnectionEnd, EventKind, Failure, Phase};
    use crate::plan::Target;

    /// A failed attempt: the server closed after the ClientHello (no alert).
    fn dropped(s: &mut Session, id: u32, plan: &Plan) {
        begin(s, id, plan);
        for kind in [
            EventKind::PhaseStarted {
                phase: Phase::TlsHandshake,
            },
            EventKind::ConnectionEnded {
                how: ConnectionEnd::Fin,
            },
        ] {
            s.apply(&ev(id, kind));
        }
        finish(s, id, Some(Failure::PeerClosed));
    }

    #[test]
    fn the_first_attempt_then_one_experiment_at_a_time() {
        let plan = Plan::new(Target::Host("mx.example.net".into()));
        let mut inv = Investigation::of_plan(plan.clone());
        let mut s = Session::new();
        let n = inv.poll(&s);
        assert_eq!(n.orders[0].job, Job::Attempt(Box::new(plan.clone())));
        assert_eq!(inv.poll(&s), Next::default(), "not begun yet");
        inv.started(0, 1);
        dropped(&mut s, 1, &plan);
        let n = inv.poll(&s);
        let expected = next_step(&s, 0).expect("a dropped hello has experiments");
        match (&n.orders[..], expected) {
            (
                [
                    Order {
                        job: Job::Attempt(p),
                        ..
                    },
                ],
                Step::Attempt(q),
            ) => assert_eq!(**p, q),
            other => panic!("{other:?}"),
        }
        assert_eq!(inv.steps, 1);
        inv.stop();
        assert!(inv.poll(&s).done);
    }

    #[test]
    fn a_healthy_first_attempt_needs_no_experiment() {
        let plan = Plan::new(Target::Host("mx.example.net".into()));
        let mut inv = Investigation::of_plan(plan.clone());
        let mut s = Session::new();
        inv.poll(&s);
        inv.started(0, 1);
        begin(&mut s, 1, &plan);
        finish(&mut s, 1, None);
        let n = inv.poll(&s);
        assert!(n.done && n.orders.is_empty(), "{n:?}");
        assert_eq!(inv.steps, 0);
    }
}

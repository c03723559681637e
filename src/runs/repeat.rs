//! The repeat: one plan run N times (or until stopped, at most [`MAX_ATTEMPTS`]), paced:
//! attempt k starts no sooner than `interval` after attempt k-1 started and never while k-1
//! runs (one connection at a time: a repeat is never a burst a mail server answers with 421).

use std::time::Duration;

use super::{Job, Next, Order, finished};
use crate::event::{Failure, ProbeEvent};
use crate::plan::Plan;
use crate::repeat::keep::Keeper;
use crate::session::{Attempt, Session};

/// Most attempts one repeat may run (`--repeat` is checked against it).
pub const MAX_ATTEMPTS: u32 = 1000;

/// Why a repeat stopped starting attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// All N ran (or the cap of an open-ended repeat).
    Done,
    /// The user stopped it.
    Stopped,
    /// Another attempt was started by hand, which cancels the repeat's.
    Replaced,
}

/// A repeat of one plan.
#[derive(Debug)]
pub struct Repeat {
    pub plan: Plan,
    /// Attempts to run; `None`: until stopped (at most [`MAX_ATTEMPTS`]).
    pub limit: Option<u32>,
    pub interval: Duration,
    /// The repeat's attempts, in the order they started.
    pub ids: Vec<u32>,
    /// An attempt was ordered; its id is not known yet.
    pub pending: bool,
    /// When the latest attempt was ordered (the run's clock).
    last_start: Option<Duration>,
    /// `None` while it still starts attempts.
    pub ended: Option<End>,
    keeper: Keeper,
}

/// A copy starts a fresh keeper: later look-alike attempts are then kept whole (more
/// memory, never other facts).
impl Clone for Repeat {
    fn clone(&self) -> Repeat {
        Repeat {
            plan: self.plan.clone(),
            ids: self.ids.clone(),
            keeper: Keeper::new(),
            ..*self
        }
    }
}

impl PartialEq for Repeat {
    fn eq(&self, o: &Repeat) -> bool {
        (
            &self.plan,
            self.limit,
            self.interval,
            &self.ids,
            self.pending,
        ) == (&o.plan, o.limit, o.interval, &o.ids, o.pending)
            && (self.last_start, self.ended) == (o.last_start, o.ended)
    }
}

impl Repeat {
    /// Repeat `plan` `limit` times (clamped to 1..=[`MAX_ATTEMPTS`]) or until stopped.
    pub fn new(plan: Plan, limit: Option<u32>, interval: Duration) -> Repeat {
        Repeat {
            plan,
            limit: limit.map(|n| n.clamp(1, MAX_ATTEMPTS)),
            interval,
            ids: Vec::new(),
            pending: false,
            last_start: None,
            ended: None,
            keeper: Keeper::new(),
        }
    }

    pub fn active(&self) -> bool {
        self.ended.is_none()
    }

    fn cap(&self) -> usize {
        self.limit.unwrap_or(MAX_ATTEMPTS).min(MAX_ATTEMPTS) as usize
    }

    fn last_finished(&self, session: &Session) -> bool {
        self.ids.last().is_none_or(|id| finished(session, *id))
    }

    /// The next attempt once the last has ended and the interval has passed.
    pub fn poll(&mut self, session: &Session, now: Duration) -> Next {
        if self.pending {
            return Next::wait();
        }
        let last_done = self.last_finished(session);
        if self.ended.is_some() {
            return if last_done {
                Next::done()
            } else {
                Next::wait()
            };
        }
        if !last_done {
            return Next::wait();
        }
        if self.ids.len() >= self.cap() {
            self.ended = Some(End::Done);
            return Next::done();
        }
        if let Some(due) = self.last_start.map(|t| t + self.interval)
            && now < due
        {
            return Next {
                wake: Some(due),
                ..Next::wait()
            };
        }
        self.pending = true;
        self.last_start = Some(now);
        Next {
            orders: vec![Order {
                key: self.ids.len() as u32,
                job: Job::Attempt(Box::new(self.plan.clone())),
            }],
            ..Next::wait()
        }
    }

    pub fn started(&mut self, _key: u32, id: u32) {
        if std::mem::take(&mut self.pending) {
            self.ids.push(id);
        }
    }

    /// Start no new attempt (the one running finishes).
    pub fn stop(&mut self, why: End) {
        if self.ended.is_none() {
            self.ended = Some(why);
            self.pending = false;
        }
    }

    /// An attempt like an earlier one is kept slim.
    pub fn keep(&mut self, a: &Attempt) -> Option<Vec<ProbeEvent>> {
        if !self.ids.contains(&a.id) {
            return None;
        }
        let kept = self.keeper.keep(a);
        (kept.len() != a.events().len()).then_some(kept)
    }

    /// The repeat's attempts in the session, cancelled ones left out (they say nothing about
    /// the server).
    pub fn attempts<'s>(&self, session: &'s Session) -> impl Iterator<Item = &'s Attempt> {
        let mut sorted = self.ids.clone();
        sorted.sort_unstable();
        session.attempts.iter().filter(move |a| {
            sorted.binary_search(&a.id).is_ok() && a.failure() != Some(&Failure::Cancelled)
        })
    }

    /// "3 of 10" or "3 (until stopped)".
    pub fn progress(&self) -> String {
        match self.limit {
            Some(n) => format!("{} of {n}", self.ids.len()),
            None => format!("{} (until stopped)", self.ids.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_session::*;
    use super::*;
    use crate::plan::Target;

    const MS: Duration = Duration::from_millis(1);

    fn only(next: Next) -> Plan {
        match &next.orders[..] {
            [
                Order {
                    job: Job::Attempt(p),
                    ..
                },
            ] => (**p).clone(),
            other => panic!("expected one attempt, got {other:?}"),
        }
    }

    #[test]
    fn paced_one_at_a_time_until_n_then_done() {
        let plan = Plan::new(Target::Host("mx.example.net".into()));
        let mut r = Repeat::new(plan.clone(), Some(2), 100 * MS);
        let mut s = Session::new();
        assert_eq!(only(r.poll(&s, Duration::ZERO)), plan);
        // Asked for, id not known yet: nothing more.
        assert_eq!(r.poll(&s, Duration::ZERO), Next::default());
        r.started(0, 7);
        begin(&mut s, 7, &plan);
        assert_eq!(r.poll(&s, 500 * MS), Next::default(), "7 still runs");
        finish(&mut s, 7, None);
        // Ended early: wake when the interval is over, not before.
        let wait = r.poll(&s, 40 * MS);
        assert!(wait.orders.is_empty());
        assert_eq!(wait.wake, Some(100 * MS));
        only(r.poll(&s, 100 * MS));
        r.started(1, 9);
        assert_eq!(r.ids, [7, 9]);
        assert!(!r.poll(&s, 300 * MS).done, "9 has not begun");
        begin(&mut s, 9, &plan);
        finish(&mut s, 9, None);
        assert!(r.poll(&s, 300 * MS).done);
        assert_eq!(r.ended, Some(End::Done));
        assert_eq!(r.progress(), "2 of 2");
    }

    #[test]
    fn a_stopped_repeat_asks_nothing_and_ends_when_its_attempt_does() {
        let plan = Plan::new(Target::Host("mx.example.net".into()));
        let mut r = Repeat::new(plan.clone(), None, Duration::ZERO);
        let mut s = Session::new();
        only(r.poll(&s, Duration::ZERO));
        r.started(0, 1);
        begin(&mut s, 1, &plan);
        r.stop(End::Stopped);
        assert!(!r.active());
        assert_eq!(r.poll(&s, Duration::from_secs(9)), Next::default());
        finish(&mut s, 1, Some(Failure::Cancelled));
        assert!(r.poll(&s, Duration::from_secs(9)).done);
        assert_eq!(
            r.attempts(&s).count(),
            0,
            "a cancelled attempt is not counted"
        );
        assert_eq!(r.progress(), "1 (until stopped)");
    }
}

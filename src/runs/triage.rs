//! The triage's scheduling: each destination probed once, at most `concurrency` at a time and
//! one connection per destination (its probe and its retries in sequence); a `421` greeting
//! (rate limit, too many connections) is retried after a back-off doubled each time, at most
//! `retries_on_421` times. Destinations are pushed as the input names them; each outcome is
//! taken once final, and the attempt is then dropped (memory stays bounded).

use std::collections::VecDeque;
use std::time::Duration;

use super::{Job, Next, Order};
use crate::diagnose::Cause;
use crate::event::Failure;
use crate::plan::Plan;
use crate::session::Attempt;

/// A destination's final outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The destination, as it was pushed.
    pub key: String,
    pub cause: Cause,
    pub summary: String,
    /// The diagnosis' first next step, when it names one.
    pub fix: Option<String>,
    /// Probes answered 421 before this one.
    pub retries: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Flight {
    order: u32,
    key: String,
    plan: Plan,
    retries: u32,
    id: Option<u32>,
    /// Its attempt's diagnosis once it ended, and whether the server greeted 421.
    verdict: Option<Verdict>,
}

/// What a finished attempt's diagnosis said, and whether the server greeted 421.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verdict {
    cause: Cause,
    summary: String,
    fix: Option<String>,
    busy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Later {
    due: Duration,
    key: String,
    plan: Plan,
    retries: u32,
}

/// The triage's probes under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    concurrency: usize,
    backoff: Duration,
    retries_on_421: u32,
    queue: VecDeque<(String, Plan)>,
    later: Vec<Later>,
    flying: Vec<Flight>,
    outcomes: VecDeque<Outcome>,
    /// No destination will be pushed any more.
    closed: bool,
    orders: u32,
}

impl Triage {
    pub fn new(concurrency: usize, backoff: Duration, retries_on_421: u32) -> Triage {
        Triage {
            concurrency: concurrency.max(1),
            backoff,
            retries_on_421,
            queue: VecDeque::new(),
            later: Vec::new(),
            flying: Vec::new(),
            outcomes: VecDeque::new(),
            closed: false,
            orders: 0,
        }
    }

    /// Probe destination `key` with `plan` (each destination is pushed once).
    pub fn push(&mut self, key: String, plan: Plan) {
        self.queue.push_back((key, plan));
    }

    /// No more destinations: the run is done once the last one's outcome is in.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// Destinations waiting for a probe slot (the reader pauses while many wait).
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    /// The destination order `order` probes.
    pub fn destination(&self, order: u32) -> Option<&str> {
        self.flying
            .iter()
            .find(|f| f.order == order)
            .map(|f| f.key.as_str())
    }

    /// The outcomes final since the last call.
    pub fn take_outcomes(&mut self) -> Vec<Outcome> {
        self.outcomes.drain(..).collect()
    }

    pub fn poll(&mut self, now: Duration) -> Next {
        for f in std::mem::take(&mut self.flying) {
            match f.verdict {
                None => self.flying.push(f),
                Some(Verdict { busy: true, .. }) if f.retries < self.retries_on_421 => {
                    self.later.push(Later {
                        due: now + self.backoff.saturating_mul(1 << f.retries.min(8)),
                        key: f.key,
                        plan: f.plan,
                        retries: f.retries + 1,
                    })
                }
                Some(v) => self.outcomes.push_back(Outcome {
                    key: f.key,
                    cause: v.cause,
                    summary: v.summary,
                    fix: v.fix,
                    retries: f.retries,
                }),
            }
        }
        let mut orders = Vec::new();
        while self.flying.len() < self.concurrency {
            // A back-off that is over goes before a new destination.
            let next = match self.later.iter().position(|l| l.due <= now) {
                Some(i) => {
                    let l = self.later.remove(i);
                    (l.key, l.plan, l.retries)
                }
                None => match self.queue.pop_front() {
                    Some((key, plan)) => (key, plan, 0),
                    None => break,
                },
            };
            self.orders += 1;
            let (key, plan, retries) = next;
            orders.push(Order {
                key: self.orders,
                job: Job::Attempt(Box::new(plan.clone())),
            });
            self.flying.push(Flight {
                order: self.orders,
                key,
                plan,
                retries,
                id: None,
                verdict: None,
            });
        }
        let done = self.closed
            && self.queue.is_empty()
            && self.later.is_empty()
            && self.flying.is_empty()
            && orders.is_empty();
        Next {
            orders,
            wake: self.later.iter().map(|l| l.due).min(),
            done,
        }
    }

    pub fn started(&mut self, key: u32, id: u32) {
        if let Some(f) = self.flying.iter_mut().find(|f| f.order == key) {
            f.id = Some(id);
        }
    }

    /// Judge finished attempt `a` if it is one of ours; true when it was (it may then go).
    pub fn judge(&mut self, a: &Attempt) -> bool {
        let Some(f) = self.flying.iter_mut().find(|f| f.id == Some(a.id)) else {
            return false;
        };
        let d = crate::diagnose::diagnose(a);
        let busy = d.cause == Cause::ServiceUnavailable && greeted_421(a);
        f.verdict = Some(Verdict {
            cause: d.cause,
            summary: d.summary,
            fix: d.next_steps.into_iter().next().map(|s| s.text),
            busy,
        });
        true
    }
}

/// A `421` from the server (busy, rate limit): worth another try later.
fn greeted_421(a: &Attempt) -> bool {
    matches!(a.failure(), Some(Failure::BadReply { code: 421 }))
}

#[cfg(test)]
mod tests {
    use super::super::test_session::*;
    use super::*;
    use crate::event::EventKind;
    use crate::plan::Target;
    use crate::session::Session;

    fn plan(host: &str) -> Plan {
        Plan::new(Target::Host(host.into()))
    }

    fn busy(s: &mut Session, id: u32, p: &Plan) {
        begin(s, id, p);
        s.apply(&ev(
            id,
            EventKind::AttemptFinished {
                failure: Some(Failure::BadReply { code: 421 }),
                phase: crate::event::Phase::Banner,
            },
        ));
    }

    fn only(n: &Next) -> (u32, Plan) {
        match &n.orders[..] {
            [
                Order {
                    key,
                    job: Job::Attempt(p),
                },
            ] => (*key, (**p).clone()),
            other => panic!("expected one attempt: {other:?}"),
        }
    }

    #[test]
    fn bounded_concurrency_and_a_421_retried_after_a_doubling_back_off() {
        let mut t = Triage::new(2, Duration::from_secs(1), 2);
        for h in ["a", "b", "c"] {
            t.push(h.into(), plan(h));
        }
        t.close();
        let n = t.poll(Duration::ZERO);
        assert_eq!(n.orders.len(), 2, "two at once");
        t.started(1, 1);
        t.started(2, 2);
        let mut s = Session::new();
        busy(&mut s, 1, &plan("a"));
        assert!(t.judge(s.attempt(1).unwrap()));
        begin(&mut s, 2, &plan("b"));
        finish(&mut s, 2, None);
        assert!(t.judge(s.attempt(2).unwrap()));
        // a waits 1 s; c takes a free slot at once; b is final.
        let n = t.poll(Duration::ZERO);
        assert_eq!(only(&n), (3, plan("c")));
        assert_eq!(n.wake, Some(Duration::from_secs(1)));
        let out = t.take_outcomes();
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].key.as_str(), out[0].cause), ("b", Cause::Ok));
        t.started(3, 3);
        begin(&mut s, 3, &plan("c"));
        finish(&mut s, 3, None);
        t.judge(s.attempt(3).unwrap());
        let n = t.poll(Duration::from_millis(500));
        assert!(n.orders.is_empty() && !n.done, "{n:?}");
        let (key, p) = only(&t.poll(Duration::from_secs(1)));
        assert_eq!(p, plan("a"));
        t.started(key, 4);
        busy(&mut s, 4, &plan("a"));
        t.judge(s.attempt(4).unwrap());
        // The second back-off is twice the first.
        let n = t.poll(Duration::from_secs(1));
        assert_eq!(n.wake, Some(Duration::from_secs(3)));
        let (key, _) = only(&t.poll(Duration::from_secs(3)));
        t.started(key, 5);
        busy(&mut s, 5, &plan("a"));
        t.judge(s.attempt(5).unwrap());
        let n = t.poll(Duration::from_secs(3));
        assert!(n.done, "retries spent: a is final");
        let out = t.take_outcomes();
        let a = out.iter().find(|o| o.key == "a").unwrap();
        assert_eq!((a.cause, a.retries), (Cause::ServiceUnavailable, 2));
        assert!(!t.judge(s.attempt(2).unwrap()), "no longer ours");
    }
}

//! The sweep (`probe DOMAIN --all`, the TUI's `F`): after the domain attempt, every other MX
//! × address pair of its resolution, pinned, up to [`CONCURRENCY`] at once and never two
//! connections to one address at a time. Judging the pairs is `crate::sweep`'s.

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::{Job, Next, Order, finished};
use crate::plan::{Plan, Target};
use crate::session::{Attempt, Session};
use crate::sweep::{Pair, Row, pairs, rows_among};

/// Most connections a sweep has open at once.
pub const CONCURRENCY: usize = 4;

/// The order key of the domain attempt (pairs are numbered from 1).
const HEAD: u32 = 0;

/// A sweep under way, or the last one (its rows stay on the policy view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    pub domain: String,
    /// The domain attempt to run first (the CLI's), until it is ordered.
    first: Option<Plan>,
    /// The domain attempt whose resolution gives the pairs (its own pair is its row).
    pub head: Option<u32>,
    /// Pairs not started yet, in preference order; `None` until the head has ended.
    queue: Option<VecDeque<Pair>>,
    /// Pairs ordered, with their attempt once the engine named it.
    flying: Vec<(u32, SocketAddr, Option<u32>)>,
    /// The attempts the sweep started for pairs.
    pub ids: Vec<u32>,
    /// Pairs in all, the head's included (known once the head has ended).
    pub total: usize,
    pub running: bool,
    keys: u32,
}

/// Why a sweep cannot start from an attempt.
pub fn head_of(a: &Attempt) -> Result<String, &'static str> {
    let domain = match a.plan.as_ref().map(|p| (&p.target, p.address)) {
        Some((Target::Domain(d), None)) => d.clone(),
        _ => {
            return Err(
                "a sweep covers a mail domain's MX hosts: show an attempt of a domain target, not pinned",
            );
        }
    };
    if a.is_running() {
        return Err("the domain attempt has not ended");
    }
    if a.resolution.mx.is_none() && a.resolution.implicit_mx.is_none() {
        return Err("this attempt resolved no MX host or address to sweep");
    }
    Ok(domain)
}

impl Sweep {
    /// Sweep `plan`'s domain: the domain attempt first, then its pairs (the CLI).
    pub fn of_plan(plan: Plan) -> Result<Sweep, &'static str> {
        let Target::Domain(domain) = plan.target.clone() else {
            return Err(
                "--all sweeps a mail domain's MX hosts; give a domain, not a host or address",
            );
        };
        Ok(Sweep::new(domain, Some(plan), None))
    }

    /// Sweep from domain attempt `a`, already ended (the TUI's attempt on screen).
    pub fn from_attempt(a: &Attempt) -> Result<Sweep, &'static str> {
        Ok(Sweep::new(head_of(a)?, None, Some(a.id)))
    }

    fn new(domain: String, first: Option<Plan>, head: Option<u32>) -> Sweep {
        Sweep {
            domain,
            first,
            head,
            queue: None,
            flying: Vec::new(),
            ids: Vec::new(),
            total: 0,
            running: true,
            keys: 0,
        }
    }

    /// Pairs not yet ordered.
    pub fn left(&self) -> usize {
        self.queue.as_ref().map_or(0, VecDeque::len)
    }

    /// Its rows as they stand.
    pub fn rows(&self, session: &Session) -> Vec<Row> {
        self.head
            .map(|h| rows_among(session, h, &self.ids))
            .unwrap_or_default()
    }

    /// Whether attempt `id` is one of its rows.
    pub fn shows(&self, id: u32) -> bool {
        self.head == Some(id) || self.ids.contains(&id)
    }

    pub fn poll(&mut self, session: &Session) -> Next {
        if let Some(plan) = self.first.take() {
            return Next {
                orders: vec![Order {
                    key: HEAD,
                    job: Job::Attempt(Box::new(plan)),
                }],
                ..Next::default()
            };
        }
        let Some(head) = self.head.filter(|h| finished(session, *h)) else {
            // The head is ordered but not yet begun or ended (a stop before it ends ends all).
            return if self.running || self.head.is_some_and(|h| !finished(session, h)) {
                Next::default()
            } else {
                Next::done()
            };
        };
        if self.queue.is_none() {
            let (queue, total) = self.pairs_of(session, head);
            self.total = total;
            self.queue = Some(queue);
        }
        self.flying
            .retain(|(_, _, id)| id.is_none_or(|id| !finished(session, id)));
        let mut orders = Vec::new();
        let queue = self.queue.get_or_insert_with(VecDeque::new);
        while self.running && self.flying.len() < CONCURRENCY {
            let busy = |p: &Pair| self.flying.iter().any(|(_, a, _)| *a == p.addr);
            let Some(i) = queue.iter().position(|p| !busy(p)) else {
                break;
            };
            let Some(pair) = queue.remove(i) else { break };
            let Some(plan) = session.attempt(head).and_then(|a| a.plan.clone()) else {
                break;
            };
            let mut pinned = plan;
            pinned.address = Some(pair.addr);
            pinned.address_host = Some(pair.host);
            self.keys += 1;
            self.flying.push((self.keys, pair.addr, None));
            orders.push(Order {
                key: self.keys,
                job: Job::Attempt(Box::new(pinned)),
            });
        }
        if queue.is_empty() && orders.is_empty() {
            self.running = false;
        }
        let done = !self.running && self.flying.is_empty();
        Next {
            orders,
            wake: None,
            done,
        }
    }

    fn pairs_of(&self, session: &Session, head: u32) -> (VecDeque<Pair>, usize) {
        let Some(a) = session.attempt(head) else {
            return (VecDeque::new(), 0);
        };
        let port = a.plan.as_ref().map_or(25, |p| p.port);
        let all = pairs(a, port);
        let total = all.len();
        let todo = all.into_iter().filter(|(_, todo)| *todo).map(|(p, _)| p);
        (todo.collect(), total)
    }

    pub fn started(&mut self, key: u32, id: u32) {
        if key == HEAD {
            self.head = Some(id);
            return;
        }
        if let Some(f) = self.flying.iter_mut().find(|f| f.0 == key) {
            f.2 = Some(id);
            self.ids.push(id);
        }
    }

    /// Start no further pair (what runs may finish).
    pub fn stop(&mut self) {
        self.running = false;
        self.first = None;
        // An order the engine never took will not run.
        self.flying.retain(|f| f.2.is_some());
        if let Some(q) = self.queue.as_mut() {
            q.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_session::*;
    use super::*;
    use crate::event::{EventKind, MxHost};

    /// The domain attempt: resolved to 5 pairs (one address under two names), ended on the
    /// first.
    fn resolved(s: &mut Session, id: u32, plan: &Plan) {
        begin(s, id, plan);
        s.apply(&ev(
            id,
            EventKind::MxResolved {
                domain: "example.net".into(),
                hosts: vec![
                    MxHost::at(
                        10,
                        "mx1.example.net",
                        &["192.0.2.1", "192.0.2.2", "192.0.2.3"],
                    ),
                    MxHost::at(20, "mx2.example.net", &["192.0.2.4", "192.0.2.2"]),
                ],
            },
        ));
        s.apply(&ev(
            id,
            EventKind::ConnectStarted {
                peer: "192.0.2.1:25".parse().unwrap(),
                host: Some("mx1.example.net".into()),
            },
        ));
        finish(s, id, None);
    }

    fn pinned(n: &Next) -> Vec<(u32, String)> {
        n.orders
            .iter()
            .map(|o| match &o.job {
                Job::Attempt(p) => (o.key, p.address.unwrap().ip().to_string()),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn the_head_first_then_four_at_once_never_two_to_one_address() {
        let plan = Plan::new(Target::Domain("example.net".into()));
        let mut sw = Sweep::of_plan(plan.clone()).unwrap();
        let mut s = Session::new();
        let first = sw.poll(&s);
        assert_eq!(first.orders.len(), 1);
        assert_eq!(sw.poll(&s), Next::default(), "the head has not begun");
        sw.started(0, 1);
        resolved(&mut s, 1, &plan);
        let n = sw.poll(&s);
        assert_eq!(sw.total, 5);
        // 192.0.2.2 is listed twice (two hosts): the second waits for the first.
        assert_eq!(
            pinned(&n),
            [
                (1, "192.0.2.2".into()),
                (2, "192.0.2.3".into()),
                (3, "192.0.2.4".into())
            ]
        );
        for (key, id) in [(1, 11), (2, 12), (3, 13)] {
            sw.started(key, id);
            begin(&mut s, id, &plan);
        }
        assert!(sw.poll(&s).orders.is_empty(), "its address is busy");
        finish(&mut s, 11, None);
        let n = sw.poll(&s);
        assert_eq!(pinned(&n), [(4, "192.0.2.2".into())]);
        sw.started(4, 14);
        begin(&mut s, 14, &plan);
        for id in [12, 13] {
            finish(&mut s, id, None);
        }
        assert!(!sw.poll(&s).done, "14 still runs");
        finish(&mut s, 14, None);
        assert!(sw.poll(&s).done);
        assert_eq!(sw.ids, [11, 12, 13, 14]);
        assert!(sw.shows(1) && sw.shows(14) && !sw.shows(2));
    }

    #[test]
    fn a_stop_orders_nothing_more_and_a_host_target_is_refused() {
        let plan = Plan::new(Target::Domain("example.net".into()));
        let mut s = Session::new();
        resolved(&mut s, 1, &plan);
        let mut sw = Sweep::from_attempt(s.attempt(1).unwrap()).unwrap();
        let n = sw.poll(&s);
        assert_eq!(n.orders.len(), 3);
        sw.started(1, 2);
        begin(&mut s, 2, &plan);
        sw.stop();
        assert!(!sw.poll(&s).done, "2 still runs");
        finish(&mut s, 2, None);
        assert!(sw.poll(&s).done);
        assert_eq!(sw.left(), 0);
        let host = Plan::new(Target::Host("mx.example.net".into()));
        assert!(Sweep::of_plan(host.clone()).is_err());
        let mut s = Session::new();
        begin(&mut s, 1, &host);
        finish(&mut s, 1, None);
        assert!(Sweep::from_attempt(s.attempt(1).unwrap()).is_err());
    }
}

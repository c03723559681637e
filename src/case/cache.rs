//! What the case needs of each finished attempt (its observation and repeat facts), kept
//! between calls and recomputed only when that attempt changes, so a front end that asks for
//! the case at every event pays for the attempts that changed, not for all of them.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::Case;
use super::observe::Observation;
use crate::repeat::Observed;
use crate::session::{Attempt, Session};

/// One attempt's inputs to the case, as of `events` events.
#[derive(Debug, Clone)]
struct Seen {
    events: usize,
    obs: Observation,
    /// Filled in only for attempts that ran the latest plan (the intermittent check).
    repeat: Option<Observed>,
}

/// Per-attempt inputs of [`Case`], keyed by attempt id and its event count.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    seen: HashMap<u32, Seen>,
}

impl Cache {
    pub fn new() -> Cache {
        Cache::default()
    }

    /// The case over `session`, equal to [`Case::of`]; only attempts new or changed since the
    /// last call are observed again.
    pub fn case(&mut self, session: &Session) -> Option<Case> {
        let finished: Vec<&Attempt> = session
            .attempts
            .iter()
            .filter(|a| !a.is_running())
            .collect();
        for a in &finished {
            self.fresh(a);
        }
        let plan = finished.last().and_then(|a| a.plan.as_ref());
        let same: Vec<&Attempt> = finished
            .iter()
            .copied()
            .filter(|a| plan.is_some() && a.plan.as_ref() == plan)
            .collect();
        for a in &same {
            let seen = self.fresh(a);
            if seen.repeat.is_none() {
                seen.repeat = Some(Observed::of(a));
            }
        }
        let obs: Vec<&Observation> = finished
            .iter()
            .filter_map(|a| self.seen.get(&a.id).map(|s| &s.obs))
            .collect();
        let same_plan: Vec<&Observed> = same
            .iter()
            .filter_map(|a| self.seen.get(&a.id).and_then(|s| s.repeat.as_ref()))
            .collect();
        Case::over(session, &obs, &same_plan)
    }

    fn fresh(&mut self, a: &Attempt) -> &mut Seen {
        let events = a.events().len();
        let of = |a: &Attempt| Seen {
            events,
            obs: Observation::of(a),
            repeat: None,
        };
        match self.seen.entry(a.id) {
            Entry::Occupied(e) if e.get().events == events => e.into_mut(),
            Entry::Occupied(mut e) => {
                e.insert(of(a));
                e.into_mut()
            }
            Entry::Vacant(v) => v.insert(of(a)),
        }
    }
}

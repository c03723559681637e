//! The model every front end renders: all attempts of a session, built only by applying
//! `ProbeEvent`s. Pure (no I/O, no clock), so a recording replays into exactly what was seen
//! live. View state (scroll, focus, selection) belongs to the front ends, not here.

pub mod attempt;
pub mod log;
pub mod neutralize;

pub use attempt::{Attempt, PolicyFacts, TcpFlow, TimelineRow, TranscriptLine};

use crate::event::{EventKind, ProbeEvent};

#[derive(Debug, Default, Clone)]
pub struct Session {
    pub attempts: Vec<Attempt>,
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// Fold one event in. Events of an attempt we have not seen start it (a recording may
    /// begin mid-way); events of older attempts still land on them.
    pub fn apply(&mut self, ev: &ProbeEvent) {
        // From the back: events almost always belong to the latest attempt, and a replay of
        // tens of thousands of attempts must not scan them all for every event.
        // (Ids of concurrent attempts may arrive in any order: a higher id than the last
        // one's is no proof that the attempt is new.)
        let idx = match self.attempts.iter().rposition(|a| a.id == ev.attempt) {
            Some(i) => i,
            None => {
                let plan = match &ev.kind {
                    EventKind::AttemptStarted { plan } => Some((**plan).clone()),
                    _ => None,
                };
                self.attempts.push(Attempt::new(ev.attempt, plan));
                self.attempts.len() - 1
            }
        };
        self.attempts[idx].apply(ev);
    }

    pub fn attempt(&self, id: u32) -> Option<&Attempt> {
        self.attempts.iter().find(|a| a.id == id)
    }

    pub fn latest(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// Every event of every attempt, in attempt order (for recordings and export): borrowed
    /// or rebuilt from the attempt's fields (see [`Attempt::events`]).
    pub fn events(&self) -> impl Iterator<Item = std::borrow::Cow<'_, ProbeEvent>> {
        self.attempts.iter().flat_map(|a| a.events())
    }

    /// How many events the session holds (nothing rebuilt).
    pub fn event_count(&self) -> usize {
        self.attempts.iter().map(|a| a.events().len()).sum()
    }
}

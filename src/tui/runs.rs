//! The state of the TUI's self-running modes (a repeat, an investigation, an MX × address
//! sweep): plain data the `App` holds. The state machines that drive them are `repeat`,
//! `investigate` and `sweep`, which read and change the `App`; keeping the data here keeps
//! `app` a leaf.

use std::collections::VecDeque;
use std::time::Duration;

use crate::event::Failure;
use crate::plan::Plan;
use crate::session::{Attempt, Session};
use crate::sweep::{Pair, Row, rows_among};

/// Attempts `R` runs unless `--repeat N` said otherwise.
pub const DEFAULT_COUNT: u32 = 10;
/// Least time between two attempt starts unless `--interval` said otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
/// "Until stopped" still stops here, as `probe --repeat` does.
pub const MAX_ATTEMPTS: u32 = crate::engine::repeat::MAX_ATTEMPTS;

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
#[derive(Debug, Clone, PartialEq)]
pub struct Repeating {
    pub plan: Plan,
    /// Attempts to run; `None`: until stopped (at most [`MAX_ATTEMPTS`]).
    pub limit: Option<u32>,
    pub interval: Duration,
    /// The repeat's attempts, in the order they started.
    pub ids: Vec<u32>,
    /// A start was asked for; its attempt id is not known yet.
    pub pending: bool,
    /// `None` while it still starts attempts.
    pub ended: Option<End>,
}

impl Repeating {
    pub fn active(&self) -> bool {
        self.ended.is_none()
    }

    pub(super) fn cap(&self) -> u32 {
        self.limit.unwrap_or(MAX_ATTEMPTS).min(MAX_ATTEMPTS)
    }

    pub(super) fn last_finished(&self, session: &Session) -> bool {
        self.ids
            .last()
            .is_none_or(|id| session.attempt(*id).is_some_and(|a| !a.is_running()))
    }

    /// The repeat's attempts in the session, cancelled ones left out (they say nothing about
    /// the server).
    pub fn attempts<'s>(&self, session: &'s Session) -> impl Iterator<Item = &'s Attempt> {
        let ids = &self.ids;
        let mut sorted = ids.clone();
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

/// An investigation under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Investigation {
    /// Connections the session had used before it began (they are not its budget's).
    pub spent_before: u32,
    /// Experiments started so far.
    pub steps: u32,
    /// The attempt count the session reaches once the attempt we started has begun.
    pub awaiting: Option<usize>,
}

/// A sweep under way, or the last one (its rows stay on the policy view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    pub domain: String,
    /// The domain attempt whose resolution gave the pairs (its own pair is its row).
    pub head: u32,
    /// Pairs not started yet, in preference order.
    pub queue: VecDeque<Pair>,
    /// The attempts the sweep started.
    pub ids: Vec<u32>,
    /// Pairs in all, the head's included.
    pub total: usize,
    /// The attempt count the session reaches once the attempt we asked for has begun.
    pub awaiting: Option<usize>,
    pub running: bool,
}

impl Sweep {
    /// Its rows as they stand.
    pub fn rows(&self, session: &Session) -> Vec<Row> {
        rows_among(session, self.head, &self.ids)
    }

    /// Whether attempt `id` is one of its rows.
    pub fn shows(&self, id: u32) -> bool {
        id == self.head || self.ids.contains(&id)
    }
}

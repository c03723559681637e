//! The live triage table's state: one row per destination (queued, probing, done) with what
//! the MTA said and what tlsdive found, the selection, and the runner's progress. Pure: the
//! runner's `Update`s and final `Row`s go in through `apply`, keys through `key`; drawing is
//! `render::triage`, the terminal loop `triage_live`.

use std::collections::HashMap;

use super::keymap::Key;
use crate::triage::run::{Seen, Stats, Update};
use crate::triage::{Destination, Row};

/// Where a destination is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Queued,
    Probing,
    Done,
}

impl State {
    pub fn word(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Probing => "probing",
            State::Done => "done",
        }
    }
}

/// One destination as the table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    pub destination: Destination,
    pub state: State,
    pub seen: Seen,
    /// tlsdive's verdict, once probed.
    pub cause: Option<crate::triage::Verdict>,
    pub summary: Option<String>,
}

/// A message from the runner to the table.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Update(Update),
    /// A destination's final row (what the summary and `--jsonl` hold).
    Row(Row),
    /// The runner ended.
    Finished(Stats),
}

/// What a key asks the loop to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Open this destination in the interactive view.
    Open(Box<Destination>),
    Quit,
}

#[derive(Debug, Default)]
pub struct Table {
    pub rows: Vec<TableRow>,
    index: HashMap<String, usize>,
    pub cursor: usize,
    /// The input's counts, once it is read.
    pub input: Option<Stats>,
    /// The runner ended: every row is final.
    pub finished: bool,
    /// The final rows, for the summary printed after the table.
    pub finals: Vec<Row>,
    pub status: String,
    pub color: bool,
    /// Rows a page key moves (set from the last drawn height).
    pub page: usize,
}

impl Table {
    pub fn new(color: bool) -> Table {
        Table {
            color,
            page: 10,
            status: "probing each destination once: ↑/↓ select, Enter opens a done one, q quits"
                .into(),
            ..Table::default()
        }
    }

    pub fn apply(&mut self, msg: Msg) {
        match msg {
            Msg::Update(u) => self.update(u),
            Msg::Row(r) => {
                if let Some(row) = self.index.get(&r.destination).map(|i| &mut self.rows[*i]) {
                    row.state = State::Done;
                    row.cause = Some(r.cause);
                    row.summary = Some(r.summary.clone());
                    row.seen = Seen {
                        log_lines: r.log_lines,
                        recipient_domains: r.recipient_domains.len(),
                        mta_error: r.mta_error.clone(),
                    };
                }
                self.finals.push(r);
            }
            Msg::Finished(stats) => {
                self.finished = true;
                self.input = Some(stats);
                self.status = format!(
                    "all {} destinations done: Enter opens the selected one, q quits and prints the summary",
                    self.rows.len()
                );
            }
        }
    }

    fn update(&mut self, u: Update) {
        match u {
            Update::Queued { destination, seen } => {
                self.index.insert(destination.key.clone(), self.rows.len());
                self.rows.push(TableRow {
                    destination,
                    state: State::Queued,
                    seen,
                    cause: None,
                    summary: None,
                });
            }
            Update::Seen { key, seen } => {
                if let Some(row) = self.row_mut(&key) {
                    row.seen = seen;
                }
            }
            Update::Probing { key } => {
                if let Some(row) = self.row_mut(&key) {
                    row.state = State::Probing;
                }
            }
            Update::Probed {
                key,
                cause,
                summary,
            } => {
                if let Some(row) = self.row_mut(&key) {
                    row.state = State::Done;
                    row.cause = Some(cause);
                    row.summary = Some(summary);
                }
            }
            Update::InputDone(stats) => self.input = Some(stats),
        }
    }

    fn row_mut(&mut self, key: &str) -> Option<&mut TableRow> {
        let i = *self.index.get(key)?;
        self.rows.get_mut(i)
    }

    /// (queued, probing, done).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for r in &self.rows {
            match r.state {
                State::Queued => c.0 += 1,
                State::Probing => c.1 += 1,
                State::Done => c.2 += 1,
            }
        }
        c
    }

    /// Every destination probed so far as a summary row: the final ones, then those done
    /// before the input was read to its end (their recipient domains are not kept here).
    pub fn done_rows(&self) -> Vec<Row> {
        let mut out = self.finals.clone();
        let known: std::collections::HashSet<&str> =
            self.finals.iter().map(|f| f.destination.as_str()).collect();
        for r in &self.rows {
            let (Some(cause), Some(summary)) = (&r.cause, &r.summary) else {
                continue;
            };
            if known.contains(r.destination.key.as_str()) {
                continue;
            }
            out.push(Row {
                destination: r.destination.key.clone(),
                relay_host: r.destination.relay_host.clone(),
                cause: *cause,
                summary: summary.clone(),
                log_lines: r.seen.log_lines,
                recipient_domains: Vec::new(),
                recipient_domains_more: false,
                mta_error: r.seen.mta_error.clone(),
                retries_after_421: 0,
            });
        }
        out
    }

    pub fn selected(&self) -> Option<&TableRow> {
        self.rows.get(self.cursor)
    }

    pub fn key(&mut self, key: Key) -> Option<Action> {
        let last = self.rows.len().saturating_sub(1);
        let page = self.page.max(1);
        match key {
            Key::Char('q') | Key::Esc | Key::Ctrl('c') => return Some(Action::Quit),
            Key::Down | Key::Char('j') => self.cursor = (self.cursor + 1).min(last),
            Key::Up | Key::Char('k') => self.cursor = self.cursor.saturating_sub(1),
            Key::PageDown => self.cursor = (self.cursor + page).min(last),
            Key::PageUp => self.cursor = self.cursor.saturating_sub(page),
            Key::Home => self.cursor = 0,
            Key::End | Key::Char('G') => self.cursor = last,
            Key::Enter => {
                let row = self.selected()?;
                if row.state != State::Done {
                    // One connection at a time to each destination: the runner's probe first.
                    self.status = format!(
                        "{} is {}: Enter opens it once it is done",
                        crate::sanitize::neutralize(&row.destination.key),
                        row.state.word()
                    );
                    return None;
                }
                return Some(Action::Open(Box::new(row.destination.clone())));
            }
            _ => {}
        }
        None
    }
}

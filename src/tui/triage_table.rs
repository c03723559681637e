//! The live triage table's state: one row per destination (log triage) or per report group
//! (`--tlsrpt`), queued, probing or done, with what the MTA or the report said and what
//! tlsdive found, the selection, and the runner's progress. Pure: the runner's messages go in
//! through `apply`, keys through `key`, and what the interactive view opened on a row found
//! comes back through `back_from`; drawing is `render::triage`, the terminal loop
//! `triage_live`.

use std::cell::Cell;
use std::collections::HashMap;

use super::app::Mode;
use super::keymap::{self, Key};
use super::verbs::Command;
use crate::plan::Plan;
use crate::session::Session;
use crate::tlsrpt::Group;
use crate::triage::run::{Seen, Stats, Update};
use crate::triage::tlsrpt::Finding;
use crate::triage::{Destination, Drilldown, Row, Verdict};

/// Where a row is.
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

/// A TLS-report group as the table shows it: what the reports said, and the finding now.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    pub group: Group,
    pub finding: Option<Finding>,
}

/// One row as the table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    /// What `Enter` opens: the destination (log triage), or the group's MX (`--tlsrpt`,
    /// whose key names the group).
    pub destination: Destination,
    pub state: State,
    pub seen: Seen,
    /// tlsdive's verdict, once probed.
    pub cause: Option<Verdict>,
    pub summary: Option<String>,
    /// tlsdive's fix, when its diagnosis names one.
    pub fix: Option<String>,
    /// Set once the interactive view opened on the row found something: the verdict,
    /// summary and fix are then its.
    pub drilldown: Option<Drilldown>,
    /// `--tlsrpt`: the report group this row stands for.
    pub group: Option<Box<GroupRow>>,
}

impl TableRow {
    /// The row as the status line names it: the destination, or the report group.
    pub fn label(&self) -> String {
        match &self.group {
            Some(g) => group_label(&g.group),
            None => self.destination.key.clone(),
        }
    }

    fn new(destination: Destination, seen: Seen) -> TableRow {
        TableRow {
            destination,
            state: State::Queued,
            seen,
            cause: None,
            summary: None,
            fix: None,
            drilldown: None,
            group: None,
        }
    }

    /// `--tlsrpt`: whether the reported failure still happens (once judged).
    pub fn still_failing(&self) -> Option<bool> {
        self.group
            .as_ref()
            .and_then(|g| g.finding.as_ref())
            .map(|f| f.still_failing)
    }

    /// What a row that works now, although the MTA (or the report) saw it fail, should try
    /// next: one probe met one backend, a repeat meets the others.
    pub fn hint(&self) -> Option<String> {
        if self.drilldown.is_some() || self.state != State::Done {
            return None;
        }
        let failed_before = match &self.group {
            Some(g) => g.finding.as_ref().is_some_and(|f| !f.still_failing),
            None => self.cause.is_some_and(Verdict::is_ok) && self.seen.mta_error.is_some(),
        };
        let who = if self.group.is_some() {
            "the reports saw failures, the sweep found none"
        } else {
            "the MTA saw failures, one probe found none"
        };
        // The table itself has no repeat: Enter opens the row, the view repeats (and asks
        // first, as it does for every run of many connections).
        failed_before.then(|| {
            format!(
                "{who}: repeat ({}, then {}) to catch a failing backend",
                Key::Enter.label(),
                keymap::name(Mode::Main, Command::Repeat)
            )
        })
    }
}

/// A message from the runner to the table.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Update(Update),
    /// A destination's final row (what the summary and `--jsonl` hold).
    Row(Row),
    /// The runner ended.
    Finished(Stats),
    /// `--tlsrpt`: a report group to judge (queued), named by `key`.
    Group {
        key: String,
        group: Box<Group>,
    },
    /// `--tlsrpt`: a group's finding (the row is done).
    Finding {
        key: String,
        finding: Box<Finding>,
    },
    /// `--tlsrpt`: every group is judged.
    Judged,
}

/// What a key asks the loop to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Open this row in the interactive view.
    Open(Box<Opened>),
    Quit,
}

/// A row opened in the interactive view.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    /// The row's key (its destination's, or its group's).
    pub key: String,
    pub destination: Destination,
    /// The plan to open with; `None`: the destination's, from the triage's template.
    pub plan: Option<Plan>,
}

impl Opened {
    /// The plan the interactive view starts with.
    pub fn plan(&self, template: &Plan) -> Plan {
        self.plan
            .clone()
            .unwrap_or_else(|| self.destination.plan(template))
    }
}

/// What the table holds rows of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// Destinations from targets and MTA log lines.
    #[default]
    Log,
    /// `--tlsrpt`: failure groups of TLS reports.
    Reports {
        reports: usize,
        /// Files (or parts) that held no readable report.
        unreadable: usize,
    },
}

#[derive(Debug, Default)]
pub struct Table {
    pub kind: Kind,
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
    /// The selected row's details: the first line shown.
    pub detail_top: usize,
    /// The largest useful `detail_top`, as last drawn.
    pub detail_max: Cell<usize>,
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

    /// The table of `triage --tlsrpt`: `reports` read, `unreadable` files or parts not.
    pub fn for_reports(color: bool, reports: usize, unreadable: usize) -> Table {
        Table {
            kind: Kind::Reports {
                reports,
                unreadable,
            },
            status: "judging each failure group again now: ↑/↓ select, Enter opens a judged one, q quits"
                .into(),
            ..Table::new(color)
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
                    row.fix.clone_from(&r.fix);
                    row.seen = Seen {
                        log_lines: r.log_lines,
                        recipient_domains: r.recipient_domains.clone(),
                        recipient_domains_more: r.recipient_domains_more,
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
            Msg::Group { key, group } => {
                let destination = group_destination(&key, &group);
                self.index.insert(key, self.rows.len());
                let mut row = TableRow::new(destination, Seen::default());
                row.group = Some(Box::new(GroupRow {
                    group: *group,
                    finding: None,
                }));
                self.rows.push(row);
            }
            Msg::Finding { key, finding } => {
                if let Some(row) = self.row_mut(&key) {
                    set_finding(row, *finding);
                }
            }
            Msg::Judged => {
                self.finished = true;
                let all = match self.rows.len() {
                    1 => "the failure group".to_string(),
                    n => format!("all {n} failure groups"),
                };
                self.status = format!(
                    "{all} judged: Enter opens the selected one, q quits and prints the summary"
                );
            }
        }
    }

    fn update(&mut self, u: Update) {
        match u {
            Update::Queued { destination, seen } => {
                self.index.insert(destination.key.clone(), self.rows.len());
                self.rows.push(TableRow::new(destination, seen));
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
                fix,
            } => {
                if let Some(row) = self.row_mut(&key) {
                    row.state = State::Done;
                    row.cause = Some(cause);
                    row.summary = Some(summary);
                    row.fix = fix;
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
    /// before the input was read to its end (their recipient domains as the table has them).
    pub fn done_rows(&self) -> Vec<Row> {
        let mut out = self.finals.clone();
        let known: std::collections::HashSet<&str> =
            self.finals.iter().map(|f| f.destination.as_str()).collect();
        for r in self.rows.iter().filter(|r| r.group.is_none()) {
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
                fix: r.fix.clone(),
                drilldown: r.drilldown.clone(),
                log_lines: r.seen.log_lines,
                recipient_domains: r.seen.recipient_domains.clone(),
                recipient_domains_more: r.seen.recipient_domains_more,
                mta_error: r.seen.mta_error.clone(),
                retries_after_421: 0,
            });
        }
        out
    }

    /// `--tlsrpt`: every group's finding so far, in the table's order.
    pub fn findings(&self) -> Vec<Finding> {
        self.rows
            .iter()
            .filter_map(|r| r.group.as_ref()?.finding.clone())
            .collect()
    }

    /// Row `key` as the status line names it (the key itself when there is no such row).
    pub fn label(&self, key: &str) -> String {
        self.index
            .get(key)
            .and_then(|i| self.rows.get(*i))
            .map_or_else(|| key.to_string(), TableRow::label)
    }

    pub fn selected(&self) -> Option<&TableRow> {
        self.rows.get(self.cursor)
    }

    /// Back from the interactive view opened on row `key` with `opened` (the plan it
    /// started with): what its attempts show there (an investigation, a repeat) becomes the
    /// row's verdict, marked as the drill-down's. Nothing changes when no attempt finished
    /// there; a report group is judged only on the attempts that offered what the reporter
    /// offers (the opened plan's versions, suites, groups, SNI, verification, mode and
    /// port): an experiment there (TLS 1.2 only, no SNI) is not what the reporter sees.
    pub fn back_from(&mut self, key: &str, session: &Session, opened: &Plan) {
        let finished: Vec<&crate::session::Attempt> = session
            .attempts
            .iter()
            .filter(|a| !a.is_running())
            .collect();
        let attempts = u32::try_from(finished.len()).unwrap_or(u32::MAX);
        let Some(i) = self.index.get(key).copied() else {
            return;
        };
        let Some(row) = self.rows.get_mut(i) else {
            return;
        };
        if attempts == 0 {
            // Left before its attempt ended: nothing to judge yet, and the user is told so.
            if !session.attempts.is_empty() {
                self.status = format!(
                    "back from {}: the attempt there had not finished; the row keeps what it said",
                    crate::sanitize::neutralize(&row.label()),
                );
            }
            return;
        }
        // What the triage's own probe said, kept across drill-downs.
        let probe_said = match &row.drilldown {
            Some(d) => d.probe_said,
            None => row.cause.unwrap_or(Verdict::NotProbed),
        };
        if let Some(g) = row.group.as_mut() {
            let mut mine: Vec<crate::session::Attempt> = finished
                .iter()
                .filter(|a| a.plan.as_ref().is_some_and(|p| as_reporter(opened, p)))
                .map(|a| (*a).clone())
                .collect();
            if mine.is_empty() {
                self.status = format!(
                    "back from {}: {} there, none with the reporter's plan (versions, suites, \
                     groups, SNI or verification changed): the row keeps what it said",
                    crate::sanitize::neutralize(&row.label()),
                    crate::units::plural(u64::from(attempts), "attempt"),
                );
                return;
            }
            let used = u32::try_from(mine.len()).unwrap_or(u32::MAX);
            // The drill-down's attempts are pinned: they are judged with the policy facts
            // the domain's sweep found.
            if let (Some(first), Some(policy)) = (
                mine.first_mut(),
                g.finding.as_ref().and_then(|f| f.policy.clone()),
            ) && !first.policy.any()
            {
                first.policy = policy;
            }
            let mut f = crate::triage::tlsrpt::judge(&g.group, &mine);
            f.drilldown_attempts = Some(used);
            set_finding(row, f);
            row.drilldown = Some(Drilldown {
                attempts: used,
                confirmed: false,
                probe_said,
            });
            if used < attempts {
                let row = &self.rows[i];
                self.status = format!(
                    "back from {}: the row now says {}, from {used} of the {attempts} attempts \
                     there (the others changed the reporter's plan)",
                    crate::sanitize::neutralize(&row.label()),
                    row.cause.map(Verdict::code).unwrap_or("-"),
                );
                return;
            }
        } else {
            let Some(case) = crate::case::Case::of(session) else {
                return;
            };
            let drill = Drilldown {
                attempts,
                confirmed: case.confirmed,
                probe_said,
            };
            row.cause = Some(Verdict::Probed(case.cause));
            row.summary = Some(case.summary.clone());
            row.fix = case.next_steps.first().map(|s| s.text.clone());
            row.drilldown = Some(drill.clone());
            if let Some(f) = self.finals.iter_mut().find(|f| f.destination == key) {
                f.cause = Verdict::Probed(case.cause);
                f.summary = case.summary;
                f.fix.clone_from(&row.fix);
                f.drilldown = Some(drill);
            }
        }
        let row = &self.rows[i];
        self.status = format!(
            "back from {}: {} there; the row now says {} (from the interactive view)",
            crate::sanitize::neutralize(&row.label()),
            crate::units::plural(u64::from(attempts), "attempt"),
            row.cause.map(Verdict::code).unwrap_or("-"),
        );
    }

    pub fn key(&mut self, key: Key) -> Option<Action> {
        let last = self.rows.len().saturating_sub(1);
        let page = self.page.max(1);
        let was = self.cursor;
        match key {
            Key::Char('q') | Key::Esc | Key::Ctrl('c') => return Some(Action::Quit),
            Key::Down | Key::Char('j') => self.cursor = (self.cursor + 1).min(last),
            Key::Up | Key::Char('k') => self.cursor = self.cursor.saturating_sub(1),
            Key::PageDown => self.cursor = (self.cursor + page).min(last),
            Key::PageUp => self.cursor = self.cursor.saturating_sub(page),
            Key::Home => self.cursor = 0,
            Key::End | Key::Char('G') => self.cursor = last,
            // The selected row's details, when they do not fit their box.
            Key::Char('J') => {
                self.detail_top = (self.detail_top + 1).min(self.detail_max.get());
            }
            Key::Char('K') => self.detail_top = self.detail_top.saturating_sub(1),
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
                let plan = row
                    .group
                    .as_ref()
                    .and_then(|g| g.finding.as_ref())
                    .and_then(|f| f.plan.clone());
                return Some(Action::Open(Box::new(Opened {
                    key: row.destination.key.clone(),
                    destination: row.destination.clone(),
                    plan,
                })));
            }
            _ => {}
        }
        if self.cursor != was {
            self.detail_top = 0;
        }
        None
    }
}

/// Whether `tried` offered what `opened` offers (a repeat, a retry or a sweep of the other
/// addresses), not an experiment with other TLS settings.
fn as_reporter(opened: &Plan, tried: &Plan) -> bool {
    use crate::plan::diff::Field;
    [
        Field::Versions,
        Field::Suites,
        Field::Groups,
        Field::Sni,
        Field::Verify,
        Field::Mode,
        Field::Port,
    ]
    .into_iter()
    .all(|f| !f.differs(opened, tried))
}

/// A group's finding on its row: done, with the finding's verdict, summary and fix.
fn set_finding(row: &mut TableRow, f: Finding) {
    row.state = State::Done;
    row.cause = Some(
        crate::diagnose::Cause::from_code(&f.cause_now)
            .map(Verdict::Probed)
            .unwrap_or(Verdict::NotProbed),
    );
    row.summary = Some(f.summary_now.clone());
    row.fix.clone_from(&f.fix);
    if let Some(g) = row.group.as_mut() {
        g.finding = Some(f);
    }
}

/// The row's destination for a group: its MX when the report names one, else the policy
/// domain (its MX set), under the group's key.
fn group_destination(key: &str, g: &Group) -> Destination {
    let target = match &g.key.receiving_mx {
        Some(mx) => crate::plan::Target::Host(mx.clone()),
        None => crate::plan::Target::Domain(g.key.policy_domain.clone()),
    };
    Destination {
        key: key.to_string(),
        target,
        port: 25,
        address: None,
        relay_host: g.key.receiving_mx.clone(),
    }
}

/// The table's key for a group: unique among the groups of one run.
/// A group as the status line names it: `DOMAIN (sts, Google Inc.)`.
pub fn group_label(g: &Group) -> String {
    let k = &g.key;
    format!(
        "{} ({}, {})",
        k.policy_domain,
        k.policy_type.code(),
        k.organization
    )
}

pub fn group_key(g: &Group) -> String {
    let k = &g.key;
    format!(
        "{} {} {} {} {} {}",
        k.policy_domain,
        k.policy_type.code(),
        k.receiving_mx.as_deref().unwrap_or("-"),
        k.receiving_ip.as_deref().unwrap_or("-"),
        k.result_type.as_ref().map(|r| r.code()).unwrap_or("-"),
        k.organization
    )
}

//! What the renderer derives from the `Session` and keeps between frames: the transcript's
//! display rows (long replies folded) and the diagnosis of the attempt on screen. Rebuilt
//! incrementally as events arrive, so a frame costs the same with 100 or 100,000 lines. Also
//! the scans shown for that attempt, merged into one profile, with their evidence lines.
//! Never a source of truth — dropping it and syncing again gives the same picture.

use super::app::App;
use super::scans;
use crate::diagnose::{self, Diagnosis};
use crate::scan::Profile;
use crate::session::attempt::ScanRecord;
use crate::session::{Attempt, Session};
use crate::wire::Dir;

/// Replies longer than this many lines are folded to their head, a marker and their tail.
pub const FOLD_OVER: usize = 10;
const HEAD: usize = 5;
const TAIL: usize = 2;

/// One display row of the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// Transcript line at this index.
    Line(usize),
    /// `hidden` lines of one reply starting at `from`, folded away.
    Fold { from: usize, hidden: usize },
}

/// The server reply (run of server lines) still open at the tail.
#[derive(Debug, Clone, Copy)]
struct Run {
    start_row: usize,
    first: usize,
    len: usize,
}

/// The scans shown for the attempt on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanView {
    /// The attempt they were run for (this one, or an earlier one at the same target).
    pub from: u32,
    /// Every scan but the legacy probes, merged.
    pub merged: Option<Profile>,
    /// Legacy probes, newest last.
    pub legacy: Vec<ScanRecord>,
    /// Lines for the diagnosis panel, next to `diagnose()`'s evidence.
    pub evidence: Vec<String>,
}

impl ScanView {
    fn of(session: &Session, a: &Attempt) -> Option<ScanView> {
        let (from, records) = scans::for_attempt(session, a)?;
        let mut merged = crate::profile::merge::merge(records);
        // As `scan --senders` does with its probe: a sender that got past its hello is judged
        // against what the finished attempt the scan was run for showed after the handshake
        // (a client certificate required, a refusal, the certificate against its policy).
        if let Some(p) = merged.as_mut().filter(|p| !p.senders.is_empty())
            && let Some(owner) = session
                .attempts
                .iter()
                .find(|b| b.id == from && b.finished.is_some())
        {
            crate::scan::senders::judge::fold_attempt(p, owner);
        }
        let legacy: Vec<ScanRecord> = records
            .iter()
            .filter(|r| r.kind.is_legacy())
            .cloned()
            .collect();
        let mut evidence = Vec::new();
        if from != a.id {
            evidence.push(format!("scans of attempt #{from} (the same target):"));
        }
        if let Some(p) = &merged {
            evidence.extend(crate::scan::evidence::scan_evidence(p));
        }
        for r in &legacy {
            let answer = match (&r.profile.stopped, r.profile.versions.first()) {
                (Some(why), _) => format!("stopped: {why}"),
                (None, Some(v)) => v.answer.clone(),
                (None, None) => "no answer".into(),
            };
            evidence.push(format!(
                "scan: {} → {answer} ({})",
                r.kind.label(),
                crate::profile::kind::LEGACY_NOTE
            ));
        }
        Some(ScanView {
            from,
            merged,
            legacy,
            evidence,
        })
    }
}

#[derive(Debug, Default)]
pub struct Derived {
    key: Option<(u32, bool)>,
    consumed: usize,
    run: Option<Run>,
    pub rows: Vec<Row>,
    /// The attempt, its event count, and the session's attempts and scans (the diagnosis
    /// leaves out steps other attempts already answered).
    diag_key: Option<(u32, usize, usize, usize)>,
    pub diagnosis: Option<Diagnosis>,
    /// Finished attempts, attempts, scans and connections tried: what the case depends on.
    case_key: Option<(usize, usize, usize, usize)>,
    /// The conclusion over the whole session, once it holds more than one observation.
    pub case: Option<crate::case::Case>,
    /// Each finished attempt's inputs to the case, so the case costs the attempts that
    /// changed, not all of them.
    case_cache: crate::case::Cache,
    /// `I` would run an experiment: the case is not confirmed and something cheap is left.
    pub investigable: bool,
    scan_key: Option<(u32, usize)>,
    pub scan: Option<ScanView>,
    /// The repeat's first attempt, its attempts and whether the last one finished.
    repeat_key: Option<(Option<u32>, usize, bool)>,
    /// What the repeat's finished attempts say together (`R`, `U`).
    pub repeat: Option<crate::repeat::Repeat>,
    /// The facts of each finished attempt of the repeat, by id.
    repeat_seen: std::collections::HashMap<u32, crate::repeat::Observed>,
}

impl Derived {
    pub fn new() -> Derived {
        Derived::default()
    }

    /// Catch up with the session for the attempt `app` shows.
    pub fn sync(&mut self, app: &App, session: &Session) {
        self.sync_repeat(app, session);
        let Some(a) = app.attempt(session) else {
            let kept = (
                self.repeat_key,
                self.repeat.take(),
                std::mem::take(&mut self.repeat_seen),
                std::mem::take(&mut self.case_cache),
            );
            *self = Derived::default();
            (
                self.repeat_key,
                self.repeat,
                self.repeat_seen,
                self.case_cache,
            ) = kept;
            return;
        };
        let key = (a.id, app.main.unfold);
        if self.key != Some(key) || a.transcript.len() < self.consumed {
            self.key = Some(key);
            self.consumed = 0;
            self.run = None;
            self.rows.clear();
        }
        for (i, line) in a.transcript.iter().enumerate().skip(self.consumed) {
            let continues = line.dir == Dir::Server
                && self
                    .run
                    .is_some_and(|r| a.transcript[r.first].tls == line.tls);
            match (line.dir, continues, self.run.as_mut()) {
                (Dir::Server, true, Some(run)) => {
                    run.len += 1;
                    let run = *run;
                    if app.main.unfold || run.len <= FOLD_OVER {
                        self.rows.push(Row::Line(i));
                    } else {
                        self.rows.truncate(run.start_row);
                        self.rows
                            .extend((run.first..run.first + HEAD).map(Row::Line));
                        self.rows.push(Row::Fold {
                            from: run.first + HEAD,
                            hidden: run.len - HEAD - TAIL,
                        });
                        self.rows.extend(
                            (run.first + run.len - TAIL..run.first + run.len).map(Row::Line),
                        );
                    }
                }
                (Dir::Server, _, _) => {
                    self.run = Some(Run {
                        start_row: self.rows.len(),
                        first: i,
                        len: 1,
                    });
                    self.rows.push(Row::Line(i));
                }
                (Dir::Client, _, _) => {
                    self.run = None;
                    self.rows.push(Row::Line(i));
                }
            }
        }
        self.consumed = a.transcript.len();
        let dkey = (
            a.id,
            a.events().len(),
            session.attempts.len(),
            session.attempts.iter().map(|b| b.scans.len()).sum(),
        );
        if self.diag_key != Some(dkey) {
            self.diag_key = Some(dkey);
            self.diagnosis = Some(diagnose::diagnose_in(session, a));
        }
        // The case judges every finished attempt: recomputed when one finishes, starts or
        // connects, or a scan ends — not at every event of the running one (a repeat of 1,000
        // attempts made that 100 % CPU).
        let ckey = (
            session.attempts.iter().filter(|b| !b.is_running()).count(),
            session.attempts.len(),
            session.attempts.iter().map(|b| b.scans.len()).sum(),
            session.attempts.iter().map(|b| b.tried.len()).sum(),
        );
        if self.case_key != Some(ckey) {
            self.case_key = Some(ckey);
            let observations = session.attempts.iter().filter(|b| !b.is_running()).count()
                + session
                    .attempts
                    .iter()
                    .map(|b| b.scans.len())
                    .sum::<usize>();
            // One case for both: shown once there are two observations, and what `I` would
            // run next is decided from it.
            let case = self.case_cache.case(session);
            self.investigable =
                crate::runs::investigate::next_step_after(session, case.as_ref(), 0).is_some();
            self.case = case.filter(|_| observations > 1);
        }
        let skey = (a.id, session.attempts.iter().map(|b| b.scans.len()).sum());
        if self.scan_key != Some(skey) {
            self.scan_key = Some(skey);
            self.scan = ScanView::of(session, a);
        }
    }

    fn sync_repeat(&mut self, app: &App, session: &Session) {
        let Some(r) = app.repeat() else {
            self.repeat_key = None;
            self.repeat = None;
            self.repeat_seen.clear();
            return;
        };
        let last_done = r
            .ids
            .last()
            .and_then(|id| session.attempt(*id))
            .is_some_and(|a| !a.is_running());
        let key = (r.ids.first().copied(), r.ids.len(), last_done);
        if self.repeat_key != Some(key) {
            if self.repeat_key.map(|k| k.0) != Some(key.0) {
                self.repeat_seen.clear();
            }
            self.repeat_key = Some(key);
            // Each finished attempt is judged once, not again at every later one.
            let mut seen = Vec::new();
            for a in r.attempts(session).filter(|a| !a.is_running()) {
                let o = self
                    .repeat_seen
                    .entry(a.id)
                    .or_insert_with(|| crate::repeat::Observed::of(a));
                seen.push(o.clone());
            }
            self.repeat = Some(crate::repeat::summarize_observed(&seen));
        }
    }
}

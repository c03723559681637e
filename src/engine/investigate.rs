//! `--investigate`: run the case's next experiments by itself, one change at a time, until
//! the case is confirmed or nothing cheap is left — each experiment a normal attempt or scan
//! in the session, reported as events on the same channel. Bounded in connections and paced
//! like the scanner (attempts one after another; scans with the scanner's own pacing).

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::case::{Case, Experiment, next_experiment};
use crate::engine::scans::{self, ScanRequest};
use crate::engine::{EventSender, Stepper, attempt};
use crate::event::EventKind;
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
/// session had used before the investigation began (the TUI starts one mid-session). Pure:
/// the CLI's loop and the TUI's both ask here.
pub fn next_step(session: &Session, spent_before: u32) -> Option<Step> {
    let used = Case::of(session)
        .map(|c| c.connections)
        .unwrap_or(0)
        .saturating_sub(spent_before);
    let next = next_experiment(session)?;
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

/// Run `plan`, then the experiments the case asks for; every event goes to `tx`.
pub async fn investigate(plan: Plan, tx: EventSender) {
    let mut session = Session::new();
    let mut id = 1u32;
    let mut scans_run = 0u32;
    run_attempt(plan, id, &tx, &mut session).await;
    while let Some(step) = next_step(&session, 0) {
        match step {
            Step::Attempt(changed) => {
                id += 1;
                run_attempt(changed, id, &tx, &mut session).await;
            }
            Step::ScanVersions(scan) => {
                let at_us = session.attempts.last().map(|a| a.last_us).unwrap_or(0);
                let req = ScanRequest {
                    attempt: id,
                    at_us,
                    kind: ScanKind::Versions,
                    plan: scan,
                };
                scans_run += 1;
                run_scan(scans_run, req, &tx, &mut session).await;
            }
        }
    }
}

/// Run one scan, folding its events into `session` as they are passed on.
async fn run_scan(scan: u32, req: ScanRequest, tx: &EventSender, session: &mut Session) {
    let (inner_tx, mut inner_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move { scans::run(scan, &req, &inner_tx).await });
    while let Some(ev) = inner_rx.recv().await {
        session.apply(&ev);
        let _ = tx.send(ev);
    }
    let _ = task.await;
}

async fn run_attempt(plan: Plan, id: u32, tx: &EventSender, session: &mut Session) {
    let (inner_tx, mut inner_rx) = mpsc::unbounded_channel();
    let em = crate::engine::Emitter::new(id, inner_tx);
    let task = tokio::spawn(attempt::run(plan, em, Arc::new(Stepper::default())));
    while let Some(ev) = inner_rx.recv().await {
        session.apply(&ev);
        let done = matches!(ev.kind, EventKind::AttemptFinished { .. });
        let _ = tx.send(ev);
        if done {
            break;
        }
    }
    let _ = task.await;
}

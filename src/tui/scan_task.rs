//! Running a `ScanJob` in a tokio task, like the engine runs attempts: the UI never waits
//! for it. The task reports `Progress` and, at the end, one `ScanFinished` event for the
//! attempt that asked — folded into the `Session` like any engine event, so the profile is
//! in recordings, exports and replays. Dropping or aborting the task closes its connections
//! (Esc cancels a scan that way).

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::scans::{ScanJob, ScanKind};
use crate::event::{EventKind, ProbeEvent};
use crate::scan::{self, Profile, Progress, ScanPlan};
use crate::session::attempt::ScanRecord;

/// What a running scan reports to the loop, tagged with its job id.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanUpdate {
    Progress {
        id: u64,
        progress: Progress,
    },
    /// The `ScanFinished` event for the job's attempt.
    Finished {
        id: u64,
        event: ProbeEvent,
    },
}

/// Start `job` on the runtime; updates go to `tx`. Abort the handle to cancel.
pub fn spawn(job: ScanJob, tx: UnboundedSender<ScanUpdate>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let id = job.id;
        let progress_tx = tx.clone();
        let profile = run(&job.plan, &job.kind, move |progress| {
            let _ = progress_tx.send(ScanUpdate::Progress { id, progress });
        })
        .await;
        let event = ProbeEvent {
            attempt: job.attempt,
            at_us: job.at_us,
            kind: EventKind::ScanFinished {
                what: job.kind.label(),
                profile: Box::new(profile),
            },
        };
        let _ = tx.send(ScanUpdate::Finished { id, event });
    })
}

/// The scan API call for `kind`. Suites of several versions run one version after the
/// other (a mail server rate-limits bursts) and come back as one profile.
pub async fn run(plan: &ScanPlan, kind: &ScanKind, mut progress: impl FnMut(Progress)) -> Profile {
    match kind {
        ScanKind::Versions => scan::scan_versions(plan, progress).await,
        ScanKind::Groups => scan::scan_groups(plan, progress).await,
        ScanKind::Full => scan::scan(plan, progress).await,
        ScanKind::Senders => {
            scan::senders::run_senders(plan, &scan::senders::builtin(), progress).await
        }
        ScanKind::Suites(versions) => {
            let mut parts = Vec::new();
            for v in versions {
                let p = scan::scan_suites(plan, *v, &mut progress).await;
                let stop = p.stopped.is_some();
                parts.push(p);
                if stop {
                    break;
                }
            }
            join(plan, parts)
        }
        ScanKind::Legacy {
            version,
            suite: None,
        } => {
            let mut one = plan.clone();
            one.versions = vec![*version];
            scan::scan_versions(&one, progress).await
        }
        ScanKind::Legacy {
            version,
            suite: Some(name),
        } => scan::probe_suite(plan, *version, name, progress).await,
    }
}

/// Several profiles of the same target as one (versions side by side).
fn join(plan: &ScanPlan, parts: Vec<Profile>) -> Profile {
    let records: Vec<ScanRecord> = parts
        .into_iter()
        .map(|profile| ScanRecord {
            what: String::new(),
            profile,
        })
        .collect();
    super::scans::merge(&records).unwrap_or_else(|| Profile::empty(plan))
}

//! Running a `ScanJob` in a tokio task, like the engine runs attempts: the UI never waits
//! for it. The task reports `Progress` and, at the end, one `ScanFinished` event for the
//! attempt that asked — folded into the `Session` like any engine event, so the profile is
//! in recordings, exports and replays. Dropping or aborting the task closes its connections
//! (Esc cancels a scan that way).

use std::net::IpAddr;

use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::task::JoinHandle;

use super::scans::{ScanJob, ScanKind};
use crate::event::{EventKind, ProbeEvent};
use crate::plan::Sni;
use crate::scan::answer::Answer;
use crate::scan::catalog::suite_value;
use crate::scan::pace::Ctx;
use crate::scan::search::Search;
use crate::scan::{self, Profile, Progress, ScanPlan, ScanVersion, VersionResult};
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
        } => probe_suite(plan, *version, name, progress).await,
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
    super::scans::merge(&records).unwrap_or_else(|| empty(plan))
}

fn empty(plan: &ScanPlan) -> Profile {
    Profile {
        schema: scan::profile::SCHEMA,
        target: plan.plan.target.display_name(),
        address: None,
        mode: plan.plan.mode,
        stopped: None,
        versions: Vec::new(),
        groups: Vec::new(),
        overlap: Default::default(),
        verdict: String::new(),
        connections: 0,
        elapsed_ms: 0,
    }
}

/// One ClientHello offering only `suite` (at `version` at most), through the scanner's own
/// pacing and dialogue; the answer is recorded as it came.
async fn probe_suite(
    plan: &ScanPlan,
    version: ScanVersion,
    suite: &str,
    mut progress: impl FnMut(Progress),
) -> Profile {
    let started = std::time::Instant::now();
    let mut out = empty(plan);
    let Some(value) = suite_value(suite) else {
        out.stopped = Some(format!("unknown cipher suite {suite}"));
        return out;
    };
    let cand = match crate::engine::resolve::resolve(&plan.plan).await {
        Ok((_, cands)) => cands.into_iter().next(),
        Err(e) => {
            out.stopped = Some(e.to_string());
            None
        }
    };
    let Some(cand) = cand else {
        out.stopped.get_or_insert_with(|| "no address".into());
        return out;
    };
    out.address = Some(cand.addr);
    let sni = match &plan.plan.tls.sni {
        Sni::Off => None,
        Sni::Name(n) => Some(n.clone()),
        Sni::Auto => cand.host.filter(|h| h.parse::<IpAddr>().is_err()),
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ctx = Ctx::new(plan, cand.addr, sni, tx);
    ctx.plan_steps(1);
    let answer = Search::Suites(version).probe(&ctx, &[value]).await;
    ctx.step_done(version.name());
    while let Ok(p) = rx.try_recv() {
        progress(p);
    }
    match answer {
        Err(stopped) => out.stopped = Some(stopped.0),
        Ok(a) => {
            let chosen = match &a {
                Answer::Hello(c) if !c.retry && c.suite == value => {
                    ScanVersion::ALL.into_iter().find(|v| v.wire() == c.version)
                }
                _ => None,
            };
            out.versions.push(match chosen {
                Some(v) => VersionResult::accepted(v, &a.describe(), &[value], None, false),
                None => VersionResult::refused(version, &a.describe()),
            });
        }
    }
    out.connections = ctx.connections();
    out.overlap = scan::profile::overlap(&out.versions, &out.groups);
    out.verdict = scan::verdict::verdict(
        out.stopped.as_deref(),
        &out.versions,
        &out.groups,
        &out.overlap,
    );
    out.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    out
}

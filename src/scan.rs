//! Hand-built ClientHello probes that map what a server accepts (versions, suites, groups).
//!
//! rustls speaks only TLS 1.2 and 1.3 with forward-secret AEAD suites, yet the servers that
//! bounce mail are often stuck on TLS 1.0, RSA key exchange or CBC. The scanner asks such a
//! server directly: over the same SMTP STARTTLS dialogue as a probe, it sends ClientHellos it
//! builds itself (SSL 3.0 to TLS 1.3, the full IANA suite list, every named group) and reads
//! only the ServerHello or the alert. It never finishes a handshake.
//!
//! ```text
//!  ScanPlan ─► resolve (first candidate) ─► per version, side by side (≤ max_connections):
//!     first hello = version probe ─► elimination per chunk ─► server order ─► groups
//!  every probe: pace (semaphore, delay, 421 back-off) ─► dialogue (SMTP → hello → answer)
//!  ─► Profile { versions, groups, overlap with rustls, verdict, connections, elapsed_ms }
//! ```
//!
//! Files: `catalog` (what we offer, names), `hello` (ClientHello bytes), `answer` (reading
//! the reply), `dialogue` (one connection), `pace` (manners, counting, stop switch), `search`
//! (elimination and order), `suites` (one version's pipeline and its groups), `profile`
//! (result types, overlap), `verdict`, `text` (the text report), `evidence` (a profile as
//! evidence lines for a diagnosis), `senders` (real MTAs' default hellos, `--senders`).
//!
//! The first connection runs alone: if the SMTP side fails (no banner, no STARTTLS, 421
//! after retries), the scan stops with that answer instead of paying it once per suite.

pub mod answer;
pub mod dialogue;
pub mod hello;
pub mod pace;
pub mod search;
pub mod senders;
pub mod suites;

// The data model lives below the events (`crate::profile`); these names keep the scanner's
// paths short.
pub use crate::profile::kind::ScanKind;
pub use crate::profile::{self, Progress, catalog, evidence, text, verdict};

use std::net::IpAddr;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::sync::mpsc;

pub use catalog::ScanVersion;
pub use profile::{GroupResult, Overlap, Profile, VersionResult};

use crate::net::resolve;
use crate::plan::{Plan, Sni};
use crate::profile::ScanRecord;
use pace::{Ctx, Stopped};
use suites::Depth;

/// What to scan and how politely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanPlan {
    /// Target, port, mode, family, resolver, EHLO name, SNI and timeouts, as for a probe.
    /// (`timeouts.reply` bounds every SMTP reply and the wait for the TLS answer.)
    pub plan: Plan,
    /// Versions to scan (default: all, SSL 3.0 to TLS 1.3).
    pub versions: Vec<ScanVersion>,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Least time between two connection starts.
    pub delay: Duration,
    /// How often a `421` is retried (with exponential back-off) before the scan stops.
    pub retries_421: u32,
    /// First back-off after a `421`; doubled each retry.
    pub backoff: Duration,
}

impl ScanPlan {
    /// Defaults: every version, 4 connections at once, no delay, 3 retries from 2 s.
    pub fn new(plan: Plan) -> Self {
        ScanPlan {
            plan,
            versions: ScanVersion::ALL.to_vec(),
            max_connections: 4,
            delay: Duration::ZERO,
            retries_421: 3,
            backoff: Duration::from_secs(2),
        }
    }
}

/// The scan API call for `kind`. Suites of several versions run one version after the other
/// (a mail server rate-limits bursts) and come back as one profile.
pub async fn run_kind(
    plan: &ScanPlan,
    kind: &ScanKind,
    mut progress: impl FnMut(Progress),
) -> Profile {
    match kind {
        ScanKind::Versions => scan_versions(plan, progress).await,
        ScanKind::Groups => scan_groups(plan, progress).await,
        ScanKind::Full => scan(plan, progress).await,
        ScanKind::Senders => senders::run_senders(plan, &senders::builtin(), progress).await,
        ScanKind::Suites { versions } => {
            let mut parts = Vec::new();
            for v in versions {
                let p = scan_suites(plan, *v, &mut progress).await;
                let stop = p.stopped.is_some();
                parts.push(ScanRecord {
                    kind: kind.clone(),
                    profile: p,
                });
                if stop {
                    break;
                }
            }
            crate::profile::merge::merge(&parts).unwrap_or_else(|| Profile::empty(&plan.plan))
        }
        ScanKind::Legacy {
            version,
            suite: None,
        } => {
            let mut one = plan.clone();
            one.versions = vec![*version];
            scan_versions(&one, progress).await
        }
        ScanKind::Legacy {
            version,
            suite: Some(name),
        } => probe_suite(plan, *version, name, progress).await,
    }
}

/// The full profile: every version of the plan, all suites with order, and groups.
pub async fn scan(plan: &ScanPlan, progress: impl FnMut(Progress)) -> Profile {
    let depth = Depth {
        suites: true,
        groups: true,
    };
    run(plan, Job::Versions(plan.versions.clone(), depth), progress).await
}

/// Only which versions are accepted (one or a few connections per version); the suites
/// seen in passing are listed, with `complete: false`.
pub async fn scan_versions(plan: &ScanPlan, progress: impl FnMut(Progress)) -> Profile {
    let depth = Depth {
        suites: false,
        groups: false,
    };
    run(plan, Job::Versions(plan.versions.clone(), depth), progress).await
}

/// Every suite of one version, in the server's order.
pub async fn scan_suites(
    plan: &ScanPlan,
    version: ScanVersion,
    progress: impl FnMut(Progress),
) -> Profile {
    let depth = Depth {
        suites: true,
        groups: false,
    };
    run(plan, Job::Versions(vec![version], depth), progress).await
}

/// The groups of TLS 1.2 (with ECDHE suites) and TLS 1.3 (by HelloRetryRequest).
pub async fn scan_groups(plan: &ScanPlan, progress: impl FnMut(Progress)) -> Profile {
    run(plan, Job::Groups, progress).await
}

/// One ClientHello offering only `suite` (IANA or rustls name) at `version` at most: the
/// server's answer to that hello, not a full handshake (the TUI's legacy retries).
pub async fn probe_suite(
    plan: &ScanPlan,
    version: ScanVersion,
    suite: &str,
    progress: impl FnMut(Progress),
) -> Profile {
    match catalog::suite_value(suite) {
        Some(value) => run(plan, Job::Suite(version, value), progress).await,
        None => {
            let mut p = Profile::empty(&plan.plan);
            p.stopped = Some(format!("unknown cipher suite {suite}"));
            p.verdict = verdict::verdict(p.stopped.as_deref(), &[], &[], &p.overlap);
            p
        }
    }
}

enum Job {
    Versions(Vec<ScanVersion>, Depth),
    Groups,
    /// One hello offering one suite: a legacy retry, the server's answer and nothing more.
    Suite(ScanVersion, u16),
}

async fn run(plan: &ScanPlan, job: Job, mut progress: impl FnMut(Progress)) -> Profile {
    let started = Instant::now();
    let mut profile = Profile::empty(&plan.plan);
    let cand = match resolve::resolve(&plan.plan).await {
        Ok((_, cands)) => cands.into_iter().next(),
        Err(e) => {
            profile.stopped = Some(e.to_string());
            None
        }
    };
    if let Some(cand) = cand {
        profile.address = Some(cand.addr);
        let sni = match &plan.plan.tls.sni {
            Sni::Off => None,
            Sni::Name(n) => Some(n.clone()),
            Sni::Auto => cand.host.filter(|h| h.parse::<IpAddr>().is_err()),
        };
        let (tx, mut rx) = mpsc::unbounded_channel();
        let ctx = Ctx::new(plan, cand.addr, sni, tx);
        let work = execute(&ctx, &job);
        tokio::pin!(work);
        let results = loop {
            tokio::select! {
                r = &mut work => break r,
                Some(p) = rx.recv() => progress(p),
            }
        };
        while let Ok(p) = rx.try_recv() {
            progress(p);
        }
        for r in results {
            match r {
                Ok((v, g)) => {
                    profile.versions.extend(v);
                    profile.groups.extend(g);
                }
                Err(Stopped(why)) => {
                    profile.stopped.get_or_insert(why);
                }
            }
        }
        // A scan that stopped part-way (421 after retries, say) keeps the rows it finished
        // and marks the others as not finished: a missing TLS 1.3 row must not read as
        // "not offered". A scan whose SMTP side never worked keeps just its reason.
        if let (Some(why), Job::Versions(versions, _), true) =
            (&profile.stopped, &job, ctx.answered())
        {
            for v in versions {
                if !profile.versions.iter().any(|r| r.version == *v) {
                    profile.versions.push(VersionResult::unfinished(*v, why));
                }
            }
        }
        profile.connections = ctx.connections();
        if ctx.throttled() {
            profile.notes.push(
                "the server answered 421 (rate limit): the scan went on one connection at a time"
                    .into(),
            );
        }
        progress(Progress {
            connections: profile.connections,
            steps_done: 1,
            steps_total: 1,
            step: "done".into(),
        });
    }
    profile.versions.sort_by_key(|v| v.version);
    profile.groups.sort_by_key(|g| g.version);
    profile.overlap = profile::overlap(&profile.versions, &profile.groups);
    profile.verdict = verdict::verdict(
        profile.stopped.as_deref(),
        &profile.versions,
        &profile.groups,
        &profile.overlap,
    );
    profile.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    profile
}

type Part = Result<(Option<VersionResult>, Option<GroupResult>), Stopped>;

/// Runs the job's parts side by side; TLS 1.2 first, so its first hello is the connection
/// that runs alone and proves the SMTP side works.
async fn execute(ctx: &Ctx<'_>, job: &Job) -> Vec<Part> {
    match job {
        Job::Versions(versions, depth) => {
            let mut order = versions.clone();
            order.sort_by_key(|v| (*v != ScanVersion::Tls12, std::cmp::Reverse(*v)));
            order.dedup();
            let groups = if depth.groups {
                order.iter().filter(|v| **v >= ScanVersion::Tls12).count()
            } else {
                0
            };
            ctx.plan_steps(u32::try_from(order.len() + groups).unwrap_or(u32::MAX));
            join_all(order.into_iter().map(|v| async move {
                match suites::scan_version(ctx, v, *depth).await {
                    Ok((r, g)) => Ok((Some(r), g)),
                    // Only this version's part gave up (421 after its retries): its row
                    // says so, the other versions go on.
                    Err(Stopped(why)) if ctx.stopped().is_none() => {
                        Ok((Some(VersionResult::unfinished(v, &why)), None))
                    }
                    Err(e) => Err(e),
                }
            }))
            .await
        }
        Job::Groups => {
            ctx.plan_steps(2);
            join_all(
                [ScanVersion::Tls12, ScanVersion::Tls13].map(|v| async move {
                    suites::scan_groups(ctx, v, None)
                        .await
                        .map(|g| (None, Some(g)))
                }),
            )
            .await
        }
        Job::Suite(version, value) => {
            ctx.plan_steps(1);
            let answer = search::Search::Suites(*version).probe(ctx, &[*value]).await;
            ctx.step_done(version.name());
            vec![answer.map(|a| {
                let chosen = match &a {
                    answer::Answer::Hello(c) if !c.retry && c.suite == *value => {
                        ScanVersion::ALL.into_iter().find(|v| v.wire() == c.version)
                    }
                    _ => None,
                };
                let result = match chosen {
                    Some(v) => VersionResult::accepted(v, &a.describe(), &[*value], None, false),
                    None => VersionResult::refused(*version, &a.describe(), a.ending()),
                };
                (Some(result), None)
            })]
        }
    }
}

//! `tlsdive triage` on the driver: the input's destinations (`triage::run::Intake`) are
//! handed to the `runs::triage` machine, which the same driver as every other run carries
//! out on the engine; each outcome goes back to the intake, which hands out the rows.

use std::ops::ControlFlow;

use tokio::io::AsyncBufRead;

use super::{Driver, Seen};
use crate::event::EventKind;
use crate::plan::Plan;
use crate::runs::Run;
use crate::runs::triage::Triage;
use crate::session::Attempt;
use crate::triage::Row;
use crate::triage::run::{Config, Intake, Outcome, RawLine, Stats, Update, reader};

/// Triage `input`, handing each destination's row to `emit` as soon as it is final.
pub async fn run<R>(input: R, cfg: &Config, emit: impl FnMut(Row)) -> Stats
where
    R: AsyncBufRead + Unpin + Send + 'static,
{
    run_observed(input, cfg, emit, |_| {}).await
}

/// What woke the loop.
enum Woke {
    Line(Option<RawLine>),
    Events,
}

/// [`run`], telling `observe` each step as it happens.
pub async fn run_observed<R>(
    input: R,
    cfg: &Config,
    mut emit: impl FnMut(Row),
    mut observe: impl FnMut(Update),
) -> Stats
where
    R: AsyncBufRead + Unpin + Send + 'static,
{
    let concurrency = cfg.concurrency.max(1);
    let (reading, mut lines) = reader(input);
    let mut intake = Intake::new(cfg);
    let mut run = Run::Triage(Triage::new(concurrency, cfg.backoff, cfg.retries_on_421));
    let mut driver = Driver::new();
    let mut eof = false;
    // The run is always a triage here; the loop ends when it is done.
    while let Run::Triage(t) = &mut run {
        for (key, plan) in intake.take_fresh(&mut emit, &mut observe) {
            t.push(key, plan);
        }
        let step = driver.step(&mut run);
        let Run::Triage(t) = &mut run else { break };
        for order in &step.started {
            if let Some(key) = t.destination(*order) {
                intake.probing(key, &mut observe);
            }
        }
        for o in t.take_outcomes() {
            let outcome = Outcome {
                cause: crate::triage::Verdict::Probed(o.cause),
                summary: o.summary,
                fix: o.fix,
                retries: o.retries,
            };
            intake.outcome(&o.key, outcome, &mut emit, &mut observe);
        }
        if step.done {
            break;
        }
        // Reading pauses while many new destinations wait for a probe slot.
        let can_read = !eof && t.waiting() < concurrency * 4;
        let mut quiet = |_: Seen<'_>| ControlFlow::Continue(());
        let woke = tokio::select! {
            line = lines.recv(), if can_read => Woke::Line(line),
            _ = driver.events(&mut run, step.wake, &mut quiet) => Woke::Events,
        };
        match woke {
            Woke::Line(Some(line)) => intake.line(line, &mut observe),
            Woke::Line(None) => {
                eof = true;
                if let Run::Triage(t) = &mut run {
                    t.close();
                }
                intake.end_of_input(&mut emit, &mut observe);
            }
            Woke::Events => {}
        }
    }
    let _ = reading.await;
    intake.stats().clone()
}

/// Policy domains `triage --tlsrpt` sweeps at once (each sweep keeps at most
/// [`crate::runs::sweep::CONCURRENCY`] connections open, like `probe --all`).
pub const DOMAINS_AT_ONCE: usize = 4;

/// The sender profiles to send after a sweep: `(attempt id, profile names)`.
pub type ProfileScans = Vec<(u32, Vec<&'static str>)>;

/// `triage --tlsrpt`: sweep `plan`'s domain (the domain attempt with its policy lookups,
/// then every other MX × address) on the same driver, and hand back its attempts, the
/// domain attempt first.
pub async fn sweep_domain(plan: Plan) -> Result<Vec<Attempt>, &'static str> {
    sweep_domain_as(plan, |_| Vec::new()).await
}

/// [`sweep_domain`], then, one after the other, the sender-profile hellos `want` asks for
/// given the sweep's attempts (a reporter's own ClientHello sent to the MX it reported on);
/// each scan lands on its attempt.
pub async fn sweep_domain_as(
    plan: Plan,
    want: impl FnOnce(&[Attempt]) -> ProfileScans,
) -> Result<Vec<Attempt>, &'static str> {
    let sweep = crate::runs::sweep::Sweep::of_plan(plan)?;
    let mut run = Run::Sweep(sweep);
    let mut driver = Driver::new();
    driver
        .drive(&mut run, super::never(), |_| ControlFlow::Continue(()))
        .await;
    for (id, names) in want(&driver.session.attempts) {
        let Some(a) = driver.session.attempt(id) else {
            continue;
        };
        let Some(plan) = a.plan.clone() else {
            continue;
        };
        let senders: Vec<_> = names
            .iter()
            .filter_map(|n| crate::scan::senders::profile::builtin_named(n))
            .collect();
        if senders.is_empty() {
            continue;
        }
        let req = crate::runs::ScanRequest {
            attempt: id,
            at_us: a.last_us,
            kind: crate::profile::kind::ScanKind::Senders,
            plan: crate::scan::ScanPlan::new(plan),
            senders,
        };
        // One scan at a time on an engine: wait for this one's end, and no longer than its
        // hellos can take (a scan task that dies says nothing: the triage must go on).
        let budget = scan_budget(&req.plan.plan, req.senders.len());
        let scan = driver.scan(req);
        let deadline = driver.now() + budget;
        let mut over = false;
        while !over {
            if driver.now() >= deadline {
                driver.cancel_scan();
                break;
            }
            let mut watch = |s: Seen<'_>| {
                if let Seen::Event(e) = s
                    && let EventKind::ScanFinished { scan: n, .. }
                    | EventKind::ScanCancelled { scan: n } = &e.kind
                    && *n == scan
                {
                    over = true;
                }
                ControlFlow::Continue(())
            };
            let _ = driver.events(&mut run, Some(deadline), &mut watch).await;
        }
    }
    Ok(driver.session.attempts)
}

/// The longest a sender-profile scan of `senders` hellos can take on `plan`: per hello a
/// connection and each step's reply (banner, EHLO, STARTTLS, EHLO again, the hello's
/// answer and the flight after it), plus a margin.
pub fn scan_budget(plan: &Plan, senders: usize) -> std::time::Duration {
    let per = plan.timeouts.connect + plan.timeouts.reply * 6;
    per * u32::try_from(senders.max(1)).unwrap_or(u32::MAX) + std::time::Duration::from_secs(5)
}

/// Sweep each of `plans` (one per policy domain), at most [`DOMAINS_AT_ONCE`] at a time,
/// with the profile hellos `want(i, attempts)` asks for domain `i`. `started(i)` is told
/// when domain `i`'s sweep begins; `done(i, ..)` gets each domain's attempts in the order
/// of `plans`, whichever ends first.
pub async fn sweep_domains(
    plans: Vec<Plan>,
    want: impl Fn(usize, &[Attempt]) -> ProfileScans,
    started: impl Fn(usize),
    mut done: impl FnMut(usize, Result<Vec<Attempt>, &'static str>),
) {
    use futures_util::stream::{self, StreamExt};
    let (want, started) = (&want, &started);
    let mut sweeps = stream::iter(plans.into_iter().enumerate())
        .map(|(i, plan)| async move {
            started(i);
            (i, sweep_domain_as(plan, |a| want(i, a)).await)
        })
        .buffered(DOMAINS_AT_ONCE);
    while let Some((i, r)) = sweeps.next().await {
        done(i, r);
    }
}

/// `triage --tlsrpt`'s re-probe: each policy domain of `plans` swept (a few at a time) with
/// the reporters' own hellos where tlsdive has their profile, and each group of
/// `groups[i]` judged against domain `i`'s sweep. `started` is told of each group as its
/// domain's sweep begins; `judged` gets each group's finding in the order of `groups`, and
/// `failed` each domain whose sweep could not start (its name and why).
pub async fn judge_groups(
    plans: Vec<Plan>,
    groups: &[Vec<crate::tlsrpt::Group>],
    started: impl Fn(&crate::tlsrpt::Group),
    mut judged: impl FnMut(&crate::tlsrpt::Group, crate::triage::tlsrpt::Finding),
    mut failed: impl FnMut(&str, &'static str),
) {
    use crate::triage::tlsrpt as rpt;
    let domains: Vec<String> = plans.iter().map(|p| p.target.display_name()).collect();
    sweep_domains(
        plans,
        |i, attempts| {
            let mine: Vec<&crate::tlsrpt::Group> = groups[i].iter().collect();
            rpt::profile_scans(&mine, attempts)
        },
        |i| groups[i].iter().for_each(&started),
        |i, result| match result {
            Ok(attempts) => {
                for g in &groups[i] {
                    judged(g, rpt::judge(g, &attempts));
                }
            }
            Err(e) => failed(&domains[i], e),
        },
    )
    .await;
}

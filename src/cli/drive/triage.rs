//! `tlsdive triage` on the driver: the input's destinations (`triage::run::Intake`) are
//! handed to the `runs::triage` machine, which the same driver as every other run carries
//! out on the engine; each outcome goes back to the intake, which hands out the rows.

use std::ops::ControlFlow;

use tokio::io::AsyncBufRead;

use super::{Driver, Seen};
use crate::runs::Run;
use crate::runs::triage::Triage;
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

/// `triage --tlsrpt`: sweep `plan`'s domain (the domain attempt with its policy lookups,
/// then every other MX × address) on the same driver, and hand back its attempts, the
/// domain attempt first.
pub async fn sweep_domain(
    plan: crate::plan::Plan,
) -> Result<Vec<crate::session::Attempt>, &'static str> {
    let sweep = crate::runs::sweep::Sweep::of_plan(plan)?;
    let session = super::to_end(Run::Sweep(sweep)).await;
    Ok(session.attempts)
}

//! The next experiment that would tell the most, chosen from the session so far: drop the
//! post-quantum share after a dropped large hello, then TLS 1.2 only, then ask the scanner
//! what the server accepts. Never an experiment whose answer is already in the session.

use super::observe::{Observation, Outcome};
use super::{Case, conclusive};
use crate::diagnose::{Cause, Retry};
use crate::session::Session;

/// One experiment for `--investigate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Experiment {
    /// Another attempt: the latest plan with this change.
    Attempt(Retry),
    /// Ask the scanner which versions the server accepts (SSL 3.0 to TLS 1.3).
    ScanVersions,
}

/// What to run next, or `None` when the case is confirmed or nothing cheap is left.
pub fn next_experiment(session: &Session) -> Option<Experiment> {
    next_experiment_after(session, &Case::of(session)?)
}

/// [`next_experiment`] given the session's case (`Case::of(session)`, perhaps from a cache).
pub fn next_experiment_after(session: &Session, case: &Case) -> Option<Experiment> {
    if conclusive(case.cause) && case.confirmed {
        return None;
    }
    let latest = session.attempts.iter().rev().find(|a| !a.is_running())?;
    let plan = latest.plan.as_ref()?;
    let o = Observation::of(latest);
    // Compared as the server sees them: a retry that sends the same ClientHello is no
    // experiment ("TLS 1.2 only" when only TLS 1.2 suites are chosen).
    let seen = plan.effective();
    let ran = |r: &Retry| {
        r.apply(plan).map(|p| p.effective()).is_some_and(|p| {
            p != seen
                && session
                    .attempts
                    .iter()
                    .any(|b| b.plan.as_ref().is_some_and(|q| q.effective() == p))
        })
    };
    let new = |r: Retry| {
        let changes = r.apply(plan).is_some_and(|p| p.effective() != seen);
        (changes && !ran(&r)).then_some(Experiment::Attempt(r))
    };
    let scanned = session.attempts.iter().any(|a| !a.scans.is_empty());
    match o.outcome {
        Outcome::Dropped => {
            if o.post_quantum
                && let Some(e) = new(Retry::WithoutPostQuantum)
            {
                return Some(e);
            }
            if let Some(e) = new(Retry::Tls12Only) {
                return Some(e);
            }
            (!scanned).then_some(Experiment::ScanVersions)
        }
        Outcome::Refused
            if matches!(
                o.cause,
                Cause::NoSharedVersion
                    | Cause::NoSharedCipher
                    | Cause::NoSharedGroup
                    | Cause::NoSharedParameters
                    | Cause::TlsAlert
            ) =>
        {
            (!scanned).then_some(Experiment::ScanVersions)
        }
        _ => None,
    }
}

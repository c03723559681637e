//! Server-profile scans run by the engine, like attempts: the front end hands over a
//! `ScanRequest` and hears `ScanStarted`, `ScanProgressed` and `ScanFinished` (or
//! `ScanCancelled`) events for the attempt that asked, on the same channel as everything
//! else. No front end runs the scanner or builds a scan event itself.

use crate::event::{EventKind, ProbeEvent};
use crate::profile::Profile;
use crate::profile::kind::ScanKind;
use crate::scan;

use super::EventSender;

pub use crate::runs::ScanRequest;

/// Report one scan event of `req`'s attempt.
pub(crate) fn emit(tx: &EventSender, req: &ScanRequest, kind: EventKind) {
    // A closed receiver means nobody listens any more; the scan just runs out.
    let _ = tx.send(ProbeEvent {
        attempt: req.attempt,
        at_us: req.at_us,
        kind,
    });
}

/// Run `req` as scan number `scan`, reporting on `tx`; the profile is also returned (for
/// `--investigate`, which reads it before choosing the next step).
pub async fn run(scan: u32, req: &ScanRequest, tx: &EventSender) -> Profile {
    emit(
        tx,
        req,
        EventKind::ScanStarted {
            scan,
            kind: req.kind.clone(),
        },
    );
    let progress = |progress| emit(tx, req, EventKind::ScanProgressed { scan, progress });
    let profile = match req.kind {
        ScanKind::Senders if !req.senders.is_empty() => {
            scan::senders::run_senders(&req.plan, &req.senders, progress).await
        }
        _ => scan::run_kind(&req.plan, &req.kind, progress).await,
    };
    emit(
        tx,
        req,
        EventKind::ScanFinished {
            scan,
            kind: req.kind.clone(),
            profile: Box::new(profile.clone()),
        },
    );
    profile
}

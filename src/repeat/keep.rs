//! What a repeat keeps of its attempts: all of the first attempt of each kind (same facts:
//! cause, address, certificate, banner, negotiated parameters), and of a later attempt that
//! matches one of them only what the summary and the case need — no raw bytes (pcapng) and
//! at most [`KEEP_RECORDS`] TLS records — so 1,000 runs against a flooding server stay small.

use super::Observed;
use crate::event::{EventKind, ProbeEvent};
use crate::session::Attempt;

/// TLS records kept of an attempt that matches an earlier one.
pub const KEEP_RECORDS: usize = 64;

/// The kinds seen so far in one repeat.
#[derive(Debug, Default)]
pub struct Keeper {
    /// Each kind's facts and the first attempt that showed them.
    seen: Vec<(Observed, u32)>,
}

impl Keeper {
    pub fn new() -> Keeper {
        Keeper::default()
    }

    /// The events of finished attempt `a` worth keeping: all of them when its facts are new,
    /// else the slimmed events, as long as they still give the same facts.
    pub fn keep(&mut self, a: &Attempt) -> Vec<ProbeEvent> {
        let facts = Observed::of(a);
        let Some(&(_, like)) = self.seen.iter().find(|(o, _)| *o == facts) else {
            self.seen.push((facts, a.id));
            return a.events().map(|e| e.into_owned()).collect();
        };
        let slim = slimmed(a, like);
        let mut check = Attempt::new(a.id, None);
        for ev in &slim {
            check.apply(ev);
        }
        if Observed::of(&check) == facts {
            slim
        } else {
            a.events().map(|e| e.into_owned()).collect()
        }
    }
}

/// `a`'s events without raw bytes and without TLS records past [`KEEP_RECORDS`], with a
/// note saying so.
fn slimmed(a: &Attempt, like: u32) -> Vec<ProbeEvent> {
    let mut out = Vec::new();
    let (mut records, mut dropped_records, mut dropped_bytes) = (0usize, 0u64, 0usize);
    for ev in a.events() {
        match &ev.kind {
            EventKind::TcpData { bytes, .. } => {
                dropped_bytes += bytes.len();
                continue;
            }
            EventKind::TlsRecord { record, .. } => {
                if records >= KEEP_RECORDS {
                    dropped_records += 1 + u64::from(record.repeated);
                    continue;
                }
                records += 1;
            }
            _ => {}
        }
        out.push(ev.into_owned());
    }
    let mut parts = Vec::new();
    if dropped_bytes > 0 {
        parts.push("its raw bytes (no pcapng for it)".to_string());
    }
    if dropped_records > 0 {
        parts.push(format!(
            "{} TLS records after the first {KEEP_RECORDS}",
            crate::units::thousands(dropped_records)
        ));
    }
    if !parts.is_empty() {
        let at_us = a.events().last().map_or(0, |e| e.at_us);
        out.push(ProbeEvent {
            attempt: a.id,
            at_us,
            kind: EventKind::Note {
                text: format!(
                    "the repeat did not keep {}: this attempt showed the same facts as attempt #{like}",
                    parts.join(" or ")
                ),
            },
        });
    }
    out
}

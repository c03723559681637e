//! Words for the limits of ours that ended a wait (deadlines, the bounded drain): what the
//! server was doing when we stopped, so a dribbling or flooding server is named as such
//! instead of looking like a silent one.

use crate::event::{ATTEMPT_TIMEOUTS, Limit, LimitHit};
use crate::session::Attempt;

use super::evidence::bytes;

fn secs(us: u64) -> String {
    format!("{:.1} s", us as f64 / 1_000_000.0)
}

fn rate(hit: &LimitHit) -> String {
    let per_s = hit.bytes as f64 / (hit.waited_us.max(1) as f64 / 1_000_000.0);
    if per_s < 10.0 {
        format!("{per_s:.1} bytes/s")
    } else {
        format!("{per_s:.0} bytes/s")
    }
}

/// The deadline that ended the attempt, if one did (the last one reached).
pub fn deadline(a: &Attempt) -> Option<&LimitHit> {
    a.limits
        .iter()
        .rev()
        .map(|(_, h)| h)
        .find(|h| matches!(h.limit, Limit::Reply | Limit::Flight | Limit::Attempt))
}

/// The summary for an attempt a deadline ended, when the server was not simply silent.
pub fn deadline_summary(hit: &LimitHit) -> Option<String> {
    let waited = secs(hit.waited_us);
    match hit.limit {
        Limit::Attempt => Some(format!(
            "the whole attempt took longer than {ATTEMPT_TIMEOUTS} × --timeout ({waited}) and was stopped during {}: the server answered each step in time, but slowly",
            hit.waiting_for
        )),
        Limit::Reply if hit.bytes > 0 => Some(format!(
            "the server sent its {} at {} ({} bytes in {waited}, never a whole reply): stopped after {waited} (--timeout bounds each reply, however it trickles in)",
            hit.waiting_for,
            rate(hit),
            bytes(hit.bytes as usize)
        )),
        Limit::Flight if hit.warning_alerts > 0 => Some(format!(
            "the server sent {} warning alerts and nothing else instead of its {}: stopped after {waited} (--timeout bounds each TLS flight)",
            hit.warning_alerts, hit.waiting_for
        )),
        Limit::Flight if hit.empty_records > 0 => Some(format!(
            "the server sent {} empty TLS records and nothing else instead of its {}: stopped after {waited} (--timeout bounds each TLS flight)",
            hit.empty_records, hit.waiting_for
        )),
        Limit::Flight if hit.bytes > 0 && hit.records == 0 => Some(format!(
            "the server sent its {} at {} ({} bytes in {waited}, not one whole record): stopped after {waited} (--timeout bounds each TLS flight, however it trickles in)",
            hit.waiting_for,
            rate(hit),
            bytes(hit.bytes as usize)
        )),
        Limit::Flight if hit.bytes > 0 => Some(format!(
            "the server sent {} records ({} bytes) but not {} within {waited}: stopped (--timeout bounds each TLS flight)",
            hit.records,
            bytes(hit.bytes as usize),
            hit.waiting_for
        )),
        _ => None,
    }
}

/// An evidence line when reading after a failed handshake was cut short.
pub fn drain_line(a: &Attempt) -> Option<String> {
    a.limits.iter().find_map(|(_, h)| {
        let why = match h.limit {
            Limit::DrainTime => format!("after {}", secs(h.waited_us)),
            Limit::DrainBytes => format!("after {} bytes", bytes(h.bytes as usize)),
            _ => return None,
        };
        Some(format!(
            "after the failed handshake the server kept sending ({} bytes in {}): we stopped reading {why} and closed",
            bytes(h.bytes as usize),
            secs(h.waited_us)
        ))
    })
}

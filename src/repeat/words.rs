//! The repeat's conclusion and its text section, in the words an engineer would use in an
//! incident channel ("3 of 9 failed with cert-expired, all on 192.0.2.7:25, always with
//! certificate SHA-256 AB:CD…: one backend behind this address serves an expired
//! certificate").

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{Conclusion, Difference, Fact, Observed, Repeat};
use crate::diagnose::Cause;

/// A fingerprint shortened for a sentence: the first five bytes, then an ellipsis.
pub fn short_fingerprint(fp: &str) -> String {
    let parts: Vec<&str> = fp.split(':').collect();
    if parts.len() <= 5 {
        fp.to_string()
    } else {
        format!("{}…", parts[..5].join(":"))
    }
}

/// "cert-expired" or "cert-expired (2), tls-alert (1)".
fn causes_words(failed: &[&Observed]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for o in failed {
        *counts.entry(o.cause.code()).or_insert(0) += 1;
    }
    if counts.len() == 1 {
        return counts
            .keys()
            .next()
            .map(|c| c.to_string())
            .unwrap_or_default();
    }
    let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = v.iter().map(|(c, n)| format!("{c} ({n})")).collect();
    parts.join(", ")
}

pub(crate) fn conclusion(seen: &[Observed], differences: &[Difference]) -> Conclusion {
    let n = seen.len();
    let failed: Vec<&Observed> = seen.iter().filter(|o| !o.worked()).collect();
    if n == 0 {
        return Conclusion {
            cause: Cause::Running,
            summary: "no attempt finished".into(),
        };
    }
    if failed.is_empty() {
        return Conclusion {
            cause: Cause::Ok,
            summary: format!("all {n} attempts worked: no intermittent failure seen"),
        };
    }
    let causes = causes_words(&failed);
    let one_cause = failed.iter().all(|o| o.cause == failed[0].cause);
    if failed.len() == n && one_cause {
        return Conclusion {
            cause: failed[0].cause,
            summary: format!(
                "all {n} attempts failed with {causes}: a steady fault, not an intermittent one"
            ),
        };
    }
    let mut s = format!("{} of {n} failed with {causes}", failed.len());
    let addresses: BTreeSet<&str> = failed.iter().map(|o| o.address.as_str()).collect();
    let all_addresses: BTreeSet<&str> = seen.iter().map(|o| o.address.as_str()).collect();
    let one_address = (addresses.len() == 1)
        .then(|| addresses.iter().next().copied())
        .flatten();
    if let Some(addr) = one_address {
        let _ = write!(s, ", all on {addr}");
    }
    let cert = differences
        .iter()
        .find(|d| d.what == Fact::Certificate && d.failed.len() == 1);
    if let Some(d) = cert {
        let _ = write!(
            s,
            ", always with certificate SHA-256 {}",
            short_fingerprint(&d.failed[0])
        );
    }
    let why = if cert.is_some() && one_cause {
        let what = match failed[0].cause {
            Cause::CertExpired => "an expired certificate".to_string(),
            Cause::CertNotYetValid => "a certificate not valid yet".to_string(),
            Cause::CertNameMismatch => "a certificate for another name".to_string(),
            other => format!("another certificate ({other})"),
        };
        let place = if one_address.is_some() {
            "this address"
        } else {
            "these addresses"
        };
        format!("one backend behind {place} serves {what}")
    } else if one_address.is_some() && all_addresses.len() > 1 {
        "one address fails while the others work: a broken host behind the name".into()
    } else if one_address.is_some() {
        "the same address sometimes works: a load balancer with a bad backend, a rate limit or a flaky path".into()
    } else {
        "the same plan sometimes works on several addresses: a rate limit or a flaky path".into()
    };
    Conclusion {
        cause: Cause::Intermittent,
        summary: format!("{s}: {why}"),
    }
}

/// `.` for an attempt that worked, `x` for one that failed.
pub fn strip(r: &Repeat) -> String {
    r.sequence
        .iter()
        .map(|c| if *c == Cause::Ok { '.' } else { 'x' })
        .collect()
}

fn counts(m: &BTreeMap<Cause, usize>) -> String {
    let mut v: Vec<(&Cause, &usize)> = m.iter().collect();
    // ok first, then the most frequent.
    v.sort_by(|a, b| {
        (*b.0 == Cause::Ok)
            .cmp(&(*a.0 == Cause::Ok))
            .then(b.1.cmp(a.1))
            .then(a.0.code().cmp(b.0.code()))
    });
    let parts: Vec<String> = v.iter().map(|(c, n)| format!("{c} {n}")).collect();
    parts.join(", ")
}

/// The repeat's facts as labelled lines: counts per cause, per address (one line each),
/// what differs, and the conclusion. The text report and the TUI's repeat view show these.
pub fn facts(r: &Repeat) -> Vec<(&'static str, String)> {
    let mut out = vec![("by cause", counts(&r.by_cause))];
    for (addr, m) in &r.by_address {
        out.push(("by address", format!("{addr}  {}", counts(m))));
    }
    for d in &r.differences {
        let short = |v: &[String]| -> String {
            let v: Vec<String> = v
                .iter()
                .map(|x| {
                    if d.what == Fact::Certificate {
                        short_fingerprint(x)
                    } else {
                        x.clone()
                    }
                })
                .collect();
            v.join(" | ")
        };
        out.push((
            "differs",
            format!(
                "{}: worked with {}; failed with {}",
                d.what,
                short(&d.worked),
                short(&d.failed)
            ),
        ));
    }
    out.push((
        "conclusion",
        format!("{}: {}", r.conclusion.cause, r.conclusion.summary),
    ));
    out
}

/// The text section printed after the report of the attempt shown.
pub fn section(r: &Repeat) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\nRepeat: {} attempts of the same plan", r.attempts);
    let _ = writeln!(out, "  attempts:   {}   (. worked, x failed)", strip(r));
    let mut last = "";
    for (label, text) in facts(r) {
        // A label is written once, on the first of its lines.
        let shown = if label == last {
            String::new()
        } else {
            format!("{label}:")
        };
        last = label;
        let _ = writeln!(out, "  {shown:<12}{text}");
    }
    out
}

//! `triage --tlsrpt`: the receiving side's triage. SMTP TLS reports (RFC 8460) are read from
//! files, mails, mboxes and Maildirs, their failures grouped, and each group judged against
//! a fresh sweep of its policy domain with the sender table of the policy the reporter
//! applied: "then" (the report), "now" (tlsdive's cause) and the fix.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diagnose::{self, Cause};
use crate::session::Attempt;
use crate::tlsrpt::{self, Group, Limits, PolicyType, Report};

/// Bytes one input file may hold (a real report mail is kilobytes; a gzip'd report
/// decompresses under [`Limits::max_decompressed`]).
pub const MAX_FILE: u64 = 32 * 1024 * 1024;
/// Files one run reads (a Maildir of years of reports is a few thousand).
pub const MAX_FILES: usize = 10_000;

/// Every report in the inputs, and one message per file or part that was not one: each
/// message starts with the file's name (raw: the caller escapes it for the terminal).
pub fn read_all(paths: &[PathBuf]) -> (Vec<Report>, Vec<String>) {
    let (files, mut errors) = files_of(paths);
    let limits = Limits::default();
    let mut reports = Vec::new();
    for f in files {
        let bytes = match crate::files::read_capped("a TLS report", &f, MAX_FILE) {
            Ok(b) => b,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        for r in tlsrpt::reports_in(&bytes, &limits) {
            match r {
                Ok(r) => reports.push(r),
                Err(e) => errors.push(format!("{}: {e}", f.display())),
            }
        }
    }
    (reports, errors)
}

/// The files `paths` name: a file as it is; a directory as a Maildir (`cur/` and `new/`)
/// when it is one, else every regular file in it (not recursive). At most [`MAX_FILES`].
pub fn files_of(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if !p.is_dir() {
            files.push(p.clone());
            continue;
        }
        let maildir = p.join("cur").is_dir() || p.join("new").is_dir();
        let dirs = if maildir {
            vec![p.join("cur"), p.join("new")]
        } else {
            vec![p.clone()]
        };
        for d in dirs.iter().filter(|d| d.is_dir()) {
            match regular_files(d) {
                Ok(mut found) => files.append(&mut found),
                Err(e) => errors.push(format!("{}: {}", d.display(), crate::files::io_words(&e))),
            }
        }
    }
    if files.len() > MAX_FILES {
        errors.push(format!(
            "{} files: only the first {MAX_FILES} were read",
            files.len()
        ));
        files.truncate(MAX_FILES);
    }
    (files, errors)
}

fn regular_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        // Symlinks and special files are not followed: a Maildir holds plain files.
        if e.file_type()?.is_file() {
            out.push(e.path());
        }
        if out.len() > MAX_FILES {
            break;
        }
    }
    out.sort();
    Ok(out)
}

/// The sender profile tlsdive has for a reporting organisation, where it has one.
pub fn sender_profile(organization: &str) -> Option<&'static str> {
    let o = organization.to_ascii_lowercase();
    if o.contains("google") {
        Some("gmail")
    } else if o.contains("microsoft") || o.contains("outlook") {
        Some("exchange-online")
    } else {
        None
    }
}

/// The row of `diagnose::policy`'s sender table that judges a policy type.
pub fn sender_row(policy: &PolicyType) -> &'static str {
    match policy {
        PolicyType::Tlsa => "DANE",
        PolicyType::Sts => "MTA-STS",
        PolicyType::NoPolicyFound | PolicyType::Other(_) => "opportunistic",
    }
}

/// One group, then and now: a record of `triage --tlsrpt --jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub policy_domain: String,
    pub policy_type: String,
    pub receiving_mx: Option<String>,
    pub receiving_ip: Option<String>,
    /// The report's result type (`None`: failures counted, none detailed).
    pub result_type: Option<String>,
    pub organization: String,
    /// tlsdive's profile of that sender, when it has one.
    pub sender_profile: Option<&'static str>,
    pub failed_sessions: u64,
    pub reports: u32,
    pub date_from: String,
    pub date_to: String,
    /// Whether the reported failure still happens now.
    pub still_failing: bool,
    /// tlsdive's cause now (of the MX × address that shows the failure, else the first).
    pub cause_now: String,
    pub result_type_now: Option<String>,
    pub summary_now: String,
    /// The sender table's word for this policy's senders now.
    pub sender_now: Option<String>,
    /// The diagnosis' first next step (none when nothing fails).
    pub fix: Option<String>,
    /// Each MX × address probed now: `host [addr]: cause`.
    pub probed: Vec<String>,
}

/// Causes of a connection that never reached SMTP: a sender moves on to the next address,
/// and RFC 8460 reports no TLS result for it.
fn unreached(c: Cause) -> bool {
    matches!(
        c,
        Cause::ConnectRefused | Cause::ConnectTimeout | Cause::Unreachable
    )
}

/// Judge `g` against the sweep of its policy domain (`attempts`: the domain attempt first,
/// with the policy facts, then each MX × address pinned).
pub fn judge(g: &Group, attempts: &[Attempt]) -> Finding {
    let k = &g.key;
    let row_name = sender_row(&k.policy_type);
    let policy = attempts.first().map(|a| a.policy.clone());
    // Each pinned attempt is judged with the domain attempt's policy facts.
    let judged: Vec<(Attempt, diagnose::Diagnosis)> = attempts
        .iter()
        .map(|a| {
            let mut a = a.clone();
            if let Some(p) = &policy
                && !a.policy.any()
            {
                a.policy = p.clone();
            }
            let mut d = diagnose::diagnose(&a);
            // "The certificate does not validate under MTA-STS" has the certificate's own
            // defect under it (expired, wrong name, untrusted): that is what a report names.
            if d.cause == Cause::MtaStsCertInvalid {
                let mut plain = a.clone();
                plain.policy = Default::default();
                let p = diagnose::diagnose(&plain);
                if diagnose::tlsrpt::result_type(p.cause).is_some() {
                    d = p;
                }
            }
            (a, d)
        })
        .collect();
    let host_of = |a: &Attempt| {
        a.tried
            .last()
            .and_then(|(_, h)| h.clone())
            .or_else(|| a.plan.as_ref().and_then(|p| p.address_host.clone()))
    };
    let addr_of = |a: &Attempt| a.tried.last().map(|(ad, _)| ad.ip().to_string());
    // The report's MX (and address) when the sweep found it, else the whole MX set.
    let same_mx = |a: &Attempt| {
        k.receiving_mx.as_ref().is_none_or(|mx| {
            host_of(a).is_some_and(|h| crate::policy::norm(&h) == *mx)
                && k.receiving_ip
                    .as_ref()
                    .is_none_or(|ip| addr_of(a).as_ref() == Some(ip))
        })
    };
    let mut scope: Vec<&(Attempt, diagnose::Diagnosis)> =
        judged.iter().filter(|(a, _)| same_mx(a)).collect();
    if scope.is_empty() {
        scope = judged.iter().collect();
    }
    let reached: Vec<&(Attempt, diagnose::Diagnosis)> = scope
        .iter()
        .copied()
        .filter(|(_, d)| !unreached(d.cause))
        .collect();
    let scope = if reached.is_empty() { scope } else { reached };
    let fails = |(a, d): &(Attempt, diagnose::Diagnosis)| {
        let row = diagnose::policy::assess(a)
            .and_then(|s| s.senders.into_iter().find(|r| r.policy == row_name));
        // A DANE or MTA-STS sender fails unless its row shows it delivers; a sender with no
        // policy delivers anyway (in plaintext if need be), so its report's failure is the
        // TLS failure itself: one that RFC 8460 has a type for.
        let failing = match (&k.policy_type, &row) {
            (PolicyType::Tlsa | PolicyType::Sts, Some(r)) => r.delivers != Some(true),
            (_, Some(r)) => {
                r.delivers == Some(false) || diagnose::tlsrpt::result_type(d.cause).is_some()
            }
            (_, None) => !d.ok,
        };
        (failing, row)
    };
    let mut pick = None;
    for j in &scope {
        let (failing, row) = fails(j);
        if failing || pick.is_none() {
            pick = Some((*j, failing, row));
        }
        if failing {
            break;
        }
    }
    let probed = judged
        .iter()
        .map(|(a, d)| {
            let where_ = match (host_of(a), a.tried.last()) {
                (Some(h), Some((ad, _))) => format!("{h} [{ad}]"),
                (None, Some((ad, _))) => format!("[{ad}]"),
                (_, None) => k.policy_domain.clone(),
            };
            format!("{where_}: {}", d.cause.code())
        })
        .collect();
    let (cause, summary, still, sender_now, fix) = match pick {
        Some(((_, d), failing, row)) => (
            d.cause,
            d.summary.clone(),
            failing,
            row.map(|r| {
                let word = match r.delivers {
                    Some(true) => "delivers",
                    Some(false) => "does not deliver",
                    None => "cannot be judged",
                };
                let article = match r.policy {
                    "MTA-STS" | "opportunistic" => "an",
                    _ => "a",
                };
                // The reason once: the summary often says it already.
                if d.summary.contains(&r.why) {
                    format!("{article} {} sender {word}", r.policy)
                } else {
                    format!("{article} {} sender {word}: {}", r.policy, r.why)
                }
            }),
            failing
                .then(|| d.next_steps.first().map(|s| s.text.clone()))
                .flatten(),
        ),
        None => (
            Cause::InternalError,
            "nothing was probed".into(),
            true,
            None,
            None,
        ),
    };
    Finding {
        policy_domain: k.policy_domain.clone(),
        policy_type: k.policy_type.code().to_string(),
        receiving_mx: k.receiving_mx.clone(),
        receiving_ip: k.receiving_ip.clone(),
        result_type: k.result_type.as_ref().map(|r| r.code().to_string()),
        organization: k.organization.clone(),
        sender_profile: sender_profile(&k.organization),
        failed_sessions: g.failed_sessions,
        reports: g.reports,
        date_from: g.first.clone(),
        date_to: g.last.clone(),
        still_failing: still,
        cause_now: cause.code().to_string(),
        result_type_now: diagnose::tlsrpt::result_type(cause).map(|r| r.code().to_string()),
        summary_now: summary,
        sender_now,
        fix,
        probed,
    }
}

/// The distinct policy domains of `groups`, each probed once.
pub fn domains(groups: &[Group]) -> BTreeSet<String> {
    groups.iter().map(|g| g.key.policy_domain.clone()).collect()
}

/// One block per finding: "then / now / fix".
pub fn text(findings: &[Finding]) -> String {
    let still = findings.iter().filter(|f| f.still_failing).count();
    let mut out = format!(
        "{} from the reports: {} still failing, {} fixed since\n",
        crate::units::plural(findings.len() as u64, "failure group"),
        still,
        findings.len() - still
    );
    for f in findings {
        let mx = match (&f.receiving_mx, &f.receiving_ip) {
            (Some(m), Some(ip)) => format!(" MX {m} [{ip}]"),
            (Some(m), None) => format!(" MX {m}"),
            (None, Some(ip)) => format!(" [{ip}]"),
            (None, None) => String::new(),
        };
        let profile = f
            .sender_profile
            .map(|p| format!(" (tlsdive profile: {p})"))
            .unwrap_or_default();
        let state = if f.still_failing {
            "STILL FAILING"
        } else {
            "fixed since"
        };
        let _ = writeln!(
            out,
            "\n{} policy {}{mx}: {state}",
            f.policy_domain, f.policy_type
        );
        let _ = writeln!(
            out,
            "  then: {} reported {} for {} ({} to {}){profile}",
            f.organization,
            f.result_type
                .as_deref()
                .unwrap_or("failures without details"),
            crate::units::plural(f.failed_sessions, "failed session"),
            f.date_from,
            f.date_to,
        );
        let rt = f
            .result_type_now
            .as_deref()
            .map(|r| format!(" [{r}]"))
            .unwrap_or_default();
        let _ = writeln!(out, "  now:  {}{rt}: {}", f.cause_now, f.summary_now);
        if let Some(s) = &f.sender_now {
            let _ = writeln!(out, "        {s}");
        }
        let _ = writeln!(out, "        probed: {}", f.probed.join("; "));
        if let Some(fix) = &f.fix {
            let _ = writeln!(out, "  fix:  {fix}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisations_map_to_sender_profiles() {
        assert_eq!(sender_profile("Google Inc."), Some("gmail"));
        assert_eq!(
            sender_profile("Microsoft Corporation"),
            Some("exchange-online")
        );
        assert_eq!(sender_profile("comcast.net"), None);
    }

    #[test]
    fn each_policy_type_is_judged_by_its_senders() {
        assert_eq!(sender_row(&PolicyType::Tlsa), "DANE");
        assert_eq!(sender_row(&PolicyType::Sts), "MTA-STS");
        assert_eq!(sender_row(&PolicyType::NoPolicyFound), "opportunistic");
    }
}

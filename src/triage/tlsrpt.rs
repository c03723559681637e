//! `triage --tlsrpt`: the receiving side's triage. SMTP TLS reports (RFC 8460) are read from
//! files, mails, mboxes and Maildirs, their failures grouped, and each group judged against
//! a fresh sweep of its policy domain with the sender table of the policy the reporter
//! applied: "then" (the report), "now" (tlsdive's cause) and the fix.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diagnose::policy::SenderRow;
use crate::diagnose::{self, Cause};
use crate::session::Attempt;
use crate::tlsrpt::{self, Group, GroupKey, Limits, PolicyType, Report, ResultType};

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

/// The row of `diagnose::policy`'s sender table that stands for a reporter that applied
/// `policy` and reported `result_type`: without a policy only a sender that verifies the
/// certificate reports a certificate's defect (an opportunistic one encrypts with any).
pub fn sender_row(policy: &PolicyType, result_type: Option<&ResultType>) -> &'static str {
    match policy {
        PolicyType::Tlsa => "DANE",
        PolicyType::Sts => "MTA-STS",
        PolicyType::NoPolicyFound | PolicyType::Other(_) => match result_type {
            Some(
                ResultType::CertificateExpired
                | ResultType::CertificateHostMismatch
                | ResultType::CertificateNotTrusted,
            ) => "mandatory-verified",
            _ => "opportunistic",
        },
    }
}

/// The sender row that stands for the reporter of `k` now: the row that would write the
/// report's very line (same policy type and result type) when one would, else the row of
/// the policy the reporter applied. The flag says whether the line is the same.
fn reporter_row(k: &GroupKey, rows: Vec<SenderRow>) -> Option<(SenderRow, bool)> {
    let same = |r: &SenderRow| {
        k.result_type.is_some()
            && r.tlsrpt_policy == k.policy_type
            && r.tlsrpt_result_type == k.result_type
    };
    let name = sender_row(&k.policy_type, k.result_type.as_ref());
    let mut default = None;
    for r in rows {
        if same(&r) {
            return Some((r, true));
        }
        if r.policy == name {
            default = Some(r);
        }
    }
    default.map(|r| (r, false))
}

/// Whether the reporter (its row `r`, `same`: it would write the report's line again)
/// still fails: a DANE or MTA-STS sender fails unless it delivers, and any sender fails
/// that would still report a failure under the report's policy type; a sender with no
/// policy delivers anyway (in plaintext if need be), so only a reported failure counts.
fn row_fails(k: &GroupKey, r: &SenderRow, same: bool) -> bool {
    let reports = r.tlsrpt_policy == k.policy_type && r.tlsrpt_result_type.is_some();
    match k.policy_type {
        _ if same => true,
        PolicyType::Tlsa | PolicyType::Sts => r.delivers != Some(true) || reports,
        _ => r.delivers == Some(false) || reports,
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
    /// tlsdive's cause now in RFC 8460's words (an MX certificate refused under MTA-STS:
    /// the certificate's own defect).
    pub result_type_now: Option<String>,
    /// What the reporter's sender row would write in its report now (its
    /// `tlsrpt_result_type`; `None`: no failure to report): joins a report line.
    pub sender_result_type_now: Option<String>,
    pub summary_now: String,
    /// The sender table's word for this policy's senders now.
    pub sender_now: Option<String>,
    /// The diagnosis' first next step (none when nothing fails).
    pub fix: Option<String>,
    /// Each MX × address probed now: `host [addr]: cause`.
    pub probed: Vec<String>,
    /// The sender profile whose own ClientHello was sent to the MX now (the reporter's),
    /// when tlsdive has one for the reporting organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe_profile: Option<String>,
    /// What that hello got: `accepted: TLSv1.3 ...` or `refused: alert ...`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_answer: Option<String>,
    /// Set when "now" comes from the interactive view opened on the group (its attempts),
    /// not from the triage's sweep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drilldown_attempts: Option<u32>,
    /// The plan of the attempt "now" describes: what `Enter` opens.
    #[serde(skip)]
    pub plan: Option<crate::plan::Plan>,
    /// The policy domain's policy facts (DNSSEC, TLSA, MTA-STS), to judge the attempts of a
    /// drill-down, which are pinned and look none up.
    #[serde(skip)]
    pub policy: Option<crate::session::PolicyFacts>,
}

/// Causes of a connection that never reached SMTP: a sender moves on to the next address,
/// and RFC 8460 reports no TLS result for it.
fn unreached(c: Cause) -> bool {
    matches!(
        c,
        Cause::ConnectRefused | Cause::ConnectTimeout | Cause::Unreachable
    )
}

/// The attempts of a sweep (`attempts`) that stand for `g` now, by index: those of the MX
/// (and address) the report names when the sweep found it, else the whole MX set; the
/// ones that reached SMTP when any did (a sender moves on from an address it cannot reach).
pub fn scope(g: &Group, attempts: &[Attempt]) -> Vec<usize> {
    scope_by(g, attempts, |a| a, |a| diagnose::diagnose(a).cause)
}

/// [`scope`] over `items`, each an attempt (`attempt`) with its cause (`cause`).
fn scope_by<T>(
    g: &Group,
    items: &[T],
    attempt: impl Fn(&T) -> &Attempt,
    cause: impl Fn(&T) -> Cause,
) -> Vec<usize> {
    let k = &g.key;
    let same_mx = |a: &Attempt| {
        k.receiving_mx.as_ref().is_none_or(|mx| {
            host_of(a).is_some_and(|h| crate::policy::norm(&h) == *mx)
                && k.receiving_ip
                    .as_ref()
                    .is_none_or(|ip| addr_of(a).as_ref() == Some(ip))
        })
    };
    let mut scope: Vec<usize> = (0..items.len())
        .filter(|i| same_mx(attempt(&items[*i])))
        .collect();
    if scope.is_empty() {
        scope = (0..items.len()).collect();
    }
    let reached: Vec<usize> = scope
        .iter()
        .copied()
        .filter(|i| !unreached(cause(&items[*i])))
        .collect();
    if reached.is_empty() { scope } else { reached }
}

fn host_of(a: &Attempt) -> Option<String> {
    a.tried
        .last()
        .and_then(|(_, h)| h.clone())
        .or_else(|| a.plan.as_ref().and_then(|p| p.address_host.clone()))
}

fn addr_of(a: &Attempt) -> Option<String> {
    a.tried.last().map(|(ad, _)| ad.ip().to_string())
}

/// The sender-profile hellos to send after a domain's sweep: for each group whose reporter
/// tlsdive has a profile for, that profile to each attempt that stands for the group
/// (`(attempt id, profile names)`, in attempt order, each name once).
pub fn profile_scans(groups: &[&Group], attempts: &[Attempt]) -> Vec<(u32, Vec<&'static str>)> {
    let mut want: std::collections::BTreeMap<usize, Vec<&'static str>> = Default::default();
    for g in groups {
        let Some(profile) = sender_profile(&g.key.organization) else {
            continue;
        };
        for i in scope(g, attempts) {
            let names = want.entry(i).or_default();
            if !names.contains(&profile) {
                names.push(profile);
            }
        }
    }
    want.into_iter()
        .filter_map(|(i, names)| attempts.get(i).map(|a| (a.id, names)))
        .collect()
}

/// What `profile`'s own hello got from attempt `a`'s server, if it was sent.
fn profile_result<'a>(
    a: &'a Attempt,
    profile: &str,
) -> Option<&'a crate::profile::sender::SenderResult> {
    a.scans
        .iter()
        .rev()
        .flat_map(|s| s.profile.senders.iter())
        .find(|r| r.name == profile)
}

/// What `profile`'s hello got from `a`'s server, with its words.
fn heard_on<'a>(
    a: &'a Attempt,
    profile: &str,
) -> Option<(&'a crate::profile::sender::SenderResult, (String, bool))> {
    profile_result(a, profile).map(|r| (r, profile_words(r)))
}

/// A sender result in words, and whether that sender gets through: `accepted`, `answered
/// (...), but gmail stops: why` (the server answered, the sender's library would abort),
/// `refused: alert ...`, or `dropped (FIN)` / `no answer (timeout)`.
fn profile_words(r: &crate::profile::sender::SenderResult) -> (String, bool) {
    let through = r.accepted && r.blocked.is_none();
    let words = match (&r.version, &r.blocked) {
        (Some(_), None) if r.accepted => {
            let chose: Vec<&str> = [&r.version, &r.cipher_suite, &r.group]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            format!("accepted: {}", chose.join(" "))
        }
        (Some(_), Some(b)) => format!("answered ({}), but {} stops: {b}", r.answer, r.name),
        (Some(_), None) => format!("answered ({}), but {} does not go on", r.answer, r.name),
        (None, _) if r.answer.starts_with("alert") => format!("refused: {}", r.answer),
        (None, _) if matches!(r.answer.as_str(), "FIN" | "RST") => {
            format!("dropped ({})", r.answer)
        }
        (None, _) if r.answer == "timeout" => "no answer (timeout)".to_string(),
        (None, _) => format!("refused: {}", r.answer),
    };
    (words, through)
}

/// What the reporter's hello met (`r`, on attempt `a`) as one of tlsdive's causes: the
/// parameter the server chose that `profile` does not offer, or the one tlsdive's own client
/// got and the profile lacks when the server refused the hello; else how it ended.
fn profile_cause(a: &Attempt, profile: &str, r: &crate::profile::sender::SenderResult) -> Cause {
    use crate::wire::names;
    let p = crate::scan::senders::profile::builtin_named(profile);
    let lacks: Vec<Lacks> = match (&r.version, &p) {
        (Some(v), Some(p)) => {
            let mut l = Vec::new();
            let version = names::version_by_name(v);
            if version.is_some_and(|c| !p.offers_version(c)) {
                l.push(Lacks::Version);
            }
            if let Some(s) = r.cipher_suite.as_deref().and_then(names::suite_by_name)
                && !p.cipher_suites.contains(&s)
            {
                l.push(Lacks::Suite);
            }
            if let Some(g) = r.group.as_deref().and_then(names::group_by_name)
                && !p.groups.contains(&g)
            {
                l.push(Lacks::Group);
            }
            l
        }
        (None, _) if r.answer.starts_with("alert") => {
            lacking(a, profile).map(|(l, _)| l).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    match (lacks.as_slice(), r.version.is_some()) {
        ([Lacks::Version], _) => Cause::NoSharedVersion,
        ([Lacks::Suite], _) => Cause::NoSharedCipher,
        ([Lacks::Group], _) => Cause::NoSharedGroup,
        ([_, _, ..], _) | ([], true) => Cause::NoSharedParameters,
        ([], false) => match r.answer.as_str() {
            "FIN" => Cause::PeerClosedDuringHandshake,
            "RST" => Cause::PeerResetDuringHandshake,
            "timeout" => Cause::HandshakeTimeout,
            a if a.starts_with("alert") => Cause::TlsAlert,
            _ => Cause::TlsProtocolError,
        },
    }
}

/// A parameter a sender profile does not offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lacks {
    Version,
    Suite,
    Group,
}

/// Judge `g` against the sweep of its policy domain (`attempts`: the domain attempt first,
/// with the policy facts, then each MX × address pinned). The reporter is the sender row
/// of the policy it applied (see [`reporter_row`]): its decision is "still failing", its
/// result type what it would write in its report now.
pub fn judge(g: &Group, attempts: &[Attempt]) -> Finding {
    let k = &g.key;
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
            let d = diagnose::diagnose(&a);
            (a, d)
        })
        .collect();
    let scope: Vec<&(Attempt, diagnose::Diagnosis)> =
        scope_by(g, &judged, |(a, _)| a, |(_, d)| d.cause)
            .into_iter()
            .filter_map(|i| judged.get(i))
            .collect();
    let fails = |(a, d): &(Attempt, diagnose::Diagnosis)| {
        let row = diagnose::policy::assess(a).and_then(|s| reporter_row(k, s.senders));
        let failing = match &row {
            Some((r, same)) => row_fails(k, r, *same),
            None => !d.ok,
        };
        (failing, row.map(|(r, _)| r))
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
    // Sorted: the sweep's attempts start in the order their DNS answers come.
    let mut probed: Vec<String> = judged
        .iter()
        .map(|(a, d)| format!("{}: {}", where_of(a, &k.policy_domain), d.cause.code()))
        .collect();
    probed.sort();
    let profile = sender_profile(&k.organization);
    // The reporter's own hello, where it was sent to the attempts that stand for the group:
    // the first one it does not get through on, else the one "now" describes.
    let heard = profile.and_then(|name| {
        let on = |a| heard_on(a, name);
        let blocked = scope
            .iter()
            .filter_map(|(a, _)| on(a).map(|h| (a, h)))
            .find(|(_, (_, (_, through)))| !through);
        let (a, (r, words)) = blocked.or_else(|| {
            pick.as_ref()
                .and_then(|((a, _), _, _)| on(a).map(|h| (a, h)))
        })?;
        Some(Heard {
            name,
            words,
            why: refusal_why(a, name),
            cause: profile_cause(a, name, r),
            at: where_of(a, &k.policy_domain),
            attempt: a,
        })
    });
    let mut plan = pick.as_ref().and_then(|((a, _), _, _)| a.plan.clone());
    // Still failing while tlsdive's own attempt is fine: the reporter's policy is what
    // fails (an MTA-STS policy host, a DANE lookup), and "now" names it, with its fix.
    let policy_now = pick.as_ref().and_then(|((a, d), failing, _)| {
        if !*failing || d.cause != Cause::Ok {
            return None;
        }
        let s = diagnose::policy::assess(a)?;
        let (verdict, why) = match k.policy_type {
            PolicyType::Sts => (&s.sts.verdict, &s.sts.summary),
            PolicyType::Tlsa => (&s.dane.verdict, &s.dane.summary),
            _ => return None,
        };
        // Testing mode delivers and reports what enforce would refuse: that is "now".
        let c = match verdict.cause() {
            Cause::Ok => diagnose::policy::sts_testing_cause(a, &s).unwrap_or(Cause::Ok),
            c => c,
        };
        (c != Cause::Ok).then(|| {
            let fix = diagnose::policy::sts_fetch_fix(a, &s)
                .filter(|_| c == Cause::MtaStsPolicyUnavailable)
                .or_else(|| c.policy_fix().map(String::from));
            (
                c,
                diagnose::tlsrpt::result_type_on(a, c),
                format!("{why} (the MX itself: {})", d.summary),
                fix,
            )
        })
    });
    let (mut cause, mut result_type_now, mut summary, mut still, sender_now, sender_type, mut fix) =
        match pick {
            Some(((a, d), failing, row)) => (
                d.cause,
                diagnose::tlsrpt::result_type_on(a, d.cause),
                d.summary.clone(),
                failing,
                row.as_ref().map(|r| row_words(r, &d.summary)),
                row.and_then(|r| r.tlsrpt_result_type),
                failing
                    .then(|| d.next_steps.first().map(|s| s.text.clone()))
                    .flatten(),
            ),
            None => (
                Cause::InternalError,
                None,
                "nothing was probed".into(),
                true,
                None,
                None,
                None,
            ),
        };
    if let Some((c, rt, why, f)) = policy_now {
        (cause, result_type_now, summary, fix) = (c, rt, why, f);
    }
    // tlsdive's own client gets through, the reporter's hello does not: still failing for
    // the one who reported it, and "now" is what its hello met.
    if let Some(h) = &heard
        && !h.words.1
        && !still
    {
        still = true;
        cause = h.cause;
        result_type_now = diagnose::tlsrpt::result_type_on(h.attempt, h.cause);
        plan = h.attempt.plan.clone().or(plan);
        summary.push_str(&format!(
            "; but {}'s own ClientHello does not get through at {} ({})",
            h.name, h.at, h.words.0
        ));
        if let Some(why) = &h.why {
            summary.push_str(&format!(": {why}"));
        }
        fix = fix.or_else(|| {
            Some(format!(
                "accept what {} offers (its ClientHello: `tlsdive scan --senders`)",
                h.name
            ))
        });
    }
    Finding {
        policy_domain: k.policy_domain.clone(),
        policy_type: k.policy_type.code().to_string(),
        receiving_mx: k.receiving_mx.clone(),
        receiving_ip: k.receiving_ip.clone(),
        result_type: k.result_type.as_ref().map(|r| r.code().to_string()),
        organization: k.organization.clone(),
        sender_profile: profile,
        failed_sessions: g.failed_sessions,
        reports: g.reports,
        date_from: g.first.clone(),
        date_to: g.last.clone(),
        still_failing: still,
        cause_now: cause.code().to_string(),
        result_type_now: result_type_now.map(|r| r.code().to_string()),
        sender_result_type_now: sender_type.map(|r| r.code().to_string()),
        summary_now: summary,
        sender_now,
        fix,
        probed,
        probe_profile: heard.as_ref().map(|h| h.name.to_string()),
        profile_answer: heard.map(|h| h.words.0),
        drilldown_attempts: None,
        plan,
        policy,
    }
}

/// The reporter's own hello, as sent to one attempt of the group's scope.
struct Heard<'a> {
    name: &'static str,
    /// What it got in words, and whether it gets through.
    words: (String, bool),
    /// Why it did not, where tlsdive's own client tells.
    why: Option<String>,
    cause: Cause,
    /// `host [addr]` of the attempt.
    at: String,
    attempt: &'a Attempt,
}

/// Where attempt `a` went: `host [addr]`, `[addr]`, or the policy domain when it connected
/// nowhere.
fn where_of(a: &Attempt, domain: &str) -> String {
    match (host_of(a), a.tried.last()) {
        (Some(h), Some((ad, _))) => format!("{h} [{ad}]"),
        (None, Some((ad, _))) => format!("[{ad}]"),
        (_, None) => domain.to_string(),
    }
}

/// A sender row in words: "an MTA-STS sender does not deliver: why; it would report
/// certificate-expired" (the reason once: the diagnosis' `summary` often says it already).
fn row_words(r: &SenderRow, summary: &str) -> String {
    let word = match r.delivers {
        Some(true) => "delivers",
        Some(false) => "does not deliver",
        None => "cannot be judged",
    };
    let article = match r.policy {
        "MTA-STS" | "opportunistic" => "an",
        _ => "a",
    };
    let mut s = if summary.contains(&r.why) {
        format!("{article} {} sender {word}", r.policy)
    } else {
        format!("{article} {} sender {word}: {}", r.policy, r.why)
    };
    if let Some(t) = &r.tlsrpt_result_type {
        s.push_str(&format!(
            "; it would report {} under {}",
            t.code(),
            r.tlsrpt_policy.code()
        ));
    }
    s
}

/// What tlsdive's own client negotiated on `a` that `profile` does not offer (version,
/// suite, group), each kind and in words.
fn lacking(a: &Attempt, profile: &str) -> Option<(Vec<Lacks>, Vec<String>)> {
    use crate::wire::names;
    let n = a.negotiated.as_ref()?;
    let p = crate::scan::senders::profile::builtin_named(profile)?;
    let mut kinds = Vec::new();
    let mut words = Vec::new();
    let version = names::version_by_name(&n.version);
    if let Some(v) = version
        && !p.supported_versions.is_empty()
        && !p.supported_versions.contains(&v)
    {
        kinds.push(Lacks::Version);
        words.push(format!("version {}", n.version));
    }
    if names::suite_by_name(&n.cipher_suite).is_some_and(|s| !p.cipher_suites.contains(&s)) {
        kinds.push(Lacks::Suite);
        words.push(format!("cipher suite {}", n.cipher_suite));
    }
    if let Some(g) = &n.group
        && names::group_by_name(g).is_some_and(|g| !p.groups.contains(&g))
    {
        kinds.push(Lacks::Group);
        words.push(format!("group {g}"));
    }
    (!kinds.is_empty()).then_some((kinds, words))
}

/// Why `profile`'s hello was refused where tlsdive's own client got through: what that
/// client negotiated and the profile does not offer (version, suite, group).
fn refusal_why(a: &Attempt, profile: &str) -> Option<String> {
    let (_, missing) = lacking(a, profile)?;
    Some(format!(
        "tlsdive's own client got {}, which {profile} does not offer",
        missing.join(" and ")
    ))
}

/// The distinct policy domains of `groups`, each probed once.
pub fn domains(groups: &[Group]) -> BTreeSet<String> {
    groups.iter().map(|g| g.key.policy_domain.clone()).collect()
}

/// `f` with every text field escaped for one line of a terminal.
fn escaped(f: &Finding) -> Finding {
    let e = |s: &str| crate::sanitize::neutralize(s).into_owned();
    let eo = |s: &Option<String>| s.as_deref().map(e);
    Finding {
        policy_domain: e(&f.policy_domain),
        policy_type: e(&f.policy_type),
        receiving_mx: eo(&f.receiving_mx),
        receiving_ip: eo(&f.receiving_ip),
        result_type: eo(&f.result_type),
        organization: e(&f.organization),
        date_from: e(&f.date_from),
        date_to: e(&f.date_to),
        cause_now: e(&f.cause_now),
        result_type_now: eo(&f.result_type_now),
        sender_result_type_now: eo(&f.sender_result_type_now),
        summary_now: e(&f.summary_now),
        sender_now: eo(&f.sender_now),
        fix: eo(&f.fix),
        probed: f.probed.iter().map(|p| e(p)).collect(),
        probe_profile: eo(&f.probe_profile),
        profile_answer: eo(&f.profile_answer),
        ..f.clone()
    }
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
        // Report fields are the sender's text: a line break in an MX name must not print a
        // line of its own ("fixed since") — every field escaped, line breaks included.
        let f = &escaped(f);
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
        if let (Some(p), Some(a)) = (&f.probe_profile, &f.profile_answer) {
            let _ = writeln!(out, "        {p}'s own ClientHello: {a}");
        }
        if let Some(n) = f.drilldown_attempts {
            let _ = writeln!(
                out,
                "        (now: from the interactive view, {})",
                crate::units::plural(u64::from(n), "attempt")
            );
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
        assert_eq!(sender_row(&PolicyType::Tlsa, None), "DANE");
        assert_eq!(sender_row(&PolicyType::Sts, None), "MTA-STS");
        assert_eq!(
            sender_row(&PolicyType::NoPolicyFound, None),
            "opportunistic"
        );
        // Without a policy only a verifying sender reports a certificate's defect.
        assert_eq!(
            sender_row(
                &PolicyType::NoPolicyFound,
                Some(&ResultType::CertificateExpired)
            ),
            "mandatory-verified"
        );
        assert_eq!(
            sender_row(
                &PolicyType::NoPolicyFound,
                Some(&ResultType::StarttlsNotSupported)
            ),
            "opportunistic"
        );
    }

    fn key(policy_type: PolicyType, result_type: Option<ResultType>) -> GroupKey {
        GroupKey {
            policy_domain: "example.com".into(),
            policy_type,
            receiving_mx: None,
            receiving_ip: None,
            result_type,
            organization: "Google Inc.".into(),
        }
    }

    fn row(
        policy: &'static str,
        delivers: Option<bool>,
        tlsrpt_policy: PolicyType,
        tlsrpt_result_type: Option<ResultType>,
    ) -> SenderRow {
        SenderRow {
            policy,
            delivers,
            why: String::new(),
            tlsrpt_policy,
            tlsrpt_result_type,
        }
    }

    /// The sender rows of an MX with an expired certificate, no policy published.
    fn expired_no_policy() -> Vec<SenderRow> {
        use PolicyType::NoPolicyFound as N;
        vec![
            row("opportunistic", Some(true), N, None),
            row(
                "mandatory-verified",
                Some(false),
                N,
                Some(ResultType::CertificateExpired),
            ),
            row("DANE", Some(true), N, None),
            row("MTA-STS", Some(true), N, None),
        ]
    }

    #[test]
    fn the_reporter_is_the_row_that_would_write_the_same_line() {
        let k = key(
            PolicyType::NoPolicyFound,
            Some(ResultType::CertificateExpired),
        );
        let (r, same) = reporter_row(&k, expired_no_policy()).unwrap();
        assert_eq!((r.policy, same), ("mandatory-verified", true));
        assert!(row_fails(&k, &r, same));
        // A line nobody would write now: the reporter's row says what it writes instead.
        let k = key(
            PolicyType::NoPolicyFound,
            Some(ResultType::StarttlsNotSupported),
        );
        let (r, same) = reporter_row(&k, expired_no_policy()).unwrap();
        assert_eq!((r.policy, same), ("opportunistic", false));
        assert!(!row_fails(&k, &r, same));
    }

    #[test]
    fn a_sender_that_delivers_but_still_reports_is_still_failing() {
        // MTA-STS testing mode, the MX not listed: delivered, and reported.
        let rows = vec![row(
            "MTA-STS",
            Some(true),
            PolicyType::Sts,
            Some(ResultType::ValidationFailure),
        )];
        let k = key(PolicyType::Sts, Some(ResultType::CertificateExpired));
        let (r, same) = reporter_row(&k, rows.clone()).unwrap();
        assert!(!same);
        assert!(row_fails(&k, &r, same), "it reports a failure under sts");
        // The domain dropped its policy: an MTA-STS sender delivers and reports nothing.
        let rows = vec![row("MTA-STS", Some(true), PolicyType::NoPolicyFound, None)];
        let (r, same) = reporter_row(&k, rows).unwrap();
        assert!(!row_fails(&k, &r, same));
    }

    fn answered(
        answer: &str,
        version: Option<&str>,
        suite: Option<&str>,
    ) -> crate::profile::sender::SenderResult {
        crate::profile::sender::SenderResult {
            name: "exchange-online".into(),
            accepted: false,
            version: version.map(String::from),
            cipher_suite: suite.map(String::from),
            group: None,
            answer: answer.into(),
            hello_bytes: 0,
            blocked: None,
            verify: Default::default(),
            captured: false,
        }
    }

    #[test]
    fn a_hello_the_server_answered_is_not_called_refused() {
        let mut r = answered(
            "ServerHello TLSv1.3 TLS_CHACHA20_POLY1305_SHA256",
            Some("TLSv1.3"),
            Some("TLS_CHACHA20_POLY1305_SHA256"),
        );
        r.blocked = Some("the server chose TLS_CHACHA20_POLY1305_SHA256, which this sender did not offer: it aborts".into());
        let (words, through) = profile_words(&r);
        assert!(!through);
        assert!(
            words.starts_with("answered (ServerHello TLSv1.3 TLS_CHACHA20_POLY1305_SHA256), but exchange-online stops: the server chose"),
            "{words}"
        );
        let a = Attempt::new(1, None);
        assert_eq!(
            profile_cause(&a, "exchange-online", &r),
            Cause::NoSharedCipher
        );

        let r = answered("alert handshake_failure", None, None);
        assert_eq!(profile_words(&r).0, "refused: alert handshake_failure");
        // Nothing tlsdive's own client negotiated tells which parameter: the alert itself.
        assert_eq!(profile_cause(&a, "exchange-online", &r), Cause::TlsAlert);
        let r = answered("FIN", None, None);
        assert_eq!(profile_words(&r).0, "dropped (FIN)");
        assert_eq!(
            profile_cause(&a, "exchange-online", &r),
            Cause::PeerClosedDuringHandshake
        );
        let r = answered("timeout", None, None);
        assert_eq!(profile_words(&r).0, "no answer (timeout)");
        assert_eq!(
            profile_cause(&a, "exchange-online", &r),
            Cause::HandshakeTimeout
        );

        let mut r = answered(
            "ServerHello TLSv1.3 TLS_AES_256_GCM_SHA384 X25519",
            Some("TLSv1.3"),
            Some("TLS_AES_256_GCM_SHA384"),
        );
        r.accepted = true;
        r.group = Some("X25519".into());
        assert_eq!(
            profile_words(&r),
            (
                "accepted: TLSv1.3 TLS_AES_256_GCM_SHA384 X25519".into(),
                true
            )
        );
    }
}

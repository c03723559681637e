//! The case: one conclusion over every attempt and scan of a session, as a pure function of
//! the `Session`. Each attempt's diagnosis is its input; the case adds what only several
//! observations show (a hello too large for the path, a server that drops every hello or
//! refuses every version), says what each change that was tried showed, whether the
//! conclusion is confirmed by a second observation, and which experiment would tell the most
//! next — never one whose answer is already in the session.

mod cache;
mod experiment;
mod observe;

use serde::Serialize;

use crate::diagnose::{self, Cause, NextStep};
use crate::session::{Attempt, Session};

pub use cache::Cache;
pub use experiment::{Experiment, next_experiment, next_experiment_after};
use observe::{Observation, Outcome};

/// One change that was tried and what it showed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// "first attempt", "TLS 1.2 only", "without the post-quantum key share", "scan: versions".
    pub change: String,
    /// "peer-closed-during-handshake: FIN 0.2 ms after the 1,439-byte ClientHello".
    pub outcome: String,
    /// The attempt's cause (none for a scan).
    pub cause: Option<Cause>,
}

/// The conclusion over the whole session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    pub cause: Cause,
    pub summary: String,
    /// `summary` in its parts.
    #[serde(skip)]
    pub words: Words,
    /// Backed by a second observation (another attempt or a scan).
    pub confirmed: bool,
    pub steps: Vec<Step>,
    /// TCP connections the session made (attempts and scans).
    pub connections: u32,
    /// What to try next, none of it already answered in the session.
    pub next_steps: Vec<NextStep>,
}

/// The case's summary in its parts, so a front end that shows the attempt's own diagnosis
/// beside the case can show only what the case adds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Words {
    /// The latest finished attempt's own summary, when the case builds on it.
    pub attempt: Option<String>,
    /// What the case says beyond that attempt: a conclusion of its own, or what confirms it.
    pub added: Option<String>,
}

impl Words {
    fn own(added: String) -> Words {
        Words {
            attempt: None,
            added: Some(added),
        }
    }

    /// The whole summary: the attempt's words, then what the case adds.
    pub fn text(&self) -> String {
        match (&self.attempt, &self.added) {
            (Some(a), Some(b)) => format!("{a}; {b}"),
            (Some(a), None) => a.clone(),
            (None, Some(b)) => b.clone(),
            (None, None) => String::new(),
        }
    }
}

impl Case {
    /// The case over `session`; `None` before any attempt finished.
    pub fn of(session: &Session) -> Option<Case> {
        Cache::new().case(session)
    }

    /// The case from each finished attempt's observation (`obs`, in session order) and the
    /// repeat facts of the finished attempts that ran the latest one's plan (`same_plan`).
    fn over(
        session: &Session,
        obs: &[&Observation],
        same_plan: &[&crate::repeat::Observed],
    ) -> Option<Case> {
        let last = *obs.last()?;
        let latest = session.attempts.iter().rev().find(|a| !a.is_running())?;
        let steps = steps(obs, session);
        let connections = connections(session);
        let decided = scan_decided(last, &scans_of(session));
        let (cause, words, confirmed) =
            if let Some((c, s, confirmed)) = conclude(obs, same_plan, session) {
                (c, Words::own(s), confirmed)
            } else if let Some((c, words, _)) = &decided {
                (*c, words.clone(), true)
            } else {
                let words = Words {
                    attempt: Some(last.summary.clone()),
                    added: None,
                };
                (last.cause, words, confirmed_alone(obs))
            };
        // `diagnose_in` already leaves out steps the session has answered; a scan that
        // decided which parameter is not shared answers the retries too.
        let decided = decided.filter(|d| d.0 == cause);
        let next_steps = if conclusive(cause) {
            final_steps(cause)
        } else if let Some((_, _, steps)) = decided {
            steps
        } else {
            diagnose::diagnose_in(session, latest).next_steps
        };
        Some(Case {
            cause,
            summary: words.text(),
            words,
            confirmed,
            steps,
            connections,
            next_steps,
        })
    }
}

fn scans_of(session: &Session) -> Vec<&crate::profile::Profile> {
    session
        .attempts
        .iter()
        .flat_map(|a| a.scans.iter().map(|s| &s.profile))
        .collect()
}

/// The conclusions that need several observations, strongest first.
fn conclude(
    obs: &[&Observation],
    same_plan: &[&crate::repeat::Observed],
    session: &Session,
) -> Option<(Cause, String, bool)> {
    let scans = scans_of(session);
    // The same plan sometimes works: nothing the client varies explains that.
    if let Some(found) = intermittent(same_plan) {
        return Some(found);
    }
    // A large hello dropped, a small one served: the path (or server) cannot take the size.
    let dropped_large = obs
        .iter()
        .filter(|o| o.outcome == Outcome::Dropped && o.hello_size.is_some_and(|n| n >= 1200))
        .min_by_key(|o| o.hello_size);
    let served_small = obs
        .iter()
        .filter(|o| o.outcome != Outcome::Dropped && o.server_answered_hello)
        .filter(|o| o.hello_size.is_some_and(|n| n < 1200))
        .max_by_key(|o| o.hello_size);
    if let (Some(big), Some(small)) = (dropped_large, served_small) {
        return Some((
            Cause::HelloSizeIntolerant,
            format!(
                "a {}-byte ClientHello{} is dropped ({}), a {}-byte one is answered ({}): something on the path or the server cannot take the larger hello (only these sizes were tried: the limit lies between them), and senders with a post-quantum key share (X25519MLKEM768) send hellos that large. Senders that offer it fail here; the fix is on the server side (or the middlebox in front of it)",
                diagnose::evidence::bytes(big.hello_size.unwrap_or(0)),
                if big.post_quantum {
                    " with a post-quantum key share"
                } else {
                    ""
                },
                big.cause,
                diagnose::evidence::bytes(small.hello_size.unwrap_or(0)),
                small.cause,
            ),
            true,
        ));
    }
    // Every hello variant, including the scanner's minimal ones, ends in FIN/RST/silence.
    let handshakes: Vec<&Observation> = obs
        .iter()
        .copied()
        .filter(|o| o.reached_handshake)
        .collect();
    let all_dropped =
        !handshakes.is_empty() && handshakes.iter().all(|o| o.outcome == Outcome::Dropped);
    let small_dropped = handshakes
        .iter()
        .any(|o| !o.post_quantum && o.outcome == Outcome::Dropped);
    let scan_all_dropped = scans.iter().any(|p| {
        let answered: Vec<_> = p
            .versions
            .iter()
            .filter(|v| v.unfinished.is_none())
            .collect();
        !answered.is_empty()
            && answered
                .iter()
                .all(|v| !v.accepted && v.answer_ending().is_drop())
    });
    if all_dropped && small_dropped && (scan_all_dropped || handshakes.len() >= 3) {
        return Some((
            Cause::ServerDropsEveryHello,
            format!(
                "every ClientHello ends without an answer ({} attempt{}{}): with and without the post-quantum share, TLS 1.2 only{}. The fault is on the server side: stop varying the client; check the server's TLS setup (certificate and key files, TLS library) and its logs",
                handshakes.len(),
                if handshakes.len() == 1 { "" } else { "s" },
                if scan_all_dropped {
                    " and the scanner's minimal hellos for every version"
                } else {
                    ""
                },
                if scan_all_dropped {
                    ", SSL 3.0 to TLS 1.3"
                } else {
                    ""
                },
            ),
            scan_all_dropped,
        ));
    }
    // The scan saw every version refused with an answer (an alert), none accepted.
    if let Some(p) = scans.iter().find(|p| {
        let answered: Vec<_> = p
            .versions
            .iter()
            .filter(|v| v.unfinished.is_none())
            .collect();
        answered.len() >= 4
            && answered
                .iter()
                .all(|v| !v.accepted && !v.answer_ending().is_drop())
    }) {
        let answers: Vec<String> = p
            .versions
            .iter()
            .map(|v| format!("{}: {}", v.version, v.answer))
            .collect();
        return Some((
            Cause::ServerRefusesEveryVersion,
            format!(
                "the server refuses every TLS version, SSL 3.0 to TLS 1.3 ({}): no sender of any age can negotiate. Its TLS is misconfigured (no usable certificate or key, or every protocol disabled)",
                answers.join("; ")
            ),
            true,
        ));
    }
    // A one-attempt cause a scan decides (which of version, suite or group is not shared):
    // `scan_decided`, which `Case::of` asks next.
    None
}

/// `no-shared-version`/`-cipher`/`-parameters` and a scan that saw what the server accepts:
/// the cause the scan shows, its words, and the steps it leaves open (none of the retries it
/// already answered).
fn scan_decided(
    last: &Observation,
    scans: &[&crate::profile::Profile],
) -> Option<(Cause, Words, Vec<NextStep>)> {
    if !matches!(
        last.cause,
        Cause::NoSharedVersion | Cause::NoSharedCipher | Cause::NoSharedParameters
    ) {
        return None;
    }
    let p = scans
        .iter()
        .find(|p| p.versions.iter().any(|v| v.accepted))?;
    if p.overlap.negotiable {
        return None;
    }
    let accepted: Vec<&crate::profile::VersionResult> =
        p.versions.iter().filter(|v| v.accepted).collect();
    let listed: Vec<String> = accepted
        .iter()
        .map(|v| {
            // Only a complete suite scan can say how many suites there are.
            if v.complete {
                format!(
                    "{} ({} suite{})",
                    v.version,
                    v.cipher_suites.len(),
                    if v.cipher_suites.len() == 1 { "" } else { "s" }
                )
            } else {
                v.version.name().to_owned()
            }
        })
        .collect();
    let modern: Vec<&&crate::profile::VersionResult> =
        accepted.iter().filter(|v| v.version.is_modern()).collect();
    let static_rsa = !modern.is_empty()
        && modern.iter().all(|v| {
            !v.cipher_suites.is_empty() && v.cipher_suites.iter().all(|s| s.starts_with("TLS_RSA_"))
        });
    let (cause, found, fix) = if modern.is_empty() {
        (
            Cause::NoSharedVersion,
            format!(
                "the server accepts only {} — no TLS 1.2+ sender can negotiate",
                listed.join(", ")
            ),
            "ask the server's admins to enable TLS 1.2 (and 1.3): senders limited to TLS 1.2+ (rustls, Exchange Online, Gmail) cannot deliver until then",
        )
    } else if static_rsa {
        let complete = modern.iter().all(|v| v.complete);
        (
            Cause::NoSharedCipher,
            format!(
                "the server accepts {} with RSA key exchange only{} (no ECDHE or DHE): the version is not the problem, the key exchange is — senders that require forward secrecy (rustls, Exchange Online) refuse it",
                listed.join(", "),
                if complete {
                    ""
                } else {
                    " in every suite seen (not every suite was probed)"
                }
            ),
            "ask the server's admins to enable ECDHE key exchange (e.g. ECDHE-RSA-AES128-GCM-SHA256); retrying with other versions will not help",
        )
    } else {
        (
            Cause::NoSharedCipher,
            format!(
                "the server accepts only {} — nothing a TLS 1.2+ sender offers",
                listed.join(", ")
            ),
            "ask the server's admins to enable ECDHE with AES-GCM or ChaCha20 suites",
        )
    };
    let summary = if cause == last.cause {
        Words {
            attempt: Some(last.summary.clone()),
            added: Some(format!("the scan confirms it: {found}")),
        }
    } else {
        Words::own(format!(
            "the scan decides it ({} first): {found}",
            last.cause
        ))
    };
    Some((
        cause,
        summary,
        vec![NextStep {
            text: fix.into(),
            retry: None,
        }],
    ))
}

/// A one-attempt conclusion is confirmed when another attempt with the same plan saw the same.
fn confirmed_alone(obs: &[&Observation]) -> bool {
    let Some(last) = obs.last() else { return false };
    obs.iter()
        .rev()
        .skip(1)
        .any(|o| o.cause == last.cause && o.plan == last.plan)
}

fn conclusive(cause: Cause) -> bool {
    matches!(
        cause,
        Cause::HelloSizeIntolerant
            | Cause::ServerDropsEveryHello
            | Cause::ServerRefusesEveryVersion
            | Cause::Intermittent
    )
}

/// `intermittent`: the latest plan, run more than once, both worked and failed (or failed in
/// different ways). Its words are the repeat summary's: counts per cause and per address,
/// and the fact (certificate, address, banner, ...) that tells the failures apart.
fn intermittent(same_plan: &[&crate::repeat::Observed]) -> Option<(Cause, String, bool)> {
    if same_plan.len() < 2 {
        return None;
    }
    let seen: Vec<crate::repeat::Observed> = same_plan.iter().map(|o| (*o).clone()).collect();
    let r = crate::repeat::summarize_observed(&seen);
    // Two runs of one plan disagreeing is already a second observation: confirmed.
    (r.conclusion.cause == Cause::Intermittent).then_some((
        Cause::Intermittent,
        r.conclusion.summary,
        true,
    ))
}

/// Once a server-side conclusion is confirmed, varying the client tells nothing more.
fn final_steps(cause: Cause) -> Vec<NextStep> {
    let text = match cause {
        Cause::HelloSizeIntolerant => {
            "ask the server's admins to check the firewall or load balancer in front of port 25 (TCP MSS, SMTP/TLS inspection) and to accept ClientHellos as large as the one that was dropped; until then senders can disable the post-quantum group"
        }
        Cause::ServerDropsEveryHello => {
            "check the server's TLS configuration and logs (certificate/key files readable? TLS library errors at each connection?)"
        }
        Cause::Intermittent => {
            "compare the servers behind this name or address (load balancer backends, anycast nodes): the one that fails differs in what the summary names"
        }
        _ => "fix the server's TLS configuration: enable TLS 1.2 and 1.3 with a usable certificate",
    };
    vec![NextStep {
        text: text.into(),
        retry: None,
    }]
}

fn steps(obs: &[&Observation], session: &Session) -> Vec<Step> {
    let first = obs.first().and_then(|o| o.plan.clone());
    let mut out = Vec::new();
    for (i, o) in obs.iter().enumerate() {
        let change = match (i, &first, &o.plan) {
            (0, _, _) => "first attempt".to_string(),
            (_, Some(f), Some(p)) => observe::change_words(f, p),
            _ => "another attempt".to_string(),
        };
        out.push(Step {
            change,
            outcome: format!("{}: {}", o.cause, o.short),
            cause: Some(o.cause),
        });
    }
    for a in &session.attempts {
        for s in &a.scans {
            out.push(Step {
                change: format!("scan: {}", s.kind.label()),
                outcome: crate::sanitize::cap(&s.profile.verdict, 200),
                cause: None,
            });
        }
    }
    out
}

/// Connections made: one per address an attempt connected to (an attempt that stopped at
/// DNS, a null MX, made none), and each scan's.
fn connections(session: &Session) -> u32 {
    let attempts: u32 = session
        .attempts
        .iter()
        .map(|a: &Attempt| u32::try_from(a.tried.len()).unwrap_or(u32::MAX))
        .sum();
    let scans: u32 = session
        .attempts
        .iter()
        .flat_map(|a| a.scans.iter())
        .map(|s| s.profile.connections)
        .sum();
    attempts.saturating_add(scans)
}

#[cfg(test)]
mod tests;

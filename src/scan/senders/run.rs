//! Sending each profile's hello: one connection per profile, one at a time (a handful of
//! connections; a mail server that rate-limits should not see a burst), through the
//! scanner's SMTP dialogue and answer reader. A `421` is retried with the scan plan's
//! back-off; any other SMTP-side failure stops the run, since every profile would fail the
//! same way before its hello is even sent.

use std::net::IpAddr;
use std::time::Instant;

use super::SenderResult;
use super::build;
use super::profile::SenderProfile;
use crate::event::Failure;
use crate::net::resolve;
use crate::plan::Sni;
use crate::scan::answer::Answer;
use crate::scan::catalog::iana_suite;
use crate::scan::dialogue;
use crate::scan::{Profile, Progress, ScanPlan};
use crate::wire::names::{group_name, version_name};

/// Sends every profile's hello to the plan's first address; the result is a [`Profile`]
/// with `senders` filled (and no version scan), its verdict about the senders.
pub async fn run_senders(
    plan: &ScanPlan,
    profiles: &[SenderProfile],
    mut progress: impl FnMut(Progress),
) -> Profile {
    let started = Instant::now();
    let mut out = Profile::empty(&plan.plan);
    let total = u32::try_from(profiles.len()).unwrap_or(u32::MAX);
    match resolve::resolve(&plan.plan).await {
        Err(e) => out.stopped = Some(e.to_string()),
        Ok((_, cands)) => {
            if let Some(cand) = cands.into_iter().next() {
                out.address = Some(cand.addr);
                let sni = match &plan.plan.tls.sni {
                    Sni::Off => None,
                    Sni::Name(n) => Some(n.clone()),
                    Sni::Auto => cand.host.filter(|h| h.parse::<IpAddr>().is_err()),
                };
                for (i, p) in profiles.iter().enumerate() {
                    progress(Progress {
                        connections: out.connections,
                        steps_done: u32::try_from(i).unwrap_or(u32::MAX),
                        steps_total: total,
                        step: p.name.clone(),
                    });
                    let sni = sni.as_deref().filter(|_| p.sends_sni());
                    match send_one(plan, cand.addr, p, sni, &mut out.connections).await {
                        Ok(r) => out.senders.push(r),
                        Err(why) => {
                            out.stopped = Some(why);
                            break;
                        }
                    }
                }
            }
        }
    }
    progress(Progress {
        connections: out.connections,
        steps_done: total,
        steps_total: total,
        step: "done".into(),
    });
    out.verdict = verdict(&out.senders, out.stopped.as_deref());
    out.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    out
}

/// One profile's hello on a fresh connection; `Err` with words when the SMTP side failed.
async fn send_one(
    plan: &ScanPlan,
    addr: std::net::SocketAddr,
    p: &SenderProfile,
    sni: Option<&str>,
    connections: &mut u32,
) -> Result<SenderResult, String> {
    let bytes = build::hello(p, sni);
    let mut backoff = plan.backoff;
    for attempt in 0..=plan.retries_421 {
        *connections = connections.saturating_add(1);
        match dialogue::open(&plan.plan, addr).await {
            Ok(tcp) => {
                let answer = dialogue::exchange(tcp, &bytes, true, plan.plan.timeouts.reply).await;
                return Ok(judge(p, &answer, bytes.len()));
            }
            Err(Failure::BadReply { code: 421 }) if attempt < plan.retries_421 => {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
            }
            Err(f) => return Err(dialogue::describe(&f)),
        }
    }
    Err(dialogue::describe(&Failure::BadReply { code: 421 }))
}

/// What the answer means for this sender.
pub fn judge(p: &SenderProfile, answer: &Answer, hello_bytes: usize) -> SenderResult {
    let mut r = SenderResult {
        name: p.name.clone(),
        accepted: false,
        version: None,
        cipher_suite: None,
        group: None,
        answer: answer.describe(),
        hello_bytes,
    };
    if let Answer::Hello(c) = answer {
        r.version = Some(version_name(c.version));
        r.cipher_suite = Some(iana_suite(c.suite));
        r.group = c.group.map(group_name);
        let suite_ok = p.cipher_suites.contains(&c.suite);
        r.accepted = if c.retry {
            // The sender would send a second hello with a share for that group.
            suite_ok && c.group.is_some_and(|g| p.groups.contains(&g))
        } else {
            suite_ok && p.offers_version(c.version)
        };
        if !r.accepted {
            r.answer
                .push_str(" (not what this sender offered: it would abort)");
        }
    }
    r
}

/// One line over all senders: who gets through and who does not, and how they fail.
pub fn verdict(results: &[SenderResult], stopped: Option<&str>) -> String {
    if results.is_empty() {
        return match stopped {
            Some(why) => format!("no sender profile could be tried: {why}"),
            None => "no sender profile was tried".into(),
        };
    }
    let names = |accepted: bool| -> Vec<&str> {
        results
            .iter()
            .filter(|r| r.accepted == accepted)
            .map(|r| r.name.as_str())
            .collect()
    };
    let (yes, no) = (names(true), names(false));
    let refusals: Vec<String> = results
        .iter()
        .filter(|r| !r.accepted)
        .map(|r| format!("{}: {}", r.name, r.answer))
        .collect();
    let mut out = if no.is_empty() {
        format!("every sender profile gets through ({})", yes.join(", "))
    } else if yes.is_empty() {
        format!("no sender profile gets through ({})", refusals.join("; "))
    } else {
        format!(
            "{} get through; {} cannot ({})",
            yes.join(", "),
            no.join(", "),
            refusals.join("; ")
        )
    };
    if let Some(why) = stopped {
        out.push_str(&format!("; stopped early: {why}"));
    }
    out
}

//! Sending each profile's hello: one connection per profile, side by side within the scan
//! plan's manners (at most `max_connections` at once, `delay` apart), through the scanner's
//! SMTP dialogue and an answer reader that reads a TLS 1.2 flight to its end. A `421` is
//! retried with the scan plan's back-off; any other SMTP-side failure is the run's `stopped`
//! reason (every profile fails the same way before its hello is even sent).

use std::net::IpAddr;
use std::time::Instant;

use super::SenderResult;
use super::build;
pub use super::judge::judge;
use super::profile::SenderProfile;
use crate::event::Failure;
use crate::net::resolve;
use crate::plan::Sni;
use crate::scan::answer::AnswerReader;
use crate::scan::dialogue;
use crate::scan::{Profile, Progress, ScanPlan};

/// Sends every profile's hello to the plan's first address; the result is a [`Profile`]
/// with `senders` filled (and no version scan), its verdict about the senders. Profiles run
/// side by side, at most `max_connections` at once and `delay` apart (a slow banner costs
/// one wait, not one per profile; a rate-limiting server still sees no burst), and come back
/// in profile order.
pub async fn run_senders(
    plan: &ScanPlan,
    profiles: &[SenderProfile],
    mut progress: impl FnMut(Progress),
) -> Profile {
    use futures_util::StreamExt;
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
                let first = tokio::time::Instant::now();
                // Collected first: a lazy map of borrowing closures is not `Send` enough for
                // the engine's spawned scan task.
                let mut jobs = Vec::with_capacity(profiles.len());
                for (i, p) in profiles.iter().enumerate() {
                    let sni = sni.clone().filter(|_| p.sends_sni());
                    let gap = plan
                        .delay
                        .saturating_mul(u32::try_from(i).unwrap_or(u32::MAX));
                    let addr = cand.addr;
                    jobs.push(async move {
                        tokio::time::sleep_until(first + gap).await;
                        send_one(plan, addr, p, sni.as_deref()).await
                    });
                }
                let mut results =
                    futures_util::stream::iter(jobs).buffered(plan.max_connections.max(1));
                let mut done = 0u32;
                while let Some((connections, result)) = results.next().await {
                    out.connections = out.connections.saturating_add(connections);
                    done += 1;
                    match result {
                        Ok(r) => {
                            progress(Progress {
                                connections: out.connections,
                                steps_done: done,
                                steps_total: total,
                                step: r.name.clone(),
                            });
                            out.senders.push(r);
                        }
                        Err(why) => {
                            out.stopped.get_or_insert(why);
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

/// One profile's hello on a fresh connection: the connections made, and the result or, when
/// the SMTP side failed, why in words.
async fn send_one(
    plan: &ScanPlan,
    addr: std::net::SocketAddr,
    p: &SenderProfile,
    sni: Option<&str>,
) -> (u32, Result<SenderResult, String>) {
    let bytes = build::hello(p, sni);
    let mut backoff = plan.backoff;
    let mut connections = 0u32;
    for attempt in 0..=plan.retries_421 {
        connections += 1;
        match dialogue::open(&plan.plan, addr).await {
            Ok(tcp) => {
                let reader = AnswerReader::flight();
                let answer =
                    dialogue::exchange(tcp, &bytes, reader, plan.plan.timeouts.reply).await;
                return (connections, Ok(judge(p, &answer, bytes.len())));
            }
            Err(Failure::BadReply { code: 421 }) if attempt < plan.retries_421 => {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
            }
            Err(f) => return (connections, Err(dialogue::describe(&f))),
        }
    }
    (
        connections,
        Err(dialogue::describe(&Failure::BadReply { code: 421 })),
    )
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
        .map(|r| format!("{}: {}", r.name, r.blocked.as_deref().unwrap_or(&r.answer)))
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

//! Manners towards the server: at most `max_connections` probes at once (a semaphore), at
//! least `delay` between two connection starts, a bounded exponential back-off when the
//! server answers `421` (RFC 5321 §3.8: "service not available, closing channel" — what
//! rate-limiting MTAs send to bursts), and a stop switch: when the SMTP side fails (no
//! banner, no STARTTLS, refused), every probe would fail the same way, so the first such
//! failure ends the scan instead of costing one timeout per suite. Once the server has
//! answered a hello, a `421` that outlasts its retries ends only that probe's part (its row
//! is marked unfinished); the rest of the scan goes on.
//!
//! Every connection is counted; the count is in the profile and in each [`Progress`].

use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

use super::answer::Answer;
use super::dialogue;
use super::hello::{self, HelloSpec};
use super::{Progress, ScanPlan};
use crate::event::Failure;

/// Why a probe could not be made: the scan stops with this.
#[derive(Debug, Clone, PartialEq)]
pub struct Stopped(pub String);

/// Shared by all probes of one scan.
pub struct Ctx<'a> {
    pub plan: &'a ScanPlan,
    pub addr: SocketAddr,
    pub sni: Option<String>,
    slots: Semaphore,
    /// Set by the first `421`: from then on every probe takes all the slots, so the scan
    /// goes on one connection at a time, as a rate-limiting server asks.
    throttled: AtomicBool,
    /// Set by the first TLS answer: the SMTP side works, so a later stop is part-way.
    answered: AtomicBool,
    next_start: Mutex<Instant>,
    connections: AtomicU32,
    steps_done: AtomicU32,
    steps_total: AtomicU32,
    stopped: Mutex<Option<String>>,
    /// Held during the first probe, so nothing else connects before the SMTP side is proven.
    first: tokio::sync::Mutex<bool>,
    progress: mpsc::UnboundedSender<Progress>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        plan: &'a ScanPlan,
        addr: SocketAddr,
        sni: Option<String>,
        progress: mpsc::UnboundedSender<Progress>,
    ) -> Self {
        Ctx {
            plan,
            addr,
            sni,
            slots: Semaphore::new(plan.max_connections.max(1)),
            throttled: AtomicBool::new(false),
            answered: AtomicBool::new(false),
            next_start: Mutex::new(Instant::now()),
            connections: AtomicU32::new(0),
            steps_done: AtomicU32::new(0),
            steps_total: AtomicU32::new(0),
            stopped: Mutex::new(None),
            first: tokio::sync::Mutex::new(false),
            progress,
        }
    }

    pub fn connections(&self) -> u32 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Whether a `421` made the scan go on one connection at a time.
    pub fn throttled(&self) -> bool {
        self.throttled.load(Ordering::Relaxed)
    }

    /// Whether any probe got a TLS answer (the SMTP side was proven).
    pub fn answered(&self) -> bool {
        self.answered.load(Ordering::Relaxed)
    }

    /// The reason the scan stopped, if it did.
    pub fn stopped(&self) -> Option<String> {
        self.stopped.lock().ok().and_then(|s| s.clone())
    }

    fn stop(&self, why: String) -> Stopped {
        if let Ok(mut s) = self.stopped.lock() {
            s.get_or_insert(why.clone());
        }
        Stopped(why)
    }

    /// Announces `n` more units of work for the progress bar.
    pub fn plan_steps(&self, n: u32) {
        self.steps_total.fetch_add(n, Ordering::Relaxed);
        self.report("");
    }

    /// One unit of work finished.
    pub fn step_done(&self, what: &str) {
        self.steps_done.fetch_add(1, Ordering::Relaxed);
        self.report(what);
    }

    fn report(&self, what: &str) {
        let _ = self.progress.send(Progress {
            connections: self.connections(),
            steps_done: self.steps_done.load(Ordering::Relaxed),
            steps_total: self.steps_total.load(Ordering::Relaxed),
            step: what.to_owned(),
        });
    }

    /// One ClientHello on a fresh connection, politely; `Err` when the scan must stop.
    pub async fn probe(&self, spec: &HelloSpec, want_kx: bool) -> Result<Answer, Stopped> {
        let mut gate = self.first.lock().await;
        if *gate {
            drop(gate);
            return self.probe_now(spec, want_kx).await;
        }
        let result = self.probe_now(spec, want_kx).await;
        *gate = true;
        result
    }

    async fn probe_now(&self, spec: &HelloSpec, want_kx: bool) -> Result<Answer, Stopped> {
        let bytes = hello::build(spec);
        let plan = &self.plan.plan;
        let mut backoff = self.plan.backoff;
        for attempt in 0..=self.plan.retries_421 {
            if let Some(why) = self.stopped() {
                return Err(Stopped(why));
            }
            let slots = if self.throttled() {
                u32::try_from(self.plan.max_connections.max(1)).unwrap_or(1)
            } else {
                1
            };
            let permit = self
                .slots
                .acquire_many(slots)
                .await
                .map_err(|_| Stopped("closed".into()))?;
            self.wait_turn().await;
            self.connections.fetch_add(1, Ordering::Relaxed);
            self.report(spec.version.name());
            let result = dialogue::connection(plan, self.addr, &bytes, want_kx).await;
            drop(permit);
            match result {
                Ok(answer) => {
                    self.answered.store(true, Ordering::Relaxed);
                    return Ok(answer);
                }
                Err(Failure::BadReply { code: 421 }) if attempt < self.plan.retries_421 => {
                    self.throttled.store(true, Ordering::Relaxed);
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2);
                }
                Err(Failure::BadReply { code: 421 }) => break,
                Err(f) => return Err(self.stop(dialogue::describe(&f))),
            }
        }
        let why = dialogue::describe(&Failure::BadReply { code: 421 });
        if self.answered() {
            // The server has answered before: it refuses bursts, not us. This probe's part
            // ends unfinished; the rest of the scan goes on.
            return Err(Stopped(why));
        }
        Err(self.stop(why))
    }

    /// Sleeps until `delay` after the previous connection start.
    async fn wait_turn(&self) {
        let delay: Duration = self.plan.delay;
        if delay.is_zero() {
            return;
        }
        let start = match self.next_start.lock() {
            Ok(mut next) => {
                let start = (*next).max(Instant::now());
                *next = start + delay;
                start
            }
            Err(_) => Instant::now(),
        };
        tokio::time::sleep_until(start).await;
    }
}

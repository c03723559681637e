//! The probe engine: runs plans and reports what it sees as `ProbeEvent`s on a channel. It
//! never prints and never knows who listens; the handle lets a front end start, cancel and
//! step attempts.

pub mod attempt;
pub mod policy;
pub mod scans;
// The network edge, shared with the scanner; named here too, where the engine's parts are.
pub use crate::net::{resolve, smtp};
pub mod secrets;
pub mod tap;
pub mod tls;
pub mod tls_failure;
pub mod verify;

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc, oneshot};

use crate::event::{EventKind, Failure, Phase, ProbeEvent};
use crate::plan::Plan;

pub type EventSender = mpsc::UnboundedSender<ProbeEvent>;
pub type EventReceiver = mpsc::UnboundedReceiver<ProbeEvent>;

const PHASES: [Phase; 9] = [
    Phase::Resolve,
    Phase::Connect,
    Phase::Banner,
    Phase::Ehlo,
    Phase::Starttls,
    Phase::TlsHandshake,
    Phase::Certificate,
    Phase::PostTls,
    Phase::Done,
];

/// Stamps events with the attempt id and the time since the attempt started, not counting
/// the time the user kept it paused in step mode: timings are the server's, not ours.
#[derive(Clone)]
pub struct Emitter {
    attempt: u32,
    start: Instant,
    tx: EventSender,
    phase: Arc<AtomicU8>,
    paused: Arc<Mutex<PauseClock>>,
    /// The attempt's TLS secrets (memory only; see `secrets`).
    secrets: secrets::Secrets,
}

/// Time spent paused so far, and since when the current pause runs.
#[derive(Default)]
struct PauseClock {
    total: Duration,
    since: Option<Instant>,
}

impl std::fmt::Debug for Emitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Emitter(attempt {})", self.attempt)
    }
}

impl Emitter {
    pub fn new(attempt: u32, tx: EventSender) -> Emitter {
        Emitter {
            attempt,
            start: Instant::now(),
            tx,
            phase: Arc::new(AtomicU8::new(0)),
            paused: Arc::new(Mutex::new(PauseClock::default())),
            secrets: secrets::Secrets::new(),
        }
    }

    /// Where the attempt's TLS secrets are kept (never in an event).
    pub fn secrets(&self) -> &secrets::Secrets {
        &self.secrets
    }

    fn pause_clock<T>(&self, f: impl FnOnce(&mut PauseClock) -> T) -> T {
        let mut guard = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// The attempt's own time: since it started, minus every pause (frozen during one).
    pub fn elapsed(&self) -> Duration {
        let wall = self.start.elapsed();
        let paused =
            self.pause_clock(|p| p.total + p.since.map(|s| s.elapsed()).unwrap_or_default());
        wall.saturating_sub(paused)
    }

    /// [`Emitter::elapsed`] in microseconds, as events carry it.
    pub fn now_us(&self) -> u64 {
        u64::try_from(self.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn pause_begin(&self) {
        self.pause_clock(|p| {
            p.since.get_or_insert_with(Instant::now);
        });
    }

    fn pause_end(&self) {
        self.pause_clock(|p| {
            if let Some(since) = p.since.take() {
                p.total += since.elapsed();
            }
        });
    }

    pub fn emit(&self, kind: EventKind) {
        if let EventKind::PhaseStarted { phase } = &kind {
            let idx = PHASES.iter().position(|p| p == phase).unwrap_or(0);
            self.phase.store(idx as u8, Ordering::Relaxed);
        }
        let at_us = self.now_us();
        // A closed receiver means nobody listens any more; the attempt just runs out.
        let _ = self.tx.send(ProbeEvent {
            attempt: self.attempt,
            at_us,
            kind,
        });
    }

    pub fn phase(&self) -> Phase {
        PHASES[usize::from(self.phase.load(Ordering::Relaxed)).min(PHASES.len() - 1)]
    }

    pub fn start_phase(&self, phase: Phase) {
        self.emit(EventKind::PhaseStarted { phase });
    }
}

/// Step mode: when enabled the attempt pauses before each SMTP command and TLS flight.
#[derive(Default)]
pub struct Stepper {
    enabled: AtomicBool,
    go: Notify,
}

impl Stepper {
    /// Wait for a `step` if step mode is on. The waiter registers before `Paused` is
    /// reported, so a step sent in reaction to it cannot be missed; steps sent while nothing
    /// waits are dropped rather than saved for the next pause.
    ///
    /// The pause is the user's time, not the server's: the attempt's clock stops. With
    /// `watch`, the plain TCP socket under the tap is watched meanwhile, so a FIN or RST that
    /// arrives during the pause is reported when it arrived, not when we next read.
    pub async fn gate(&self, before: &str, emitter: &Emitter, watch: Option<&tap::Tap>) {
        self.gate_showing(before, emitter, watch, || None).await;
    }

    /// [`Stepper::gate`], reporting first what `preview` makes of the step about to be taken
    /// (the ClientHello rustls prepared): only in step mode, where someone looks at it.
    pub async fn gate_showing(
        &self,
        before: &str,
        emitter: &Emitter,
        watch: Option<&tap::Tap>,
        preview: impl FnOnce() -> Option<EventKind>,
    ) {
        if !self.enabled.load(Ordering::Relaxed) {
            return;
        }
        if let Some(kind) = preview() {
            emitter.emit(kind);
        }
        let notified = self.go.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        emitter.emit(EventKind::Paused {
            before: before.to_string(),
        });
        emitter.pause_begin();
        if let Some(tap) = watch {
            let mut probe = [0u8; 1];
            tokio::select! {
                _ = notified.as_mut() => {}
                // peek leaves any data for the dialogue; 0 bytes is the server's FIN.
                arrived = tap.get_ref().peek(&mut probe) => {
                    report_arrival(arrived, emitter, tap.ending());
                    notified.as_mut().await;
                }
            }
        } else {
            notified.await;
        }
        emitter.pause_end();
    }
}

/// Something arrived during a pause: a FIN or RST is reported now through the tap's
/// [`tap::Ending`] (on the stopped clock, i.e. when it arrived in the attempt's time); data
/// stays unread for the dialogue.
fn report_arrival(arrived: std::io::Result<usize>, emitter: &Emitter, ending: &tap::Ending) {
    match arrived {
        Ok(n) if n > 0 => emitter.emit(EventKind::Note {
            text: "the server sent something while we were paused (read at the next step)".into(),
        }),
        got => ending.after_read(got.as_ref().map(|n| *n)),
    }
}

/// Dropping it stops the task it belongs to (the task reports how it ended).
struct Running {
    cancel: oneshot::Sender<()>,
}

/// The front end's grip on the engine: it starts, steps and cancels what a front end or a
/// run asks for and names each attempt and scan; it keeps no `Session` and decides nothing.
pub struct EngineHandle {
    tx: EventSender,
    next_attempt: u32,
    /// The attempts started and not known to have ended.
    running: Vec<(u32, Running)>,
    next_scan: u32,
    scanning: Option<Running>,
    stepper: Arc<Stepper>,
    /// The TLS secrets of the latest attempts, for a pcapng export (memory only).
    vault: std::collections::VecDeque<(u32, secrets::Secrets)>,
}

/// How many attempts' secrets the handle keeps for exports.
const VAULT: usize = 64;

impl EngineHandle {
    /// A handle whose attempts report on `tx`.
    pub fn new(tx: EventSender) -> EngineHandle {
        EngineHandle {
            tx,
            next_attempt: 1,
            running: Vec::new(),
            next_scan: 1,
            scanning: None,
            stepper: Arc::new(Stepper::default()),
            vault: Default::default(),
        }
    }

    /// Number the next attempts after `attempt` (a replay that goes live: a new attempt must
    /// never reuse a recorded one's id, or its events would fold into it).
    pub fn continue_after(&mut self, attempt: u32) {
        self.next_attempt = self.next_attempt.max(attempt.saturating_add(1));
    }

    /// The NSS key log of attempt `id` (one of the latest started here), for a pcapng's
    /// Decryption Secrets Block; `None` when there is none.
    pub fn key_log(&self, id: u32) -> Option<String> {
        self.vault
            .iter()
            .find(|(a, _)| *a == id)
            .map(|(_, s)| s.key_log())
            .filter(|k| !k.is_empty())
    }

    /// Start an attempt with `plan`, cancelling every attempt still running (interactive
    /// use: the new attempt replaces the old). Returns its id.
    pub fn start(&mut self, plan: Plan) -> u32 {
        self.cancel();
        self.launch(plan)
    }

    /// Start an attempt with `plan` beside those running (a sweep runs several at once).
    /// Returns its id, which its events carry.
    pub fn launch(&mut self, plan: Plan) -> u32 {
        // An attempt whose task ended dropped its end of the channel.
        self.running.retain(|(_, r)| !r.cancel.is_closed());
        let id = self.next_attempt;
        self.next_attempt += 1;
        let (cancel_tx, cancel_rx) = oneshot::channel();
        let emitter = Emitter::new(id, self.tx.clone());
        if self.vault.len() == VAULT {
            self.vault.pop_front();
        }
        self.vault.push_back((id, emitter.secrets().clone()));
        let stepper = self.stepper.clone();
        tokio::spawn(async move {
            let run_emitter = emitter.clone();
            tokio::select! {
                _ = attempt::run(plan, run_emitter, stepper) => {}
                _ = cancel_rx => {
                    emitter.emit(EventKind::AttemptFinished {
                        failure: Some(Failure::Cancelled),
                        phase: emitter.phase(),
                    });
                }
            }
        });
        self.running.push((id, Running { cancel: cancel_tx }));
        id
    }

    /// Cancel every running attempt (each reports `Cancelled`).
    pub fn cancel(&mut self) {
        self.running.clear();
    }

    /// Cancel every running attempt and the running scan.
    pub fn cancel_all(&mut self) {
        self.cancel();
        self.cancel_scan();
    }

    /// Start a server-profile scan for an attempt, cancelling any scan still running (one at a
    /// time: a mail server rate-limits bursts). Returns the scan's number, which its events
    /// carry.
    pub fn scan(&mut self, req: crate::runs::ScanRequest) -> u32 {
        self.cancel_scan();
        let scan = self.next_scan;
        self.next_scan += 1;
        let (cancel_tx, cancel_rx) = oneshot::channel();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = scans::run(scan, &req, &tx) => {}
                // Dropping the scan's future closes its connections.
                _ = cancel_rx => scans::emit(&tx, &req, EventKind::ScanCancelled { scan }),
            }
        });
        self.scanning = Some(Running { cancel: cancel_tx });
        scan
    }

    /// Stop the running scan, if any (it reports `ScanCancelled`).
    pub fn cancel_scan(&mut self) {
        self.scanning = None;
    }

    /// Turn step mode on or off; turning it off releases a paused attempt.
    pub fn set_step_mode(&self, on: bool) {
        self.stepper.enabled.store(on, Ordering::Relaxed);
        if !on {
            self.stepper.go.notify_waiters();
        }
    }

    pub fn step_mode(&self) -> bool {
        self.stepper.enabled.load(Ordering::Relaxed)
    }

    /// Let a paused attempt take its next step.
    pub fn step(&self) {
        self.stepper.go.notify_waiters();
    }
}

/// Run one plan to the end and return its events (a helper for tests and benchmarks; front
/// ends go through the `EngineHandle`).
pub async fn probe(plan: Plan) -> Vec<ProbeEvent> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let emitter = Emitter::new(1, tx);
    attempt::run(plan, emitter, Arc::new(Stepper::default())).await;
    let mut events = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        events.push(ev);
    }
    events
}

//! The CLI's driver: it owns the engine handle, its event channel, the session and the
//! clock, and runs any run (repeat, sweep, investigation, a single probe) to its end —
//! carrying the run's orders out, telling it the ids the engine gave, folding every event
//! into the session and waking the run when it asked to be.

use std::future::Future;
use std::ops::ControlFlow;
use std::time::Duration;

use tokio::time::Instant;

use crate::engine::{EngineHandle, EventReceiver};
use crate::event::{EventKind, ProbeEvent};
use crate::runs::{Job, Keep, Run};
use crate::session::{Attempt, Session};

pub mod triage;

/// What the driver shows its watcher.
pub enum Seen<'a> {
    /// An event, before it is folded in (a recording writes it as it happens).
    Event(&'a ProbeEvent),
    /// An attempt that just ended, as the session keeps it.
    Finished(&'a Attempt),
}

/// How a drive ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// The run is over and everything it started has ended.
    Done,
    /// The stop future fired first (a signal, its number).
    Stopped(i32),
    /// The watcher asked to stop.
    Halted,
}

/// What one step started (the orders' keys) and what the run said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub started: Vec<u32>,
    pub wake: Option<Duration>,
    pub done: bool,
}

/// One engine, one channel, one session, one clock.
pub struct Driver {
    engine: EngineHandle,
    rx: EventReceiver,
    pub session: Session,
    epoch: Instant,
}

impl Default for Driver {
    fn default() -> Self {
        Driver::new()
    }
}

impl Driver {
    pub fn new() -> Driver {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        Driver {
            engine: EngineHandle::new(tx),
            rx,
            session: Session::new(),
            epoch: Instant::now(),
        }
    }

    /// The engine (it holds the attempts' TLS secrets, for a pcapng).
    pub fn engine(&self) -> &EngineHandle {
        &self.engine
    }

    /// Start scan `req` on the engine (outside any run: `triage --tlsrpt` sends a sender
    /// profile's hello after a sweep); its events come through [`Driver::events`].
    pub fn scan(&mut self, req: crate::runs::ScanRequest) -> u32 {
        self.engine.scan(req)
    }

    /// Stop the running scan (it reports `ScanCancelled` if its task still runs).
    pub fn cancel_scan(&mut self) {
        self.engine.cancel_scan();
    }

    /// The engine, kept after the drive (dropping it cancels what still runs).
    pub fn into_engine(self) -> EngineHandle {
        self.engine
    }

    /// Time since the driver began: the clock of [`Driver::events`]' `wake`.
    pub fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    /// Run `run` to its end, or until `stop` fires or `watch` breaks.
    pub async fn drive(
        &mut self,
        run: &mut Run,
        stop: impl Future<Output = i32>,
        mut watch: impl FnMut(Seen<'_>) -> ControlFlow<()>,
    ) -> Finish {
        tokio::pin!(stop);
        loop {
            let step = self.step(run);
            if step.done {
                return Finish::Done;
            }
            tokio::select! {
                flow = self.events(run, step.wake, &mut watch) => if flow.is_break() {
                    return Finish::Halted;
                },
                n = &mut stop => return Finish::Stopped(n),
            }
        }
    }

    /// Ask `run` what to start now and start it, telling it each id.
    pub fn step(&mut self, run: &mut Run) -> Step {
        let next = run.poll(&self.session, self.now());
        let mut started = Vec::new();
        for order in next.orders {
            let id = match order.job {
                Job::Attempt(plan) => self.engine.launch(*plan),
                Job::Scan(req) => self.engine.scan(*req),
            };
            run.started(order.key, id);
            started.push(order.key);
        }
        Step {
            started,
            wake: next.wake,
            done: next.done,
        }
    }

    /// Wait for the next events (or `wake`, the run's clock) and fold them in, a batch at
    /// once: the run judges the session once per batch, not per event.
    pub async fn events(
        &mut self,
        run: &mut Run,
        wake: Option<Duration>,
        watch: &mut impl FnMut(Seen<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let wake = wake.map(|w| self.epoch + w);
        let mut ev = tokio::select! {
            ev = self.rx.recv() => ev,
            _ = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => None,
        };
        while let Some(e) = ev {
            self.fold(run, &e, watch)?;
            ev = self.rx.try_recv().ok();
        }
        ControlFlow::Continue(())
    }

    fn fold(
        &mut self,
        run: &mut Run,
        ev: &ProbeEvent,
        watch: &mut impl FnMut(Seen<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        watch(Seen::Event(ev))?;
        self.session.apply(ev);
        if !matches!(ev.kind, EventKind::AttemptFinished { .. }) {
            return ControlFlow::Continue(());
        }
        let Some(i) = self
            .session
            .attempts
            .iter()
            .rposition(|a| a.id == ev.attempt)
        else {
            return ControlFlow::Continue(());
        };
        // The run may keep a slimmer copy (built by folding its kept events) in its place,
        // or nothing once it took what it needed.
        match run.keep(&self.session.attempts[i]) {
            Keep::All => {}
            Keep::Slim(kept) => {
                let mut slim = Session::new();
                for e in &kept {
                    slim.apply(e);
                }
                if let Some(a) = slim.attempts.pop() {
                    self.session.attempts[i] = a;
                }
            }
            Keep::Drop => {
                let a = self.session.attempts.remove(i);
                return watch(Seen::Finished(&a));
            }
        }
        watch(Seen::Finished(&self.session.attempts[i]))
    }
}

/// Nothing stops the drive but its end.
pub fn never() -> std::future::Pending<i32> {
    std::future::pending()
}

/// Run `run` on a fresh driver to its end and return the session (tests, simple commands).
pub async fn to_end(mut run: Run) -> Session {
    let mut driver = Driver::new();
    driver
        .drive(&mut run, never(), |_| ControlFlow::Continue(()))
        .await;
    driver.session
}

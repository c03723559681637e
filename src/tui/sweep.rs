//! `F` in the TUI: the `probe DOMAIN --all` sweep. Every MX × address pair of the domain
//! attempt on screen becomes a normal attempt in the session, pinned with `PlanEdit::Pin`,
//! one after another (never two connections at once); the rows are `sweep::rows_among`.

use std::collections::VecDeque;

use super::app::App;
use super::verbs::Effect;
use crate::plan::{PlanEdit, Target};
use crate::session::{Attempt, Session};
use crate::sweep::{Pair, pairs};

pub use super::runs::Sweep;

/// The domain attempt a sweep starts from: the one on screen, resolved, not pinned.
fn head<'s>(app: &App, session: &'s Session) -> Result<(&'s Attempt, String), &'static str> {
    let a = app.attempt(session).ok_or("no attempt yet")?;
    let domain = match a.plan.as_ref().map(|p| (&p.target, p.address)) {
        Some((Target::Domain(d), None)) => d.clone(),
        _ => {
            return Err(
                "F sweeps a mail domain's MX hosts: show an attempt of a domain target, not pinned",
            );
        }
    };
    if a.resolution.mx.is_none() && a.resolution.implicit_mx.is_none() {
        return Err("this attempt resolved no MX host or address to sweep");
    }
    Ok((a, domain))
}

/// Begin the sweep of the domain attempt on screen.
pub fn start(app: &mut App, session: &Session) -> Option<Effect> {
    let refuse = |app: &mut App, why: &str| {
        app.status = why.to_string();
        None
    };
    if app.read_only {
        return refuse(app, "read-only: this is a recording (no new attempts)");
    }
    if app.sweep.as_ref().is_some_and(|s| s.running) {
        return refuse(app, "a sweep is running (Esc stops it)");
    }
    if app.investigation.is_some() {
        return refuse(app, "an investigation is running: stop it first (Esc)");
    }
    if app.repeat.as_ref().is_some_and(|r| r.active()) {
        return refuse(app, "a repeat is running: stop it first (Esc)");
    }
    if app.scanning.is_some() || session.attempts.iter().any(|a| a.is_running()) {
        return refuse(
            app,
            "wait for the attempt or scan to finish (Esc cancels it)",
        );
    }
    let (a, domain) = match head(app, session) {
        Ok(h) => h,
        Err(why) => return refuse(app, why),
    };
    let port = a.plan.as_ref().map_or(25, |p| p.port);
    let all = pairs(a, port);
    let total = all.len();
    let queue: VecDeque<Pair> = all
        .into_iter()
        .filter(|(_, todo)| *todo)
        .map(|(p, _)| p)
        .collect();
    app.sweep = Some(Sweep {
        domain,
        head: a.id,
        queue,
        ids: Vec::new(),
        total,
        awaiting: None,
        running: true,
    });
    next(app, session)
}

/// The next pair, once the last attempt is over; ends the sweep when none is left.
pub fn next(app: &mut App, session: &Session) -> Option<Effect> {
    let sweep = app.sweep.as_mut().filter(|s| s.running)?;
    if app.scanning.is_some() || session.attempts.iter().any(|a| a.is_running()) {
        return None;
    }
    if let Some(n) = sweep.awaiting {
        let Some(ours) = session.attempts.get(n - 1) else {
            return None; // the attempt we asked for has not begun yet
        };
        sweep.ids.push(ours.id);
        sweep.awaiting = None;
    }
    let plan = session.attempt(sweep.head).and_then(|a| a.plan.clone());
    while let Some(pair) = sweep.queue.pop_front() {
        let edit = PlanEdit::Pin(Some((pair.addr, Some(pair.host.clone()))));
        // A pair whose pinned plan does not check is left out; its row is then missing.
        let Some(pinned) = plan.as_ref().and_then(|p| edit.apply(p).ok()) else {
            continue;
        };
        sweep.awaiting = Some(session.attempts.len() + 1);
        let done = sweep.total - sweep.queue.len();
        app.status = format!(
            "sweep of {}: pair {done} of {}, {} {} (Esc stops)",
            sweep.domain, sweep.total, pair.host, pair.addr
        );
        app.show_attempt(None);
        return Some(Effect::Start(Box::new(pinned)));
    }
    sweep.running = false;
    app.status = done_words(sweep, session);
    None
}

/// Esc: no further pair starts; the running attempt is cancelled.
pub fn stop(app: &mut App, session: &Session) -> Option<Effect> {
    let sweep = app.sweep.as_mut()?;
    let started = sweep.total - sweep.queue.len();
    // The attempt already asked for is a row too, cancelled or not.
    if let Some(ours) = sweep
        .awaiting
        .take()
        .and_then(|n| session.attempts.get(n - 1))
    {
        sweep.ids.push(ours.id);
    }
    sweep.running = false;
    sweep.queue.clear();
    app.status = format!(
        "sweep of {} stopped: {started} of {} pairs started",
        sweep.domain, sweep.total
    );
    session
        .attempts
        .iter()
        .any(|a| a.is_running())
        .then_some(Effect::Cancel)
}

/// An attempt started by hand ends the sweep: it would not be one of its pairs.
pub fn replaced(app: &mut App) {
    if let Some(s) = app.sweep.as_mut().filter(|s| s.running) {
        s.running = false;
        s.queue.clear();
    }
}

fn done_words(sweep: &Sweep, session: &Session) -> String {
    let rows = sweep.rows(session);
    let failing: Vec<String> = rows
        .iter()
        .filter(|r| !(r.ok && r.cause == crate::diagnose::Cause::Ok))
        .map(|r| format!("{} {}", r.address, r.cause))
        .collect();
    let pairs = crate::units::plural(rows.len() as u64, "pair");
    if failing.is_empty() {
        format!(
            "sweep of {} done: {pairs}, every one ok (D shows the table)",
            sweep.domain
        )
    } else {
        format!(
            "sweep of {} done: {pairs}, {} failing: {} (D shows the table)",
            sweep.domain,
            failing.len(),
            failing.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, MxHost, ProbeEvent};
    use crate::plan::Plan;

    fn session(target: Target) -> Session {
        let ev = |kind| ProbeEvent {
            attempt: 1,
            at_us: 0,
            kind,
        };
        let mx = |preference: u16, exchange: &str, ips: &[&str]| MxHost {
            preference,
            exchange: exchange.into(),
            addresses: ips.iter().map(|ip| ip.parse().unwrap()).collect(),
            error: None,
        };
        let mut s = Session::new();
        for kind in [
            EventKind::AttemptStarted {
                plan: Box::new(Plan::new(target)),
            },
            EventKind::MxResolved {
                domain: "example.net".into(),
                hosts: vec![
                    mx(10, "mx1.example.net", &["192.0.2.1", "2001:db8::1"]),
                    mx(20, "mx2.example.net", &["192.0.2.2"]),
                ],
            },
            EventKind::ConnectStarted {
                peer: "192.0.2.1:25".parse().unwrap(),
                host: Some("mx1.example.net".into()),
            },
            EventKind::AttemptFinished {
                failure: None,
                phase: crate::event::Phase::Done,
            },
        ] {
            s.apply(&ev(kind));
        }
        s
    }

    fn pinned(e: Option<Effect>) -> (std::net::SocketAddr, Option<String>) {
        match e {
            Some(Effect::Start(p)) => (p.address.unwrap(), p.address_host),
            other => panic!("expected a pinned attempt, got {other:?}"),
        }
    }

    #[test]
    fn the_pairs_after_the_first_start_one_at_a_time_and_esc_stops() {
        let mut s = session(Target::Domain("example.net".into()));
        let mut app = App::new();
        let first = pinned(start(&mut app, &s));
        assert_eq!(
            first,
            (
                "[2001:db8::1]:25".parse().unwrap(),
                Some("mx1.example.net".into())
            )
        );
        assert_eq!(app.sweep.as_ref().unwrap().total, 3);
        assert!(app.status.contains("pair 2 of 3"), "{}", app.status);
        // Nothing more until the attempt asked for has begun and ended.
        assert_eq!(next(&mut app, &s), None);
        s.apply(&ProbeEvent {
            attempt: 2,
            at_us: 0,
            kind: EventKind::AttemptStarted {
                plan: Box::new(Plan::new(Target::Domain("example.net".into()))),
            },
        });
        assert_eq!(next(&mut app, &s), None, "attempt 2 is running");
        assert_eq!(stop(&mut app, &s), Some(Effect::Cancel));
        let sweep = app.sweep.as_ref().unwrap();
        assert!(!sweep.running && sweep.queue.is_empty());
        assert_eq!(
            app.status,
            "sweep of example.net stopped: 2 of 3 pairs started"
        );
        assert_eq!(sweep.ids, [2]);
    }

    #[test]
    fn a_host_target_or_a_recording_is_refused_saying_why() {
        let s = session(Target::Host("mx1.example.net".into()));
        let mut app = App::new();
        assert_eq!(start(&mut app, &s), None);
        assert!(app.status.contains("domain target"), "{}", app.status);
        let s = session(Target::Domain("example.net".into()));
        app.read_only = true;
        assert_eq!(start(&mut app, &s), None);
        assert!(app.status.starts_with("read-only"), "{}", app.status);
        assert!(app.sweep.is_none());
    }
}

//! Case conclusions from sessions built out of attempts (events) and scans.

use super::*;
use crate::diagnose::Retry;
use crate::event::{ConnectionEnd, EventKind, Failure, Phase, ProbeEvent};
use crate::plan::{Plan, Target, TlsVersion};
use crate::wire::{ClientHelloInfo, Dir, MessageInfo, RecordInfo};

fn hello(size: usize, pq: bool) -> EventKind {
    let share = if pq { "X25519MLKEM768" } else { "X25519" };
    EventKind::TlsRecord {
        dir: Dir::Client,
        record: RecordInfo {
            content_type: "handshake".into(),
            version: "TLSv1.0".into(),
            length: size - 5,
            encrypted: false,
            messages: vec![MessageInfo::ClientHello(ClientHelloInfo {
                legacy_version: "TLSv1.2".into(),
                versions: vec!["TLSv1.3".into(), "TLSv1.2".into()],
                cipher_suites: vec!["TLS13_AES_128_GCM_SHA256".into()],
                groups: vec![share.into()],
                key_shares: vec![(share.into(), if pq { 1216 } else { 32 })],
                sni: None,
                alpn: vec![],
                signature_algorithms: vec![],
                extensions: vec![],
                size,
            })],
            decrypted: None,
            repeated: 0,
        },
    }
}

fn attempt(session: &mut Session, id: u32, plan: Plan, kinds: Vec<EventKind>) {
    let mut all = vec![EventKind::AttemptStarted {
        plan: Box::new(plan),
    }];
    all.extend(kinds);
    for (i, kind) in all.into_iter().enumerate() {
        session.apply(&ProbeEvent {
            attempt: id,
            at_us: i as u64 * 100,
            kind,
        });
    }
}

fn dropped(size: usize, pq: bool) -> Vec<EventKind> {
    vec![
        EventKind::PhaseStarted {
            phase: Phase::TlsHandshake,
        },
        hello(size, pq),
        EventKind::ConnectionEnded {
            how: ConnectionEnd::Fin,
        },
        EventKind::AttemptFinished {
            failure: Some(Failure::PeerClosed),
            phase: Phase::TlsHandshake,
        },
    ]
}

/// A small hello answered and the handshake done.
fn served(size: usize) -> Vec<EventKind> {
    let mut ok = vec![
        EventKind::PhaseStarted {
            phase: Phase::TlsHandshake,
        },
        hello(size, false),
        EventKind::TlsRecord {
            dir: Dir::Server,
            record: RecordInfo {
                content_type: "handshake".into(),
                version: "TLSv1.2".into(),
                length: 90,
                encrypted: false,
                messages: vec![],
                decrypted: None,
                repeated: 0,
            },
        },
    ];
    ok.push(EventKind::TlsEstablished {
        negotiated: crate::event::Negotiated {
            version: "TLSv1.3".into(),
            cipher_suite: "TLS13_AES_256_GCM_SHA384".into(),
            group: Some("X25519".into()),
            handshake_kind: "full".into(),
            alpn: None,
        },
    });
    ok.push(EventKind::AttemptFinished {
        failure: None,
        phase: Phase::Done,
    });
    ok
}

fn base() -> Plan {
    Plan::new(Target::Host("mx.example.net".into()))
}

#[test]
fn one_dropped_hello_is_only_what_the_attempt_says() {
    let mut s = Session::new();
    attempt(&mut s, 1, base(), dropped(1439, true));
    let c = Case::of(&s).unwrap();
    assert_eq!(c.cause, Cause::PeerClosedDuringHandshake);
    assert!(!c.confirmed);
    assert_eq!(
        next_experiment(&s),
        Some(experiment::Experiment::Attempt(Retry::WithoutPostQuantum))
    );
}

#[test]
fn every_variant_dropped_is_the_server_and_the_steps_say_so() {
    let mut s = Session::new();
    let p1 = base();
    let p2 = Retry::WithoutPostQuantum.apply(&p1).unwrap();
    let p3 = Retry::Tls12Only.apply(&p2).unwrap();
    attempt(&mut s, 1, p1, dropped(1439, true));
    attempt(&mut s, 2, p2, dropped(250, false));
    attempt(&mut s, 3, p3.clone(), dropped(230, false));
    let c = Case::of(&s).unwrap();
    assert_eq!(c.cause, Cause::ServerDropsEveryHello);
    assert!(!c.confirmed, "no scan yet");
    assert_eq!(c.steps[1].change, "without the post-quantum key share");
    assert_eq!(
        c.steps[2].change,
        "TLS 1.2 only, without the post-quantum key share"
    );
    assert!(
        c.steps[2]
            .outcome
            .contains("FIN after the 230-byte ClientHello"),
        "{:?}",
        c.steps
    );
    // The versions already tried are never suggested again.
    for step in &c.next_steps {
        if let Some(r) = &step.retry {
            let p = r.apply(&p3);
            assert!(
                p.is_none() || !s.attempts.iter().any(|a| a.plan == p),
                "{step:?} was already tried"
            );
        }
    }
    assert_eq!(
        next_experiment(&s),
        Some(experiment::Experiment::ScanVersions)
    );
}

#[test]
fn a_large_hello_dropped_and_a_small_one_served_is_hello_size_intolerance() {
    let mut s = Session::new();
    let p1 = base();
    let p2 = Retry::WithoutPostQuantum.apply(&p1).unwrap();
    attempt(&mut s, 1, p1, dropped(1439, true));
    let ok = served(250);
    attempt(&mut s, 2, p2, ok);
    let c = Case::of(&s).unwrap();
    assert_eq!(c.cause, Cause::HelloSizeIntolerant, "{}", c.summary);
    assert!(c.confirmed);
    assert!(
        c.summary.contains("1,439-byte ClientHello"),
        "{}",
        c.summary
    );
    assert_eq!(next_experiment(&s), None);
    assert!(c.next_steps.iter().all(|s| s.retry.is_none()));
}

#[test]
fn the_same_failure_twice_with_the_same_plan_is_confirmed() {
    let mut s = Session::new();
    let mut p = base();
    p.tls.versions = vec![TlsVersion::Tls12];
    attempt(&mut s, 1, p.clone(), dropped(230, false));
    assert!(!Case::of(&s).unwrap().confirmed);
    attempt(&mut s, 2, p, dropped(230, false));
    assert!(Case::of(&s).unwrap().confirmed);
}

fn scanned(session: &mut Session, id: u32, rows: Vec<crate::profile::VersionResult>) {
    let mut profile = crate::profile::Profile::empty(&base());
    profile.versions = rows;
    session.apply(&ProbeEvent {
        attempt: id,
        at_us: 10_000,
        kind: EventKind::ScanFinished {
            scan: 1,
            kind: crate::profile::kind::ScanKind::Versions,
            profile: Box::new(profile),
        },
    });
}

/// A drop is judged from the stored kind of answer, not from the answer's words: rows whose
/// words are unusual but whose answer was a reset still make every hello dropped.
#[test]
fn scan_drops_are_judged_by_the_typed_answer() {
    use crate::profile::{Ending, VersionResult};
    use crate::scan::ScanVersion;
    let mut s = Session::new();
    let p1 = base();
    let p2 = Retry::WithoutPostQuantum.apply(&p1).unwrap();
    attempt(&mut s, 1, p1, dropped(1439, true));
    attempt(&mut s, 2, p2, dropped(250, false));
    let rows = ScanVersion::ALL
        .into_iter()
        .map(|v| VersionResult::refused(v, "connection reset by peer", Ending::Reset))
        .collect();
    scanned(&mut s, 2, rows);
    let c = Case::of(&s).unwrap();
    assert_eq!(c.cause, Cause::ServerDropsEveryHello, "{}", c.summary);
    // The same rows refused with alerts are refusals, whatever the words.
    let mut s = Session::new();
    attempt(&mut s, 1, base(), dropped(1439, true));
    let rows = ScanVersion::ALL
        .into_iter()
        .map(|v| VersionResult::refused(v, "RST-like words", Ending::Alert))
        .collect();
    scanned(&mut s, 1, rows);
    let c = Case::of(&s).unwrap();
    assert_eq!(c.cause, Cause::ServerRefusesEveryVersion, "{}", c.summary);
}

/// Profiles recorded before `ending` existed are read back from their words, in one place.
#[test]
fn old_scan_rows_are_read_back_from_their_words() {
    use crate::profile::{Ending, VersionResult};
    let mut row = VersionResult::refused(crate::scan::ScanVersion::Tls12, "FIN", Ending::Closed);
    row.ending = None;
    assert_eq!(row.answer_ending(), Ending::Closed);
    row.answer = "alert handshake_failure".into();
    assert_eq!(row.answer_ending(), Ending::Alert);
}

/// The summary comes in parts: the attempt's own words and what the case adds, so a front
/// end never has to cut one string off the front of another.
#[test]
fn the_summary_keeps_the_attempts_words_apart_from_the_cases() {
    let mut s = Session::new();
    attempt(&mut s, 1, base(), dropped(1439, true));
    let c = Case::of(&s).unwrap();
    let own = diagnose::diagnose(&s.attempts[0]).summary;
    assert_eq!(c.words.attempt.as_deref(), Some(own.as_str()));
    assert_eq!(c.words.added, None);
    assert_eq!(c.summary, own);
    let p2 = Retry::WithoutPostQuantum.apply(&base()).unwrap();
    let p3 = Retry::Tls12Only.apply(&p2).unwrap();
    attempt(&mut s, 2, p2, dropped(250, false));
    attempt(&mut s, 3, p3, dropped(230, false));
    let c = Case::of(&s).unwrap();
    assert_eq!(c.words.attempt, None);
    assert_eq!(c.words.added.as_deref(), Some(c.summary.as_str()));
}

/// One change to a session.
type Change = dyn Fn(&mut Session);

/// The cache's case is `Case::of`'s at every step of a session of mixed attempts (dropped,
/// served, refused by a scan, one still running, one plan both working and failing), with
/// the cache kept across the steps as the TUI keeps it.
#[test]
fn a_cached_case_is_the_case() {
    let mut s = Session::new();
    let mut cache = Cache::new();
    let p1 = base();
    let p2 = Retry::WithoutPostQuantum.apply(&p1).unwrap();
    let mut steps: Vec<Box<Change>> = vec![
        Box::new(|s| attempt(s, 1, base(), dropped(1439, true))),
        Box::new(|s| attempt(s, 2, base(), dropped(1439, true))),
        // Started, not finished: left out until it is.
        Box::new(|s| attempt(s, 3, base(), vec![hello(1439, true)])),
        Box::new(move |s| attempt(s, 4, p2.clone(), served(250))),
        Box::new(|s| attempt(s, 5, base(), served(1439))),
        Box::new(|s| {
            scanned(
                s,
                5,
                vec![crate::profile::VersionResult::refused(
                    crate::scan::ScanVersion::Tls12,
                    "alert",
                    crate::profile::Ending::Alert,
                )],
            )
        }),
        Box::new(|s| attempt(s, 6, base(), dropped(1439, true))),
    ];
    // Attempt 3 finishes last, after the others were cached.
    steps.push(Box::new(|s| {
        s.apply(&ProbeEvent {
            attempt: 3,
            at_us: 50_000,
            kind: EventKind::AttemptFinished {
                failure: Some(Failure::PeerClosed),
                phase: Phase::TlsHandshake,
            },
        })
    }));
    assert_eq!(cache.case(&s), None);
    let mut causes = Vec::new();
    for step in &steps {
        step(&mut s);
        let cached = cache.case(&s);
        assert_eq!(cached, Case::of(&s));
        assert_eq!(
            cached.as_ref().and_then(|c| next_experiment_after(&s, c)),
            next_experiment(&s)
        );
        causes.extend(cached.map(|c| c.cause));
    }
    assert!(causes.contains(&Cause::Intermittent), "{causes:?}");
}

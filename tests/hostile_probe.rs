//! Probes against the lab's hostile servers: every wait ends by its deadline (not by
//! silence), the cause is named with what the server was doing, and a server's behaviour is
//! never our internal error. Timeouts are short (1 s); the only time bound asserted is a
//! generous one around the whole probe, whose point is that it ends.

mod common;

use std::time::Duration;

use common::probe;
use tlsdive::diagnose::Diagnosis;
use tlsdive::event::{Limit, LimitHit};
use tlsdive::lab::Scenario;
use tlsdive::session::Attempt;

/// Far above every deadline involved (1 s each, 3 s for a whole attempt).
const ENDS_WITHIN: Duration = Duration::from_secs(30);

async fn probe_1s(s: Scenario) -> (Attempt, Diagnosis) {
    let run = probe(s, |p| p.timeouts.reply = Duration::from_secs(1));
    tokio::time::timeout(ENDS_WITHIN, run)
        .await
        .unwrap_or_else(|_| panic!("{s}: the probe did not end within {ENDS_WITHIN:?}"))
}

fn limit(a: &Attempt, which: Limit) -> Option<&LimitHit> {
    a.limits.iter().map(|(_, h)| h).find(|h| h.limit == which)
}

#[tokio::test]
async fn a_dribbling_server_after_its_fatal_alert_is_read_for_at_most_a_second() {
    let (a, d) = probe_1s(Scenario::AlertThenDribble).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::TlsAlert, "{d:?}");
    let hit = limit(&a, Limit::DrainTime).expect("the drain was cut by time");
    assert!(hit.waited_us < 2_000_000, "{hit:?}");
    assert!(
        d.evidence
            .iter()
            .any(|e| e.contains("kept sending") && e.contains("stopped reading")),
        "{:?}",
        d.evidence
    );
}

#[tokio::test]
async fn a_flooding_server_after_its_fatal_alert_is_read_for_at_most_64_kib() {
    let (a, d) = probe_1s(Scenario::AlertThenFlood).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::TlsAlert, "{d:?}");
    let hit = limit(&a, Limit::DrainBytes).expect("the drain was cut by bytes");
    assert!(
        hit.bytes >= 64 * 1024 && hit.bytes < 64 * 1024 + 8192,
        "{hit:?}"
    );
    assert!(
        d.evidence
            .iter()
            .any(|e| e.contains("stopped reading after 65,"))
    );
}

#[tokio::test]
async fn a_dribbled_banner_is_named_with_its_pace() {
    let (a, d) = probe_1s(Scenario::DribbledBanner).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::BannerTimeout, "{d:?}");
    let hit = limit(&a, Limit::Reply).expect("the reply deadline");
    assert_eq!(hit.waiting_for, "banner");
    assert!(hit.bytes > 0, "{hit:?}");
    assert!(
        d.summary.contains("sent its banner at") && d.summary.contains("bytes/s"),
        "{}",
        d.summary
    );
}

#[tokio::test]
async fn a_record_dribbled_byte_by_byte_ends_at_the_flight_deadline() {
    let (a, d) = probe_1s(Scenario::DribbledRecord).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::HandshakeTimeout, "{d:?}");
    let hit = limit(&a, Limit::Flight).expect("the flight deadline");
    assert_eq!(hit.waiting_for, "ServerHello");
    assert!(hit.bytes > 0 && hit.records == 0, "{hit:?}");
    assert!(
        d.summary.contains("sent its ServerHello at") && d.summary.contains("stopped after 1.0 s"),
        "{}",
        d.summary
    );
}

#[tokio::test]
async fn endless_warning_alerts_end_at_the_flight_deadline() {
    let (a, d) = probe_1s(Scenario::WarningAlerts).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::HandshakeTimeout, "{d:?}");
    let hit = limit(&a, Limit::Flight).expect("the flight deadline");
    assert!(hit.warning_alerts >= 1, "{hit:?}");
    assert!(
        d.summary.contains("warning alerts and nothing else"),
        "{}",
        d.summary
    );
}

#[tokio::test]
async fn empty_records_end_the_attempt_with_a_named_cause() {
    // rustls refuses an empty record before the handshake at once: a protocol error, in
    // well under the flight deadline.
    let (_, d) = probe_1s(Scenario::EmptyRecords).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::TlsProtocolError, "{d:?}");
}

#[tokio::test]
async fn each_reply_in_time_but_the_whole_attempt_too_slow_hits_the_attempt_deadline() {
    // Every reply comes after 1 s, inside a 1.5 s --timeout; the five replies of a probe
    // take 5 s, more than 3 × 1.5 s.
    let run = probe(Scenario::SlowReplies, |p| {
        p.timeouts.reply = Duration::from_millis(1500)
    });
    let (a, d) = tokio::time::timeout(ENDS_WITHIN, run).await.expect("ends");
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Timeout, "{d:?}");
    assert!(limit(&a, Limit::Attempt).is_some(), "{:?}", a.limits);
    assert!(limit(&a, Limit::Reply).is_none(), "{:?}", a.limits);
    assert!(
        d.summary.contains("whole attempt took longer"),
        "{}",
        d.summary
    );
}

#[tokio::test]
async fn one_byte_handshake_fragments_are_the_servers_protocol_error_not_ours() {
    let (_, d) = probe_1s(Scenario::OneByteFragments).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::TlsProtocolError, "{d:?}");
    assert!(
        d.summary.contains("split its handshake into") && d.summary.contains("records of 1 byte"),
        "{}",
        d.summary
    );
}

#[tokio::test]
async fn an_smtp_reply_sent_after_the_220_to_starttls_is_named() {
    let (a, d) = probe_1s(Scenario::LatePlaintext).await;
    assert_eq!(d.cause, tlsdive::diagnose::Cause::NotTls, "{d:?}");
    let (line, _) = a.late_reply.as_ref().expect("the late reply was seen");
    assert!(line.starts_with("250 2.0.0 LATE"), "{line}");
    assert!(
        d.summary.contains("are an SMTP reply") && d.summary.contains("out of turn"),
        "{}",
        d.summary
    );
}

//! What a repeat keeps, against servers that flood (lab `alert-flood`, `empty-record-flood`:
//! 3,000 records per connection, then a close). Before: every record was an event and a
//! timeline row (2,000 per attempt, the engine's cap), and every attempt kept its raw bytes,
//! so `--repeat 1000` grew past 2 GB. Now identical records fold into one row with a count,
//! and an attempt with the same facts as an earlier one keeps no raw bytes. Memory figures
//! are benches/repeat.sh's; these tests check the shapes only.

mod common;

use std::time::Duration;

use common::server;
use tlsdive::lab::{self, Scenario};
use tlsdive::session::TimelineRow;

async fn repeat_of(s: Scenario, n: u32) -> tlsdive::session::Session {
    let srv = server(s).await;
    let mut plan = lab::plan_for(s, srv.addr, &common::fixture().pki.ca_pem());
    plan.timeouts.reply = Duration::from_secs(5);
    let run = tlsdive::runs::Run::Repeat(tlsdive::runs::repeat::Repeat::new(
        plan,
        Some(n),
        Duration::from_millis(1),
    ));
    tlsdive::cli::drive::to_end(run).await
}

fn folded(t: &[TimelineRow]) -> u32 {
    t.iter()
        .map(|r| match r {
            TimelineRow::Record { record, .. } => record.repeated,
            TimelineRow::Ended { .. } => 0,
        })
        .max()
        .unwrap_or(0)
}

async fn check(s: Scenario) {
    let session = repeat_of(s, 3).await;
    assert_eq!(session.attempts.len(), 3);
    let first = &session.attempts[0];
    assert_eq!(
        tlsdive::repeat::cause_of(first).to_string(),
        s.expected_cause(),
        "{s}"
    );
    // Thousands of identical records are one row with a count, and one event.
    assert!(
        first.timeline.len() < 20,
        "{s}: {} timeline rows",
        first.timeline.len()
    );
    assert!(folded(&first.timeline) > 1000, "{s}: {:?}", first.timeline);
    assert!(
        first.events().len() < 200,
        "{s}: {} events",
        first.events().len()
    );
    assert!(
        !first.tcp.data.is_empty(),
        "the first attempt keeps its bytes"
    );
    // The others showed the same facts: they keep no raw bytes, and say so.
    for a in &session.attempts[1..] {
        assert!(
            a.tcp.data.is_empty(),
            "{s}: attempt {} kept its bytes",
            a.id
        );
        assert!(
            a.notes
                .iter()
                .any(|(_, n)| n.contains("the same facts as attempt #1")),
            "{s}: {:?}",
            a.notes
        );
    }
    let r = tlsdive::repeat::summarize(&session.attempts);
    assert_eq!(r.attempts, 3);
    assert_eq!(r.conclusion.cause.to_string(), s.expected_cause(), "{s}");
    // The report says how many records the row stands for.
    let text = tlsdive::report::text::report(first);
    assert!(
        text.contains("more identical records right after it"),
        "{text}"
    );
    let json = tlsdive::report::json::report(first);
    let rows = json["timeline"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["repeated"].as_u64().unwrap_or(0) > 1000),
        "{json}"
    );
}

#[tokio::test]
async fn a_warning_alert_flood_is_one_row_and_repeats_stay_slim() {
    check(Scenario::AlertFlood).await;
}

#[tokio::test]
async fn an_empty_record_flood_is_one_row_and_repeats_stay_slim() {
    check(Scenario::EmptyRecordFlood).await;
}

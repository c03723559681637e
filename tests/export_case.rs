//! The `x` export is the ticket: after several attempts against a lab server that drops every
//! ClientHello, the text and JSON exports carry the case the screen shows (its cause, whether
//! it is confirmed or suspected, what each change showed), not only the attempts one by one.

mod common;

use tlsdive::lab::Scenario;
use tlsdive::plan::TlsVersion;
use tlsdive::session::Session;

#[tokio::test]
async fn the_text_export_carries_the_case() {
    let srv = common::server(Scenario::CloseAfterClientHello).await;
    let first = common::plan_for(srv.addr, false);
    let mut retry = first.clone();
    retry.tls.versions = vec![TlsVersion::Tls12];
    let mut session = Session::new();
    for (id, plan) in [(1, first), (2, retry)] {
        for mut ev in tlsdive::engine::probe(plan).await {
            ev.attempt = id;
            session.apply(&ev);
        }
    }
    let case = tlsdive::case::Case::of(&session).expect("a case over two attempts");
    let text = tlsdive::tui::export::text(&session);
    assert!(text.contains("Case: ["), "{text}");
    assert!(text.contains(&format!("[{}]", case.cause)), "{text}");
    assert!(text.contains(&case.summary), "{text}");
    assert!(text.contains("what each change showed:"), "{text}");
    for step in &case.steps {
        assert!(text.contains(&step.change), "{} in {text}", step.change);
    }
    // The JSON export is the session document `--investigate --json` prints: the same
    // case, confirmed or not, and it validates against that schema.
    let doc = tlsdive::tui::export::json(&session);
    assert_eq!(doc["schema"], 2);
    assert_eq!(doc["attempts"].as_array().map(Vec::len), Some(2));
    assert_eq!(doc["case"]["cause"], case.cause.code());
    assert_eq!(doc["case"]["confirmed"], case.confirmed);
    let validator = common::schema::validator("investigate.schema.json");
    let errors = common::schema::errors(&validator, &doc);
    assert!(errors.is_empty(), "{errors:?}");
    // One attempt alone has no case section: it would repeat the diagnosis.
    let mut one = Session::new();
    for ev in session.events().filter(|e| e.attempt == 1) {
        one.apply(&ev);
    }
    assert!(!tlsdive::tui::export::text(&one).contains("Case: ["));
}

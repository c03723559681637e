//! The scanner against the lab's rustls servers: what it finds must equal the rustls
//! provider the lab serves with (TLS 1.3 suites, ECDSA TLS 1.2 suites for the lab's P-256
//! certificate, rustls' groups), and SMTP-side failures must stop the scan at once.

mod common;

use std::time::Duration;

use tlsdive::lab::Scenario;
use tlsdive::scan::catalog::suite_value;
use tlsdive::scan::{self, Profile, ScanPlan, ScanVersion};
use tlsdive::wire::names::suite_name;

async fn scan_lab(s: Scenario, tweak: impl FnOnce(&mut ScanPlan)) -> Profile {
    let srv = common::server(s).await;
    let mut plan = ScanPlan::new(common::plan_for(srv.addr, s.implicit_tls()));
    tweak(&mut plan);
    let mut ticks = 0;
    let p = scan::scan(&plan, |_| ticks += 1).await;
    assert!(ticks > 0, "progress was reported");
    p
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// rustls' suites for a version (IANA names), TLS 1.2 ones for an ECDSA certificate.
fn rustls_suites(tls13: bool) -> Vec<String> {
    let names = tlsdive::engine::tls::suite_names();
    let v: Vec<String> = names
        .iter()
        .filter_map(|n| suite_value(n))
        .map(suite_name)
        .filter(|n| {
            if tls13 {
                !n.contains("_WITH_")
            } else {
                n.contains("_ECDSA_")
            }
        })
        .collect();
    sorted(v)
}

fn rustls_groups(tls13: bool) -> Vec<String> {
    let g: Vec<String> = tlsdive::engine::tls::group_names()
        .into_iter()
        .filter(|g| tls13 || !g.contains("MLKEM"))
        .collect();
    sorted(g)
}

fn accepted(p: &Profile) -> Vec<&str> {
    p.versions
        .iter()
        .filter(|v| v.accepted)
        .map(|v| v.version.name())
        .collect()
}

#[tokio::test]
async fn healthy_rustls_server() {
    let p = scan_lab(Scenario::Healthy, |_| {}).await;
    assert_eq!(accepted(&p), ["TLSv1.2", "TLSv1.3"], "{p:#?}");
    let [v12, v13] = [3, 4].map(|i| &p.versions[i]);
    assert_eq!(
        sorted(v12.cipher_suites.clone()),
        rustls_suites(false),
        "{p:#?}"
    );
    assert_eq!(
        sorted(v13.cipher_suites.clone()),
        rustls_suites(true),
        "{p:#?}"
    );
    assert_eq!(
        v13.server_order,
        Some(false),
        "rustls follows the client's order"
    );
    for (g, tls13) in p.groups.iter().zip([false, true]) {
        assert_eq!(sorted(g.groups.clone()), rustls_groups(tls13), "{g:?}");
    }
    assert!(p.overlap.negotiable);
    assert!(
        p.verdict
            .starts_with("a rustls-based sender can negotiate TLSv1.3 TLS_"),
        "{}",
        p.verdict
    );
    assert!(p.stopped.is_none());
    // JSON round trip: the TUI stores profiles.
    let json = serde_json::to_string(&p).unwrap();
    let back: Profile = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["versions"][4]["version"], "TLSv1.3");
    assert!(v["connections"].as_u64().unwrap_or(0) > 0);
}

#[tokio::test]
async fn tls12_only_and_tls13_only() {
    let p = scan_lab(Scenario::Tls12Only, |_| {}).await;
    assert_eq!(accepted(&p), ["TLSv1.2"], "{p:#?}");
    assert_eq!(
        sorted(p.versions[3].cipher_suites.clone()),
        rustls_suites(false)
    );
    let p = scan_lab(Scenario::Tls13Only, |_| {}).await;
    assert_eq!(accepted(&p), ["TLSv1.3"], "{p:#?}");
    assert_eq!(
        sorted(p.versions[4].cipher_suites.clone()),
        rustls_suites(true)
    );
    assert!(p.overlap.negotiable);
}

#[tokio::test]
async fn implicit_tls_lab_server() {
    let p = scan_lab(Scenario::ImplicitTls, |_| {}).await;
    assert_eq!(accepted(&p), ["TLSv1.2", "TLSv1.3"], "{p:#?}");
}

#[tokio::test]
async fn smtp_failures_stop_the_scan_after_one_connection() {
    let cases = [
        (Scenario::NoStarttls, "STARTTLS is not offered"),
        (Scenario::Starttls454, "unexpected SMTP reply 454"),
        (Scenario::SlowBanner, "timeout"),
        (Scenario::NotSmtp, "not SMTP"),
    ];
    for (s, want) in cases {
        let p = scan_lab(s, |p| p.plan.timeouts.reply = Duration::from_millis(300)).await;
        let stopped = p.stopped.clone().unwrap_or_default();
        assert!(stopped.contains(want), "{s:?}: {p:#?}");
        assert_eq!(p.connections, 1, "{s:?}");
        assert!(p.verdict.starts_with("scan stopped"), "{}", p.verdict);
    }
}

#[tokio::test]
async fn banner_421_is_retried_then_stops() {
    let p = scan_lab(Scenario::Banner421, |p| {
        p.retries_421 = 2;
        p.backoff = Duration::from_millis(10);
    })
    .await;
    assert_eq!(p.connections, 3, "{p:#?}");
    assert!(p.stopped.as_deref().unwrap_or("").contains("421"));
}

#[tokio::test]
async fn a_silent_tls_server_costs_one_timeout_per_version() {
    let p = scan_lab(Scenario::HandshakeStall, |p| {
        p.plan.timeouts.reply = Duration::from_millis(300);
    })
    .await;
    assert!(accepted(&p).is_empty());
    assert!(p.versions.iter().all(|v| v.answer == "timeout"), "{p:#?}");
    assert_eq!(p.connections, 5, "{p:#?}");
}

#[tokio::test]
async fn focused_entry_points() {
    let srv = common::server(Scenario::Healthy).await;
    let plan = ScanPlan::new(common::plan_for(srv.addr, false));
    let p = scan::scan_versions(&plan, |_| {}).await;
    assert_eq!(accepted(&p), ["TLSv1.2", "TLSv1.3"]);
    assert!(
        p.versions
            .iter()
            .filter(|v| v.accepted)
            .all(|v| !v.complete)
    );
    // rustls answers an old-version hello with handshake_failure (not protocol_version), so
    // SSL 3.0 to TLS 1.1 each try their second chunk of legacy suites too: 2 + 3 × 2.
    assert_eq!(p.connections, 8, "{p:#?}");
    let p = scan::scan_suites(&plan, ScanVersion::Tls13, |_| {}).await;
    assert_eq!(p.versions.len(), 1);
    assert_eq!(
        sorted(p.versions[0].cipher_suites.clone()),
        rustls_suites(true)
    );
    let p = scan::scan_groups(&plan, |_| {}).await;
    assert!(p.versions.is_empty());
    assert_eq!(p.groups.len(), 2);
    assert_eq!(sorted(p.groups[1].groups.clone()), rustls_groups(true));
}

#[tokio::test]
async fn a_rate_limited_server_is_scanned_one_connection_at_a_time() {
    // The server refuses a second concurrent connection with 421; four at once would hit it.
    let p = scan_lab(Scenario::RateLimited, |plan| {
        plan.max_connections = 4;
        plan.backoff = Duration::from_millis(20);
        plan.retries_421 = 4;
    })
    .await;
    assert!(p.stopped.is_none(), "{p:#?}");
    assert_eq!(accepted(&p), ["TLSv1.2", "TLSv1.3"], "{p:#?}");
    let [v12, v13] = [3, 4].map(|i| &p.versions[i]);
    assert_eq!(sorted(v12.cipher_suites.clone()), rustls_suites(false));
    assert_eq!(sorted(v13.cipher_suites.clone()), rustls_suites(true));
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("one connection at a time")),
        "{:?}",
        p.notes
    );
    let text = scan::text::report(&p);
    assert!(
        text.contains("note: the server answered 421 (rate limit)"),
        "{text}"
    );
}

#[tokio::test]
async fn a_server_that_refuses_every_second_connection_is_scanned_to_the_end() {
    // Every second connection gets 421. Default manners (4 at once, 3 retries), short
    // back-off so the test is quick: the scan must go on, and any row it could not finish
    // must say so rather than vanish.
    let p = scan_lab(Scenario::RefuseEverySecond, |plan| {
        plan.backoff = Duration::from_millis(20);
    })
    .await;
    assert!(p.stopped.is_none(), "{p:#?}");
    assert_eq!(p.versions.len(), ScanVersion::ALL.len(), "{p:#?}");
    // A version whose probes lost every retry to a 421 is marked, never reported refused.
    for v in &p.versions {
        let modern = v.version.is_modern();
        assert!(
            v.unfinished.is_some() || v.accepted == modern,
            "{v:?}\n{}",
            scan::text::report(&p)
        );
    }
}

#[tokio::test]
async fn a_dribbling_server_costs_a_scan_connection_one_deadline_not_one_per_byte() {
    // The answer to the hello is a 16 KiB record at 2.5 bytes/s; timing each read
    // separately would keep this connection for almost two hours.
    let run = scan_lab(Scenario::DribbledRecord, |plan| {
        plan.versions = vec![ScanVersion::Tls12];
        plan.plan.timeouts.reply = Duration::from_secs(1);
    });
    let p = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the scan ends");
    let v12 = p
        .versions
        .iter()
        .find(|v| v.version.name() == "TLSv1.2")
        .expect("a TLS 1.2 row");
    assert!(!v12.accepted, "{p:#?}");
    assert_eq!(v12.answer, "timeout", "{p:#?}");
}

#[tokio::test]
async fn a_scan_that_stops_part_way_marks_the_rows_it_did_not_finish() {
    // No retries after a 421: the first parallel burst against a one-connection server
    // ends some versions' probes. The scan goes on with the others, and the versions it
    // could not finish say why they have no answer instead of vanishing (which read as
    // "TLS 1.3 missing").
    let p = scan_lab(Scenario::RateLimited, |plan| {
        plan.max_connections = 4;
        plan.retries_421 = 0;
    })
    .await;
    assert!(p.stopped.is_none(), "{p:#?}");
    assert_eq!(p.versions.len(), ScanVersion::ALL.len(), "{p:#?}");
    let unfinished: Vec<_> = p
        .versions
        .iter()
        .filter(|v| v.unfinished.is_some())
        .collect();
    assert!(!unfinished.is_empty(), "{p:#?}");
    for v in &unfinished {
        assert!(!v.accepted && !v.complete, "{v:?}");
        assert!(
            v.unfinished.as_deref().is_some_and(|w| w.contains("421")),
            "{v:?}"
        );
    }
    let text = scan::text::report(&p);
    assert!(text.contains("not finished: 421"), "{text}");
    let json = serde_json::to_value(&p).unwrap();
    assert!(
        json["versions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["unfinished"].is_string()),
        "{json}"
    );
}

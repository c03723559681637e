//! Routing policy against the signed policy lab (`lab::policy_lab`): a private root signed at
//! start, tlsdive's own validating resolver given its key with the plan's trust anchor, a
//! healthy SMTP lab server for every MX and an MTA-STS policy server. Every DNSSEC state here
//! is what the validator proved, not set by the test.

mod common;

use common::{fixture, server};
use tlsdive::diagnose::policy::{PolicyVerdict, assess};
use tlsdive::lab::Scenario;
use tlsdive::lab::policy_lab::{self, PolicyLab};
use tlsdive::plan::{Family, Plan, Target, Trust};
use tlsdive::policy::Dnssec;
use tlsdive::session::Attempt;

struct Lab {
    policy: PolicyLab,
    _smtp: tlsdive::lab::LabServer,
}

async fn lab() -> Lab {
    let smtp = server(Scenario::Healthy).await;
    let policy = policy_lab::start(&fixture().pki, smtp.addr.port())
        .await
        .expect("policy lab");
    Lab {
        policy,
        _smtp: smtp,
    }
}

impl Lab {
    fn plan(&self, label: &str) -> Plan {
        let mut plan = Plan::new(Target::Domain(policy_lab::domain(label)));
        plan.resolver = Some(self.policy.dns.addr);
        plan.port = self.policy.port_for(label);
        plan.family = Family::V4;
        plan.ehlo = "probe.tlsdive.test".into();
        let pems = format!("{}{}", fixture().pki.ca_pem(), self.policy.sts.ca_pem);
        plan.tls.trust = Trust::from_pem("the lab CAs", &pems);
        plan.policy.mta_sts_port = Some(self.policy.sts.addr.port());
        plan.policy.trust_anchor = Some(self.policy.anchor.clone());
        plan
    }

    async fn probe(&self, label: &str) -> Attempt {
        common::run(self.plan(label)).await.0
    }
}

fn state(a: &Attempt, rtype: &str) -> Dnssec {
    a.policy
        .dnssec
        .iter()
        .find(|d| d.rtype == rtype)
        .unwrap_or_else(|| panic!("no {rtype} state in {:?}", a.policy.dnssec))
        .dnssec
}

fn dane_of(a: &Attempt) -> (PolicyVerdict, Vec<Option<usize>>) {
    let s = assess(a).expect("policy looked up");
    let matched = s
        .dane
        .check
        .map(|c| c.records.iter().map(|r| r.matched).collect())
        .unwrap_or_default();
    (s.dane.verdict, matched)
}

fn sender(a: &Attempt, policy: &str) -> Option<bool> {
    assess(a)
        .unwrap()
        .senders
        .iter()
        .find(|r| r.policy == policy)
        .unwrap_or_else(|| panic!("no {policy} row"))
        .delivers
}

#[tokio::test]
async fn dane_ee_3_1_1_in_a_signed_zone_is_secure_and_valid() {
    let lab = lab().await;
    let a = lab.probe("dane-ee").await;
    assert_eq!(state(&a, "MX"), Dnssec::Secure, "{:?}", a.policy.dnssec);
    assert_eq!(state(&a, "A"), Dnssec::Secure, "{:?}", a.policy.dnssec);
    // A signed "no such record" (NSEC) is a secure answer too.
    assert_eq!(state(&a, "AAAA"), Dnssec::Secure, "{:?}", a.policy.dnssec);
    assert_eq!(
        a.policy.tlsa[0].dnssec,
        Dnssec::Secure,
        "{:?}",
        a.policy.tlsa
    );
    assert_eq!(dane_of(&a), (PolicyVerdict::DaneValid, vec![Some(0)]));
    // DANE-EE ignores names: a DANE sender delivers although the certificate does not name
    // this MX host, which a verifying sender refuses; the headline follows DANE.
    assert_eq!(sender(&a, "DANE"), Some(true));
    assert_eq!(sender(&a, "mandatory-verified"), Some(false));
    assert_eq!(common::run_cause(&a), tlsdive::diagnose::Cause::Ok);
}

#[tokio::test]
async fn dane_ta_2_1_1_matches_the_issuing_ca_and_checks_the_mx_name() {
    let lab = lab().await;
    let a = lab.probe("dane-ta").await;
    assert_eq!(dane_of(&a), (PolicyVerdict::DaneValid, vec![Some(1)]));
    assert_eq!(common::run_cause(&a), tlsdive::diagnose::Cause::Ok);
    assert!(
        assess(&a)
            .unwrap()
            .senders
            .iter()
            .all(|r| r.delivers == Some(true)),
        "{:?}",
        assess(&a).unwrap().senders
    );
    // The words name the rule of the record that matched: DANE-TA checks the chain and
    // the name (RFC 7672 §3.1.2); it is not DANE-EE, which ignores both.
    let d = tlsdive::diagnose::diagnose(&a);
    assert!(
        d.summary.contains(
            "DANE-TA: the chain leads to that trust anchor and names the MX host, RFC 7672 §3.1.2"
        ) && !d.summary.contains("DANE-EE"),
        "{}",
        d.summary
    );
    let dane_row = assess(&a)
        .unwrap()
        .senders
        .into_iter()
        .find(|r| r.policy == "DANE")
        .unwrap();
    assert!(dane_row.why.contains("DANE-TA: "), "{}", dane_row.why);
}

#[tokio::test]
async fn a_stale_record_after_rotation_is_a_secure_dane_mismatch() {
    let lab = lab().await;
    let a = lab.probe("dane-mismatch").await;
    assert_eq!(a.policy.tlsa[0].dnssec, Dnssec::Secure);
    assert_eq!(dane_of(&a), (PolicyVerdict::DaneMismatch, vec![None]));
    let s = assess(&a).unwrap();
    assert!(s.dane.summary.contains("rotation"), "{}", s.dane.summary);
    // The digests of what the server sent are there to compare with the stale record.
    let served = &s.dane.check.unwrap().certificates[0].spki_sha256;
    assert_ne!(served, &a.policy.tlsa[0].records[0].data);
    assert_eq!(sender(&a, "DANE"), Some(false));
    assert_eq!(sender(&a, "opportunistic"), Some(true));
    assert_eq!(
        tlsdive::diagnose::diagnose(&a).cause,
        tlsdive::diagnose::Cause::DaneMismatch
    );
}

#[tokio::test]
async fn pkix_only_records_in_a_signed_zone_are_dane_unusable() {
    let lab = lab().await;
    let a = lab.probe("dane-unusable").await;
    assert_eq!(dane_of(&a), (PolicyVerdict::DaneUnusable, vec![None, None]));
    // Delivery does not stop on it, but the records are useless to SMTP: the fix is named.
    let d = tlsdive::diagnose::diagnose(&a);
    assert!(
        d.next_steps.iter().any(|s| s
            .text
            .starts_with("publish a DANE-EE (3 1 1) or DANE-TA (2 1 1) record")),
        "{d:?}"
    );
}

/// Review findings on the lab (2026-12-03): each statement against the RFC it cites.
#[tokio::test]
async fn what_the_policy_verdicts_say_holds_for_each_sender() {
    let lab = lab().await;
    // DANE-EE over an expired certificate, no MTA-STS policy: the defect hurts verifying
    // senders, and MTA-STS senders are not among them (they verify only under a policy,
    // RFC 8461 §5).
    let a = lab.probe("dane-expired").await;
    let d = tlsdive::diagnose::diagnose(&a);
    assert!(
        d.summary
            .contains("senders that verify it instead (mandatory PKIX):")
            && !d.summary.contains("MTA-STS"),
        "{}",
        d.summary
    );
    // A TLSA RRset whose signatures expired: the zone's re-signing comes first, the name
    // fix (for verifying senders only) after it.
    let a = lab.probe("dane-bogus").await;
    let d = tlsdive::diagnose::diagnose(&a);
    assert_eq!(d.cause, tlsdive::diagnose::Cause::DnssecBogus);
    assert!(
        d.next_steps
            .first()
            .is_some_and(|s| s.text.starts_with("re-sign the zone")),
        "{d:?}"
    );
    // A null MX accepts no mail by design (RFC 7505): no address-family advice.
    let a = lab.probe("null-mx").await;
    let d = tlsdive::diagnose::diagnose(&a);
    assert!(
        d.next_steps.iter().all(|s| !s.text.contains("-4 or -6"))
            && d.next_steps.iter().any(|s| s.text.contains("null MX")),
        "{d:?}"
    );
    // Testing mode verifies and reports (RFC 8461 §5): the MTA-STS row does not say it skips
    // the check, and the fix to make before enforce mode is named.
    let a = lab.probe("sts-testing").await;
    let row = assess(&a)
        .unwrap()
        .senders
        .into_iter()
        .find(|r| r.policy == "MTA-STS")
        .unwrap();
    assert!(
        !row.why.contains("does not verify") && row.why.contains("the certificate verified"),
        "{}",
        row.why
    );
    let d = tlsdive::diagnose::diagnose(&a);
    assert!(
        d.next_steps
            .iter()
            .any(|s| s.text.starts_with("list every MX host")
                && s.text.ends_with("before the policy goes to enforce mode")),
        "{d:?}"
    );
}

#[tokio::test]
async fn expired_signatures_are_dnssec_bogus_after_the_retry() {
    let lab = lab().await;
    let a = lab.probe("bogus").await;
    let mx = a.policy.dnssec.iter().find(|d| d.rtype == "MX").unwrap();
    assert_eq!(mx.dnssec, Dnssec::Bogus, "{mx:?}");
    // Asked twice, and the root's keys did come back: a real bad signature, not hickory's
    // "could not fetch the DNSKEY" reported as bogus.
    assert!(
        mx.detail.as_deref().unwrap_or("").contains("bogus twice"),
        "{mx:?}"
    );
    let (v, _) = dane_of(&a);
    assert_eq!(v, PolicyVerdict::DnssecBogus);
    assert_eq!(
        tlsdive::diagnose::diagnose(&a).cause,
        tlsdive::diagnose::Cause::DnssecBogus
    );
    // The records are still shown, unvalidated.
    assert_eq!(a.policy.tlsa[0].records.len(), 1, "{:?}", a.policy.tlsa);
}

#[tokio::test]
async fn tlsa_in_an_unsigned_zone_is_insecure_and_ignored_saying_why() {
    let lab = lab().await;
    let a = lab.probe("unsigned").await;
    assert_eq!(state(&a, "MX"), Dnssec::Insecure, "{:?}", a.policy.dnssec);
    assert_eq!(a.policy.tlsa[0].dnssec, Dnssec::Insecure);
    let s = assess(&a).unwrap();
    assert_eq!(s.dane.verdict, PolicyVerdict::DaneInsecure);
    assert!(
        s.dane.summary.contains("ignored") && s.dane.summary.contains("insecure"),
        "{}",
        s.dane.summary
    );
}

#[tokio::test]
async fn a_signed_null_mx_stops_before_any_connection() {
    let lab = lab().await;
    let a = lab.probe("null-mx").await;
    let d = tlsdive::diagnose::diagnose(&a);
    assert!(d.summary.contains("null MX"), "{d:?}");
    assert!(a.tried.is_empty());
    // And the case says so: no connection was made (it counted 1 per attempt).
    let mut session = tlsdive::session::Session::new();
    session.attempts.push(a);
    let case = tlsdive::case::Case::of(&session).expect("a case");
    assert_eq!(case.connections, 0, "{case:?}");
}

#[tokio::test]
async fn no_mx_is_the_implicit_mx_with_tlsa_at_the_domain_itself() {
    let lab = lab().await;
    let a = lab.probe("no-mx").await;
    let domain = policy_lab::domain("no-mx");
    assert_eq!(a.resolution.implicit_mx.as_deref(), Some(domain.as_str()));
    assert_eq!(a.policy.tlsa[0].host, domain);
    // The MX denial is signed, so the implicit MX is as secure as an MX.
    assert_eq!(state(&a, "MX"), Dnssec::Secure, "{:?}", a.policy.dnssec);
    assert_eq!(dane_of(&a), (PolicyVerdict::DaneValid, vec![Some(0)]));
}

#[tokio::test]
async fn mta_sts_enforce_listing_the_mx_is_enforce_ok_with_tls_rpt() {
    let lab = lab().await;
    let a = lab.probe("sts-enforce").await;
    let s = assess(&a).unwrap();
    assert_eq!(
        s.sts.verdict,
        PolicyVerdict::StsEnforceOk,
        "{}",
        s.sts.summary
    );
    assert!(
        s.sts.id.as_deref().unwrap().starts_with("2026"),
        "{:?}",
        s.sts.id
    );
    assert_eq!(
        s.rua,
        [format!(
            "mailto:tls-reports@{}",
            policy_lab::domain("sts-enforce")
        )]
    );
    assert_eq!(common::run_cause(&a), tlsdive::diagnose::Cause::Ok);
}

#[tokio::test]
async fn mta_sts_enforce_without_the_mx_is_mx_mismatch() {
    let lab = lab().await;
    let a = lab.probe("sts-mismatch").await;
    let s = assess(&a).unwrap();
    assert_eq!(s.sts.verdict, PolicyVerdict::StsMxMismatch);
    assert!(
        s.sts.summary.contains("*.other.test, mail.example.net"),
        "{}",
        s.sts.summary
    );
    assert_eq!(
        tlsdive::diagnose::diagnose(&a).cause,
        tlsdive::diagnose::Cause::MtaStsMxMismatch
    );
}

#[tokio::test]
async fn mta_sts_record_with_a_404_policy_is_unavailable_and_not_decisive() {
    let lab = lab().await;
    let a = lab.probe("sts-unavailable").await;
    let s = assess(&a).unwrap();
    assert_eq!(s.sts.verdict, PolicyVerdict::StsPolicyUnavailable);
    assert!(s.sts.summary.contains("404"), "{}", s.sts.summary);
    assert_eq!(common::run_cause(&a), tlsdive::diagnose::Cause::Ok);
}

/// The policy host's certificate does not name `mta-sts.DOMAIN`: the policy is
/// unavailable, as for a 404, but a sender reports it as `sts-webpki-invalid` (RFC 8460
/// §4.3.2), and the JSON's sender row says so.
#[tokio::test]
async fn a_policy_host_certificate_for_another_name_is_sts_webpki_invalid() {
    let lab = lab().await;
    let a = lab.probe("sts-webpki").await;
    let s = assess(&a).unwrap();
    assert_eq!(s.sts.verdict, PolicyVerdict::StsPolicyUnavailable);
    assert!(
        s.sts.summary.contains(&format!(
            "its certificate is not valid for mta-sts.{} (it names mta-sts.",
            tlsdive::lab::policy_lab::domain("sts-webpki")
        )) && !s.sts.summary.contains("DnsName"),
        "{}",
        s.sts.summary
    );
    let fetch = a.policy.sts_policy.as_ref().expect("fetched");
    assert_eq!(
        fetch.failed_at,
        Some(tlsdive::policy::FetchStep::Certificate),
        "{fetch:?}"
    );
    assert_eq!(
        tlsdive::diagnose::tlsrpt::result_type_on(
            &a,
            tlsdive::diagnose::Cause::MtaStsPolicyUnavailable
        )
        .map(|r| r.code().to_string())
        .as_deref(),
        Some("sts-webpki-invalid")
    );
    let v = tlsdive::report::json::report(&a);
    let sts_row = v["policy"]["senders"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["policy"] == "MTA-STS"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(sts_row["tlsrpt_result_type"], "sts-webpki-invalid", "{v}");
    // Delivery goes on (ok), but the policy host is broken: the next step says how to fix
    // it, naming the URL.
    let d = tlsdive::diagnose::diagnose(&a);
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Ok);
    let step = d
        .next_steps
        .first()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(
        step.contains("/.well-known/mta-sts.txt with a certificate valid for its host name")
            && step.contains("sts-webpki-invalid"),
        "{d:?}"
    );
}

#[tokio::test]
async fn another_trust_anchor_proves_nothing() {
    let lab = lab().await;
    // A root key of another run of the lab: the chain does not lead to it.
    let other = tlsdive::lab::policy_lab::tree(&fixture().pki, lab.policy.ports)
        .sign()
        .unwrap()
        .anchor;
    let mut plan = lab.plan("dane-ee");
    plan.policy.trust_anchor = Some(other);
    let a = common::run(plan).await.0;
    assert_ne!(state(&a, "MX"), Dnssec::Secure, "{:?}", a.policy.dnssec);
    assert_ne!(dane_of(&a).0, PolicyVerdict::DaneValid);
}

#[tokio::test]
async fn the_json_policy_object_shows_secure_states_records_and_senders() {
    let lab = lab().await;
    let a = lab.probe("dane-mismatch").await;
    let v = tlsdive::report::json::report(&a);
    let validator = common::schema::validator("report.schema.json");
    let errors = common::schema::errors(&validator, &v);
    assert!(errors.is_empty(), "{errors:?}");
    let p = &v["policy"];
    assert_eq!(p["dane"]["status"], "dane-mismatch");
    assert_eq!(p["dane"]["records"][0]["matched"], false);
    assert_eq!(p["senders"][0]["policy"], "opportunistic");
    assert_eq!(p["senders"][0]["delivers"], true);
    assert!(p["mx"].to_string().contains("secure"), "{}", p["mx"]);
    let text = tlsdive::report::text::report(&a);
    assert!(text.contains("DANE: dane-mismatch"), "{text}");
    assert!(text.contains("spki sha256"), "{text}");

    let a = lab.probe("sts-mismatch").await;
    let v = tlsdive::report::json::report(&a);
    let errors = common::schema::errors(&validator, &v);
    assert!(errors.is_empty(), "{errors:?}");
    let p = &v["policy"];
    assert_eq!(p["mta_sts"]["status"], "mta-sts-mx-mismatch");
    assert_eq!(p["mta_sts"]["mx"][0], "*.other.test");
    assert_eq!(
        p["tls_rpt"]["rua"][0],
        format!("mailto:tls-reports@{}", policy_lab::domain("sts-mismatch"))
    );
}

#[tokio::test]
async fn tlsdive_lab_prints_a_dane_mismatch_command_that_works() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let ca_out = dir.path().join("lab-ca.pem");
    let mut lab = tokio::process::Command::new(env!("CARGO_BIN_EXE_tlsdive"))
        .args(["lab", "--ca-out", ca_out.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start tlsdive lab");
    let mut lines = BufReader::new(lab.stdout.take().unwrap()).lines();
    let mut command = None;
    let mut anchor_line = None;
    // Bounded: the lab prints a few dozen lines, then waits for Ctrl-C.
    for _ in 0..200 {
        let Some(line) = lines.next_line().await.unwrap() else {
            break;
        };
        if line.starts_with("policy lab:") {
            anchor_line = Some(line.clone());
        }
        if let Some(c) = line.strip_prefix("try: ") {
            command = Some(c.to_string());
            break;
        }
    }
    let anchor_line = anchor_line.expect("the lab names its DNS server and trust anchor");
    assert!(anchor_line.contains("127.0.0.1:"), "{anchor_line}");
    let command = command.expect("the lab prints a command to try");
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[0], "tlsdive");
    assert!(words[2].starts_with("dane-mismatch."), "{command}");
    let anchor = words[words.iter().position(|w| *w == "--trust-anchor").unwrap() + 1];
    assert!(
        std::fs::read_to_string(anchor)
            .unwrap()
            .contains(" IN DNSKEY 257 3 13 "),
        "the anchor file is a root DNSKEY in zone-file format"
    );
    let out = common::tlsdive(&words[1..]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("DANE: dane-mismatch"), "{stdout}");
    assert!(stdout.contains("dnssec secure"), "{stdout}");
    // The text's diagnosis agrees with the JSON's (it once judged neutralized certificates).
    assert!(stdout.contains("[dane-mismatch]"), "{stdout}");
    let mut json_args = words[1..].to_vec();
    json_args.push("--json");
    let out = common::tlsdive(&json_args).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(v["outcome"]["cause"], "dane-mismatch", "{v}");
    lab.kill().await.unwrap();
}

#[tokio::test]
async fn all_probes_every_mx_and_address_once_in_preference_order() {
    let lab = lab().await;
    let mut plan = lab.plan("all");
    plan.family = Family::Any;
    let sweep = tlsdive::runs::sweep::Sweep::of_plan(plan).unwrap();
    let session = tlsdive::cli::drive::to_end(tlsdive::runs::Run::Sweep(sweep)).await;
    let rows = tlsdive::sweep::rows(&session, 1);
    let port = lab.policy.ports.main;
    let addrs: Vec<String> = rows.iter().map(|r| r.address.to_string()).collect();
    assert_eq!(rows.len(), 4, "{rows:#?}");
    let mut unique = addrs.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4, "each address once: {addrs:?}");
    // Preference order: both addresses of the preference-10 MX first.
    assert_eq!(rows[0].preference, Some(10));
    assert_eq!(rows[1].preference, Some(10));
    assert_eq!(rows[3].preference, Some(20));
    for ip in ["127.0.0.1", "127.0.0.2"] {
        let r = rows
            .iter()
            .find(|r| r.address.to_string() == format!("{ip}:{port}"))
            .unwrap();
        assert_eq!(
            (r.cause.code(), r.mx.as_str()),
            ("ok", tlsdive::lab::SERVER_NAME)
        );
    }
    let dead = rows
        .iter()
        .find(|r| r.address.to_string() == format!("127.0.0.3:{port}"))
        .unwrap();
    assert_eq!(
        dead.cause,
        tlsdive::diagnose::Cause::ConnectRefused,
        "{dead:?}"
    );
    assert!(dead.mx.starts_with("mx2."), "{dead:?}");
    assert!(rows.iter().all(|r| r.mx_dnssec == Some(Dnssec::Secure)));
    assert!(
        rows.iter()
            .all(|r| r.address_dnssec == Some(Dnssec::Secure)),
        "{rows:#?}"
    );
    // The first attempt carries the routing and policy facts; the others are pinned.
    assert!(session.attempt(1).unwrap().policy.any());

    // The same through the binary: one JSON object per MX × address.
    let resolver = lab.policy.dns.addr.to_string();
    let port = port.to_string();
    let dir = tempfile::tempdir().unwrap();
    let anchor = dir.path().join("root.key");
    std::fs::write(&anchor, &lab.policy.anchor).unwrap();
    let out = common::tlsdive(&[
        "probe",
        &policy_lab::domain("all"),
        "--all",
        "--json",
        "--port",
        &port,
        "--resolver",
        &resolver,
        "--trust-anchor",
        anchor.to_str().unwrap(),
        "--ca-file",
        fixture().ca.to_str().unwrap(),
    ])
    .await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON array");
    let validator = common::schema::validator("sweep.schema.json");
    let errors = common::schema::errors(&validator, &v);
    assert!(errors.is_empty(), "{errors:?}\n{v}");
    // The schema says something: a row without its cause does not pass.
    let mut broken = v.clone();
    broken[0].as_object_mut().unwrap().remove("cause");
    assert!(!validator.is_valid(&broken));
    let rows = v.as_array().expect("array");
    assert_eq!(rows.len(), 4, "{v}");
    assert_eq!(out.status.code(), Some(1), "one MX is dead");
    assert!(rows.iter().any(|r| r["cause"] == "connect-refused"));
    assert_eq!(rows[0]["mx_dnssec"], "secure");
}

#[tokio::test]
async fn the_tui_policy_view_shows_mx_dnssec_verdicts_and_senders_behind_a_footer_key() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use tlsdive::tui::Ui;
    use tlsdive::tui::app::App;
    use tlsdive::tui::keymap::Key;
    let lab = lab().await;
    let events = tlsdive::engine::probe(lab.plan("dane-mismatch")).await;
    let mut session = tlsdive::session::Session::new();
    for ev in &events {
        session.apply(ev);
    }
    let mut app = App::new();
    app.color = false;
    let mut ui = Ui::new(session, app);
    let draw = |ui: &mut Ui| {
        let mut t = Terminal::new(TestBackend::new(150, 44)).unwrap();
        ui.sync();
        t.draw(|f| ui.draw(f)).unwrap();
        t.backend().to_string()
    };
    let main = draw(&mut ui);
    assert!(
        main.contains("D policy"),
        "the footer shows the key:\n{main}"
    );
    ui.key(Key::Char('D'));
    let view = draw(&mut ui);
    for want in [
        "routing policy",
        "MX of dane-mismatch.lab.tlsdive.test  dnssec secure",
        "mx.lab.tlsdive.test  A secure  AAAA secure",
        "DANE: dane-mismatch",
        "would a sender deliver?",
        "MTA-STS: none",
    ] {
        assert!(view.contains(want), "{want:?} missing:\n{view}");
    }
    ui.key(Key::Esc);
    assert!(
        draw(&mut ui).contains("D policy"),
        "Esc returns to the main view"
    );
}

/// The arguments that probe lab scenario `label` through the binary, files in `dir`.
fn cli_args(lab: &Lab, label: &str, dir: &std::path::Path) -> Vec<String> {
    let anchor = dir.join("root.key");
    std::fs::write(&anchor, &lab.policy.anchor).unwrap();
    let cas = dir.join("cas.pem");
    std::fs::write(
        &cas,
        format!("{}{}", fixture().pki.ca_pem(), lab.policy.sts.ca_pem),
    )
    .unwrap();
    [
        "probe",
        &policy_lab::domain(label),
        "--port",
        &lab.policy.port_for(label).to_string(),
        "--resolver",
        &lab.policy.dns.addr.to_string(),
        "--trust-anchor",
        anchor.to_str().unwrap(),
        "--ca-file",
        cas.to_str().unwrap(),
        "--mta-sts-port",
        &lab.policy.sts.addr.port().to_string(),
        "-4",
    ]
    .map(String::from)
    .to_vec()
}

/// The report's `DANE:` and `MTA-STS:` lines.
fn verdict_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("DANE:") || l.starts_with("MTA-STS:"))
        .map(String::from)
        .collect()
}

#[tokio::test]
async fn a_replayed_recording_keeps_the_mta_sts_and_dane_verdicts() {
    let lab = lab().await;
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("sts.jsonl");
    let mut args = cli_args(&lab, "sts-enforce", dir.path());
    args.extend(["--record".into(), rec.to_str().unwrap().into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let live = common::tlsdive(&args).await;
    let live_text = String::from_utf8_lossy(&live.stdout).to_string();
    let live_lines = verdict_lines(&live_text);
    assert!(
        live_lines
            .iter()
            .any(|l| l.starts_with("MTA-STS: enforce-ok")),
        "{live_text}"
    );
    assert!(
        // The sts-* domains' MX is served on a port without TLSA records: MTA-STS alone.
        live_lines.iter().any(|l| l.starts_with("DANE: none")),
        "{live_text}"
    );

    let replay = common::tlsdive(&["replay", rec.to_str().unwrap()]).await;
    let replay_text = String::from_utf8_lossy(&replay.stdout);
    assert_eq!(verdict_lines(&replay_text), live_lines, "{replay_text}");
    assert_eq!(replay.status.code(), live.status.code());

    let replay = common::tlsdive(&["replay", rec.to_str().unwrap(), "--json"]).await;
    let v: serde_json::Value = serde_json::from_slice(&replay.stdout).expect("JSON report");
    assert_eq!(v["policy"]["mta_sts"]["status"], "enforce-ok", "{v}");
    assert_eq!(v["policy"]["dane"]["status"], "none", "{v}");
    assert_eq!(v["outcome"]["cause"], "ok", "{v}");

    // The TUI replays the same neutralized session: its policy view judges alike.
    let loaded = tlsdive::recording::load(&rec).unwrap();
    let shown = tlsdive::session::neutralize::neutralize_session(&loaded.session);
    let a = shown.latest().unwrap();
    let s = assess(a).unwrap();
    assert_eq!(
        s.sts.verdict,
        PolicyVerdict::StsEnforceOk,
        "{}",
        s.sts.summary
    );
    assert_eq!(
        s.dane.verdict,
        PolicyVerdict::DaneNone,
        "{}",
        s.dane.summary
    );
}

#[tokio::test]
async fn a_host_target_gets_its_tlsa_judged_by_its_own_address_dnssec() {
    let lab = lab().await;
    let host_plan = |host: &str, label: &str| {
        let mut plan = lab.plan(label);
        plan.target = Target::Host(host.into());
        plan
    };
    // [mx.dane-ee.lab.tlsdive.test]: TLSA 3 1 1 of the served key, A and AAAA signed.
    let host = format!("mx.{}", policy_lab::domain("dane-ee"));
    let a = common::run(host_plan(&host, "dane-ee")).await.0;
    assert_eq!(a.policy.tlsa.len(), 1, "{:?}", a.policy.tlsa);
    assert_eq!(a.policy.tlsa[0].host, host);
    assert_eq!(a.policy.tlsa[0].dnssec, Dnssec::Secure);
    assert_eq!(state(&a, "A"), Dnssec::Secure, "{:?}", a.policy.dnssec);
    assert!(
        a.policy.dnssec.iter().all(|d| d.rtype != "MX"),
        "a [host] has no MX lookup: {:?}",
        a.policy.dnssec
    );
    assert_eq!(dane_of(&a), (PolicyVerdict::DaneValid, vec![Some(0)]));
    assert_eq!(sender(&a, "DANE"), Some(true));
    let s = assess(&a).unwrap();
    assert!(a.policy.sts_record.is_none() && a.policy.tls_rpt.is_none());
    assert!(s.sts.summary.contains("[host]"), "{}", s.sts.summary);

    // [mx.lab.tlsdive.test] on the port whose TLSA is the key before a rotation.
    let a = common::run(host_plan(tlsdive::lab::SERVER_NAME, "dane-mismatch"))
        .await
        .0;
    assert_eq!(state(&a, "A"), Dnssec::Secure, "{:?}", a.policy.dnssec);
    assert_eq!(dane_of(&a), (PolicyVerdict::DaneMismatch, vec![None]));
    assert_eq!(
        tlsdive::diagnose::diagnose(&a).cause,
        tlsdive::diagnose::Cause::DaneMismatch
    );

    // The host's address lookup decides: in the unsigned zone the TLSA is ignored.
    let host = format!("mx.{}", policy_lab::domain("unsigned"));
    let a = common::run(host_plan(&host, "unsigned")).await.0;
    assert_eq!(state(&a, "A"), Dnssec::Insecure, "{:?}", a.policy.dnssec);
    assert_eq!(dane_of(&a).0, PolicyVerdict::DaneInsecure);
}

/// `F` in the TUI runs the `--all` sweep through the engine handle: every MX × address a
/// normal attempt in the session, one after another, and the policy view shows its rows.
#[tokio::test]
async fn the_tui_sweep_key_probes_every_mx_and_address_as_attempts() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use tlsdive::tui::command::Effect;
    use tlsdive::tui::keymap::Key;
    let lab = lab().await;
    let mut plan = lab.plan("all");
    plan.family = Family::Any;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut engine = tlsdive::engine::EngineHandle::new(tx);
    let mut app = tlsdive::tui::app::App::new();
    app.color = false;
    let mut ui = tlsdive::tui::Ui::new(tlsdive::session::Session::new(), app);
    let draw = |ui: &mut tlsdive::tui::Ui, w: u16, h: u16| {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        ui.sync();
        t.draw(|f| ui.draw(f)).unwrap();
        t.backend().to_string()
    };
    engine.start(plan);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut pressed = false;
    let mut starts = 0;
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the sweep ends in time")
            .expect("the engine reports");
        ui.apply(&ev);
        let idle = ui.session.attempts.iter().all(|a| !a.is_running());
        let effect = if !pressed && idle {
            pressed = true;
            // The header lists the MX hosts and addresses with their DNSSEC states.
            // Addresses in the order they resolved (A and AAAA may come either way round).
            let main = draw(&mut ui, 200, 30);
            let (_, hosts) = ui
                .session
                .attempt(1)
                .unwrap()
                .resolution
                .mx
                .clone()
                .unwrap();
            let addrs = |i: usize| {
                let mut v: Vec<String> = hosts[i].addresses.iter().map(|a| a.to_string()).collect();
                let shown = v.join(" ");
                v.sort();
                (shown, v)
            };
            assert_eq!(addrs(0).1, ["127.0.0.1", "127.0.0.2"]);
            assert_eq!(addrs(1).1, ["127.0.0.3", "::1"]);
            let mx = format!(
                "MX dnssec secure: 10 {} {} (secure) · 20 mx2.{} {} (secure)",
                tlsdive::lab::SERVER_NAME,
                addrs(0).0,
                policy_lab::domain("all"),
                addrs(1).0,
            );
            assert!(main.contains(&mx), "{mx:?} missing:\n{main}");
            // On the smallest terminal the line is cut at the edge; the panels still fit.
            let small = draw(&mut ui, 80, 24);
            let lines: Vec<&str> = small.lines().collect();
            assert!(
                lines[1].starts_with(&format!(
                    "\"MX dnssec secure: 10 {}",
                    tlsdive::lab::SERVER_NAME
                )),
                "{small}"
            );
            assert!(lines[4].contains("SMTP transcript"), "{small}");
            Some(twice(&mut ui, 'F').expect("F starts the first pair"))
        } else {
            ui.run_tick().map(Some).unwrap_or(None)
        };
        if let Some(effect) = effect {
            match effect {
                Effect::Run(orders) => {
                    for o in &orders {
                        match &o.job {
                            tlsdive::runs::Job::Attempt(plan) => {
                                assert!(plan.address.is_some(), "each pair is pinned");
                                starts += 1;
                            }
                            other => panic!("a sweep asks only for attempts: {other:?}"),
                        }
                    }
                    tlsdive::tui::carry_out(&mut engine, &mut ui, orders);
                }
                other => panic!("a sweep asks only for attempts: {other:?}"),
            }
        }
        if pressed && idle && ui.app.sweep().is_some_and(|s| !s.running) {
            break;
        }
    }
    // The first attempt's own pair is its row: three more attempts, one per other pair.
    assert_eq!(starts, 3);
    assert_eq!(ui.session.attempts.len(), 4);
    let sweep = ui.app.sweep().cloned().unwrap();
    let mut rows: Vec<(Option<u16>, String, String, String)> = sweep
        .rows(&ui.session)
        .into_iter()
        .map(|r| {
            (
                r.preference,
                r.mx,
                r.address.to_string(),
                r.cause.code().to_string(),
            )
        })
        .collect();
    assert!(rows.is_sorted_by_key(|r| r.0), "preference order: {rows:?}");
    rows.sort();
    let port = lab.policy.ports.main;
    let mx2 = format!("mx2.{}", policy_lab::domain("all"));
    let ipv6_cause = rows
        .iter()
        .find(|r| r.2 == format!("[::1]:{port}"))
        .map(|r| r.3.clone())
        .expect("the ::1 row");
    assert_eq!(
        rows,
        [
            (
                Some(10),
                tlsdive::lab::SERVER_NAME.to_string(),
                format!("127.0.0.1:{port}"),
                "ok".to_string()
            ),
            (
                Some(10),
                tlsdive::lab::SERVER_NAME.to_string(),
                format!("127.0.0.2:{port}"),
                "ok".to_string()
            ),
            (
                Some(20),
                mx2.clone(),
                format!("127.0.0.3:{port}"),
                "connect-refused".to_string()
            ),
            (
                Some(20),
                mx2.clone(),
                format!("[::1]:{port}"),
                ipv6_cause.clone()
            ),
        ]
    );
    // Nothing listens on the lab port at ::1 (the lab servers are IPv4).
    assert_ne!(ipv6_cause, "ok");
    let status = &ui.app.status;
    assert!(
        status.starts_with(&format!(
            "sweep of {} done: 4 pairs, 2 failing: ",
            policy_lab::domain("all")
        )) && status.contains(&format!("127.0.0.3:{port} connect-refused"))
            && status.ends_with("(D shows the table)"),
        "{status}"
    );
    // The policy view shows the sweep's table, with F named in the footer.
    ui.key(Key::Char('D'));
    let view = draw(&mut ui, 160, 44);
    for want in [
        "sweep of all.lab.tlsdive.test: 2 MX host(s), 4 address(es)",
        &format!("127.0.0.3:{port}"),
        "connect-refused",
        "F sweep all MX",
    ] {
        assert!(view.contains(want), "{want:?} missing:\n{view}");
    }
}

/// One row of the sender table: the kind of sender and whether it delivers.
type Row = (String, Option<bool>);

fn rows(a: &Attempt) -> Vec<(String, Option<bool>, String)> {
    assess(a)
        .expect("policy looked up")
        .senders
        .iter()
        .map(|r| (r.policy.to_string(), r.delivers, r.why.clone()))
        .collect()
}

fn table(rows: [(&str, Option<bool>); 4]) -> Vec<Row> {
    rows.iter().map(|(p, d)| (p.to_string(), *d)).collect()
}

/// Probe `label` with strict verification and with `--no-verify`: the sender table (word for
/// word) and the headline must be the same, whatever tlsdive's own switch says.
async fn judged(lab: &Lab, label: &str) -> (Attempt, tlsdive::diagnose::Diagnosis, Vec<Row>) {
    let a = lab.probe(label).await;
    let mut plan = lab.plan(label);
    plan.tls.verify = false;
    let b = common::run(plan).await.0;
    assert_eq!(
        rows(&a),
        rows(&b),
        "{label}: the sender table follows --no-verify"
    );
    let (da, db) = (
        tlsdive::diagnose::diagnose(&a),
        tlsdive::diagnose::diagnose(&b),
    );
    assert_eq!(
        (da.ok, da.cause, &da.summary),
        (db.ok, db.cause, &db.summary),
        "{label}: the headline follows --no-verify"
    );
    let table = rows(&a).into_iter().map(|(p, d, _)| (p, d)).collect();
    (a, da, table)
}

/// The real binary's exit code for `label`, strict and with `--no-verify` (they must agree),
/// and its text report.
async fn exit_code(lab: &Lab, label: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let args = cli_args(lab, label, dir.path());
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let strict = common::tlsdive(&words).await;
    let mut lax = words.clone();
    lax.push("--no-verify");
    let lax = common::tlsdive(&lax).await;
    let text = String::from_utf8_lossy(&strict.stdout).into_owned();
    assert_eq!(
        strict.status.code(),
        lax.status.code(),
        "{label}: the exit code follows --no-verify\n{text}"
    );
    (strict.status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn dane_valid_over_a_wrong_name_certificate_is_ok_for_dane_senders() {
    let lab = lab().await;
    let (a, d, t) = judged(&lab, "dane-ee").await;
    assert_eq!(dane_of(&a).0, PolicyVerdict::DaneValid);
    assert_eq!((d.ok, d.cause.code()), (true, "ok"), "{}", d.summary);
    // The certificate's defect is still said, with whom it hurts.
    assert!(d.summary.contains("name mismatch"), "{}", d.summary);
    assert!(d.summary.contains("mandatory PKIX"), "{}", d.summary);
    assert_eq!(
        t,
        table([
            ("opportunistic", Some(true)),
            ("mandatory-verified", Some(false)),
            ("DANE", Some(true)),
            ("MTA-STS", Some(true)),
        ])
    );
    let (code, text) = exit_code(&lab, "dane-ee").await;
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("the handshake was completed past the failed verification to see what an opportunistic sender gets"),
        "{text}"
    );
}

#[tokio::test]
async fn dane_valid_over_an_expired_certificate_is_ok_for_dane_senders() {
    let lab = lab().await;
    let (a, d, t) = judged(&lab, "dane-expired").await;
    assert_eq!(dane_of(&a).0, PolicyVerdict::DaneValid);
    assert_eq!((d.ok, d.cause.code()), (true, "ok"), "{}", d.summary);
    assert!(d.summary.contains("expired"), "{}", d.summary);
    assert_eq!(
        t,
        table([
            ("opportunistic", Some(true)),
            ("mandatory-verified", Some(false)),
            ("DANE", Some(true)),
            ("MTA-STS", Some(true)),
        ])
    );
    assert_eq!(exit_code(&lab, "dane-expired").await.0, 0);
}

#[tokio::test]
async fn a_stale_tlsa_is_the_dane_mismatch_headline_for_every_switch() {
    let lab = lab().await;
    let (_, d, t) = judged(&lab, "dane-mismatch").await;
    assert_eq!((d.ok, d.cause.code()), (false, "dane-mismatch"));
    assert_eq!(
        t,
        table([
            ("opportunistic", Some(true)),
            ("mandatory-verified", Some(true)),
            ("DANE", Some(false)),
            ("MTA-STS", Some(true)),
        ])
    );
    let (code, text) = exit_code(&lab, "dane-mismatch").await;
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("[dane-mismatch]"), "{text}");
}

#[tokio::test]
async fn a_bogus_tlsa_rrset_is_dnssec_bogus_for_dane_senders_only() {
    let lab = lab().await;
    let (a, d, t) = judged(&lab, "dane-bogus").await;
    assert_eq!(state(&a, "MX"), Dnssec::Secure, "{:?}", a.policy.dnssec);
    assert_eq!(
        a.policy.tlsa[0].dnssec,
        Dnssec::Bogus,
        "{:?}",
        a.policy.tlsa
    );
    assert_eq!(
        (d.ok, d.cause.code()),
        (false, "dnssec-bogus"),
        "{}",
        d.summary
    );
    assert!(d.summary.contains("TLSA RRset"), "{}", d.summary);
    // The certificate names mx.lab.tlsdive.test, not this MX host: a PKIX sender refuses.
    assert_eq!(
        t,
        table([
            ("opportunistic", Some(true)),
            ("mandatory-verified", Some(false)),
            ("DANE", Some(false)),
            ("MTA-STS", Some(true)),
        ])
    );
    assert_eq!(exit_code(&lab, "dane-bogus").await.0, 1);
}

#[tokio::test]
async fn a_bogus_mx_rrset_leaves_validating_senders_without_a_server() {
    let lab = lab().await;
    let (a, d, t) = judged(&lab, "bogus").await;
    assert_eq!(
        (d.ok, d.cause.code()),
        (false, "dnssec-bogus"),
        "{}",
        d.summary
    );
    // Not an unconditional "yes": it depends on whether the sender's resolver validates.
    assert_eq!(
        t,
        table([
            ("opportunistic", None),
            ("mandatory-verified", None),
            ("DANE", Some(false)),
            ("MTA-STS", None),
        ])
    );
    let opportunistic = &rows(&a)[0].2;
    assert!(
        opportunistic.contains("validating resolver") && opportunistic.contains("MX RRset"),
        "{opportunistic}"
    );
    assert_eq!(exit_code(&lab, "bogus").await.0, 1);
}

#[tokio::test]
async fn mta_sts_testing_with_a_mismatching_mx_delivers_and_reports() {
    let lab = lab().await;
    let (a, d, t) = judged(&lab, "sts-testing").await;
    let s = assess(&a).unwrap();
    assert_eq!(
        s.sts.verdict,
        PolicyVerdict::StsTesting,
        "{}",
        s.sts.summary
    );
    assert!(
        s.sts.summary.contains("matches none of"),
        "{}",
        s.sts.summary
    );
    assert_eq!(
        s.dane.verdict,
        PolicyVerdict::DaneNone,
        "{}",
        s.dane.summary
    );
    assert_eq!((d.ok, d.cause.code()), (true, "ok"), "{}", d.summary);
    assert_eq!(
        t,
        table([
            ("opportunistic", Some(true)),
            ("mandatory-verified", Some(true)),
            ("DANE", Some(true)),
            ("MTA-STS", Some(true)),
        ])
    );
    assert_eq!(exit_code(&lab, "sts-testing").await.0, 0);
}

#[tokio::test]
async fn mta_sts_enforce_mismatch_headline_agrees_with_its_words_and_exit_code() {
    let lab = lab().await;
    let (_, d, t) = judged(&lab, "sts-mismatch").await;
    assert_eq!((d.ok, d.cause.code()), (false, "mta-sts-mx-mismatch"));
    assert_eq!(
        t,
        table([
            ("opportunistic", Some(true)),
            ("mandatory-verified", Some(true)),
            ("DANE", Some(true)),
            ("MTA-STS", Some(false)),
        ])
    );
    let (code, text) = exit_code(&lab, "sts-mismatch").await;
    assert_eq!(code, 1, "{text}");
    assert!(!text.contains("OK [mta-sts-mx-mismatch]"), "{text}");
}

/// Each sender row names what that sender would write in its TLS report (RFC 8460) about
/// this session: the policy type it reports under and the result-type, or none when its TLS
/// session succeeds by its own rules.
#[tokio::test]
async fn each_sender_row_names_the_tls_report_line_it_would_write() {
    let lab = lab().await;
    type Line = (&'static str, &'static str, Option<&'static str>);
    let table: [(&str, [Line; 4]); 9] = [
        (
            "dane-ee",
            [
                ("opportunistic", "no-policy-found", None),
                // Its MX host is not a name on the certificate (DANE-EE ignores names).
                (
                    "mandatory-verified",
                    "no-policy-found",
                    Some("certificate-host-mismatch"),
                ),
                ("DANE", "tlsa", None),
                ("MTA-STS", "no-policy-found", None),
            ],
        ),
        (
            "dane-expired",
            [
                ("opportunistic", "no-policy-found", None),
                (
                    "mandatory-verified",
                    "no-policy-found",
                    Some("certificate-expired"),
                ),
                ("DANE", "tlsa", None),
                ("MTA-STS", "no-policy-found", None),
            ],
        ),
        (
            "dane-mismatch",
            [
                ("opportunistic", "no-policy-found", None),
                ("mandatory-verified", "no-policy-found", None),
                ("DANE", "tlsa", Some("tlsa-invalid")),
                ("MTA-STS", "no-policy-found", None),
            ],
        ),
        (
            "dane-bogus",
            [
                ("opportunistic", "no-policy-found", None),
                // mx.<domain> is not on the lab certificate.
                (
                    "mandatory-verified",
                    "no-policy-found",
                    Some("certificate-host-mismatch"),
                ),
                ("DANE", "tlsa", Some("dnssec-invalid")),
                ("MTA-STS", "no-policy-found", None),
            ],
        ),
        (
            "sts-enforce",
            [
                ("opportunistic", "no-policy-found", None),
                ("mandatory-verified", "no-policy-found", None),
                ("DANE", "no-policy-found", None),
                ("MTA-STS", "sts", None),
            ],
        ),
        (
            "sts-mismatch",
            [
                ("opportunistic", "no-policy-found", None),
                ("mandatory-verified", "no-policy-found", None),
                ("DANE", "no-policy-found", None),
                ("MTA-STS", "sts", Some("validation-failure")),
            ],
        ),
        (
            // Testing mode delivers, and reports what enforce would refuse.
            "sts-testing",
            [
                ("opportunistic", "no-policy-found", None),
                ("mandatory-verified", "no-policy-found", None),
                ("DANE", "no-policy-found", None),
                ("MTA-STS", "sts", Some("validation-failure")),
            ],
        ),
        (
            "sts-unavailable",
            [
                ("opportunistic", "no-policy-found", None),
                ("mandatory-verified", "no-policy-found", None),
                ("DANE", "no-policy-found", None),
                ("MTA-STS", "sts", Some("sts-policy-fetch-error")),
            ],
        ),
        (
            // The policy host's HTTPS certificate does not name it.
            "sts-webpki",
            [
                ("opportunistic", "no-policy-found", None),
                ("mandatory-verified", "no-policy-found", None),
                ("DANE", "no-policy-found", None),
                ("MTA-STS", "sts", Some("sts-webpki-invalid")),
            ],
        ),
    ];
    for (label, want) in table {
        let a = lab.probe(label).await;
        let got: Vec<(String, String, Option<String>)> = assess(&a)
            .expect("policy looked up")
            .senders
            .iter()
            .map(|r| {
                (
                    r.policy.to_string(),
                    r.tlsrpt_policy.code().to_string(),
                    r.tlsrpt_result_type.as_ref().map(|t| t.code().to_string()),
                )
            })
            .collect();
        let want: Vec<(String, String, Option<String>)> = want
            .iter()
            .map(|(p, t, r)| (p.to_string(), t.to_string(), r.map(str::to_string)))
            .collect();
        assert_eq!(got, want, "{label}");
    }
    // The MX itself at fault under MTA-STS enforce: an expired certificate is reported as
    // its own defect (never sts-webpki-invalid, the policy's HTTPS certificate), and a
    // STARTTLS refused with 454 leaves an opportunistic sender in plaintext (Postfix goes on
    // without TLS) while every sender that requires TLS defers.
    let sts_mx: [(Scenario, [Line; 4], &str); 2] = [
        (
            Scenario::ExpiredCert,
            [
                ("opportunistic", "no-policy-found", None),
                (
                    "mandatory-verified",
                    "no-policy-found",
                    Some("certificate-expired"),
                ),
                ("DANE", "no-policy-found", None),
                ("MTA-STS", "sts", Some("certificate-expired")),
            ],
            "certificate-expired",
        ),
        (
            Scenario::Starttls454,
            [
                (
                    "opportunistic",
                    "no-policy-found",
                    Some("starttls-not-supported"),
                ),
                (
                    "mandatory-verified",
                    "no-policy-found",
                    Some("starttls-not-supported"),
                ),
                ("DANE", "no-policy-found", Some("starttls-not-supported")),
                ("MTA-STS", "sts", Some("starttls-not-supported")),
            ],
            "starttls-not-supported",
        ),
    ];
    for (scenario, want, outcome) in sts_mx {
        let srv = server(scenario).await;
        let mut plan = lab.plan("sts-enforce");
        plan.port = srv.addr.port();
        let a = common::run(plan).await.0;
        let s = assess(&a).expect("policy looked up");
        let got: Vec<(String, String, Option<String>)> = s
            .senders
            .iter()
            .map(|r| {
                (
                    r.policy.to_string(),
                    r.tlsrpt_policy.code().to_string(),
                    r.tlsrpt_result_type.as_ref().map(|t| t.code().to_string()),
                )
            })
            .collect();
        let want: Vec<(String, String, Option<String>)> = want
            .iter()
            .map(|(p, t, r)| (p.to_string(), t.to_string(), r.map(str::to_string)))
            .collect();
        assert_eq!(got, want, "{}", scenario.name());
        let v = tlsdive::report::json::report(&a);
        assert_eq!(
            v["outcome"]["tlsrpt_result_type"],
            outcome,
            "{}",
            scenario.name()
        );
        if scenario == Scenario::Starttls454 {
            let opp = &s.senders[0];
            assert_eq!(opp.delivers, Some(true), "{}", opp.why);
            assert!(opp.why.contains("in plaintext"), "{}", opp.why);
            assert_eq!(s.senders[3].delivers, Some(false));
        }
    }
    // The text report prints the line beside the row; JSON carries both fields.
    let dir = tempfile::tempdir().unwrap();
    let args = cli_args(&lab, "dane-mismatch", dir.path());
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::tlsdive(&words).await;
    let text = String::from_utf8_lossy(&out.stdout);
    let dane = text
        .lines()
        .find(|l| l.trim_start().starts_with("DANE ") && l.contains(" NO "))
        .unwrap_or_else(|| panic!("no DANE sender row:\n{text}"));
    assert!(dane.ends_with(" · TLS-RPT tlsa: tlsa-invalid"), "{dane}");
}

/// A key that starts many connections asks first: the second press starts it (issue 19).
fn twice(ui: &mut tlsdive::tui::Ui, c: char) -> Option<tlsdive::tui::command::Effect> {
    let key = tlsdive::tui::keymap::Key::Char(c);
    assert_eq!(ui.key(key), None, "{c} asks first: {}", ui.app.status);
    ui.key(key)
}

//! Lookups that never hide a verdict (issue 17, items 1-4), against the signed policy lab
//! with hostile DNS behaviours (`lab::dns::Script`): queries never answered, slow answers,
//! many MX hosts, malformed replies. Every wait is bounded by the plan's timeouts (a 1 s
//! connect timeout: each DNS lookup gives up after 2 s).

mod common;

use std::time::Duration;

use common::{fixture, server};
use tlsdive::diagnose::policy::{PolicyVerdict, assess};
use tlsdive::lab::policy_lab::{self, PolicyLab};
use tlsdive::lab::{SERVER_NAME, Scenario};
use tlsdive::plan::{Family, Plan, Target, Trust};
use tlsdive::session::Attempt;

struct Lab {
    policy: PolicyLab,
    _smtp: tlsdive::lab::LabServer,
    dir: tempfile::TempDir,
}

async fn lab() -> Lab {
    let smtp = server(Scenario::Healthy).await;
    let policy = policy_lab::start(&fixture().pki, smtp.addr.port())
        .await
        .expect("policy lab");
    Lab {
        policy,
        _smtp: smtp,
        dir: tempfile::tempdir().unwrap(),
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
        plan.timeouts.connect = Duration::from_secs(1);
        plan.timeouts.reply = Duration::from_secs(5);
        plan
    }

    async fn probe(&self, label: &str) -> Attempt {
        common::run(self.plan(label)).await.0
    }

    /// The binary's arguments for `probe DOMAIN` against the lab, 1 s connect timeout.
    fn args(&self, label: &str) -> Vec<String> {
        let anchor = self.dir.path().join("root.key");
        std::fs::write(&anchor, &self.policy.anchor).unwrap();
        let cas = self.dir.path().join("cas.pem");
        std::fs::write(
            &cas,
            format!("{}{}", fixture().pki.ca_pem(), self.policy.sts.ca_pem),
        )
        .unwrap();
        [
            "probe",
            &policy_lab::domain(label),
            "--port",
            &self.policy.port_for(label).to_string(),
            "--resolver",
            &self.policy.dns.addr.to_string(),
            "--trust-anchor",
            anchor.to_str().unwrap(),
            "--ca-file",
            cas.to_str().unwrap(),
            "--mta-sts-port",
            &self.policy.sts.addr.port().to_string(),
            "--connect-timeout",
            "1s",
            "-4",
        ]
        .map(String::from)
        .to_vec()
    }

    async fn cli(&self, label: &str, extra: &[&str]) -> (Option<i32>, String) {
        let mut args = self.args(label);
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::tlsdive(&args).await;
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
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
async fn a_dead_backup_mx_does_not_hide_the_primarys_dane_mismatch() {
    let lab = lab().await;
    let a = lab.probe("dead-backup").await;
    assert_eq!(a.host(), Some(SERVER_NAME));
    let s = assess(&a).expect("policy looked up");
    assert_eq!(
        s.dane.verdict,
        PolicyVerdict::DaneMismatch,
        "{}",
        s.dane.summary
    );
    assert_eq!(sender(&a, "DANE"), Some(false));
    assert_eq!(
        tlsdive::diagnose::diagnose(&a).cause,
        tlsdive::diagnose::Cause::DaneMismatch
    );
    // TLS-RPT was looked up (the lab publishes none), not dropped with the backup.
    assert!(a.policy.tls_rpt.is_some(), "{:?}", a.policy);
    // The backup's unanswered lookups are reported as such, never left out.
    let backup = policy_lab::dead_backup();
    let a_state = a
        .policy
        .dnssec
        .iter()
        .find(|d| d.name == backup && d.rtype == "A")
        .expect("the backup's A lookup is reported");
    assert_eq!(a_state.dnssec, tlsdive::policy::Dnssec::Indeterminate);
    assert!(
        a_state
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("no DNS answer within")),
        "{a_state:?}"
    );

    // The binary says the same as straight to the DNS: [dane-mismatch], exit 1.
    let (straight_code, straight) = lab.cli("dane-mismatch", &[]).await;
    let (code, text) = lab.cli("dead-backup", &[]).await;
    assert_eq!(straight_code, Some(1), "{straight}");
    assert!(straight.contains("[dane-mismatch]"), "{straight}");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("[dane-mismatch]"), "{text}");
    assert!(!text.contains("gave up"), "{text}");
}

#[tokio::test]
async fn an_unanswered_address_lookup_of_the_probed_host_is_not_judged_and_no_yes() {
    // Secure TLSA records, but the host's AAAA query is never answered: whether the records
    // count cannot be told, so DANE is not judged either way.
    let lab = lab().await;
    let a = lab.probe("silent-aaaa").await;
    let host = format!("mx.{}", policy_lab::domain("silent-aaaa"));
    assert_eq!(a.host(), Some(host.as_str()));
    let aaaa = a
        .policy
        .dnssec
        .iter()
        .find(|d| d.name == host && d.rtype == "AAAA")
        .expect("the AAAA lookup is reported");
    assert_eq!(
        aaaa.dnssec,
        tlsdive::policy::Dnssec::Indeterminate,
        "{aaaa:?}"
    );
    let s = assess(&a).unwrap();
    assert_eq!(
        s.dane.verdict,
        PolicyVerdict::DnssecIndeterminate,
        "{}",
        s.dane.summary
    );
    assert!(
        s.dane.summary.contains("could not be judged"),
        "{}",
        s.dane.summary
    );
    assert_eq!(sender(&a, "DANE"), None);
}

#[tokio::test]
async fn the_ninth_mx_probed_gets_its_tlsa_lookup_and_judgement() {
    let lab = lab().await;
    let a = lab.probe("ninth-mx").await;
    let mx9 = format!("mx9.{}", policy_lab::domain("ninth-mx"));
    assert_eq!(a.host(), Some(mx9.as_str()), "{:?}", a.tried);
    assert!(
        a.policy.tlsa.iter().any(|l| l.host == mx9),
        "{:?}",
        a.policy.tlsa
    );
    let s = assess(&a).unwrap();
    assert_eq!(
        s.dane.verdict,
        PolicyVerdict::DaneValid,
        "{}",
        s.dane.summary
    );
    assert_eq!(sender(&a, "DANE"), Some(true));
}

#[tokio::test]
async fn a_working_primary_with_three_silent_backups_is_probed_not_dns_failed() {
    let lab = lab().await;
    let (a, d) = common::run(lab.plan("silent-backups")).await;
    assert_eq!(a.host(), Some(SERVER_NAME), "{:?}", a.tried);
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Ok, "{d:?}");
    // Every backup is still listed, with why it has no address.
    let (_, hosts) = a.resolution.mx.clone().expect("MX listed");
    assert_eq!(hosts.len(), 4, "{hosts:?}");
    for h in &hosts[1..] {
        assert!(h.addresses.is_empty(), "{h:?}");
        assert!(
            h.error
                .as_deref()
                .is_some_and(|e| e.contains("no DNS answer") || e.contains("timed out")),
            "{h:?}"
        );
    }
}

#[tokio::test]
async fn fifty_slow_mx_hosts_do_not_make_a_dns_failure() {
    let lab = lab().await;
    let mut plan = lab.plan("many-mx");
    // The lab certificate names one host, not the fifty.
    plan.tls.verify_name = Some(SERVER_NAME.into());
    let (a, d) = common::run(plan).await;
    let first = format!("mx01.{}", policy_lab::domain("many-mx"));
    assert_eq!(a.host(), Some(first.as_str()), "{:?} {d:?}", a.tried);
    assert_eq!(d.cause, tlsdive::diagnose::Cause::Ok, "{d:?}");
    // Listed up to the cap, the rest said to be left out.
    let (_, hosts) = a.resolution.mx.clone().expect("MX listed");
    assert_eq!(hosts.len(), tlsdive::net::resolve::MAX_MX_HOSTS);
    assert!(hosts.iter().all(|h| !h.addresses.is_empty()), "{hosts:?}");
    assert!(
        a.events().any(|e| matches!(
            &e.kind,
            tlsdive::event::EventKind::Note { text } if text.contains("34 more MX hosts")
        )),
        "the hosts beyond the cap are said to be left out"
    );
}

#[tokio::test]
async fn probe_all_names_why_resolution_failed_in_text_and_json() {
    let lab = lab().await;
    let validator = common::schema::validator("sweep.schema.json");
    for (label, cause, words) in [
        ("null-mx", "no-mx", "accepts no mail"),
        ("no-address", "no-mx", "addresses"),
        ("dns-timeout", "dns-failed", "no DNS answer within"),
        ("malformed", "dns-failed", "DNS lookup failed"),
    ] {
        let (code, text) = lab.cli(label, &["--all"]).await;
        assert_eq!(code, Some(1), "{label}: {text}");
        assert!(text.contains(&format!("[{cause}]")), "{label}: {text}");
        assert!(text.contains(words), "{label}: {text}");
        let (code, json) = lab.cli(label, &["--all", "--json"]).await;
        assert_eq!(code, Some(1), "{label}: {json}");
        let v: serde_json::Value = serde_json::from_str(&json).expect("a JSON array");
        let errors: Vec<String> = common::schema::errors(&validator, &v);
        assert!(errors.is_empty(), "{label}: {errors:?}\n{v}");
        assert_eq!(v[0]["cause"], cause, "{label}: {v}");
        assert_eq!(v[0]["address"], serde_json::Value::Null, "{label}: {v}");
        assert_eq!(v[0]["mx"], policy_lab::domain(label), "{label}: {v}");
    }
}

//! Postfix's own DANE client is the reference for the DANE row: on the signed policy lab, a
//! validating `unbound` on 127.0.1.53:53 (the lab root's trust anchor, forwarding to the lab
//! DNS) and `posttls-finger -c -l dane` under `unshare -m` with a bind-mounted resolv.conf
//! (DESIGN.md, Tests). Needs root, unbound and postfix (`.ci/run` installs them).

mod common;

use std::process::Stdio;

use common::{fixture, server};
use tlsdive::diagnose::policy::assess;
use tlsdive::lab::Scenario;
use tlsdive::lab::policy_lab::{self, PolicyLab};
use tlsdive::plan::{Family, Plan, Target, Trust};
use tokio::io::{AsyncBufReadExt, BufReader};

/// The loopback address unbound listens on (port 53, as the system resolver's is).
const UNBOUND: &str = "127.0.1.53";

fn plan(lab: &PolicyLab, label: &str) -> Plan {
    let mut plan = Plan::new(Target::Domain(policy_lab::domain(label)));
    plan.resolver = Some(lab.dns.addr);
    plan.port = lab.port_for(label);
    plan.family = Family::V4;
    plan.tls.trust = Trust::from_pem("the lab CA", &fixture().pki.ca_pem());
    plan.policy.mta_sts_port = Some(lab.sts.addr.port());
    plan.policy.trust_anchor = Some(lab.anchor.clone());
    plan
}

/// Start unbound in the foreground; returns once it says it serves.
async fn unbound(dir: &std::path::Path, lab: &PolicyLab) -> tokio::process::Child {
    let anchor = dir.join("root.key");
    std::fs::write(&anchor, &lab.anchor).unwrap();
    let conf = dir.join("unbound.conf");
    std::fs::write(
        &conf,
        format!(
            "server:\n  interface: {UNBOUND}\n  port: 53\n  do-not-query-localhost: no\n  \
             trust-anchor-file: \"{}\"\n  local-zone: \"test.\" nodefault\n  username: \"\"\n  \
             chroot: \"\"\n  directory: \"{}\"\n  pidfile: \"\"\n  module-config: \"validator iterator\"\n  \
             access-control: 127.0.0.0/8 allow\n  qname-minimisation: no\n  use-syslog: no\n  \
             logfile: \"\"\n  verbosity: 1\n  do-ip6: no\nforward-zone:\n  name: \".\"\n  \
             forward-addr: 127.0.0.1@{}\n",
            anchor.display(),
            dir.display(),
            lab.dns.addr.port()
        ),
    )
    .unwrap();
    let mut child = tokio::process::Command::new("unbound")
        .args(["-d", "-c", conf.to_str().unwrap()])
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("unbound (apt-get install unbound)");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    // Bounded: unbound logs a handful of lines before it serves.
    for _ in 0..50 {
        match lines.next_line().await.unwrap() {
            Some(l) if l.contains("start of service") => {
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                return child;
            }
            Some(_) => {}
            None => break,
        }
    }
    panic!("unbound did not start (is {UNBOUND}:53 taken? are we root?)");
}

/// What posttls-finger at the `dane` level says about `label`.
async fn posttls_finger(dir: &std::path::Path, lab: &PolicyLab, label: &str) -> String {
    let pf = dir.join("pf");
    std::fs::create_dir_all(&pf).unwrap();
    std::fs::write(
        pf.join("main.cf"),
        "compatibility_level = 3.6\nsmtp_dns_support_level = dnssec\n",
    )
    .unwrap();
    let resolv = dir.join("resolv.conf");
    std::fs::write(&resolv, format!("nameserver {UNBOUND}\noptions trust-ad\n")).unwrap();
    let script = format!(
        "mount --bind {} /etc/resolv.conf && exec posttls-finger -c -l dane {}:{}",
        resolv.display(),
        policy_lab::domain(label),
        lab.port_for(label)
    );
    let out = tokio::process::Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .env("MAIL_CONFIG", &pf)
        .output()
        .await
        .expect("unshare and posttls-finger (apt-get install postfix)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn the_dane_row_agrees_with_postfix_posttls_finger() {
    let smtp = server(Scenario::Healthy).await;
    let lab = policy_lab::start(&fixture().pki, smtp.addr.port())
        .await
        .expect("policy lab");
    let dir = tempfile::tempdir().unwrap();
    let _unbound = unbound(dir.path(), &lab).await;
    // Postfix's words for each case, and whether a DANE sender delivers.
    for (label, words, delivers) in [
        // DANE-EE over a certificate naming another host, and over an expired one.
        ("dane-ee", "Verified TLS connection established", true),
        ("dane-expired", "Verified TLS connection established", true),
        // DANE-TA 2 1 1 of the issuing CA, the chain and the MX host name checked.
        ("dane-ta", "Verified TLS connection established", true),
        ("dane-mismatch", "no matching DANE TLSA records", false),
        ("dane-bogus", "TLSA lookup error", false),
        ("bogus", "Destination address lookup failed", false),
    ] {
        let said = posttls_finger(dir.path(), &lab, label).await;
        assert!(
            said.contains(words),
            "{label}: posttls-finger said:\n{said}"
        );
        let a = common::run(plan(&lab, label)).await.0;
        let s = assess(&a).expect("policy looked up");
        let row = s.senders.iter().find(|r| r.policy == "DANE").unwrap();
        assert_eq!(
            row.delivers,
            Some(delivers),
            "{label}: tlsdive's DANE row {row:?}; posttls-finger said:\n{said}"
        );
        if !delivers {
            assert!(!said.contains("Verified TLS connection"), "{label}: {said}");
        }
        // The rule tlsdive names is the one of the record Postfix matched: DANE-TA checks
        // the chain and the name, DANE-EE neither.
        if label == "dane-ta" {
            assert!(row.why.contains("DANE-TA: "), "{label}: {row:?}\n{said}");
        }
    }
}

//! Shared test setup: the lab's PKI, a lab server for a scenario, and a plan aimed at it.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tlsdive::diagnose::{self, Diagnosis};
use tlsdive::lab::{self, LabServer, Pki, Scenario};
use tlsdive::plan::{Plan, Target, TlsMode};
use tlsdive::session::{Attempt, Session};

pub struct Fixture {
    pub pki: Arc<Pki>,
    pub dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

/// One PKI for the whole test binary (generating keys is the slow part).
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let pki = Arc::new(Pki::generate().expect("lab PKI"));
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, pki.ca_pem()).expect("write ca");
        let client_cert = dir.path().join("client.pem");
        std::fs::write(&client_cert, pki.client_cert_pem()).expect("write client cert");
        let client_key = dir.path().join("client.key");
        std::fs::write(&client_key, pki.client_key_pem()).expect("write client key");
        Fixture {
            pki,
            dir,
            ca,
            client_cert,
            client_key,
        }
    })
}

pub async fn server(s: Scenario) -> LabServer {
    lab::start(s, &fixture().pki, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("lab server")
}

/// A plan for `addr` trusting the lab CA, with short timeouts.
pub fn plan_for(addr: SocketAddr, implicit: bool) -> Plan {
    let mut plan = Plan::new(Target::Ip(addr.ip()));
    plan.port = addr.port();
    plan.mode = if implicit {
        TlsMode::Implicit
    } else {
        TlsMode::Starttls
    };
    plan.ehlo = "probe.tlsdive.test".into();
    plan.tls.trust = tlsdive::plan::Trust::from_pem("the lab CA", &fixture().pki.ca_pem());
    plan.timeouts.connect = Duration::from_secs(5);
    plan.timeouts.reply = Duration::from_secs(5);
    plan
}

pub async fn run(plan: Plan) -> (Attempt, Diagnosis) {
    let events = tlsdive::engine::probe(plan).await;
    let mut session = Session::new();
    for ev in &events {
        session.apply(ev);
    }
    let attempt = session.attempts.pop().expect("one attempt");
    let d = diagnose::diagnose(&attempt);
    (attempt, d)
}

/// Probe a fresh lab server for `s` with `tweak` applied to the plan.
pub async fn probe(s: Scenario, tweak: impl FnOnce(&mut Plan)) -> (Attempt, Diagnosis) {
    let srv = server(s).await;
    let mut plan = plan_for(srv.addr, s.implicit_tls());
    tweak(&mut plan);
    run(plan).await
}
/// The real binary with `args` (no inherited SSLKEYLOGFILE), to its end.
pub async fn tlsdive(args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_tlsdive"))
        .args(args)
        .env_remove("SSLKEYLOGFILE")
        .output()
        .await
        .expect("run tlsdive")
}

pub mod exim;
pub mod openssl;
pub mod openssl_smtp;

/// The cause diagnose names for `a`.
pub fn run_cause(a: &Attempt) -> tlsdive::diagnose::Cause {
    diagnose::diagnose(a).cause
}
pub mod postfix;
pub mod schema;
pub mod tmux;

/// A triage run's settings aimed at the lab's healthy scenario (its CA, a 5 s connect);
/// `reply` bounds each reply, `retries_on_421` the tries after a 421.
pub fn triage_config(
    concurrency: usize,
    reply: Duration,
    retries_on_421: u32,
) -> tlsdive::triage::run::Config {
    let mut template = lab::plan_for(
        Scenario::Healthy,
        "127.0.0.1:25".parse().unwrap(),
        &fixture().pki.ca_pem(),
    );
    template.ehlo = "probe.tlsdive.test".into();
    template.timeouts.connect = Duration::from_secs(5);
    template.timeouts.reply = reply;
    tlsdive::triage::run::Config::new(
        template,
        concurrency,
        Duration::from_millis(1),
        retries_on_421,
    )
}

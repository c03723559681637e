//! `tlsdive exporter` as Prometheus uses it: a real Prometheus (Debian's package), started on
//! loopback with its own configuration and data folder, scrapes the exporter in the
//! blackbox_exporter style (relabeling the target into `target=`) against lab servers, and
//! the values it stored are read back through its HTTP API. Also: the allow-list refuses
//! before connecting, the scrape timeout bounds a probe, a full exporter answers 503, and
//! `promtool check metrics` accepts what a probe returns.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tlsdive::exporter::{Config, Exporter, serve};
use tlsdive::lab::Scenario;
use tlsdive::lab::policy_lab::{self, PolicyLab};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.0 GET (the exporter and Prometheus both speak it): status and body.
async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    try_get(addr, path, headers).await.expect("connect")
}

/// [`get`], or `None` when nothing listens (yet).
async fn try_get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let mut req = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut raw))
        .await
        .expect("answered in time")
        .expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|b| b.1).unwrap_or_default();
    Some((status, body.to_string()))
}

async fn start_exporter(config: Config) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(serve(listener, Arc::new(Exporter::new(config))));
    (addr, task)
}

fn config(dir: &std::path::Path, text: &str) -> Config {
    let path = dir.join("exporter.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(Some(&path), &[]).expect("exporter config")
}

/// The value of one sample line `name{...labels...} value` in an exposition.
fn sample(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name_and_labels) && l[name_and_labels.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Prometheus on loopback, stopped when dropped.
struct Prometheus {
    child: tokio::process::Child,
    addr: SocketAddr,
}

impl Prometheus {
    async fn start(dir: &std::path::Path, config: &str) -> Prometheus {
        let file = dir.join("prometheus.yml");
        std::fs::write(&file, config).unwrap();
        let check = std::process::Command::new("promtool")
            .args(["check", "config"])
            .arg(&file)
            .output()
            .expect("promtool (Debian package prometheus; .ci/run installs it)");
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let child = tokio::process::Command::new("prometheus")
            .arg(format!("--config.file={}", file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("prometheus (Debian package; .ci/run installs it)");
        Prometheus { child, addr }
    }

    /// `query`'s result as (instance, value) pairs.
    async fn query(&self, query: &str) -> Vec<(String, String, f64)> {
        let q: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
        let Some((200, body)) = try_get(self.addr, &format!("/api/v1/query?query={q}"), &[]).await
        else {
            return Vec::new();
        };
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        v["data"]["result"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .map(|r| {
                        (
                            r["metric"]["instance"]
                                .as_str()
                                .unwrap_or_default()
                                .to_string(),
                            r["metric"]["status"]
                                .as_str()
                                .unwrap_or_default()
                                .to_string(),
                            r["value"][1]
                                .as_str()
                                .and_then(|s| s.parse().ok())
                                .unwrap_or(f64::NAN),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Ask `query` until it returns `n` series (bounded: 90 s, Prometheus scrapes every 1 s).
    async fn wait_for(&mut self, query: &str, n: usize) -> Vec<(String, String, f64)> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tick.tick().await;
            let got = self.query(query).await;
            if got.len() >= n {
                return got;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("prometheus exited: {status}");
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{query}: {got:?} after 90 s"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_records_the_verdicts_of_lab_servers() {
    let pki = &common::fixture().pki;
    let healthy = common::server(Scenario::Healthy).await;
    let expired = common::server(Scenario::ExpiredCert).await;
    let policy: PolicyLab = policy_lab::start(pki, healthy.addr.port())
        .await
        .expect("policy lab");
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, format!("{}{}", pki.ca_pem(), policy.sts.ca_pem)).unwrap();
    let anchor = dir.path().join("root.key");
    std::fs::write(&anchor, &policy.anchor).unwrap();
    let cfg = config(
        dir.path(),
        &format!(
            "allow = [\"127.0.0.0/8\", \"*.{lab}\"]\n\
             [modules.lab]\nca_file = \"{ca}\"\ntrust_anchor = \"{anchor}\"\n\
             resolver = \"{dns}\"\nmta_sts_port = {sts}\ntimeout = \"5s\"\nehlo = \"probe.tlsdive.test\"\n",
            lab = policy_lab::LAB_DOMAIN,
            ca = ca.display(),
            anchor = anchor.display(),
            dns = policy.dns.addr,
            sts = policy.sts.addr.port(),
        ),
    );
    let (exporter, _task) = start_exporter(cfg).await;

    // What one probe returns passes promtool's checks.
    let (status, text) = get(
        exporter,
        &format!("/probe?module=lab&target={}", expired.addr),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let mut lint = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool");
    std::io::Write::write_all(&mut lint.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let lint = lint.wait_with_output().unwrap();
    assert!(
        lint.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );

    let mismatch = policy_lab::domain("dane-mismatch");
    let sts_mismatch = policy_lab::domain("sts-mismatch");
    let yml = format!(
        r#"global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: tlsdive
    metrics_path: /probe
    params:
      module: [lab]
    static_configs:
      - targets: ["{healthy}", "{expired}"]
      - targets: ["{mismatch}"]
        labels:
          __param_port: "{mismatch_port}"
      - targets: ["{sts}"]
        labels:
          __param_port: "{sts_port}"
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: "{exporter}"
  - job_name: tlsdive_exporter
    static_configs:
      - targets: ["{exporter}"]
"#,
        healthy = healthy.addr,
        expired = expired.addr,
        mismatch_port = policy.port_for("dane-mismatch"),
        sts = sts_mismatch,
        sts_port = policy.port_for("sts-mismatch"),
    );
    let mut prom = Prometheus::start(dir.path(), &yml).await;
    let success = prom.wait_for("tlsdive_probe_success", 4).await;
    let value = |rows: &[(String, String, f64)], instance: &str| {
        rows.iter()
            .find(|r| r.0 == instance)
            .map(|r| r.2)
            .unwrap_or_else(|| panic!("{instance} in {rows:?}"))
    };
    assert_eq!(value(&success, &healthy.addr.to_string()), 1.0);
    assert_eq!(value(&success, &expired.addr.to_string()), 0.0);
    // The stale TLSA: the server works for an opportunistic sender, DANE says mismatch and a
    // DANE sender does not deliver.
    let dane = prom.wait_for("tlsdive_dane == 1", 1).await;
    assert_eq!(dane[0].0, mismatch);
    assert_eq!(dane[0].1, "dane-mismatch");
    let dane_sender = prom
        .wait_for("tlsdive_sender_delivers{sender=\"dane\"}", 1)
        .await;
    assert_eq!(value(&dane_sender, &mismatch), 0.0);
    // An MTA-STS policy in enforce mode that does not list the MX: an MTA-STS sender does
    // not deliver, an opportunistic one does.
    let sts = prom
        .wait_for("tlsdive_mta_sts{status=\"mta-sts-mx-mismatch\"}", 1)
        .await;
    assert_eq!(sts[0].0, sts_mismatch);
    assert_eq!(sts[0].1, "mta-sts-mx-mismatch");
    let sts_sender = prom
        .wait_for("tlsdive_sender_delivers{sender=\"mta-sts\"}", 2)
        .await;
    assert_eq!(value(&sts_sender, &sts_mismatch), 0.0);
    let opportunistic = prom
        .wait_for("tlsdive_sender_delivers{sender=\"opportunistic\"}", 2)
        .await;
    assert_eq!(value(&opportunistic, &sts_mismatch), 1.0);
    // The expired certificate's expiry is in the past, the healthy one's in the future.
    let left = prom
        .wait_for("tlsdive_certificate_expiry_timestamp_seconds - time()", 3)
        .await;
    assert!(value(&left, &expired.addr.to_string()) < 0.0, "{left:?}");
    assert!(value(&left, &healthy.addr.to_string()) > 0.0, "{left:?}");
    let causes = prom
        .wait_for(
            "tlsdive_probe_cause{cause=\"cert-expired\",tlsrpt_result_type=\"certificate-expired\"}",
            1,
        )
        .await;
    assert_eq!(causes[0].0, expired.addr.to_string());
    // The exporter's own health, scraped as a normal target.
    let own = prom
        .wait_for(
            "tlsdive_exporter_probe_requests_total{result=\"success\"} > 0",
            1,
        )
        .await;
    assert_eq!(own.len(), 1);
}

#[tokio::test]
async fn the_allow_list_refuses_before_any_connection() {
    let srv = common::server(Scenario::Healthy).await;
    let dir = tempfile::tempdir().unwrap();
    let (exporter, _task) = start_exporter(config(
        dir.path(),
        "allow = [\"127.0.0.2\", \"*.example.net\"]\n",
    ))
    .await;
    for target in [
        srv.addr.to_string(),
        "example.net".to_string(),
        "mx.example.org".to_string(),
        "%5B127.0.0.1%5D".to_string(),
    ] {
        let (status, body) = get(exporter, &format!("/probe?target={target}"), &[]).await;
        assert_eq!(status, 403, "{target}: {body}");
        assert!(body.contains("is not allowed"), "{body}");
    }
    assert_eq!(srv.connections(), 0, "a refused target was connected to");
    let (status, body) = get(exporter, "/probe?target=127.0.0.2&port=0", &[]).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = get(exporter, "/probe?target=127.0.0.2&module=nope", &[]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("unknown module"), "{body}");
    let (status, _) = get(exporter, "/metrics", &[]).await;
    assert_eq!(status, 200);
}

/// A server that stalls the handshake: the scrape's own timeout ends the probe (it says so),
/// and with one slot a second scrape that cannot get it in its time is answered 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_timeouts_and_a_full_exporter() {
    let stall = common::server(Scenario::HandshakeStall).await;
    let dir = tempfile::tempdir().unwrap();
    let (exporter, _task) = start_exporter(config(
        dir.path(),
        "allow = [\"127.0.0.0/8\"]\nmax_concurrent = 1\n[modules.default]\ntimeout = \"60s\"\n",
    ))
    .await;
    let path = format!("/probe?target={}", stall.addr);
    let first = {
        let path = path.clone();
        tokio::spawn(async move {
            get(
                exporter,
                &path,
                &[("X-Prometheus-Scrape-Timeout-Seconds", "4")],
            )
            .await
        })
    };
    // Wait (bounded) until the first probe holds the only slot.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    loop {
        tick.tick().await;
        let (_, m) = get(exporter, "/metrics", &[]).await;
        if sample(&m, "tlsdive_exporter_probes_in_flight") == Some(1.0) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{m}");
    }
    let (status, body) = get(
        exporter,
        &path,
        &[("X-Prometheus-Scrape-Timeout-Seconds", "1")],
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("stayed busy"), "{body}");
    let (status, text) = first.await.unwrap();
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        sample(&text, "tlsdive_probe_deadline_exceeded"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "tlsdive_probe_success"), Some(0.0), "{text}");
    let (_, m) = get(exporter, "/metrics", &[]).await;
    assert_eq!(
        sample(&m, "tlsdive_exporter_probe_requests_total{result=\"busy\"}"),
        Some(1.0),
        "{m}"
    );
}

/// The README's scrape job and alert rules, as printed, pass `promtool check config` and
/// `promtool check rules`.
#[test]
fn the_readme_configuration_passes_promtool() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let block = |name: &str| -> String {
        let marker = format!("<!-- exporter: {name} -->\n```yaml\n");
        let start = readme
            .find(&marker)
            .unwrap_or_else(|| panic!("{name} in README"))
            + marker.len();
        let len = readme[start..].find("```").expect("closing fence");
        readme[start..start + len].to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, check) in [("prometheus.yml", "config"), ("rules.yml", "rules")] {
        let path = dir.path().join(name);
        std::fs::write(&path, block(name)).unwrap();
        let out = std::process::Command::new("promtool")
            .args(["check", check])
            .arg(&path)
            .output()
            .expect("promtool");
        assert!(
            out.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Out of file descriptors, the exporter says so once, backs off instead of spinning, and
/// serves again when descriptors free up; a client that never sends its request is cut off
/// at the header timeout. The real binary under `prlimit`, so only its own limit is low.
#[tokio::test]
async fn out_of_descriptors_it_says_so_backs_off_and_recovers() {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new("prlimit")
        .args(["--nofile=48:48", "--"])
        .arg(env!("CARGO_BIN_EXE_tlsdive"))
        .args([
            "exporter",
            "--listen",
            "127.0.0.1:0",
            "--allow",
            "127.0.0.1",
        ])
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("prlimit (util-linux) runs tlsdive exporter");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut next_line = async || {
        tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the exporter writes in time")
            .expect("stderr")
            .expect("a line")
    };
    let first = next_line().await;
    let addr: SocketAddr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    // An idle client taken before the descriptors run out: cut at the header timeout.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    // More connections than descriptors: the kernel queues them, accept fails.
    let mut held = Vec::new();
    for _ in 0..80 {
        held.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    let said = next_line().await;
    assert!(
        said.contains("cannot accept a connection") && said.contains("retrying"),
        "{said:?}"
    );
    drop(held);
    let (status, body) = get(addr, "/metrics", &[]).await;
    assert_eq!(status, 200, "{body}");
    let again = next_line().await;
    assert!(again.contains("accepting connections again"), "{again:?}");
    let mut buf = [0u8; 1];
    let n = tokio::time::timeout(Duration::from_secs(30), idle.read(&mut buf))
        .await
        .expect("the idle client is cut off at the header timeout");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    let _ = child.kill().await;
}

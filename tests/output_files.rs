//! The files a probe writes (`--record`, `--pcap`, `--keylog`, SSLKEYLOGFILE), run as the
//! real binary: a bad path is a usage error (exit 2) before anything connects, a full device
//! is named, a planted symbolic link is not followed, and the pcapng is written when a signal
//! stops a probe of a hung server.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::{fixture, server};
use tlsdive::lab::Scenario;

/// A loopback port that takes connections into its backlog but never answers: after the run,
/// `accept` tells whether tlsdive connected at all.
struct Witness(TcpListener);

impl Witness {
    fn new() -> Witness {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.set_nonblocking(true).expect("nonblocking");
        Witness(l)
    }

    fn target(&self) -> String {
        self.0.local_addr().expect("addr").to_string()
    }

    fn connected(&self) -> bool {
        self.0.accept().is_ok()
    }
}

async fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tlsdive"));
    cmd.args(args).env_remove("SSLKEYLOGFILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    // Bounded: a probe that connected to the witness would wait for a banner; 3 s is plenty
    // for a usage error, and the test then fails on `connected()` anyway.
    cmd.arg("--timeout")
        .arg("3s")
        .output()
        .await
        .expect("run tlsdive")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Each bad output path, for each option: exit 2, its words, and no connection made.
#[tokio::test]
async fn bad_output_paths_are_usage_errors_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let victim = d.join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let link = d.join("planted");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let missing = d.join("no/such/dir/out");
    let cases: Vec<(&str, &Path, &str)> = vec![
        ("--record", d, "it is a directory"),
        ("--pcap", d, "it is a directory"),
        ("--keylog", d, "it is a directory"),
        ("--record", &missing, "no/such/dir does not exist"),
        ("--pcap", &missing, "no/such/dir does not exist"),
        ("--keylog", &missing, "no/such/dir does not exist"),
        ("--record", &link, "is a symbolic link"),
        ("--pcap", &link, "is a symbolic link"),
        ("--keylog", &link, "is a symbolic link"),
    ];
    for (opt, path, words) in cases {
        let w = Witness::new();
        let o = run(&["probe", &w.target(), opt, s(path)], &[]).await;
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{opt} {path:?}: {e}");
        assert!(e.contains(&format!("cannot write {opt} ")), "{opt}: {e}");
        assert!(e.contains(words), "{opt} {path:?}: {e}");
        assert!(!w.connected(), "{opt} {path:?}: connected before refusing");
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");

    // SSLKEYLOGFILE is an output path like --keylog.
    for (path, words) in [(d, "it is a directory"), (link.as_path(), "symbolic link")] {
        let w = Witness::new();
        let o = run(&["probe", &w.target()], &[("SSLKEYLOGFILE", s(path))]).await;
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "SSLKEYLOGFILE {path:?}: {e}");
        assert!(e.contains("cannot write SSLKEYLOGFILE "), "{e}");
        assert!(e.contains(words), "{e}");
        assert!(!w.connected());
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
}

/// `/dev/full` opens like any device; its first write fails, and that is said (exit 2 for
/// the recording and the pcapng, a note in the report for a key log), never silent.
#[tokio::test]
async fn a_full_device_is_named_at_the_first_write() {
    let srv = server(Scenario::Tls13Only).await;
    let target = srv.addr.to_string();
    let ca = s(&fixture().ca).to_string();
    for opt in ["--record", "--pcap"] {
        let o = run(&["probe", &target, "--ca-file", &ca, opt, "/dev/full"], &[]).await;
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{opt}: {e}");
        assert!(
            e.contains(&format!(
                "cannot write {opt} /dev/full: no space left on the device"
            )),
            "{opt}: {e}"
        );
    }
    for (opt, env) in [
        (Some("--keylog"), None),
        (None, Some(("SSLKEYLOGFILE", "/dev/full"))),
    ] {
        let mut args = vec!["probe", &target, "--ca-file", &ca, "--json"];
        if let Some(opt) = opt {
            args.extend([opt, "/dev/full"]);
        }
        let o = run(&args, env.as_slice()).await;
        let out = String::from_utf8_lossy(&o.stdout);
        let what = opt.unwrap_or("SSLKEYLOGFILE");
        assert!(
            out.contains(&format!(
                "could not write the key log ({what}): no space left on the device"
            )),
            "{what}: {out}\n{}",
            stderr(&o)
        );
    }
}

/// tshark's one-line summaries of the frames in `file` that match `filter`.
fn tshark(file: &Path, port: u16, filter: &str) -> String {
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-d", &format!("tcp.port=={port},smtp"), "-Y", filter])
        .output()
        .expect("tshark runs (apt-get install tshark)");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A server that hangs after our ClientHello; the user stops the probe with SIGINT (Ctrl-C)
/// or SIGTERM. The pcapng holds the dialogue so far, read back by tshark.
#[tokio::test]
async fn the_pcap_is_written_when_a_signal_stops_the_probe() {
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let srv = server(Scenario::HandshakeStall).await;
        let dir = tempfile::tempdir().unwrap();
        let rec = dir.path().join("probe.jsonl");
        let pcap = dir.path().join("probe.pcapng");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tlsdive"))
            .args(["probe", &srv.addr.to_string(), "--timeout", "120s"])
            .args(["--ca-file", s(&fixture().ca), "--record", s(&rec)])
            .args(["--pcap", s(&pcap)])
            .env_remove("SSLKEYLOGFILE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start tlsdive");
        // The recording shows when our ClientHello is out (bounded wait).
        let mut seen = false;
        for _ in 0..600 {
            let text = std::fs::read_to_string(&rec).unwrap_or_default();
            if text.lines().any(|l| l.contains("\"event\":\"tls_record\"")) {
                seen = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(seen, "the ClientHello never reached the recording");
        let pid = child.id().expect("pid").to_string();
        let kill = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill");
        assert!(kill.success());
        let out = child.wait_with_output().await.expect("wait");
        let e = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{signal}: {e}");
        assert!(e.contains("stopped by SIG"), "{signal}: {e}");
        let port = srv.addr.port();
        let smtp = tshark(&pcap, port, "smtp");
        assert!(smtp.contains("C: STARTTLS"), "{signal}: {smtp}");
        let hello = tshark(&pcap, port, "tls.handshake.type == 1");
        assert_eq!(
            hello.lines().count(),
            1,
            "{signal}: one ClientHello: {hello}"
        );
        // The recording is kept as before.
        assert!(tlsdive::recording::read(&rec).is_ok());
    }
}

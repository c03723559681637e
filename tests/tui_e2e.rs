//! The real binary in a real terminal: tmux runs `tlsdive 127.0.0.1:PORT` against an
//! in-process lab server, and the test types keys and reads the screen, polling a bounded
//! number of times (no fixed sleeps decide anything). It also reports the TUI's idle RSS.
//! tmux is required: without it the test fails and says so (CI installs it).

mod common;

use std::process::Command;
use std::time::Duration;

use common::{fixture, server};
use tlsdive::lab::Scenario;

/// A private tmux server (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "tui"]).stdout).into_owned()
    }

    fn keys(&self, keys: &str) {
        let out = self.run(&["send-keys", "-t", "tui", keys]);
        assert!(out.status.success(), "send-keys {keys}");
    }

    /// Poll the screen until `pred` holds (at most ~20 s).
    async fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        for _ in 0..200 {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "timed out waiting for {what}; the screen shows:\n{}",
            self.screen()
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tui_in_tmux_retries_shows_help_and_quits() {
    let found = Command::new("tmux").arg("-V").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "tmux is required for this test (apt-get install tmux); it is not on PATH"
    );
    let srv = server(Scenario::Healthy).await;
    let ca = fixture().ca.display().to_string();
    let tmux = Tmux {
        socket: format!("tlsdive-e2e-{}", std::process::id()),
    };
    let cmd = format!(
        "{} {} --ca-file {ca} --ehlo probe.tlsdive.test; echo TLSDIVE-EXITED=$?; exec sleep 600",
        env!("CARGO_BIN_EXE_tlsdive"),
        srv.addr
    );
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "tui",
        "-x",
        "200",
        "-y",
        "50",
        "sh",
        "-c",
        &cmd,
    ]);
    assert!(out.status.success(), "tmux new-session: {out:?}");

    tmux.wait_for("the first attempt to negotiate TLSv1.3", |s| {
        s.contains("attempt 1/1") && s.contains("negotiated TLSv1.3")
    })
    .await;

    // Idle: nothing runs; measure the resident set of the tlsdive process.
    let pane_pid = String::from_utf8_lossy(
        &tmux
            .run(&["display", "-p", "-t", "tui", "#{pane_pid}"])
            .stdout,
    )
    .trim()
    .to_string();
    let children = std::fs::read_to_string(format!("/proc/{pane_pid}/task/{pane_pid}/children"))
        .unwrap_or_default();
    if let Some(kib) = children.split_whitespace().next().and_then(rss_kib) {
        eprintln!("tlsdive idle RSS in the TUI: {kib} KiB");
    }

    tmux.keys("2");
    tmux.wait_for("a second attempt with TLS 1.2", |s| {
        s.contains("attempt 2/2") && s.contains("negotiated TLSv1.2")
    })
    .await;

    tmux.keys("?");
    tmux.wait_for("the help", |s| {
        s.contains("keys — main view") && s.contains("retry with TLS 1.2 only")
    })
    .await;

    tmux.keys("q");
    let s = tmux
        .wait_for("the TUI to exit", |s| s.contains("TLSDIVE-EXITED="))
        .await;
    assert!(s.contains("TLSDIVE-EXITED=0"), "{s}");
    assert!(
        !s.contains("TLS handshake timeline"),
        "the alternate screen is gone:\n{s}"
    );
}

//! The real binary in a real terminal: a private tmux server (its own socket) running one
//! command in a pane of a chosen size, keys typed into it and the screen read back by
//! polling with a deadline (the short poll interval decides nothing).

use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server with one session, `pane`; killed when dropped.
pub struct Pane {
    socket: String,
}

/// Whether tmux can be run here, and why not when it cannot.
pub fn missing() -> Option<String> {
    match Command::new("tmux").arg("-V").output() {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!("tmux -V failed: {}", o.status)),
        Err(e) => Some(format!("tmux is not on PATH ({e})")),
    }
}

impl Pane {
    /// Run `sh -c cmd` in a fresh tmux server, `w`×`h`; `name` keeps sockets apart.
    pub fn start(name: &str, w: u16, h: u16, cmd: &str) -> Pane {
        let pane = Pane {
            socket: format!("tlsdive-{name}-{}", std::process::id()),
        };
        let (w, h) = (w.to_string(), h.to_string());
        let out = pane.run(&[
            "new-session",
            "-d",
            "-s",
            "pane",
            "-x",
            &w,
            "-y",
            &h,
            "sh",
            "-c",
            cmd,
        ]);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        pane
    }

    /// Run a tmux command on this server (`display -p -t pane ...`, `show-buffer`).
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// The pane as text, one line per row.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "pane"]).stdout)
            .into_owned()
    }

    /// Type `keys` (tmux key names: `Enter`, `q`, `Down`).
    pub fn keys(&self, keys: &str) {
        let out = self.run(&["send-keys", "-t", "pane", keys]);
        assert!(out.status.success(), "send-keys {keys}");
    }

    /// Poll the screen until `pred` holds, for at most `deadline`; panic with the screen
    /// (and `what`) when it never does.
    pub async fn wait_for(
        &self,
        what: &str,
        deadline: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let end = Instant::now() + deadline;
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > end {
                panic!("timed out waiting for {what}; the screen shows:\n{s}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

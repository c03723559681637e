//! The real binary in a real terminal: tmux runs `tlsdive 127.0.0.1:PORT` against an
//! in-process lab server, and the test types keys and reads the screen, polling a bounded
//! number of times (no fixed sleeps decide anything). It also reports the TUI's idle RSS.
//! tmux is required: without it the test fails and says so (CI installs it).

mod common;

use std::process::Command;
use std::time::Duration;

use common::tmux::Pane;
use common::{fixture, server};
use tlsdive::lab::Scenario;

/// The private tmux server a test runs the binary in (`tests/common/tmux.rs`).
type Tmux = Pane;

/// How long a step on the screen may take before the test gives up with the screen.
const WAIT: Duration = Duration::from_secs(20);

fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn require_tmux() {
    let found = Command::new("tmux").arg("-V").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "tmux is required for this test (apt-get install tmux); it is not on PATH"
    );
}

/// Start `tlsdive ADDR` in a fresh tmux server; after it exits the pane prints its exit code
/// and whether the terminal is back in canonical (cooked) mode.
fn start(name: &str, addr: std::net::SocketAddr) -> Tmux {
    let ca = fixture().ca.display().to_string();
    start_args(
        name,
        &format!("{addr} --ca-file {ca} --ehlo probe.tlsdive.test"),
    )
}

/// Start `tlsdive ARGS` in a fresh tmux server (see `start`).
fn start_args(name: &str, args: &str) -> Tmux {
    let cmd = format!(
        "{} {args}; echo TLSDIVE-EXITED=$?; \
         echo TTY-MODE=$(stty -a | tr ' ' '\\n' | grep -x -- '-*icanon'); exec sleep 600",
        env!("CARGO_BIN_EXE_tlsdive"),
    );
    Pane::start(name, 200, 50, &cmd)
}

/// The pid of the tlsdive process (the pane's shell's child).
fn tlsdive_pid(tmux: &Tmux) -> String {
    let pane_pid = String::from_utf8_lossy(
        &tmux
            .run(&["display", "-p", "-t", "pane", "#{pane_pid}"])
            .stdout,
    )
    .trim()
    .to_string();
    std::fs::read_to_string(format!("/proc/{pane_pid}/task/{pane_pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Whether the application in the pane has asked for mouse reports.
fn mouse_on(tmux: &Tmux) -> bool {
    let out = tmux.run(&["display", "-p", "-t", "pane", "#{mouse_any_flag}"]);
    String::from_utf8_lossy(&out.stdout).trim() == "1"
}

/// Poll until `pred` holds of the pane's mouse flag (at most ~20 s).
async fn wait_mouse(tmux: &Tmux, on: bool) {
    for _ in 0..200 {
        if mouse_on(tmux) == on {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("mouse capture never became {on}:\n{}", tmux.screen());
}

/// After exit: normal screen, cursor shown, mouse reporting off, cooked mode.
fn assert_restored(tmux: &Tmux, screen: &str) {
    let flags = String::from_utf8_lossy(
        &tmux
            .run(&[
                "display",
                "-p",
                "-t",
                "pane",
                "#{alternate_on} #{cursor_flag} #{mouse_any_flag}",
            ])
            .stdout,
    )
    .trim()
    .to_string();
    assert_eq!(
        flags, "0 1 0",
        "alternate screen off, cursor on, mouse off:\n{screen}"
    );
    assert!(
        screen.contains("TTY-MODE=icanon"),
        "terminal back in cooked mode:\n{screen}"
    );
    assert!(
        !screen.contains("TLS handshake timeline"),
        "the TUI is gone:\n{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tui_in_tmux_retries_shows_help_and_quits() {
    require_tmux();
    let srv = server(Scenario::Healthy).await;
    let tmux = start("e2e", srv.addr);

    tmux.wait_for("the first attempt to negotiate TLSv1.3", WAIT, |s| {
        s.contains("attempt 1/1") && s.contains("negotiated TLSv1.3")
    })
    .await;

    // Idle: nothing runs; measure the resident set of the tlsdive process.
    if let Some(kib) = rss_kib(&tlsdive_pid(&tmux)) {
        eprintln!("tlsdive idle RSS in the TUI: {kib} KiB");
    }

    tmux.keys("2");
    tmux.wait_for("a second attempt with TLS 1.2", WAIT, |s| {
        s.contains("attempt 2/2") && s.contains("negotiated TLSv1.2")
    })
    .await;

    tmux.keys("?");
    tmux.wait_for("the help", WAIT, |s| {
        s.contains("keys — main view") && s.contains("retry with TLS 1.2 only")
    })
    .await;

    // `q` closes the help; then, two attempts never exported, it asks once.
    tmux.keys("q");
    tmux.wait_for("the help closed", WAIT, |s| {
        !s.contains("keys — main view") && s.contains("attempt 2/2")
    })
    .await;
    tmux.keys("q");
    tmux.wait_for("the question", WAIT, |s| {
        s.contains("2 attempts are not exported")
    })
    .await;
    tmux.keys("q");
    let s = tmux
        .wait_for("the TUI to exit", WAIT, |s| s.contains("TTY-MODE="))
        .await;
    assert!(s.contains("TLSDIVE-EXITED=0"), "{s}");
    assert_restored(&tmux, &s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_restore_the_terminal() {
    require_tmux();
    for (signal, name) in [("-TERM", "sigterm"), ("-INT", "sigint"), ("-HUP", "sighup")] {
        // A server that never answers: the TUI is mid-attempt when the signal comes.
        let srv = server(Scenario::SlowBanner).await;
        let tmux = start(name, srv.addr);
        tmux.wait_for("the attempt waiting for a banner", WAIT, |s| {
            s.contains("banner")
        })
        .await;
        let pid = tlsdive_pid(&tmux);
        assert!(!pid.is_empty(), "tlsdive is running");
        // The shell's own `kill`: no dependency on procps.
        let out = Command::new("sh")
            .args(["-c", &format!("kill {signal} {pid}")])
            .output()
            .expect("sh runs");
        assert!(out.status.success(), "kill {signal} {pid}");
        let s = tmux
            .wait_for("the TUI to exit", WAIT, |s| s.contains("TTY-MODE="))
            .await;
        assert!(
            !s.contains("TLSDIVE-EXITED=0"),
            "a signal is not a clean exit: {s}"
        );
        assert_restored(&tmux, &s);
    }
}

/// Issue 7, in a real terminal: the demo's first screen names its scenario and the `l` key;
/// `q` closes the scenario picker instead of quitting; `M` hands the mouse to the terminal
/// and back; `y` puts the diagnosis on the clipboard by OSC 52 (tmux keeps it as a buffer);
/// and `q` with an attempt never exported asks once before quitting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_keys_in_a_real_terminal() {
    require_tmux();
    let tmux = start_args("demo", "demo");
    // tmux takes OSC 52 from applications into a paste buffer only when told to.
    let out = tmux.run(&["set-option", "-s", "set-clipboard", "on"]);
    assert!(out.status.success(), "set-clipboard: {out:?}");
    tmux.wait_for("the demo's first attempt", WAIT, |s| {
        s.contains("lab scenario healthy")
            && s.contains("press l to pick another scenario")
            && s.contains("attempt 1/1")
            && s.contains("ok in")
    })
    .await;

    tmux.keys("l");
    tmux.wait_for("the scenario picker", WAIT, |s| {
        s.contains("what is wrong with its server") && s.contains("reset-after-client-hello")
    })
    .await;
    tmux.keys("q");
    tmux.wait_for("the picker closed, the TUI still there", WAIT, |s| {
        !s.contains("what is wrong with its server") && s.contains("TLS handshake timeline")
    })
    .await;

    assert!(mouse_on(&tmux), "the TUI captures the mouse");
    tmux.keys("M");
    wait_mouse(&tmux, false).await;
    tmux.wait_for("the mouse-off note", WAIT, |s| s.contains("mouse off"))
        .await;
    tmux.keys("M");
    wait_mouse(&tmux, true).await;

    tmux.keys("y");
    tmux.wait_for("the copy note", WAIT, |s| {
        s.contains("copied the diagnosis")
    })
    .await;
    let mut buffer = String::new();
    for _ in 0..200 {
        let out = tmux.run(&["show-buffer"]);
        buffer = String::from_utf8_lossy(&out.stdout).into_owned();
        if buffer.contains("ok (phase done)") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        buffer.starts_with("ok (phase done): "),
        "the clipboard holds the diagnosis: {buffer:?}"
    );

    tmux.keys("q");
    tmux.wait_for("the question before quitting", WAIT, |s| {
        s.contains("1 attempt is not exported: q again quits, x exports it")
    })
    .await;
    tmux.keys("q");
    let s = tmux
        .wait_for("the TUI to exit", WAIT, |s| s.contains("TTY-MODE="))
        .await;
    assert!(s.contains("TLSDIVE-EXITED=0"), "{s}");
    assert_restored(&tmux, &s);
}

/// `tlsdive triage FILE` on a terminal: the live table until every row is done, Enter opens
/// the selected destination in the interactive view, quitting it returns to the table, and
/// `q` there prints the grouped summary on the restored terminal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_table_opens_a_destination_and_returns() {
    require_tmux();
    let healthy = server(Scenario::Healthy).await;
    let expired = server(Scenario::ExpiredCert).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("queue.txt");
    std::fs::write(
        &file,
        format!("{}\n{}\nnot a destination\n", healthy.addr, expired.addr),
    )
    .expect("write the triage input");
    let ca = fixture().ca.display().to_string();
    let tmux = start_args(
        "triage",
        &format!(
            "triage {} --ca-file {ca} --ehlo probe.tlsdive.test",
            file.display()
        ),
    );
    tmux.wait_for("every row done", WAIT, |s| {
        s.contains("2 destinations: 2 done, 0 probing, 0 queued") && s.contains("finished")
    })
    .await;
    let s = tmux.screen();
    assert!(s.contains("1 not understood"), "{s}");
    assert!(s.contains("cert-expired"), "{s}");
    tmux.keys("Enter");
    tmux.wait_for("the interactive view of the first destination", WAIT, |s| {
        s.contains("TLS handshake timeline") && s.contains(&healthy.addr.to_string())
    })
    .await;
    tmux.wait_for("its attempt to finish", WAIT, |s| s.contains("ok in"))
        .await;
    tmux.keys("q");
    // The question says where q leads from a drill-down: back to the table, not out.
    tmux.wait_for("the question before leaving", WAIT, |s| {
        s.contains("q again returns to the triage table")
    })
    .await;
    tmux.keys("q");
    tmux.wait_for("the table again", WAIT, |s| {
        s.contains("tlsdive triage")
            && s.contains("back from")
            && !s.contains("TLS handshake timeline")
    })
    .await;
    tmux.keys("q");
    let s = tmux
        .wait_for("triage to exit", WAIT, |s| s.contains("TTY-MODE="))
        .await;
    assert!(s.contains("TLSDIVE-EXITED=1"), "one destination fails: {s}");
    assert!(
        s.contains("2 destinations: 1 ok now, 1 cert-expired"),
        "the summary after the table: {s}"
    );
    assert_restored(&tmux, &s);
}

/// `tlsdive ADDR --repeat 6` opens the repeat view at once: six attempts against the lab's
/// every-third-expired server give `✓✓✗✓✓✗` and the intermittent conclusion, with exactly
/// six connections; `q` returns to the main view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeat_in_a_real_terminal() {
    require_tmux();
    let srv = server(Scenario::EveryThirdExpired).await;
    let ca = fixture().ca.display().to_string();
    let tmux = start_args(
        "repeat",
        &format!(
            "{} --ca-file {ca} --ehlo probe.tlsdive.test --repeat 6 --interval 1ms",
            srv.addr
        ),
    );
    let s = tmux
        .wait_for("six attempts in the strip", WAIT, |s| {
            s.contains("repeat 6 of 6") && s.contains("done (R runs it again)")
        })
        .await;
    assert!(s.contains("attempts    ✓✓✗✓✓✗"), "{s}");
    assert!(s.contains("by cause    ok 4, cert-expired 2"), "{s}");
    assert!(s.contains("conclusion  intermittent: 2 of 6 failed"), "{s}");
    assert_eq!(srv.connections(), 6);
    tmux.keys("q");
    tmux.wait_for("the main view", WAIT, |s| {
        s.contains("TLS handshake timeline")
    })
    .await;
    tmux.keys("q");
    tmux.wait_for("the question", WAIT, |s| s.contains("q again quits"))
        .await;
    tmux.keys("q");
    let s = tmux
        .wait_for("the TUI to exit", WAIT, |s| s.contains("TTY-MODE="))
        .await;
    assert!(s.contains("TLSDIVE-EXITED=0"), "{s}");
    assert_restored(&tmux, &s);
}

/// `replay FILE` is read-only: `r` does not connect. `replay FILE --live` retries the
/// recorded plan (its trust anchors travel in the recording) against the recorded target,
/// as attempt 2, after the recorded attempt 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_goes_live_only_when_asked() {
    require_tmux();
    let srv = server(Scenario::Healthy).await;
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("s.jsonl");
    let addr = srv.addr.to_string();
    let ca = fixture().ca.display().to_string();
    let out = common::tlsdive(&[
        "probe",
        &addr,
        "--ca-file",
        &ca,
        "--record",
        rec.to_str().unwrap(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(srv.connections(), 1);

    let tmux = start_args("replay", &format!("replay {}", rec.display()));
    tmux.wait_for("the recorded attempt", WAIT, |s| s.contains("attempt 1/1"))
        .await;
    tmux.keys("r");
    tmux.wait_for("the refusal, saying how to go live", WAIT, |s| {
        s.contains("read-only recording: `tlsdive replay FILE --live` starts new attempts")
    })
    .await;
    tmux.keys("q");
    tmux.wait_for("the TUI to exit", WAIT, |s| s.contains("TTY-MODE="))
        .await;
    assert_eq!(srv.connections(), 1, "a read-only replay connected");
    drop(tmux);

    let tmux = start_args("live", &format!("replay {} --live", rec.display()));
    tmux.wait_for("the recorded attempt", WAIT, |s| s.contains("attempt 1/1"))
        .await;
    tmux.keys("r");
    let s = tmux
        .wait_for("a live second attempt", WAIT, |s| {
            s.contains("attempt 2/2") && s.contains("negotiated TLSv1.3")
        })
        .await;
    assert!(
        s.contains("valid for 127.0.0.1"),
        "the recorded trust anchors verify:\n{s}"
    );
    assert_eq!(srv.connections(), 2);
    tmux.keys("q");
    tmux.wait_for("the question", WAIT, |s| {
        s.contains("1 attempt is not exported")
    })
    .await;
    tmux.keys("q");
    let s = tmux
        .wait_for("the TUI to exit", WAIT, |s| s.contains("TTY-MODE="))
        .await;
    assert!(s.contains("TLSDIVE-EXITED=0"), "{s}");
    assert_restored(&tmux, &s);

    // Without a terminal, --live is a usage error; with --json it is refused by the parser.
    let piped = common::tlsdive(&["replay", rec.to_str().unwrap(), "--live"]).await;
    assert_eq!(piped.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&piped.stderr).contains("needs a terminal"),
        "{piped:?}"
    );
    let both = common::tlsdive(&["replay", rec.to_str().unwrap(), "--live", "--json"]).await;
    assert_eq!(both.status.code(), Some(2));
}

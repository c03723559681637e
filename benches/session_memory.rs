//! Memory of a 1,000-attempt repeat session: each recorded scenario's attempt applied 1,000
//! times (ids 1..=1000) into one `Session`, measured as the growth of the process's resident
//! set (Linux `/proc/self/statm`), printed as bytes per attempt. No counting allocator: the
//! crate forbids `unsafe`, and RSS growth over tens of MiB is stable to a few percent.
//!
//! Run: `cargo bench --bench session_memory` (`--profile dev` gives the same figures: struct
//! layouts do not depend on optimisation).

use std::path::Path;

use tlsdive::event::ProbeEvent;
use tlsdive::session::Session;

const ATTEMPTS: u32 = 1000;

/// Resident set size in bytes, from `/proc/self/statm` (pages × page size, 4 KiB here).
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn scenario(name: &str) -> Vec<ProbeEvent> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/scenarios")
        .join(format!("{name}.jsonl"));
    let session = tlsdive::recording::read(&path).expect("a recorded scenario");
    let first = session.attempts.first().expect("an attempt").id;
    session
        .events()
        .filter(|e| e.attempt == first)
        .map(|e| ProbeEvent::clone(&e))
        .collect()
}

const SCENARIOS: [&str; 3] = ["healthy", "tls10-only-scanned", "expired-cert"];

/// Each scenario in a process of its own: memory freed by one would hide the next one's growth.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(name) = args.iter().find_map(|a| a.strip_prefix("--scenario=")) {
        measure(name);
        return;
    }
    let me = std::env::current_exe().expect("the bench binary");
    for name in SCENARIOS {
        let status = std::process::Command::new(&me)
            .arg(format!("--scenario={name}"))
            .status()
            .expect("the bench binary runs");
        assert!(status.success(), "{name}: {status}");
    }
}

fn measure(name: &str) {
    {
        let events = scenario(name);
        let recorded: usize = events
            .iter()
            .map(|e| serde_json::to_vec(e).map_or(0, |v| v.len() + 1))
            .sum();
        let before = rss();
        let mut session = Session::new();
        for id in 1..=ATTEMPTS {
            for ev in &events {
                session.apply(&ProbeEvent {
                    attempt: id,
                    ..ev.clone()
                });
            }
        }
        let grown = rss().saturating_sub(before);
        println!(
            "session/memory {name:<19} {ATTEMPTS} attempts, {} events each: {:>6} bytes/attempt held ({} bytes/attempt as a recording)",
            events.len(),
            grown / u64::from(ATTEMPTS),
            recorded
        );
        drop(session);
    }
}

//! Fuzzes the recording reader: `tlsdive replay FILE` reads JSON lines someone pasted into a
//! ticket, so every byte is untrusted. The input is the file. `recording::read_from` must
//! never panic, and neither may what replay does next with the session: the diagnosis and
//! the text and JSON reports of every attempt.
//!
//! Escaping of what a hostile recording carries is checked by tests, not here (it is issue
//! 8's "escape at every output boundary" work); this target is about panics and hangs.
//! Seed the corpus from `assets/scenarios/*.jsonl` (run.sh does): random bytes rarely
//! make a valid event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsdive::report::text::Paint;
use tlsdive::{diagnose, recording, report};

fuzz_target!(|data: &[u8]| {
    let Ok(session) = recording::read_from(data, "fuzz.jsonl") else {
        return;
    };
    for a in &session.attempts {
        let _ = diagnose::diagnose(a);
        let _ = report::text::report_with(a, Paint { on: true });
        assert!(serde_json::to_string(&report::json::report(a)).is_ok());
    }
});

//! Fuzzes the wire tracker: the input is a script of writes. Each write starts with one
//! control byte — low bit: direction (0 client, 1 server), the other seven bits plus one: how
//! many of the following bytes form the write — so the fuzzer explores splits and
//! interleavings as well as content. `Tracker::feed` must never panic, and the bytes it holds
//! back must stay bounded.
//!
//! Run with `fuzz/run.sh wire_tracker` (seed the corpus from
//! `assets/handshakes/*.hex` decoded to binary, if wanted).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsdive::wire::{Dir, Tracker};

fuzz_target!(|data: &[u8]| {
    let mut tracker = Tracker::new();
    let mut rest = data;
    while let Some((&control, tail)) = rest.split_first() {
        let dir = if control & 1 == 0 {
            Dir::Client
        } else {
            Dir::Server
        };
        let n = usize::from(control >> 1) + 1;
        let (write, later) = tail.split_at(n.min(tail.len()));
        for info in tracker.feed(dir, write) {
            // Summaries must always serialise (they go into events and recordings).
            assert!(serde_json::to_string(&info).is_ok());
        }
        rest = later;
    }
});

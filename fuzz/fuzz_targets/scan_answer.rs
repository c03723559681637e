//! Fuzzes the scanner's answer reader: the first byte picks `want_kx` (low bit) and the
//! size of the reads (the other bits plus one), the rest is what a server sends after our
//! ClientHello. `AnswerReader::push` and `finish` must never panic, and an answer must come
//! by the time `MAX_BYTES` have been read.
//!
//! Run with nightly: `cargo +nightly fuzz run scan_answer`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsdive::scan::answer::{Answer, AnswerReader, MAX_BYTES};

fuzz_target!(|data: &[u8]| {
    let Some((&control, stream)) = data.split_first() else {
        return;
    };
    let mut reader = AnswerReader::new(control & 1 == 1);
    let step = usize::from(control >> 1) + 1;
    let mut read = 0usize;
    for piece in stream.chunks(step) {
        read += piece.len();
        if let Some(answer) = reader.push(piece) {
            let _ = answer.describe();
            return;
        }
        assert!(read <= MAX_BYTES + step, "no answer after {read} bytes");
    }
    let _ = reader.finish(Answer::Closed).describe();
});

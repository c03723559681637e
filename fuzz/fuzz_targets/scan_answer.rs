//! Fuzzes the scanner's answer reader, as `scan::dialogue::exchange` drives it: the first
//! byte picks `want_kx` (low bit) and the size of the reads (the other bits plus one, or
//! 16 KiB — the dialogue's buffer — when they are all set), the rest is what a server sends
//! after our ClientHello. `AnswerReader::push` and `finish` must never panic, an answer
//! must come by the time `MAX_BYTES` have been read, and its description (it goes into
//! reports) must carry no raw control character.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsdive::scan::answer::{Answer, AnswerReader, MAX_BYTES};

/// The dialogue's read buffer.
const READ: usize = 16 * 1024;

fn check(answer: &Answer) {
    let said = answer.describe();
    assert!(
        !said.chars().any(|c| c.is_control()),
        "raw control in {said:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, stream)) = data.split_first() else {
        return;
    };
    let mut reader = AnswerReader::new(control & 1 == 1);
    let step = match control >> 1 {
        0x7f => READ,
        n => usize::from(n) + 1,
    };
    let mut read = 0usize;
    for piece in stream.chunks(step) {
        read += piece.len();
        if let Some(answer) = reader.push(piece) {
            check(&answer);
            return;
        }
        assert!(read <= MAX_BYTES + step, "no answer after {read} bytes");
    }
    for end in [Answer::Closed, Answer::Reset, Answer::Timeout] {
        check(&reader.finish(end));
    }
});

//! Fuzzes the SMTP reply reader, the first thing a probe or a scan reads from a server.
//! The first byte shapes the stream: bits 0–5 plus one are the size of each read, bit 6
//! repeats the rest of the input up to `MAX_SERVED` bytes in reads 64 times as large (a
//! server that keeps talking), and the rest is what the server sends. `ReplyReader::read_reply` runs on an in-memory reader polled
//! by hand (no runtime, no network) for up to a dialogue's worth of replies. It must never
//! panic, must end each reply within its byte bound even on an endless stream, and must
//! hand out only escaped text.
#![no_main]

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use tlsdive::engine::smtp::{MAX_LINE, MAX_REPLY_BYTES, MAX_REPLY_LINES, ReplyReader};
use tokio::io::{AsyncRead, ReadBuf};

/// Banner, EHLO, STARTTLS, EHLO again, QUIT, and a few spare.
const MAX_REPLIES: usize = 8;
/// Enough to pass `MAX_REPLY_LINES` (500 five-byte lines) a few times. Reaching
/// `MAX_REPLY_BYTES` would cost milliseconds per input and starve the search; unit tests
/// cover that cap.
const MAX_SERVED: usize = 16 * 1024;

/// A server as a script: `data` in reads of `step` bytes, then EOF or, with `repeat`, again.
struct Script<'a> {
    data: &'a [u8],
    pos: usize,
    step: usize,
    repeat: bool,
    served: usize,
}

impl AsyncRead for Script<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.repeat {
            let mut room = (this.step * 64)
                .min(buf.remaining())
                .min(MAX_SERVED.saturating_sub(this.served));
            while room > 0 {
                if this.pos == this.data.len() {
                    this.pos = 0;
                }
                let n = (this.data.len() - this.pos).min(room);
                buf.put_slice(&this.data[this.pos..this.pos + n]);
                this.pos += n;
                this.served += n;
                room -= n;
            }
            return Poll::Ready(Ok(()));
        }
        let rest = &this.data[this.pos..];
        let n = rest.len().min(this.step).min(buf.remaining());
        buf.put_slice(&rest[..n]);
        this.pos += n;
        this.served += n;
        Poll::Ready(Ok(()))
    }
}

/// Shown text must carry no raw control character (a tab is allowed).
fn escaped(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && c != '\t')
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, stream)) = data.split_first() else {
        return;
    };
    let mut script = Script {
        data: stream,
        pos: 0,
        step: usize::from(control & 0x3f) + 1,
        repeat: control & 0x40 != 0 && !stream.is_empty(),
        served: 0,
    };
    let mut reader = ReplyReader::new();
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..MAX_REPLIES {
        let before = script.served;
        let mut lines = 0usize;
        let mut on_line = |line: tlsdive::engine::smtp::Line| {
            assert!(escaped(&line.text), "raw control in {:?}", line.text);
            lines += 1;
        };
        let result = {
            let mut read = pin!(reader.read_reply(&mut script, &mut on_line));
            match read.as_mut().poll(&mut cx) {
                Poll::Ready(r) => r,
                Poll::Pending => panic!("an in-memory read never waits"),
            }
        };
        // One reply is bounded whatever the server does: its byte cap, plus the line being
        // cut and one read beyond.
        let took = script.served - before;
        assert!(
            took <= MAX_REPLY_BYTES + MAX_LINE + 4096 + script.step,
            "a reply took {took} bytes"
        );
        assert!(lines <= MAX_REPLY_LINES);
        match result {
            Ok(reply) => {
                assert!(!reply.lines.is_empty() && reply.lines.len() <= MAX_REPLY_LINES);
                assert!((200..600).contains(&reply.code));
                assert!(reply.lines.iter().all(|l| escaped(l)));
                let _ = reply.enhanced();
                let _ = reply.has_capability("STARTTLS");
            }
            Err(e) => {
                assert!(escaped(&e.to_string()));
                break;
            }
        }
        // What is held back for the next reply stays small.
        assert!(reader.leftover().len() <= MAX_LINE + 4096);
    }
});

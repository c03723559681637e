//! The tracker never panics, whatever arrives and however it is split.
//!
//! A deterministic xorshift generator (no extra crates, same sequence every run) feeds
//! ~20,000 byte strings through `Tracker::feed` in random splits and random direction
//! interleavings: pure noise, noise behind a plausible record header, and the recorded real
//! handshakes of `assets/handshakes/` with bytes flipped, inserted, deleted and truncated.
//! It also checks that what the tracker holds back stays bounded.

use tlsdive::wire::transcript::{self, Chunk};
use tlsdive::wire::{Dir, MessageInfo, Tracker};

/// xorshift64*: tiny, deterministic, good enough to scatter bytes and split points.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }

    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[0]
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
}

fn fixtures() -> Vec<Vec<Chunk>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/handshakes");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("assets/handshakes exists") {
        let path = entry.expect("readable dir").path();
        if path.extension().is_some_and(|e| e == "hex") {
            let text = std::fs::read_to_string(&path).expect("readable fixture");
            out.push(transcript::parse(&text).expect("valid fixture"));
        }
    }
    assert!(out.len() >= 4, "fixtures missing");
    out
}

/// Feeds `chunks` cut at random points; returns how many records came out.
fn feed_randomly(rng: &mut Rng, chunks: &[Chunk]) -> usize {
    let mut t = Tracker::new();
    let mut records = 0;
    for (dir, bytes) in chunks {
        let mut rest: &[u8] = bytes;
        while !rest.is_empty() {
            let n = 1 + rng.below(rest.len().min(700));
            let (now, later) = rest.split_at(n.min(rest.len()));
            records += t.feed(*dir, now).len();
            rest = later;
        }
    }
    records
}

fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..=rng.below(8) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 | 1 if at < bytes.len() => {
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            2 => bytes.insert(at.min(bytes.len()), rng.byte()),
            3 if at < bytes.len() => {
                bytes.remove(at);
            }
            4 => bytes.truncate(at),
            _ => {
                // Overwrite a possible length field with something extreme.
                let v = [0x00, 0xff, 0x40, 0x01][rng.below(4)];
                if let Some(b) = bytes.get_mut(at) {
                    *b = v;
                }
            }
        }
    }
}

#[test]
fn random_and_mutated_input_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let fixtures = fixtures();
    let mut records = 0;
    for i in 0..20_000 {
        let chunks: Vec<Chunk> = match i % 4 {
            // Pure noise in both directions.
            0 => (0..1 + rng.below(4))
                .map(|_| {
                    let dir = if rng.below(2) == 0 {
                        Dir::Client
                    } else {
                        Dir::Server
                    };
                    let len = rng.below(300);
                    (dir, rng.bytes(len))
                })
                .collect(),
            // Noise behind a valid-looking handshake header, so the decoders see it.
            1 => {
                let len = rng.below(400);
                let body = rng.bytes(len);
                let mut msg = vec![[1, 2, 11, 12, 4, 20][rng.below(6)], 0];
                msg.extend(u16::try_from(body.len()).unwrap_or(0).to_be_bytes());
                msg.extend(body);
                let mut rec = vec![22, 3, 3];
                rec.extend(u16::try_from(msg.len()).unwrap_or(0).to_be_bytes());
                rec.extend(msg);
                vec![(if i % 8 == 1 { Dir::Client } else { Dir::Server }, rec)]
            }
            // A real handshake with a few mutations in one of its writes.
            _ => {
                let mut chunks = fixtures[rng.below(fixtures.len())].clone();
                let which = rng.below(chunks.len());
                if let Some((_, bytes)) = chunks.get_mut(which) {
                    mutate(&mut rng, bytes);
                }
                chunks
            }
        };
        records += feed_randomly(&mut rng, &chunks);
    }
    assert!(
        records > 20_000,
        "the mutated handshakes still yield records: {records}"
    );
}

#[test]
fn held_back_bytes_stay_bounded() {
    // A handshake message claiming the maximum size, fed as full-size records forever.
    let mut t = Tracker::new();
    let mut first = vec![22, 3, 3, 0x48, 0x00, 11, 0x00, 0xff, 0xff];
    first.resize(5 + 0x4800, 0);
    let infos = t.feed(Dir::Server, &first);
    assert!(infos.iter().all(|r| r.messages.is_empty()));
    let mut more = vec![22, 3, 3, 0x48, 0x00];
    more.resize(5 + 0x4800, 0);
    let mut completed = 0;
    for _ in 0..10 {
        completed += t
            .feed(Dir::Server, &more)
            .iter()
            .map(|r| r.messages.len())
            .sum::<usize>();
    }
    assert!(
        completed >= 1,
        "the 64 KiB message completes, then the stream carries on"
    );

    // A claim over the cap is refused at once.
    let mut t = Tracker::new();
    let infos = t.feed(Dir::Server, &[22, 3, 3, 0, 4, 11, 0x10, 0, 0]);
    let reason = infos.first().and_then(|r| r.messages.first()).cloned();
    assert!(matches!(reason, Some(MessageInfo::Malformed { reason }) if reason.contains("cap")));
}

#[test]
fn an_smtp_reply_instead_of_a_server_hello() {
    let mut t = Tracker::new();
    let _ = t.feed(Dir::Client, &[22, 3, 1, 0, 0]);
    let infos = t.feed(
        Dir::Server,
        b"454 4.7.0 TLS not available due to local problem\r\n",
    );
    let [info] = infos.as_slice() else {
        panic!("{infos:?}")
    };
    let [MessageInfo::Malformed { reason }] = info.messages.as_slice() else {
        panic!("{info:?}")
    };
    assert!(reason.starts_with("not TLS: content type 52 is not 20..=24; starts with '454 4.7.0"));
    assert!(reason.ends_with("— an SMTP reply?"), "{reason}");
    assert!(t.is_not_tls(Dir::Server));
    assert!(t.feed(Dir::Server, &[22, 3, 3, 0, 1, 14]).is_empty());
}

//! Throughput of the wire tracker on the recorded handshakes in `assets/handshakes/`.
//!
//! Each capture is fed as written (one `feed` per write) and, to price split reads, one
//! byte at a time. Throughput is in capture bytes per second; run with
//! `cargo bench --bench wire`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tlsdive::wire::transcript::{self, Chunk};
use tlsdive::wire::{Tracker, names};

fn load() -> Vec<(String, Vec<Chunk>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/handshakes");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("assets/handshakes exists") {
        let path = entry.expect("readable dir").path();
        if path.extension().is_some_and(|e| e == "hex") {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            let text = std::fs::read_to_string(&path).expect("readable fixture");
            let chunks = transcript::parse(&text).expect("valid fixture");
            out.push((stem.unwrap_or_default(), chunks));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn bytes_in(chunks: &[Chunk]) -> u64 {
    chunks.iter().map(|(_, b)| b.len() as u64).sum()
}

fn tracker(c: &mut Criterion) {
    let captures = load();
    let mut group = c.benchmark_group("tracker");
    for (stem, chunks) in &captures {
        group.throughput(Throughput::Bytes(bytes_in(chunks)));
        group.bench_function(format!("{stem}/as-written"), |b| {
            b.iter(|| {
                let mut t = Tracker::new();
                for (dir, bytes) in chunks {
                    black_box(t.feed(*dir, black_box(bytes)));
                }
            })
        });
    }
    if let Some((stem, chunks)) = captures.iter().find(|(s, _)| s == "tls13") {
        group.throughput(Throughput::Bytes(bytes_in(chunks)));
        group.bench_function(format!("{stem}/byte-by-byte"), |b| {
            b.iter(|| {
                let mut t = Tracker::new();
                for (dir, bytes) in chunks {
                    for byte in bytes.chunks(1) {
                        black_box(t.feed(*dir, black_box(byte)));
                    }
                }
            })
        });
    }
    group.finish();
}

fn lookups(c: &mut Criterion) {
    // Force the lazy tables once so the benchmark measures lookups, not the build.
    let _ = names::suite_by_name("TLS13_AES_128_GCM_SHA256");
    c.bench_function("names/suite_by_name", |b| {
        b.iter(|| names::suite_by_name(black_box("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")))
    });
    c.bench_function("names/suite_name", |b| {
        b.iter(|| names::suite_name(black_box(0xc030)))
    });
}

criterion_group!(benches, tracker, lookups);
criterion_main!(benches);

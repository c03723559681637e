//! `triage --tlsrpt`'s reading side, no network: a report mail (multipart/report, the report
//! a base64 gzip attachment) read, an mbox of 1,000 of them read, 10,000 reports grouped, and
//! a compression bomb stopped at the limit. Run with `cargo bench --bench tlsrpt`.

use std::hint::black_box;
use std::io::Write;

use base64::Engine;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tlsdive::tlsrpt::{Limits, group, reports_in};

/// One day's report of `org` for `domain`: an sts and a tlsa policy, five failure details
/// each (five MX hosts, one result type per host).
fn report(org: &str, domain: &str, day: u32) -> String {
    let details = |kind: &str| -> Vec<serde_json::Value> {
        (0..5)
            .map(|i| {
                serde_json::json!({
                    "result-type": if kind == "sts" { "certificate-expired" } else { "tlsa-invalid" },
                    "sending-mta-ip": format!("198.51.100.{i}"),
                    "receiving-mx-hostname": format!("mx{i}.{domain}"),
                    "receiving-ip": format!("192.0.2.{i}"),
                    "failed-session-count": 3 + i,
                })
            })
            .collect()
    };
    let policy = |kind: &str| {
        serde_json::json!({
            "policy": {"policy-type": kind, "policy-domain": domain},
            "summary": {"total-successful-session-count": 900, "total-failure-session-count": 35},
            "failure-details": details(kind),
        })
    };
    serde_json::json!({
        "organization-name": org,
        "date-range": {
            "start-datetime": format!("2026-11-{:02}T00:00:00Z", 1 + day % 28),
            "end-datetime": format!("2026-11-{:02}T23:59:59Z", 1 + day % 28),
        },
        "contact-info": "smtp-tls-reporting@example.com",
        "report-id": format!("{day}_{org}_{domain}"),
        "policies": [policy("sts"), policy("tlsa")],
    })
    .to_string()
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).expect("gzip");
    e.finish().expect("gzip")
}

/// A report mail as the big senders send it.
fn mail(domain: &str, json: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(gz(json.as_bytes()));
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "From: reports@example.com\r\nTo: tls-reports@{domain}\r\nSubject: Report Domain: {domain}\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain\r\n\r\nAn aggregate TLS report.\r\n\
         --b1\r\nContent-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"report.json.gz\"\r\n\r\n{}\r\n--b1--\r\n",
        lines.join("\r\n")
    )
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let one = mail("example.net", &report("Google Inc.", "example.net", 1));
    let mut g = c.benchmark_group("tlsrpt");
    g.throughput(Throughput::Bytes(one.len() as u64));
    g.bench_function("read one report mail", |b| {
        b.iter(|| {
            let r = reports_in(black_box(one.as_bytes()), &limits);
            assert_eq!(r.len(), 1);
            r
        })
    });

    let mbox: String = (0..1000)
        .map(|i| {
            format!(
                "From reports@example.com Mon Nov  2 00:00:00 2026\n{}\n",
                mail("example.net", &report("Google Inc.", "example.net", i))
            )
        })
        .collect();
    g.throughput(Throughput::Bytes(mbox.len() as u64));
    g.sample_size(10);
    g.bench_function("read an mbox of 1,000 report mails", |b| {
        b.iter(|| {
            let r = reports_in(black_box(mbox.as_bytes()), &limits);
            assert_eq!(r.iter().filter(|r| r.is_ok()).count(), 1000);
            r
        })
    });

    let reports: Vec<_> = (0..10_000u32)
        .map(|i| {
            let org = ["Google Inc.", "Microsoft Corporation", "comcast.net"][i as usize % 3];
            let domain = format!("d{}.example.net", i % 50);
            reports_in(report(org, &domain, i).as_bytes(), &limits)
                .remove(0)
                .expect("a report")
        })
        .collect();
    g.throughput(Throughput::Elements(reports.len() as u64));
    g.bench_function("group 10,000 reports (100,000 failure details)", |b| {
        b.iter(|| {
            let (groups, _) = group(black_box(&reports), None);
            assert!(!groups.is_empty());
            groups
        })
    });

    // 1 GiB of zeros gzip'd to about 1 MiB: read until the decompression limit, then refused.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        e.write_all(&zeros).expect("gzip");
    }
    let bomb = e.finish().expect("gzip");
    g.throughput(Throughput::Bytes(bomb.len() as u64));
    g.bench_function("refuse a gzip bomb (1 GiB of zeros)", |b| {
        b.iter(|| {
            let r = reports_in(black_box(&bomb), &limits);
            assert!(r.iter().all(|r| r.is_err()));
            r
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

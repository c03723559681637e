//! A full probe of an in-process TLS 1.3 lab server on 127.0.0.1, repeated: connect, banner,
//! EHLO, STARTTLS, handshake with certificate verification, EHLO over TLS, QUIT — the whole
//! engine with its tap and wire tracker. Run with `cargo bench --bench probe`.

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tlsdive::lab::{self, Pki, Scenario};
use tlsdive::plan::{Plan, Target};

fn probe(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    let pki = Arc::new(Pki::generate().expect("pki"));
    std::fs::write(&ca, pki.ca_pem()).expect("write ca");
    let mut group = c.benchmark_group("probe");
    group.measurement_time(Duration::from_secs(5));
    for scenario in [
        Scenario::Healthy,
        Scenario::Tls12Only,
        Scenario::CloseAfterClientHello,
    ] {
        let server = rt
            .block_on(lab::start(
                scenario,
                &pki,
                "127.0.0.1:0".parse().expect("addr"),
            ))
            .expect("lab server");
        let mut plan = Plan::new(Target::Ip(server.addr.ip()));
        plan.port = server.addr.port();
        plan.tls.trust = tlsdive::plan::Trust::from_pem("the lab CA", &pki.ca_pem());
        group.bench_function(scenario.name(), |b| {
            b.iter(|| {
                let events = rt.block_on(tlsdive::engine::probe(plan.clone()));
                assert!(!events.is_empty());
                events
            })
        });
    }
    group.finish();
}

criterion_group!(benches, probe);
criterion_main!(benches);

//! Triage throughput: destinations per second at concurrency 1, 8 and 64 against 256 healthy
//! lab servers on 127.0.0.1 (in-process, so the servers' TLS work shares the two worker
//! threads with the probes: a floor, not a ceiling). Each destination is a full probe:
//! banner, EHLO, STARTTLS, TLS 1.3 handshake with verification, EHLO, QUIT.
//! Run with `cargo bench --bench triage` (benches/triage.sh adds the RSS figure).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tlsdive::lab::{self, Pki, Scenario};
use tlsdive::triage::run;

const SERVERS: usize = 256;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let pki = Arc::new(Pki::generate().expect("pki"));
        let mut servers = Vec::with_capacity(SERVERS);
        for _ in 0..SERVERS {
            let bind = "127.0.0.1:0".parse().expect("addr");
            servers.push(lab::start(Scenario::Healthy, &pki, bind).await.expect("lab"));
        }
        let input: String = servers
            .iter()
            .map(|s| format!("127.0.0.1:{}\n", s.addr.port()))
            .collect();
        let mut template =
            lab::plan_for(Scenario::Healthy, servers[0].addr, &pki.ca_pem());
        template.ehlo = "bench.tlsdive.test".into();
        template.timeouts.reply = Duration::from_secs(10);
        for concurrency in [1, 8, 64] {
            let cfg = run::Config::new(template.clone(), concurrency, Duration::from_millis(10), 0);
            let start = Instant::now();
            let mut ok = 0usize;
            let mut total = 0usize;
            tlsdive::cli::drive::triage::run(std::io::Cursor::new(input.clone().into_bytes()), &cfg, |r| {
                total += 1;
                ok += usize::from(r.ok());
            })
            .await;
            let secs = start.elapsed().as_secs_f64();
            println!(
                "triage/concurrency-{concurrency:<3} {total} destinations ({ok} ok) in {secs:.2} s: {:.0} destinations/s",
                total as f64 / secs
            );
        }
    });
}

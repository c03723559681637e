//! Not a measurement itself: the helper `scan_compare.sh` runs to put the lab's STARTTLS
//! front before a TLS backend and count the connections each scanner makes.
//!
//! Usage: `SCAN_BACKEND=127.0.0.1:4433 cargo bench --bench scan_front`. Prints
//! `FRONT <addr>`, then answers every line on stdin with the number of connections accepted
//! so far; exits when stdin closes.

use std::io::BufRead;

fn main() {
    let Some(backend) = std::env::var("SCAN_BACKEND")
        .ok()
        .and_then(|b| b.parse().ok())
    else {
        eprintln!("scan_front: set SCAN_BACKEND=ip:port (skipped)");
        return;
    };
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        eprintln!("scan_front: no runtime");
        return;
    };
    let front = runtime.block_on(async {
        tlsdive::lab::start_front(backend, "127.0.0.1:0".parse().expect("address")).await
    });
    let front = match front {
        Ok(f) => f,
        Err(e) => {
            eprintln!("scan_front: {e}");
            return;
        }
    };
    println!("FRONT {}", front.addr);
    for _ in std::io::stdin().lock().lines().map_while(Result::ok) {
        println!("{}", front.connections());
    }
    drop(runtime);
}

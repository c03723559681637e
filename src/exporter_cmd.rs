//! `tlsdive exporter`: load the configuration, listen, serve until interrupted.

use std::process::ExitCode;
use std::sync::Arc;

use tlsdive::cli::ExporterArgs;
use tlsdive::exporter::{Config, Exporter, serve};
use tlsdive::sanitize;

pub async fn run(args: &ExporterArgs) -> anyhow::Result<ExitCode> {
    let config = match Config::load(args.config.as_deref(), &args.allow) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tlsdive: {}", sanitize::neutralize(&e.to_string()));
            return Ok(ExitCode::from(2));
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("tlsdive: cannot listen on {}: {e}", args.listen);
            return Ok(ExitCode::from(2));
        }
    };
    let addr = listener.local_addr()?;
    eprintln!(
        "tlsdive exporter on http://{addr}/probe?target=… ({} allow pattern{}, modules: {}, {} probe{} at once); /metrics for its own health",
        config.allow.len(),
        if config.allow.len() == 1 { "" } else { "s" },
        config
            .modules
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
        config.max_concurrent,
        if config.max_concurrent == 1 { "" } else { "s" },
    );
    let exporter = Arc::new(Exporter::new(config));
    tokio::select! {
        _ = serve(listener, exporter) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(ExitCode::SUCCESS)
}

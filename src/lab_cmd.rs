//! `tlsdive lab`: start the lab's servers on loopback, say what each one does wrong, and
//! serve until interrupted — or, with `--probe`, probe one scenario and print its report.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tlsdive::cli::LabArgs;
use tlsdive::lab::{self, Pki, Scenario};

pub async fn run(args: LabArgs) -> anyhow::Result<ExitCode> {
    let pki = Arc::new(Pki::generate().context("cannot make the lab's certificates")?);
    std::fs::write(&args.ca_out, pki.ca_pem())
        .with_context(|| format!("cannot write --ca-out {}", args.ca_out.display()))?;
    if let Some(name) = &args.probe {
        let Some(scenario) = Scenario::from_name(name) else {
            let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
            eprintln!(
                "tlsdive: no lab scenario {name:?}; there are: {}",
                names.join(", ")
            );
            return Ok(ExitCode::from(2));
        };
        let server = lab::start(scenario, &pki, "127.0.0.1:0".parse()?)
            .await
            .context("cannot start the lab server")?;
        eprintln!(
            "lab: {} on {} — {} (expect: {})",
            scenario.name(),
            server.addr,
            scenario.describe(),
            scenario.expected_cause()
        );
        let plan = lab::plan_for(scenario, server.addr, &pki.ca_pem());
        let session = crate::probe(plan, None).await?;
        crate::print_report(&session, args.json)?;
        return Ok(session
            .latest()
            .map(crate::exit_for)
            .unwrap_or(ExitCode::from(3)));
    }
    let servers = lab::serve_all(&pki, args.base_port)
        .await
        .context("cannot start the lab servers")?;
    // Written, not `println!`ed: `tlsdive lab | head` must not panic on a closed pipe.
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "tlsdive lab: {} servers on 127.0.0.1; CA certificate in {}",
        servers.len(),
        args.ca_out.display()
    )?;
    writeln!(
        out,
        "probe one with: tlsdive probe 127.0.0.1:PORT --ca-file {}",
        args.ca_out.display()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<26} {:<17} {:<30} what is wrong",
        "scenario", "address", "expected cause"
    )?;
    for s in &servers {
        writeln!(
            out,
            "{:<26} {:<17} {:<30} {}",
            s.scenario.name(),
            s.addr.to_string(),
            s.scenario.expected_cause(),
            s.scenario.describe()
        )?;
    }
    writeln!(out, "\nserving until interrupted (Ctrl-C)")?;
    out.flush()?;
    drop(out);
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    Ok(ExitCode::SUCCESS)
}

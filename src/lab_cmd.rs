//! `tlsdive lab`: start the lab's servers on loopback, say what each one does wrong, and
//! serve until interrupted — or, with `--probe`, probe one scenario and print its report.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tlsdive::cli::LabArgs;
use tlsdive::lab::policy_lab::{self, PolicyLab};
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
    let healthy = servers
        .iter()
        .find(|s| s.scenario == Scenario::Healthy)
        .map(|s| s.addr.port())
        .context("the lab has no healthy server")?;
    let policy = policy_lab::start(&pki, healthy)
        .await
        .context("cannot start the policy lab (signed DNS, MTA-STS)")?;
    // The MTA-STS policy server has a CA of its own; --ca-file applies to that fetch too.
    std::fs::write(
        &args.ca_out,
        format!("{}{}", pki.ca_pem(), policy.sts.ca_pem),
    )
    .with_context(|| format!("cannot write --ca-out {}", args.ca_out.display()))?;
    let anchor_dir = tempfile::Builder::new()
        .prefix("tlsdive-lab-")
        .tempdir()
        .context("cannot make a temporary directory for the trust anchor")?;
    let anchor = anchor_dir.path().join("root.key");
    std::fs::write(&anchor, &policy.anchor)
        .with_context(|| format!("cannot write {}", anchor.display()))?;
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
    policy_section(&mut out, &policy, &anchor, &args.ca_out)?;
    writeln!(out, "\nserving until interrupted (Ctrl-C)")?;
    out.flush()?;
    drop(out);
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    Ok(ExitCode::SUCCESS)
}

fn policy_section(
    out: &mut impl Write,
    policy: &PolicyLab,
    anchor: &std::path::Path,
    ca: &std::path::Path,
) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "policy lab: DNS with a signed private root on {}; its trust anchor (root DNSKEY) in {}",
        policy.dns.addr,
        anchor.display()
    )?;
    let command = |label: &str| {
        format!(
            "tlsdive probe {} --port {} --resolver {} --trust-anchor {} --ca-file {}",
            policy_lab::domain(label),
            policy.port_for(label),
            policy.dns.addr,
            anchor.display(),
            ca.display()
        )
    };
    writeln!(out, "try: {}", command("dane-mismatch"))?;
    writeln!(
        out,
        "(MTA-STS domains: add --mta-sts-port {}, the policy server's port)",
        policy.sts.addr.port()
    )?;
    writeln!(out)?;
    writeln!(out, "{:<36} {:<6} what it shows", "domain", "port")?;
    for (label, what) in policy_lab::SCENARIOS {
        writeln!(
            out,
            "{:<36} {:<6} {what}",
            policy_lab::domain(label),
            policy.port_for(label)
        )?;
    }
    Ok(())
}

//! `tlsdive probe DOMAIN --all`: run the sweep, then print one row per MX × address (text)
//! or a JSON array of the rows (one row without an address when resolution failed, naming
//! the cause); exit 0 only when every address works.

use std::io::Write;
use std::process::ExitCode;

use tlsdive::plan::{Plan, Target};
use tlsdive::sweep;

pub async fn run(plan: Plan, json: bool) -> anyhow::Result<ExitCode> {
    use tlsdive::cli::drive::{Driver, never};
    use tlsdive::runs::{Run, sweep::Sweep};
    let Target::Domain(domain) = plan.target.clone() else {
        eprintln!(
            "tlsdive: --all sweeps a mail domain's MX hosts; give a domain, not a host or address"
        );
        return Ok(ExitCode::from(2));
    };
    let sweep = match Sweep::of_plan(plan) {
        Ok(s) => s,
        Err(why) => {
            eprintln!("tlsdive: {why}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut run = Run::Sweep(sweep);
    let mut driver = Driver::new();
    driver
        .drive(&mut run, never(), |_| std::ops::ControlFlow::Continue(()))
        .await;
    let session = driver.session;
    let rows = sweep::rows(&session, 1);
    let mut out = std::io::stdout().lock();
    // Resolution failed before any connection: one row saying why, not an empty table.
    if rows.is_empty()
        && let Some(u) = sweep::unreached(&session, 1)
    {
        if json {
            let mut v = serde_json::to_value([&u])?;
            tlsdive::sanitize::neutralize_json(&mut v);
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        } else {
            let text = sweep::unreached_text(&u);
            write!(out, "{}", tlsdive::sanitize::neutralize_lines(&text))?;
        }
        return Ok(if u.cause == tlsdive::diagnose::Cause::InternalError {
            ExitCode::from(3)
        } else {
            ExitCode::from(1)
        });
    }
    if json {
        let mut v = serde_json::to_value(&rows)?;
        tlsdive::sanitize::neutralize_json(&mut v);
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        let text = sweep::text(&rows, &domain);
        write!(out, "{}", tlsdive::sanitize::neutralize_lines(&text))?;
    }
    Ok(if rows.is_empty() {
        ExitCode::from(3)
    } else if rows
        .iter()
        .all(|r| r.ok && r.cause == tlsdive::diagnose::Cause::Ok)
    {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

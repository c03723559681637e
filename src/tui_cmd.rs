//! The binary's entry points into the TUI: `tlsdive TARGET` (live), `tlsdive replay FILE`
//! on a terminal (read-only) and `tlsdive demo` (the lab's servers, in-process).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use tlsdive::cli::{DemoArgs, ProbeArgs};
use tlsdive::session::Session;
use tlsdive::tui::{self, Options, demo::Demo};

/// `tlsdive TARGET`: usage errors exit 2 before the terminal is touched.
pub async fn live(args: &ProbeArgs) -> anyhow::Result<ExitCode> {
    let plan = match args.plan() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("tlsdive: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    // Opened (and its path judged) before the terminal is touched; written on the way out.
    let rec = match args.opts.record.as_deref().map(|p| {
        tlsdive::files::open_output("--record", p, tlsdive::files::Output::Replace, false)
            .map(|f| (p, f))
    }) {
        None => None,
        Some(Ok(r)) => Some(r),
        Some(Err(e)) => {
            eprintln!("tlsdive: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let ended = tui::run(Options {
        plan: Some(plan),
        session: Session::new(),
        read_only: false,
        demo: None,
        record_on_exit: args.opts.record.is_some(),
        repeat: args.repeat.repeat.map(|n| (n, args.repeat.interval)),
        quit_to: None,
    })
    .await?;
    let session = &ended.session;
    if let Some((path, file)) = rec {
        let werr = |e: std::io::Error| tlsdive::files::OutputError::write("--record", path, &e);
        let mut w = std::io::BufWriter::new(file);
        for ev in session.events() {
            tlsdive::recording::write_event(&mut w, &ev).map_err(werr)?;
        }
        w.flush().map_err(werr)?;
        eprintln!(
            "tlsdive: {} recorded in {}",
            match session.attempts.len() {
                1 => "1 attempt".to_string(),
                n => format!("{n} attempts"),
            },
            path.display()
        );
    }
    Ok(ended.exit_code())
}

/// `tlsdive replay FILE`: read-only, or with `live` able to start new attempts (numbered
/// after the recorded ones).
pub async fn replay(session: Session, live: bool) -> anyhow::Result<ExitCode> {
    let ended = tui::run(Options {
        plan: None,
        session,
        read_only: !live,
        demo: None,
        record_on_exit: false,
        repeat: None,
        quit_to: None,
    })
    .await?;
    Ok(ended.exit_code())
}

pub async fn demo(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let demo = Demo::start()
        .await
        .context("cannot start the lab's servers")?;
    let Some(plan) = demo.plan(&args.scenario) else {
        eprintln!(
            "tlsdive: no lab scenario {:?} (see `tlsdive lab`)",
            args.scenario
        );
        return Ok(ExitCode::from(2));
    };
    let ended = tui::run(Options {
        plan: Some(plan),
        session: Session::new(),
        read_only: false,
        demo: Some(demo),
        record_on_exit: false,
        repeat: None,
        quit_to: None,
    })
    .await?;
    Ok(ended.exit_code())
}

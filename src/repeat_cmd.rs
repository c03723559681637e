//! `tlsdive probe TARGET --repeat N`: runs the repeat, then prints the report of the
//! attempt most worth reading (the first that failed, else the last) followed by the
//! repeat's counts and conclusion; with `--json`, that report gains a `repeat` object.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use tlsdive::plan::Plan;
use tlsdive::{repeat, report};

pub async fn run(plan: Plan, n: u32, interval: Duration, json: bool) -> anyhow::Result<ExitCode> {
    use std::ops::ControlFlow;
    use tlsdive::cli::drive::{Driver, Seen, never};
    use tlsdive::runs::{Run, repeat::Repeat};
    let tty = std::io::stderr().is_terminal();
    let mut strip = String::new();
    let mut driver = Driver::new();
    let mut run = Run::Repeat(Repeat::new(plan, Some(n), interval));
    driver
        .drive(&mut run, never(), |seen| {
            if let (Seen::Finished(a), true) = (seen, tty) {
                let ok = repeat::cause_of(a) == tlsdive::diagnose::Cause::Ok;
                strip.push(if ok { '.' } else { 'x' });
                eprint!("\r{}/{n} {strip}", a.id);
            }
            ControlFlow::Continue(())
        })
        .await;
    let session = driver.session;
    if tty {
        eprint!("\r\x1b[2K");
    }
    let summary = repeat::summarize(&session.attempts);
    let shown = session
        .attempts
        .iter()
        .find(|a| repeat::cause_of(a) != tlsdive::diagnose::Cause::Ok)
        .or(session.latest());
    let mut out = std::io::stdout().lock();
    if json {
        let mut v = shown.map(report::json::report).unwrap_or_default();
        let mut r = serde_json::to_value(&summary)?;
        tlsdive::sanitize::neutralize_json(&mut r);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("repeat".into(), r);
        }
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        if let Some(a) = shown {
            let paint = report::text::Paint::for_stdout();
            write!(out, "{}", report::text::report_with(a, paint))?;
        }
        let mut text = repeat::words::section(&summary);
        if let Some(a) = shown {
            let why = if summary.conclusion.cause == tlsdive::diagnose::Cause::Ok {
                "the last"
            } else {
                "the first that failed"
            };
            text.push_str(&format!(
                "  (the report above is attempt #{}, {why})\n",
                a.id
            ));
        }
        write!(out, "{}", tlsdive::sanitize::neutralize_lines(&text))?;
    }
    Ok(
        if summary.conclusion.cause == tlsdive::diagnose::Cause::Ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

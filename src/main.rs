//! The `tlsdive` binary: parses arguments, runs the engine, and hands the result to a front
//! end. Exit codes: 0 negotiated, 1 diagnosed failure, 2 usage error, 3 internal error.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use tlsdive::cli::{Cli, Command, ProbeArgs, ScanArgs};
use tlsdive::diagnose::Cause;
use tlsdive::engine::EngineHandle;
use tlsdive::event::EventKind;
use tlsdive::plan::Plan;
use tlsdive::session::Session;
use tlsdive::{diagnose, files, recording, report, sanitize};

mod exporter_cmd;
mod lab_cmd;
mod repeat_cmd;
mod sweep_cmd;
mod triage_cmd;
mod tui_cmd;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tlsdive: cannot start the runtime: {e}");
            return ExitCode::from(3);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        // `tlsdive ... | head`: the reader has what it wanted; like other Unix tools, stop
        // quietly.
        Err(e) if stdout_closed(&e) => ExitCode::SUCCESS,
        // An output file the user named cannot be written (a full disk, ...): a usage error.
        Err(e) if e.is::<files::OutputError>() => {
            eprintln!("tlsdive: {}", sanitize::neutralize(&e.to_string()));
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("tlsdive: {}", sanitize::neutralize(&format!("{e:#}")));
            ExitCode::from(3)
        }
    }
}

/// Whether `e` is a write to a pipe whose reader has gone (EPIPE; Rust ignores SIGPIPE).
fn stdout_closed(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        let kind = if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            Some(io.kind())
        } else {
            cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Probe(args)) => probe_cmd(&args).await,
        Some(Command::Replay {
            file,
            json,
            report,
            live,
        }) => replay_cmd(&file, json, report, live).await,
        Some(Command::Lab(args)) => lab_cmd::run(args).await,
        Some(Command::Scan(args)) => scan_cmd(&args).await,
        Some(Command::Triage(args)) => triage_cmd::run(&args).await,
        Some(Command::Exporter(args)) => exporter_cmd::run(&args).await,
        Some(Command::Completions { shell }) => {
            // Generated into memory first: clap_complete panics on a failed write (`| head`).
            let mut script = Vec::new();
            tlsdive::cli::generate::completions(shell, &mut script);
            std::io::stdout().lock().write_all(&script)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Manpage { dir }) => {
            let written = match tlsdive::cli::generate::man_pages(&dir) {
                Ok(w) => w,
                Err(e) => {
                    let dir = sanitize::neutralize(&dir.display().to_string()).into_owned();
                    eprintln!("tlsdive: cannot write the man pages into {dir}: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            for path in written {
                println!("{}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Demo(_)) if !interactive_terminal() => {
            eprintln!(
                "tlsdive: demo needs a terminal; without one, try `tlsdive lab --probe close-after-client-hello`"
            );
            Ok(ExitCode::from(2))
        }
        Some(Command::Demo(args)) => tui_cmd::demo(&args).await,
        None => match cli.interactive() {
            // Piped or redirected: the same probe, as a printed report.
            Some(args) if !interactive_terminal() => probe_cmd(&args).await,
            Some(args) => tui_cmd::live(&args).await,
            None => {
                eprintln!("tlsdive: give a TARGET or a command; see tlsdive --help");
                Ok(ExitCode::from(2))
            }
        },
    }
}

/// The TUI needs a terminal on both ends: keys in, screen out.
fn interactive_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// `tlsdive replay`: a file that cannot be read as a recording is a usage error (exit 2),
/// named once; a recording cut at its end replays what is whole and says so.
async fn replay_cmd(
    file: &std::path::Path,
    json: bool,
    report: bool,
    live: bool,
) -> anyhow::Result<ExitCode> {
    let loaded = match recording::load(file) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("tlsdive: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let name = sanitize::neutralize(&file.display().to_string()).into_owned();
    if let Some(cut) = loaded.cut {
        eprintln!("tlsdive: {}", cut.words(&name));
    }
    // A recording is untrusted input: the read-only view shows it neutralized.
    let session = tlsdive::session::neutralize::neutralize_session(&loaded.session);
    let Some(last) = session.latest() else {
        eprintln!("tlsdive: {name} holds no attempt");
        return Ok(ExitCode::from(2));
    };
    let code = exit_for(last);
    if live && !interactive_terminal() {
        eprintln!("tlsdive: replay --live opens the interactive view: it needs a terminal");
        return Ok(ExitCode::from(2));
    }
    if !json && !report && interactive_terminal() {
        return tui_cmd::replay(session, live).await;
    }
    print_report(&session, json)?;
    Ok(code)
}

/// `tlsdive probe`: usage errors exit 2 before anything touches the network.
async fn probe_cmd(args: &ProbeArgs) -> anyhow::Result<ExitCode> {
    let plan = match args.plan() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("tlsdive: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if args.all {
        return sweep_cmd::run(plan, args.opts.json).await;
    }
    if let Some(n) = args.repeat.repeat {
        if args.opts.investigate {
            eprintln!("tlsdive: --repeat and --investigate do not go together: pick one");
            return Ok(ExitCode::from(2));
        }
        return repeat_cmd::run(plan, n, args.repeat.interval, args.opts.json).await;
    }
    // Every output file is opened (and its path judged) before anything connects.
    let opened = (|| {
        let rec = args
            .opts
            .record
            .as_deref()
            .map(recording::Recorder::create)
            .transpose()?;
        let pcap = args
            .pcap
            .as_deref()
            .map(|p| files::open_output("--pcap", p, files::Output::Replace, true).map(|f| (p, f)))
            .transpose()?;
        Ok::<_, files::OutputError>((rec, pcap))
    })();
    let (rec, pcap) = match opened {
        Ok(o) => o,
        Err(e) => {
            eprintln!("tlsdive: {}", sanitize::neutralize(&e.to_string()));
            return Ok(ExitCode::from(2));
        }
    };
    let ended = run_probe(plan, rec, args.opts.investigate).await?;
    let (session, engine) = (&ended.session, &ended.engine);
    // The capture matters most when the server hung and the user gave up: written on a
    // signal too, with whatever was seen, before anything else can fail.
    if let (Some((path, file)), Some(a)) = (pcap, session.latest()) {
        let keys = engine.as_ref().and_then(|e| e.key_log(a.id));
        write_pcap(path, file, a, keys.as_deref())?;
    }
    if let Some(e) = ended.record_failed {
        return Err(e.into());
    }
    if let Some(signal) = ended.signal {
        eprintln!(
            "tlsdive: stopped by {} before the probe ended",
            signal_name(signal)
        );
        return Ok(ExitCode::from(128 + signal as u8));
    }
    if args.opts.investigate && args.opts.json {
        // One document: every attempt and the conclusion over them.
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &tlsdive::cli::json::investigation(session))?;
        writeln!(out)?;
    } else {
        print_report(session, args.opts.json)?;
    }
    if args.show_certs {
        show_certs(session)?;
    }
    if args.opts.investigate {
        // The conclusion over every experiment decides, not the last experiment alone.
        return Ok(match tlsdive::case::Case::of(session).map(|c| c.cause) {
            Some(Cause::Ok) => ExitCode::SUCCESS,
            Some(_) => ExitCode::from(1),
            None => ExitCode::from(3),
        });
    }
    Ok(session.latest().map(exit_for).unwrap_or(ExitCode::from(3)))
}

/// `tlsdive scan`: exit 0 when a TLS 1.2+ sender can negotiate (with `--senders`: when every
/// sender profile gets through), 1 when not, 2 on usage.
async fn scan_cmd(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    let plan = match args.scan_plan() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("tlsdive: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let senders = match args.sender_profiles() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tlsdive: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let tty = std::io::stderr().is_terminal();
    let show = |p: &tlsdive::scan::Progress| {
        if tty {
            eprint!("\r{}", tlsdive::scan::text::progress_line(p));
        }
    };
    let profile = {
        use tlsdive::profile::kind::ScanKind;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut engine = EngineHandle::new(tx);
        // With senders, one probe handshake beside the hellos shows what comes after them (a
        // client certificate required, a refusal, the certificate): past a failed
        // verification, so an opportunistic sender's view is seen too (the verdict is still
        // captured).
        let probe_id = (!senders.is_empty()).then(|| {
            let mut probe_plan = plan.plan.clone();
            probe_plan.tls.verify = false;
            engine.launch(probe_plan)
        });
        let kind = if senders.is_empty() {
            ScanKind::Full
        } else {
            ScanKind::Senders
        };
        // A scan of its own: attempt 0, which no attempt ever is.
        engine.scan(tlsdive::runs::ScanRequest {
            attempt: 0,
            at_us: 0,
            kind,
            plan: plan.clone(),
            senders: senders.clone(),
        });
        let mut session = Session::new();
        let mut scanned = None;
        while let Some(ev) = rx.recv().await {
            match ev.kind {
                EventKind::ScanProgressed { progress, .. } => show(&progress),
                EventKind::ScanFinished { profile, .. } => scanned = Some(*profile),
                _ if Some(ev.attempt) == probe_id => session.apply(&ev),
                _ => {}
            }
            let probed =
                probe_id.is_none_or(|id| session.attempt(id).is_some_and(|a| !a.is_running()));
            if scanned.is_some() && probed {
                break;
            }
        }
        let Some(mut profile) = scanned else {
            anyhow::bail!("the scan ended without a result");
        };
        if let Some(a) = probe_id.and_then(|id| session.attempt(id)) {
            tlsdive::scan::senders::judge::fold_attempt(&mut profile, a);
            profile.connections = profile.connections.saturating_add(1);
        }
        profile
    };
    if tty {
        eprint!("\r\x1b[2K");
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut v = serde_json::to_value(&profile)?;
        sanitize::neutralize_json(&mut v);
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        let text = tlsdive::scan::text::report(&profile);
        write!(out, "{}", sanitize::neutralize_lines(&text))?;
    }
    // With --senders: 0 when every profile gets through.
    let ok = if senders.is_empty() {
        profile.overlap.negotiable
    } else {
        profile.stopped.is_none() && profile.senders.iter().all(|s| s.accepted)
    };
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Run one attempt, folding events into a session (and a recording, when asked).
pub async fn probe(plan: Plan, record: Option<&std::path::Path>) -> anyhow::Result<Session> {
    probe_with(plan, record, false).await
}

/// [`probe`], or with `investigate` the case's experiments after it (`--investigate`).
pub async fn probe_with(
    plan: Plan,
    record: Option<&std::path::Path>,
    investigate: bool,
) -> anyhow::Result<Session> {
    let rec = record.map(recording::Recorder::create).transpose()?;
    let ended = run_probe(plan, rec, investigate).await?;
    match ended.record_failed {
        Some(e) => Err(e.into()),
        None => Ok(ended.session),
    }
}

/// `--show-certs`: each attempt's chain as sent, in PEM.
fn show_certs(session: &Session) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for a in &session.attempts {
        match report::pem::chain(a) {
            Some(pem) => write!(out, "\n{}", sanitize::neutralize_lines(&pem))?,
            None => eprintln!(
                "tlsdive: attempt #{}: no certificate received, so no chain to show",
                a.id
            ),
        }
    }
    Ok(())
}

/// `--pcap FILE`: the attempt's connection, with its secrets when the engine has them, into
/// the file opened before the probe. An attempt that never connected has no connection to
/// write: that is said, and the empty file removed.
fn write_pcap(
    path: &std::path::Path,
    mut file: std::fs::File,
    a: &tlsdive::session::Attempt,
    keys: Option<&str>,
) -> anyhow::Result<()> {
    let bytes = match tlsdive::pcap::pcapng(a, keys) {
        Ok(b) => b,
        Err(e) => {
            drop(file);
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0) {
                let _ = std::fs::remove_file(path);
            }
            eprintln!("tlsdive: no --pcap written: {e}");
            return Ok(());
        }
    };
    file.write_all(&bytes)
        .and_then(|()| file.flush())
        .map_err(|e| files::OutputError::write("--pcap", path, &e))?;
    if keys.is_none() {
        eprintln!(
            "tlsdive: {} holds no TLS secrets (no TLS handshake got that far): its TLS stays encrypted",
            sanitize::neutralize(&path.display().to_string())
        );
    }
    Ok(())
}

/// How a probe's event loop ended.
struct Ended {
    session: Session,
    /// The engine handle (it holds the attempts' TLS secrets).
    engine: Option<EngineHandle>,
    /// The signal (SIGINT, SIGTERM, SIGHUP) that stopped it, if one did.
    signal: Option<i32>,
    /// The recording could not be written (a full disk): the probe stopped there.
    record_failed: Option<files::OutputError>,
}

/// The first of SIGINT, SIGTERM and SIGHUP, by number (the handlers are installed now).
fn any_signal() -> std::io::Result<impl std::future::Future<Output = i32>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => libc::SIGINT,
            _ = term.recv() => libc::SIGTERM,
            _ = hup.recv() => libc::SIGHUP,
        }
    })
}

/// Run the attempt (and with `investigate` the case's experiments after it) through the
/// driver, folding events into a session and the recording, until it ends or a signal
/// arrives.
async fn run_probe(
    plan: Plan,
    mut rec: Option<recording::Recorder>,
    investigate: bool,
) -> anyhow::Result<Ended> {
    use std::ops::ControlFlow;
    use tlsdive::cli::drive::{Driver, Finish, Seen};
    use tlsdive::runs::{Run, investigate::Investigation, repeat::Repeat};
    let mut run = if investigate {
        Run::Investigate(Investigation::of_plan(plan))
    } else {
        Run::Repeat(Repeat::new(plan, Some(1), std::time::Duration::ZERO))
    };
    // Installed before anything connects, so no signal is missed.
    let stop = any_signal()?;
    let mut driver = Driver::new();
    let mut record_failed = None;
    let finish = driver
        .drive(&mut run, stop, |seen| {
            // Each event reaches the file as it happens: a signal loses nothing seen so far.
            if let (Seen::Event(ev), Some(r)) = (seen, rec.as_mut())
                && let Err(e) = r.record(ev)
            {
                record_failed = Some(e);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })
        .await;
    let signal = match finish {
        Finish::Stopped(n) => Some(n),
        Finish::Done | Finish::Halted => None,
    };
    let session = std::mem::take(&mut driver.session);
    Ok(Ended {
        session,
        engine: Some(driver.into_engine()),
        signal,
        record_failed,
    })
}

fn signal_name(n: i32) -> &'static str {
    match n {
        libc::SIGINT => "SIGINT (Ctrl-C)",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

fn print_report(session: &Session, json: bool) -> anyhow::Result<()> {
    let paint = report::text::Paint::for_stdout();
    let mut out = std::io::stdout().lock();
    let several =
        session.attempts.len() > 1 || session.attempts.iter().any(|a| !a.scans.is_empty());
    let last = session.attempts.len().saturating_sub(1);
    for (i, a) in session.attempts.iter().enumerate() {
        if json {
            let mut v = report::json::report(a);
            // The conclusion over the whole session rides on the last attempt's object.
            if i == last
                && let Some(obj) = v.as_object_mut()
            {
                let mut case = report::case::json(session);
                sanitize::neutralize_json(&mut case);
                obj.insert("case".into(), case);
            }
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        } else {
            write!(out, "{}", report::text::report_with(a, paint))?;
        }
    }
    if several && !json {
        let text = report::case::text(session, paint);
        write!(out, "{}", sanitize::neutralize_lines(&text))?;
    }
    Ok(())
}

fn exit_for(a: &tlsdive::session::Attempt) -> ExitCode {
    let d = diagnose::diagnose(a);
    if d.ok && d.cause == Cause::Ok {
        ExitCode::SUCCESS
    } else if d.cause == Cause::InternalError {
        ExitCode::from(3)
    } else {
        ExitCode::from(1)
    }
}

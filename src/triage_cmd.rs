//! `tlsdive triage`: reads targets and MTA log lines, probes each destination once, and
//! prints the grouped summary (or `--jsonl`, one object per destination); `--merge` prints
//! the summary of earlier JSONL outputs. On a terminal (and not `--jsonl`) a live table
//! shows the run first. Every input line is accounted for (used, skipped with its reason,
//! or unreadable). Exit 0 when every destination works now, 1 when one does not, when an
//! MTA failure line named nothing to probe, when no line was readable as a destination but
//! some were unreadable (or the table was quit before all were probed), 2 on usage, 128+N
//! after signal N. `--tlsrpt` reads TLS reports instead (`tlsrpt_triage`).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use tlsdive::cli::TriageArgs;
use tlsdive::sanitize;
use tlsdive::triage::{self, Row};

pub async fn run(args: &TriageArgs) -> anyhow::Result<ExitCode> {
    if args.merge {
        return merge(args);
    }
    if args.tlsrpt {
        return tlsrpt(args).await;
    }
    if args.inputs.len() > 1 {
        eprintln!("tlsdive: triage reads one FILE (or -); to combine JSONL outputs use --merge");
        return Ok(ExitCode::from(2));
    }
    let template = match args.template() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("tlsdive: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut cfg = triage::run::Config::new(
        template,
        usize::from(args.concurrency),
        args.backoff,
        args.retries_on_421,
    );
    cfg.shard = args.shard;
    cfg.only = args.only.clone();
    cfg.port = args.port;
    cfg.dry_run = args.dry_run;
    let from_file = args.inputs.first().is_some_and(|p| p.as_os_str() != "-");
    let input: Box<dyn tokio::io::AsyncBufRead + Unpin + Send> = match args.inputs.first() {
        Some(p) if p.as_os_str() != "-" => {
            let f = tokio::fs::File::open(p)
                .await
                .with_context(|| format!("cannot read {}", p.display()))?;
            Box::new(tokio::io::BufReader::new(f))
        }
        _ => Box::new(tokio::io::BufReader::new(tokio::io::stdin())),
    };
    // The table needs the terminal for keys: not when the items are typed into it.
    let live = std::io::stdout().is_terminal()
        && !args.jsonl
        && !args.dry_run
        && (from_file || !std::io::stdin().is_terminal());
    if live {
        return run_live(input, cfg, &probe_options(args)).await;
    }
    let mut rows = Vec::new();
    let mut all_ok = true;
    let mut failed_write = None;
    let jsonl = args.jsonl;
    let stats = tlsdive::cli::drive::triage::run(input, &cfg, |row| {
        all_ok &= row.ok();
        if jsonl {
            if failed_write.is_none()
                && let Err(e) = print_jsonl(&row)
            {
                failed_write = Some(e);
            }
        } else {
            rows.push(row);
        }
    })
    .await;
    if let Some(e) = failed_write {
        return Err(e);
    }
    if args.dry_run && !jsonl {
        print_dry_run(&rows)?;
        print_lines(&stats, false)?;
        report_stats(&stats);
        return Ok(ExitCode::SUCCESS);
    }
    if !jsonl {
        print_summary(&rows, &probe_options(args))?;
    }
    print_lines(&stats, jsonl)?;
    report_stats(&stats);
    Ok(if all_ok && all_checked(&stats) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The live table; after it, the same grouped summary as without a terminal.
async fn run_live(
    input: Box<dyn tokio::io::AsyncBufRead + Unpin + Send>,
    cfg: triage::run::Config,
    probe_options: &[String],
) -> anyhow::Result<ExitCode> {
    use tlsdive::tui::triage_table::Msg;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let template = cfg.template.clone();
    let runner = tokio::spawn(async move {
        let rows = tx.clone();
        let stats = tlsdive::cli::drive::triage::run_observed(
            input,
            &cfg,
            |row| {
                let _ = rows.send(Msg::Row(row));
            },
            |u| {
                let _ = tx.send(Msg::Update(u));
            },
        )
        .await;
        let _ = tx.send(Msg::Finished(stats));
    });
    let ended = tlsdive::tui::triage_live::run(rx, template).await;
    runner.abort();
    let ended = ended?;
    let table = ended.table;
    let rows = table.done_rows();
    print_summary(&rows, probe_options)?;
    let (queued, probing, _) = table.counts();
    let unfinished = queued + probing;
    if !table.finished {
        eprintln!(
            "tlsdive: stopped before the end: {} of {} destinations probed{}",
            rows.len(),
            table.rows.len(),
            if unfinished > 0 {
                format!(" ({unfinished} not yet)")
            } else {
                " (the input was not read to its end)".into()
            }
        );
    }
    if let Some(stats) = &table.input {
        print_lines(stats, false)?;
        report_stats(stats);
    }
    let checked = table.input.as_ref().is_some_and(all_checked);
    Ok(match ended.signal {
        Some(n) => ExitCode::from(u8::try_from(128 + n).unwrap_or(255)),
        None if table.finished && checked && table.finals.iter().all(Row::ok) => ExitCode::SUCCESS,
        None => ExitCode::from(1),
    })
}

/// Whether the input left nothing unchecked: no MTA failure that named nothing to probe,
/// and not an input of only unreadable lines (which says nothing works or not).
fn all_checked(s: &triage::run::Stats) -> bool {
    s.unchecked_failures() == 0 && !(s.used == 0 && s.garbage > 0)
}

/// Where every input line went; on stderr beside `--jsonl` rows (stdout stays rows only,
/// for `--merge`).
fn print_lines(s: &triage::run::Stats, jsonl: bool) -> anyhow::Result<()> {
    let text = triage::summary::lines(s);
    if jsonl {
        eprintln!("tlsdive: {text}");
    } else {
        let mut out = std::io::stdout().lock();
        writeln!(out, "\n{text}")?;
    }
    if s.unchecked_failures() > 0 {
        eprintln!(
            "tlsdive: {} the MTA logged named no host and no recipient domain: not checked",
            tlsdive::report::units::plural(s.unchecked_failures(), "failure")
        );
    }
    Ok(())
}

/// One JSONL record (a destination's row, a report group's finding), neutralized.
fn print_jsonl(record: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut v = serde_json::to_value(record)?;
    sanitize::neutralize_json(&mut v);
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &v)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// `--dry-run`: each destination, where its probe would go and why.
fn print_dry_run(rows: &[Row]) -> anyhow::Result<()> {
    let mut text = format!(
        "--dry-run: {} would be probed (no connection was made)\n",
        tlsdive::report::units::plural(rows.len() as u64, "destination")
    );
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by(|a, b| a.destination.cmp(&b.destination));
    for r in sorted {
        text.push_str(&format!("  {}: {}\n", r.destination, r.summary));
    }
    let mut out = std::io::stdout().lock();
    write!(out, "{}", sanitize::neutralize_lines(&text))?;
    Ok(())
}

fn print_summary(rows: &[Row], probe_options: &[String]) -> anyhow::Result<()> {
    let text = triage::summary::text_with(rows, probe_options);
    let mut out = std::io::stdout().lock();
    write!(out, "{}", sanitize::neutralize_lines(&text))?;
    Ok(())
}

/// The triage's settings as `tlsdive probe` options, for the summary's repeat hint: the
/// command it prints probes what the triage probed, the same way.
fn probe_options(args: &TriageArgs) -> Vec<String> {
    fn duration(d: std::time::Duration) -> String {
        if d.subsec_millis() == 0 {
            format!("{}s", d.as_secs())
        } else {
            format!("{}ms", d.as_millis())
        }
    }
    let mut o = Vec::new();
    let path = |p: &std::path::Path| p.display().to_string();
    if let Some(p) = &args.ca_file {
        o.extend(["--ca-file".into(), path(p)]);
    }
    if let Some(r) = args.resolver {
        o.extend(["--resolver".into(), r.to_string()]);
    }
    if let Some(p) = &args.trust_anchor {
        o.extend(["--trust-anchor".into(), path(p)]);
    }
    if let Some(e) = &args.ehlo {
        o.extend(["--ehlo".into(), e.clone()]);
    }
    o.extend(["--timeout".into(), duration(args.timeout)]);
    o.extend(["--connect-timeout".into(), duration(args.connect_timeout)]);
    o
}

/// Lines that were not understood are counted, named once, and never fatal.
fn report_stats(s: &triage::run::Stats) {
    if s.garbage > 0 {
        let first = s
            .first_garbage
            .as_ref()
            .map(|(n, t)| format!(" (first: line {n}: {})", sanitize::neutralize(t)))
            .unwrap_or_default();
        eprintln!(
            "tlsdive: {} of {} lines were neither a target nor a Postfix/Exim log line{first}",
            s.garbage, s.lines
        );
    }
    if s.not_allowed > 0 {
        let first = s
            .first_not_allowed
            .as_ref()
            .map(|(n, d)| format!(" (first: {} on line {n})", sanitize::neutralize(d)))
            .unwrap_or_default();
        eprintln!(
            "tlsdive: {} left out: no --only pattern admits {}{first}",
            tlsdive::report::units::plural(s.not_allowed, "destination"),
            if s.not_allowed == 1 { "it" } else { "them" },
        );
    }
    if s.other_shards > 0 {
        eprintln!(
            "tlsdive: {} destinations left to other shards",
            s.other_shards
        );
    }
}

/// A `--jsonl` row is a few KiB (its recipient domains are a bounded sample): a longer
/// line is not one.
const MAX_MERGE_LINE: usize = 64 * 1024;

/// `--merge`: the grouped summary of JSONL outputs; lines that are not rows are counted.
fn merge(args: &TriageArgs) -> anyhow::Result<ExitCode> {
    if args.inputs.is_empty() {
        eprintln!("tlsdive: --merge needs the JSONL files to merge");
        return Ok(ExitCode::from(2));
    }
    let mut rows = Vec::new();
    let mut bad = 0u64;
    let mut buf = Vec::new();
    for path in &args.inputs {
        use tlsdive::files::lines::{self, Line};
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut input = std::io::BufReader::new(file);
        for n in 1u64.. {
            let read = lines::next(&mut input, MAX_MERGE_LINE, &mut buf)
                .with_context(|| format!("cannot read {}", path.display()))?;
            match read {
                Line::End => break,
                Line::Whole { .. } => {}
                Line::TooLong => {
                    eprintln!(
                        "tlsdive: {} line {n}: longer than {} KiB; not a triage --jsonl output",
                        sanitize::neutralize(&path.display().to_string()),
                        MAX_MERGE_LINE / 1024
                    );
                    return Ok(ExitCode::from(2));
                }
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Row>(&buf) {
                Ok(r) => rows.push(r),
                Err(_) => bad = bad.saturating_add(1),
            }
        }
    }
    let rows = triage::summary::merge(rows);
    if args.jsonl {
        for r in &rows {
            print_jsonl(r)?;
        }
    } else {
        print_summary(&rows, &probe_options(args))?;
    }
    if bad > 0 {
        eprintln!("tlsdive: {bad} lines of the inputs were not triage rows (skipped)");
    }
    Ok(if rows.iter().all(Row::ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--tlsrpt`: read the reports, group their failures, sweep the policy domains (a few at
/// a time) and judge every group now, the reporter's own ClientHello sent where tlsdive has
/// its profile. On a terminal (and not `--jsonl`) the live table shows the groups first,
/// `Enter` opening a group's MX. Files that hold no report are named on stderr; the rest go
/// on.
async fn tlsrpt(args: &TriageArgs) -> anyhow::Result<ExitCode> {
    use tlsdive::plan::Target;
    use tlsdive::triage::tlsrpt as rpt;
    if args.inputs.is_empty() {
        eprintln!(
            "tlsdive: --tlsrpt needs the report files (JSON, .gz, mails, an mbox or a Maildir)"
        );
        return Ok(ExitCode::from(2));
    }
    let template = match args.template() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("tlsdive: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let live = std::io::stdout().is_terminal() && !args.jsonl;
    // On a terminal the table takes the screen: what goes to stderr waits until after it.
    let mut notes: Vec<String> = Vec::new();
    let (reports, errors) = rpt::read_all(&args.inputs);
    notes.extend(errors.iter().map(|e| sanitize::neutralize(e).into_owned()));
    let (groups, others) = tlsdive::tlsrpt::group(&reports, args.domain.as_deref());
    // A --domain the reports never name (a typo) is not "no failure to probe".
    if let Some(d) = args.domain.as_deref() {
        let asked = tlsdive::policy::norm(d);
        let named = reports
            .iter()
            .flat_map(|r| &r.policies)
            .any(|p| tlsdive::policy::norm(&p.policy.policy_domain) == asked);
        if !named && !reports.is_empty() {
            for e in &errors {
                eprintln!("tlsdive: {}", sanitize::neutralize(e));
            }
            let names: Vec<String> = others
                .iter()
                .map(|d| sanitize::neutralize(d).into_owned())
                .collect();
            eprintln!(
                "tlsdive: --domain {}: no report names this policy domain (they cover {})",
                sanitize::neutralize(d),
                if names.is_empty() {
                    "no policy domain".to_string()
                } else {
                    names.join(", ")
                }
            );
            return Ok(ExitCode::from(1));
        }
    }
    if !others.is_empty() {
        let names: Vec<String> = others
            .iter()
            .map(|d| sanitize::neutralize(d).into_owned())
            .collect();
        notes.push(format!(
            "the reports also cover {}: not probed (--domain {})",
            names.join(", "),
            sanitize::neutralize(args.domain.as_deref().unwrap_or(""))
        ));
    }
    let mut plans = Vec::new();
    let mut per_domain: Vec<Vec<tlsdive::tlsrpt::Group>> = Vec::new();
    for domain in rpt::domains(&groups) {
        let target = match tlsdive::target::parse(&domain) {
            Ok((Target::Domain(d), None)) => d,
            _ => {
                notes.push(format!(
                    "policy domain {:?} of a report is not a domain name: not probed",
                    sanitize::neutralize(&domain)
                ));
                continue;
            }
        };
        let mut plan = template.clone();
        plan.target = Target::Domain(target);
        plan.port = args.port.unwrap_or(25);
        plans.push(plan);
        per_domain.push(
            groups
                .iter()
                .filter(|g| g.key.policy_domain == domain)
                .cloned()
                .collect(),
        );
    }
    let nothing_read = reports.is_empty() && !errors.is_empty();
    if live {
        return tlsrpt_live(
            plans,
            per_domain,
            template,
            reports.len(),
            errors.len(),
            notes,
        )
        .await;
    }
    for n in &notes {
        eprintln!("tlsdive: {n}");
    }
    let mut findings = Vec::new();
    let mut failed: Option<anyhow::Error> = None;
    let jsonl = args.jsonl;
    tlsdive::cli::drive::triage::judge_groups(
        plans,
        &per_domain,
        |_| {},
        |_, f| {
            if jsonl
                && failed.is_none()
                && let Err(e) = print_jsonl(&f)
            {
                failed = Some(e);
            }
            findings.push(f);
        },
        |domain, e| eprintln!("tlsdive: {}: {e}", sanitize::neutralize(domain)),
    )
    .await;
    if let Some(e) = failed {
        return Err(e);
    }
    if !jsonl {
        print_findings(&findings, reports.len())?;
    }
    Ok(
        if nothing_read || findings.iter().any(|f| f.still_failing) {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}

/// "then / now / fix" per group, or that the reports held no failure.
fn print_findings(
    findings: &[tlsdive::triage::tlsrpt::Finding],
    reports: usize,
) -> anyhow::Result<()> {
    let text = if findings.is_empty() {
        format!(
            "{}: no failure to probe\n",
            tlsdive::report::units::plural(reports as u64, "report")
        )
    } else {
        tlsdive::triage::tlsrpt::text(findings)
    };
    let mut out = std::io::stdout().lock();
    write!(out, "{}", sanitize::neutralize_lines(&text))?;
    Ok(())
}

/// `--tlsrpt` on a terminal: the live table of groups (judged as their domain's sweep
/// ends), then the same text as without a terminal, with what the interactive view found.
async fn tlsrpt_live(
    plans: Vec<tlsdive::plan::Plan>,
    per_domain: Vec<Vec<tlsdive::tlsrpt::Group>>,
    template: tlsdive::plan::Plan,
    reports: usize,
    unreadable: usize,
    notes: Vec<String>,
) -> anyhow::Result<ExitCode> {
    use tlsdive::tui::triage_table::Table;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let late = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let errors = late.clone();
    let runner = tokio::spawn(async move {
        tlsdive::tui::triage_live::judge_groups_into(
            plans,
            &per_domain,
            |m| {
                let _ = tx.send(m);
            },
            |domain, e| {
                if let Ok(mut l) = errors.lock() {
                    l.push(format!("{}: {e}", sanitize::neutralize(domain)));
                }
            },
        )
        .await;
    });
    let table = Table::for_reports(
        tlsdive::tui::theme::Theme::color_from_env(),
        reports,
        unreadable,
    );
    let ended = tlsdive::tui::triage_live::run_table(rx, template, table).await;
    runner.abort();
    let ended = ended?;
    let table = ended.table;
    let findings = table.findings();
    print_findings(&findings, reports)?;
    for n in &notes {
        eprintln!("tlsdive: {n}");
    }
    if let Ok(l) = late.lock() {
        for n in l.iter() {
            eprintln!("tlsdive: {n}");
        }
    }
    if !table.finished {
        eprintln!(
            "tlsdive: stopped before the end: {} of {} failure groups judged",
            findings.len(),
            table.rows.len()
        );
    }
    let nothing_read = reports == 0 && unreadable > 0;
    Ok(match ended.signal {
        Some(n) => ExitCode::from(u8::try_from(128 + n).unwrap_or(255)),
        None if table.finished && !nothing_read && findings.iter().all(|f| !f.still_failing) => {
            ExitCode::SUCCESS
        }
        None => ExitCode::from(1),
    })
}

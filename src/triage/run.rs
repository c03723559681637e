//! The triage's input side: streams the input and keeps one entry per distinct destination;
//! probing each once (at most `concurrency` at a time, backing off when a server answers
//! 421) is `runs::triage`, driven by `cli::drive::triage`.
//!
//! Memory is bounded by design: lines are read with a length cap through a bounded
//! channel, and reading pauses while `concurrency * 4` new destinations wait for a probe
//! slot. What grows is one small entry per distinct destination (needed to count its
//! later log lines); each attempt's events are dropped once it is diagnosed. A result is
//! handed out when its probe is done and the input is exhausted (a later line may still
//! add to its counts).
//!
//! Politeness: a destination gets one connection at a time (its probe and its retries run
//! in sequence); a `421` greeting (rate limit, too many connections) is retried after
//! `backoff`, doubled each time, at most `retries_on_421` times.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use tokio::io::AsyncBufRead;

use super::log::{self, Line as Parsed, Skip};
use super::only::{self, Pattern};
use super::shard::Shard;
use super::{Destination, Row, Verdict};
use crate::plan::Plan;

/// Input lines are cut at this many bytes (the rest of the line is garbage).
pub const MAX_LINE: usize = 8 * 1024;
/// Recipient domains kept per destination: a sample (the first seen), so a destination's
/// state stays small however many domains its log lines name (`recipient_domains_more`
/// says there were more).
pub const MAX_DOMAINS: usize = 10;

/// How a triage runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Every destination's plan starts from this one (trust, timeouts, EHLO, ...).
    pub template: Plan,
    pub concurrency: usize,
    pub backoff: Duration,
    pub retries_on_421: u32,
    pub shard: Option<Shard>,
    /// `--only`: destinations no pattern admits are left out (empty: all are probed).
    pub only: Vec<Pattern>,
    /// `--port`: probe this port instead of the one each line names.
    pub port: Option<u16>,
    /// `--dry-run`: no connection; each row says what would be probed and why.
    pub dry_run: bool,
}

impl Config {
    /// A triage of `template` with no shard, no allow-list and no dry run.
    pub fn new(template: Plan, concurrency: usize, backoff: Duration, retries: u32) -> Config {
        Config {
            template,
            concurrency,
            backoff,
            retries_on_421: retries,
            shard: None,
            only: Vec::new(),
            port: None,
            dry_run: false,
        }
    }
}

/// What the input held besides destinations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub lines: u64,
    pub destinations: u64,
    /// Lines neither a target nor a known log format: (count, first line number and text).
    pub garbage: u64,
    pub first_garbage: Option<(u64, String)>,
    /// Lines that named a destination (probed, or left to a shard or by `--only`).
    pub used: u64,
    /// Blank lines, comments, MTA lines with nothing to probe.
    pub skipped: u64,
    /// The skipped lines by reason (they add up to `skipped`).
    pub skipped_by: BTreeMap<Skip, u64>,
    /// Destinations left to other shards.
    pub other_shards: u64,
    /// Destinations `--only` left out: (count, first line number and destination).
    pub not_allowed: u64,
    pub first_not_allowed: Option<(u64, String)>,
}

impl Stats {
    /// Failure lines the MTA wrote that named nothing tlsdive could probe: failures that
    /// stay unchecked, so the triage cannot say every destination works.
    pub fn unchecked_failures(&self) -> u64 {
        self.skipped_by
            .get(&Skip::NoDestination)
            .copied()
            .unwrap_or(0)
    }
}

struct Entry {
    destination: Destination,
    /// The input line that first named it.
    first_line: u64,
    log_lines: u64,
    domains: BTreeSet<String>,
    more_domains: bool,
    mta_error: Option<String>,
    done: Option<Outcome>,
}

/// What a destination's probe (or dry run) found.
#[derive(Debug)]
pub struct Outcome {
    pub cause: Verdict,
    pub summary: String,
    /// The diagnosis' first next step, when it names one.
    pub fix: Option<String>,
    pub retries: u32,
}

impl Entry {
    fn add(&mut self, item: &log::Item) {
        if item.from_log {
            self.log_lines = self.log_lines.saturating_add(1);
        }
        if let Some(d) = &item.recipient_domain
            && !self.domains.contains(d)
        {
            if self.domains.len() < MAX_DOMAINS {
                self.domains.insert(d.clone());
            } else {
                self.more_domains = true;
            }
        }
        if self.mta_error.is_none() {
            self.mta_error.clone_from(&item.mta_error);
        }
        if self.destination.relay_host.is_none() {
            self.destination
                .relay_host
                .clone_from(&item.destination.relay_host);
        }
    }

    fn seen(&self) -> Seen {
        Seen {
            log_lines: self.log_lines,
            recipient_domains: self.domains.iter().cloned().collect(),
            recipient_domains_more: self.more_domains,
            mta_error: self.mta_error.clone(),
        }
    }

    fn row(self, o: Outcome) -> Row {
        Row {
            destination: self.destination.key,
            relay_host: self.destination.relay_host,
            cause: o.cause,
            summary: o.summary,
            fix: o.fix,
            drilldown: None,
            log_lines: self.log_lines,
            recipient_domains: self.domains.into_iter().collect(),
            recipient_domains_more: self.more_domains,
            mta_error: self.mta_error,
            retries_after_421: o.retries,
        }
    }
}

/// What the runner is doing, for a live view (the table on a terminal). Rows still come
/// through `emit`, once final.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// A new destination, from its first line.
    Queued {
        destination: Destination,
        seen: Seen,
    },
    /// A later line named the destination again.
    Seen { key: String, seen: Seen },
    /// Its probe started.
    Probing { key: String },
    /// Its probe ended (the row is final once the input is read).
    Probed {
        key: String,
        cause: Verdict,
        summary: String,
        fix: Option<String>,
    },
    /// The input is read to its end.
    InputDone(Stats),
}

/// What the lines so far said about a destination.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Seen {
    pub log_lines: u64,
    /// The recipient domains named so far (a sample of at most [`MAX_DOMAINS`]).
    pub recipient_domains: Vec<String>,
    /// More domains were named than the sample holds.
    pub recipient_domains_more: bool,
    pub mta_error: Option<String>,
}

/// One input line as the reader hands it over: its number, its text (lossily decoded,
/// cut at [`MAX_LINE`] bytes) and whether it was cut.
pub type RawLine = (u64, String, bool);

/// Start reading `input` into a bounded channel (reading pauses while it is full).
pub fn reader<R>(
    input: R,
) -> (
    tokio::task::JoinHandle<()>,
    tokio::sync::mpsc::Receiver<RawLine>,
)
where
    R: AsyncBufRead + Unpin + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<RawLine>(256);
    (tokio::spawn(read_lines(input, tx)), rx)
}

/// The triage's bookkeeping over the input: which destinations the lines name, how often,
/// with which MTA error, and each one's row once its outcome is in and the input is read
/// (a later line may still add to its counts). Probing them is `runs::triage`'s, driven by
/// the CLI's driver.
pub struct Intake {
    cfg: Config,
    stats: Stats,
    entries: HashMap<String, Entry>,
    /// Destinations named for the first time, not yet handed to the prober.
    fresh: VecDeque<String>,
    eof: bool,
}

impl Intake {
    pub fn new(cfg: &Config) -> Intake {
        Intake {
            cfg: cfg.clone(),
            stats: Stats::default(),
            entries: HashMap::new(),
            fresh: VecDeque::new(),
            eof: false,
        }
    }

    /// Take one input line in.
    pub fn line(&mut self, raw: RawLine, observe: &mut impl FnMut(Update)) {
        let (n, text, too_long) = raw;
        let line = Line {
            n,
            text: &text,
            too_long,
        };
        take_line(
            &mut self.stats,
            &mut self.entries,
            &mut self.fresh,
            &self.cfg,
            line,
            observe,
        );
    }

    /// The destinations to probe, with their plans, since the last call. A dry run probes
    /// nothing: each gets its row saying where the probe would go.
    pub fn take_fresh(
        &mut self,
        emit: &mut impl FnMut(Row),
        observe: &mut impl FnMut(Update),
    ) -> Vec<(String, Plan)> {
        let mut out = Vec::new();
        while let Some(key) = self.fresh.pop_front() {
            let Some(e) = self.entries.get(&key) else {
                continue;
            };
            let plan = e.destination.plan(&self.cfg.template);
            if self.cfg.dry_run {
                let why = would_probe(&e.destination, e.first_line, &plan);
                observe(Update::Probing { key: key.clone() });
                let o = Outcome {
                    cause: Verdict::NotProbed,
                    summary: why,
                    fix: None,
                    retries: 0,
                };
                self.outcome(&key, o, emit, observe);
            } else {
                out.push((key, plan));
            }
        }
        out
    }

    /// Its probe started.
    pub fn probing(&self, key: &str, observe: &mut impl FnMut(Update)) {
        observe(Update::Probing {
            key: key.to_string(),
        });
    }

    /// Destination `key`'s outcome is in: its row goes out now if the input is read, else
    /// once it is.
    pub fn outcome(
        &mut self,
        key: &str,
        o: Outcome,
        emit: &mut impl FnMut(Row),
        observe: &mut impl FnMut(Update),
    ) {
        observe(Update::Probed {
            key: key.to_string(),
            cause: o.cause,
            summary: o.summary.clone(),
            fix: o.fix.clone(),
        });
        if self.eof {
            if let Some(e) = self.entries.remove(key) {
                emit(e.row(o));
            }
        } else if let Some(e) = self.entries.get_mut(key) {
            e.done = Some(o);
        }
    }

    /// The input is read to its end: every row whose outcome is in goes out.
    pub fn end_of_input(&mut self, emit: &mut impl FnMut(Row), observe: &mut impl FnMut(Update)) {
        self.eof = true;
        observe(Update::InputDone(self.stats.clone()));
        let done: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, e)| e.done.is_some())
            .map(|(k, _)| k.clone())
            .collect();
        for k in done {
            if let Some(mut e) = self.entries.remove(&k)
                && let Some(o) = e.done.take()
            {
                emit(e.row(o));
            }
        }
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }
}

/// One input line as read.
struct Line<'a> {
    n: u64,
    text: &'a str,
    too_long: bool,
}

fn take_line(
    stats: &mut Stats,
    entries: &mut HashMap<String, Entry>,
    queue: &mut VecDeque<String>,
    cfg: &Config,
    line: Line,
    observe: &mut impl FnMut(Update),
) {
    let Line { n, text, too_long } = line;
    stats.lines = stats.lines.saturating_add(1);
    let parsed = if too_long {
        Parsed::Garbage
    } else {
        log::parse(text)
    };
    let item = match parsed {
        Parsed::Item(i) => i,
        Parsed::Skipped(why) => {
            stats.skipped = stats.skipped.saturating_add(1);
            let n = stats.skipped_by.entry(why).or_default();
            *n = n.saturating_add(1);
            return;
        }
        Parsed::Garbage => {
            stats.garbage = stats.garbage.saturating_add(1);
            if stats.first_garbage.is_none() {
                let shown: String = text.chars().take(120).collect();
                stats.first_garbage = Some((n, shown));
            }
            return;
        }
    };
    stats.used = stats.used.saturating_add(1);
    let mut item = item;
    if let Some(port) = cfg.port {
        item.destination = item.destination.with_port(port);
    }
    let key = item.destination.key.clone();
    if let Some(e) = entries.get_mut(&key) {
        e.add(&item);
        observe(Update::Seen {
            seen: e.seen(),
            key,
        });
        return;
    }
    if cfg.shard.is_some_and(|s| !s.contains(&key)) {
        stats.other_shards += 1;
        return;
    }
    if !only::admits(&cfg.only, &item.destination) {
        // Not remembered: a later line naming it again counts again.
        stats.not_allowed = stats.not_allowed.saturating_add(1);
        if stats.first_not_allowed.is_none() {
            stats.first_not_allowed = Some((n, key));
        }
        return;
    }
    stats.destinations += 1;
    let mut e = Entry {
        destination: item.destination.clone(),
        first_line: n,
        log_lines: 0,
        domains: BTreeSet::new(),
        more_domains: false,
        mta_error: None,
        done: None,
    };
    e.add(&item);
    observe(Update::Queued {
        destination: e.destination.clone(),
        seen: e.seen(),
    });
    entries.insert(key.clone(), e);
    queue.push_back(key);
}

/// Read lines (cut at [`MAX_LINE`] bytes, lossily decoded) into `tx` until EOF or an error.
async fn read_lines<R: AsyncBufRead + Unpin>(
    mut input: R,
    tx: tokio::sync::mpsc::Sender<(u64, String, bool)>,
) {
    use crate::files::lines::{self, Line};
    let mut n = 0u64;
    let mut buf = Vec::new();
    loop {
        let too_long = match lines::next_async(&mut input, MAX_LINE, &mut buf).await {
            Ok(Line::End) | Err(_) => return,
            Ok(Line::Whole { .. }) => false,
            Ok(Line::TooLong) => {
                if lines::skip_rest_async(&mut input).await.is_err() {
                    return;
                }
                true
            }
        };
        n = n.saturating_add(1);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if tx.send((n, text, too_long)).await.is_err() {
            return;
        }
    }
}

/// What a dry run says of a destination: where the probe would connect, and why.
fn would_probe(d: &Destination, line: u64, plan: &Plan) -> String {
    let mode = match plan.mode {
        crate::plan::TlsMode::Implicit => "implicit TLS",
        crate::plan::TlsMode::Starttls => "STARTTLS",
    };
    let resolver = match plan.resolver {
        Some(r) => format!("asking {r}"),
        None => "asking the system's resolver".into(),
    };
    let how = match (&d.address, &d.target) {
        (Some(a), _) => match &d.relay_host {
            Some(h) => format!("connect to {a} ({mode}), the address the MTA logged for {h}"),
            None => format!("connect to {a} ({mode}), the address the line names"),
        },
        (None, crate::plan::Target::Domain(n)) => format!(
            "look up the MX of {n} ({resolver}) and connect to its best host on port {} ({mode})",
            d.port
        ),
        (None, crate::plan::Target::Host(n)) => {
            format!(
                "resolve {n} ({resolver}) and connect on port {} ({mode})",
                d.port
            )
        }
        (None, crate::plan::Target::Ip(ip)) => format!("connect to {ip} port {} ({mode})", d.port),
    };
    format!("would {how}; first named on line {line}")
}

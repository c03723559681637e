//! Command-line arguments and how they become a `Plan`. Validation happens here, before any
//! connection, so a wrong flag gets a clear error (exit code 2) and never a half-run probe.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::plan::{ClientIdentity, Family, Plan, Sni, TlsMode, TlsVersion, Trust, check};

pub mod drive;
pub mod generate;
pub mod json;

#[derive(Debug, Parser)]
#[command(
    name = "tlsdive",
    version,
    long_version = generate::long_version(),
    about = "Watch an SMTP STARTTLS negotiation step by step and name why it fails",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Open the interactive view on TARGET (same options as `probe`).
    pub target: Option<String>,
    #[command(flatten)]
    pub options: ProbeOptions,
    /// `--repeat N`: the interactive view starts repeating at once (`R` repeats again).
    #[command(flatten)]
    pub repeat: RepeatArgs,
}

impl Cli {
    /// `tlsdive TARGET [OPTIONS]`: the interactive view's probe, when a target was given.
    pub fn interactive(&self) -> Option<ProbeArgs> {
        self.target.clone().map(|target| ProbeArgs {
            target,
            opts: self.options.clone(),
            repeat: self.repeat.clone(),
            all: false,
            pcap: None,
            show_certs: false,
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Probe TARGET once and print a report (text or --json).
    Probe(Box<ProbeArgs>),
    /// Print the report of a recording made with --record.
    Replay {
        /// A JSON-lines recording; opens the interactive view when stdout is a terminal.
        file: PathBuf,
        #[arg(long)]
        json: bool,
        /// Print the text report even on a terminal (instead of opening the interactive view).
        #[arg(long)]
        report: bool,
        /// Let the interactive view start new attempts: retry, change the plan, scan, repeat,
        /// against the recorded target, which must be reachable from here (each attempt
        /// still starts only on a key press).
        #[arg(long, conflicts_with_all = ["json", "report"])]
        live: bool,
    },
    /// Start the built-in misbehaving SMTP servers on loopback.
    Lab(LabArgs),
    /// Map what TARGET accepts (SSL 3.0 to TLS 1.3, every suite, groups) with hand-built
    /// ClientHellos, and whether a TLS 1.2+ sender can agree with it.
    Scan(Box<ScanArgs>),
    /// Open the interactive view on the lab's servers, in-process (`l` picks a scenario).
    Demo(DemoArgs),
    /// Probe many destinations, or every destination an MTA log complains about (Postfix
    /// smtp, Exim mainlog), once each, and group them by cause.
    Triage(Box<TriageArgs>),
    /// Serve tlsdive's verdicts to Prometheus, blackbox_exporter style:
    /// /probe?target=DOMAIN|[host]|ip&module=NAME&port=N and /metrics. Probes only what
    /// --allow or the configuration's allow-list names.
    Exporter(ExporterArgs),
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages (roff) generated from these options into DIR.
    #[command(hide = true)]
    Manpage {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

/// `tlsdive exporter`.
#[derive(Debug, Args, Clone)]
pub struct ExporterArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9309")]
    pub listen: SocketAddr,
    /// Modules (the plans scrapes name with module=) and the allow-list, in TOML.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A target the exporter may probe (repeatable): a name (mx.example.com), *.domain, an
    /// address or a network (127.0.0.0/8). Every other target is refused with 403 before
    /// any lookup or connection.
    #[arg(long, value_name = "PATTERN")]
    pub allow: Vec<String>,
}

/// `tlsdive triage [FILE|-]` and `tlsdive triage --merge FILES...`.
#[derive(Debug, Args, Clone)]
pub struct TriageArgs {
    /// One item a line: a domain, [host], host:port, ip:port, or a Postfix/Exim log line
    /// (`-` or nothing: standard input). With --merge: JSONL outputs of earlier runs.
    #[arg(value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Print the grouped summary of several `--jsonl` outputs (e.g. one per shard).
    #[arg(long)]
    pub merge: bool,
    /// Most destinations probed at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub concurrency: u16,
    /// One JSON object per destination, printed as each is final.
    #[arg(long)]
    pub jsonl: bool,
    /// Keep only shard I of N (1-based; a stable hash of the destination): N machines split
    /// one list with no coordination, and their JSONL outputs concatenate.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::triage::shard::Shard>,
    /// Trust only the CA certificates in this PEM file.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// The name to send in EHLO (default: this host's name).
    #[arg(long, value_name = "NAME")]
    pub ehlo: Option<String>,
    /// Timeout per SMTP reply and per TLS flight.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// TCP connect timeout.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
    /// DNS server to ask (IP:PORT).
    #[arg(long, value_name = "IP:PORT")]
    pub resolver: Option<SocketAddr>,
    /// First wait after a 421 greeting before trying that destination again (doubled each time).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub backoff: Duration,
    /// Tries again after a 421 greeting, at most.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub retries_on_421: u32,
    /// Probe only destinations this pattern admits (repeatable): a name, *.domain (names
    /// under it), an address or a network (127.0.0.0/8). Log lines name addresses that are
    /// connected to directly, without --resolver: this keeps a triage on a lab.
    #[arg(long, value_name = "PATTERN")]
    pub only: Vec<crate::triage::only::Pattern>,
    /// Probe this port instead of the one each line names (e.g. a lab on 2525).
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// Connect nowhere: print what would be probed, where and why.
    #[arg(long, conflicts_with = "merge")]
    pub dry_run: bool,
    /// DNSSEC trust anchor: root DNSKEY records in zone-file format, replacing the built-in
    /// root anchor (for a private signed root, e.g. a lab).
    #[arg(long, value_name = "FILE")]
    pub trust_anchor: Option<PathBuf>,
    /// Port of the MTA-STS policy host (443; other ports are for labs).
    #[arg(long, value_name = "PORT")]
    pub mta_sts_port: Option<u16>,
    /// The FILEs are SMTP TLS reports (RFC 8460: JSON, .gz, a mail, an mbox, or a Maildir
    /// or folder of them): group their failures and probe each policy domain again, from
    /// the reporting sender's side: does it still fail?
    #[arg(long, conflicts_with_all = ["merge", "dry_run", "shard"])]
    pub tlsrpt: bool,
    /// With --tlsrpt: only this policy domain (the others are named, not probed).
    #[arg(long, value_name = "DOMAIN", requires = "tlsrpt")]
    pub domain: Option<String>,
}

impl TriageArgs {
    /// The plan every destination's plan starts from.
    pub fn template(&self) -> Result<Plan, PlanError> {
        let mut plan = Plan::new(crate::plan::Target::Ip(IpAddr::from([127, 0, 0, 1])));
        if let Some(e) = &self.ehlo {
            plan.ehlo = check::ehlo(e)?;
        }
        if let Some(path) = &self.ca_file {
            plan.tls.trust = Trust::from_file("--ca-file", path)?;
        }
        plan.resolver = self.resolver;
        plan.timeouts.connect = self.connect_timeout;
        plan.timeouts.reply = self.timeout;
        plan.policy.mta_sts_port = self.mta_sts_port;
        if let Some(path) = &self.trust_anchor {
            plan.policy.trust_anchor = Some(trust_anchor(path)?);
        }
        // Triage answers "does TLS work": the routing-policy lookups are `probe`'s job
        // (but a TLS report is judged by a policy: `--tlsrpt` turns them back on).
        plan.policy.skip = !self.tlsrpt;
        Ok(plan)
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The lab scenario to open first.
    #[arg(long, default_value = "healthy")]
    pub scenario: String,
}

/// How to reach the target: shared by `probe`, the interactive view and `scan`. (The target
/// itself stays in each command: clap tells an absent `Option<ProbeArgs>` by its own args.)
#[derive(Debug, Args, Clone)]
pub struct ConnArgs {
    /// Port (default 25; 465 implies implicit TLS).
    #[arg(long, short = 'p', value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// TLS from the first byte instead of STARTTLS.
    #[arg(long)]
    pub implicit_tls: bool,
    /// The name to send in EHLO (default: this host's name).
    #[arg(long, value_name = "NAME")]
    pub ehlo: Option<String>,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Local address to connect from.
    #[arg(long, value_name = "ADDR")]
    pub source: Option<IpAddr>,
    /// DNS server to ask (IP:PORT).
    #[arg(long, value_name = "IP:PORT")]
    pub resolver: Option<SocketAddr>,
    /// SNI name to send (default: the host name, none for an IP address). The certificate
    /// is still verified against the host a sender would check (see --verify-name).
    #[arg(long, value_name = "NAME", conflicts_with = "no_sni")]
    pub sni: Option<String>,
    /// Send no SNI.
    #[arg(long)]
    pub no_sni: bool,
    /// TCP connect timeout, e.g. 10s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
}

impl ConnArgs {
    /// The plan for `target` with everything but the TLS choices and reply timeout.
    pub fn base_plan(&self, target: &str) -> Result<Plan, PlanError> {
        let (target, port) = crate::target::parse(target)?;
        let mut plan = Plan::new(target);
        plan.port = self.port.or(port).unwrap_or(25);
        plan.mode = if self.implicit_tls || plan.port == 465 {
            TlsMode::Implicit
        } else {
            TlsMode::Starttls
        };
        plan.family = match (self.ipv4, self.ipv6) {
            (true, _) => Family::V4,
            (_, true) => Family::V6,
            _ => Family::Any,
        };
        if let Some(addr) = self.source {
            check_source(addr)?;
        }
        plan.source = self.source;
        plan.resolver = self.resolver;
        if let Some(e) = &self.ehlo {
            plan.ehlo = check::ehlo(e)?;
        }
        plan.tls.sni = match (&self.sni, self.no_sni) {
            (Some(n), _) => Sni::Name(check::host_name("--sni", n).map_err(empty_sni)?),
            (None, true) => Sni::Off,
            (None, false) => Sni::Auto,
        };
        plan.timeouts.connect = self.connect_timeout;
        check::check(&plan)?;
        Ok(plan)
    }
}

#[derive(Debug, Args, Clone)]
pub struct ScanArgs {
    /// A mail domain (MX lookup), [host] or host:port (no MX lookup), ip, ip:port, [ipv6]:port.
    pub target: String,
    #[command(flatten)]
    pub to: ConnArgs,
    /// Scan only this version (repeatable): ssl3, 1.0, 1.1, 1.2, 1.3.
    #[arg(long = "tls-version", value_name = "VERSION", value_parser = parse_scan_version)]
    pub versions: Vec<crate::scan::ScanVersion>,
    /// Timeout per SMTP reply and for each TLS answer [default: 10s; with --senders 30s, as a
    /// probe: a sending MTA waits minutes for a banner, so a slow one is no refusal].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Most connections open at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_connections: u16,
    /// Least time between two connection starts, e.g. 200ms.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub delay: Option<Duration>,
    /// Print the profile as JSON.
    #[arg(long)]
    pub json: bool,
    /// Instead of mapping the server, send the ClientHello of each real sending MTA and say
    /// which get through, judged by that sender's TLS library and certificate policy (one
    /// probe handshake beside the hellos shows what comes after them). Profiles: postfix
    /// (Postfix 3.7 at may, OpenSSL 3.0 level 0; captured), postfix-secure and postfix-dane
    /// (Postfix 3.7 at secure/dane, level 1; captured), openssl35-pq (OpenSSL 3.5 default
    /// groups with an ML-KEM share; built from published lists), exim (Exim on GnuTLS 3.7
    /// NORMAL; captured), exchange-online and gmail (built from published lists), rustls
    /// (tlsdive's own; captured). Each profile's sources: assets/senders/*.toml.
    #[arg(long)]
    pub senders: bool,
    /// With --senders: also send this profile (a TOML file like assets/senders/*.toml);
    /// repeatable. Implies --senders.
    #[arg(long = "sender-file", value_name = "FILE")]
    pub sender_files: Vec<PathBuf>,
}

fn parse_scan_version(s: &str) -> Result<crate::scan::ScanVersion, String> {
    crate::scan::ScanVersion::parse(s)
        .ok_or_else(|| format!("{s:?} is not a version: use ssl3, 1.0, 1.1, 1.2 or 1.3"))
}

impl ScanArgs {
    /// The scan these arguments describe.
    pub fn scan_plan(&self) -> Result<crate::scan::ScanPlan, PlanError> {
        let mut plan = self.to.base_plan(&self.target)?;
        let senders = self.senders || !self.sender_files.is_empty();
        plan.timeouts.reply = self.timeout.unwrap_or(if senders {
            Plan::new(plan.target.clone()).timeouts.reply
        } else {
            Duration::from_secs(10)
        });
        let mut scan = crate::scan::ScanPlan::new(plan);
        if !self.versions.is_empty() {
            let mut v = self.versions.clone();
            v.sort();
            v.dedup();
            scan.versions = v;
        }
        scan.max_connections = usize::from(self.max_connections);
        scan.delay = self.delay.unwrap_or_default();
        Ok(scan)
    }

    /// The sender profiles to send: none without --senders / --sender-file, else the shipped
    /// ones and then the user's, each file checked before any connection.
    pub fn sender_profiles(
        &self,
    ) -> Result<Vec<crate::scan::senders::SenderProfile>, crate::scan::senders::ProfileError> {
        if !self.senders && self.sender_files.is_empty() {
            return Ok(Vec::new());
        }
        let mut all = crate::scan::senders::builtin();
        for path in &self.sender_files {
            let p = crate::scan::senders::load_file(path)?;
            all.retain(|b| b.name != p.name); // a user's profile replaces a shipped namesake
            all.push(p);
        }
        Ok(all)
    }
}

#[derive(Debug, Args)]
pub struct LabArgs {
    /// First port to use (one per scenario); ephemeral ports when not given.
    #[arg(long)]
    pub base_port: Option<u16>,
    /// Where to write the lab's CA certificate (for --ca-file).
    #[arg(long, default_value = "tlsdive-lab-ca.pem")]
    pub ca_out: PathBuf,
    /// Start the lab, probe this scenario once, print the report and exit.
    #[arg(long, value_name = "SCENARIO")]
    pub probe: Option<String>,
    /// With --probe: print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ProbeArgs {
    /// A mail domain (MX lookup), [host] or host:port (no MX lookup), ip, ip:port, [ipv6]:port.
    pub target: String,
    #[command(flatten)]
    pub opts: ProbeOptions,
    #[command(flatten)]
    pub repeat: RepeatArgs,
    /// For a mail domain: probe every MX × address (A and AAAA) once, in preference order,
    /// a few at a time; one row each (a JSON array with --json).
    /// Not with --record or --pcap, which keep one probe.
    #[arg(long, conflicts_with_all = ["repeat", "investigate", "record", "pcap"])]
    pub all: bool,
    /// Write the attempt's TCP connection to FILE as pcapng, with its TLS secrets in a
    /// Decryption Secrets Block: Wireshark and tshark open it decrypted.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["investigate", "repeat"])]
    pub pcap: Option<PathBuf>,
    /// After the report, print the certificate chain as the server sent it, in PEM (like
    /// `openssl s_client -showcerts`), even when verification failed. (`--json` carries
    /// it already: `certificates[].pem`.)
    #[arg(long, conflicts_with_all = ["json", "repeat"])]
    pub show_certs: bool,
}

/// `probe --repeat N`: the same plan N times, to catch a failure that comes and goes.
#[derive(Debug, Args, Clone, Default)]
pub struct RepeatArgs {
    /// Run the same probe N times (one at a time) and report counts per cause and address,
    /// what differs between attempts that worked and failed, and whether it is intermittent.
    #[arg(long, value_name = "N", conflicts_with = "record",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::runs::repeat::MAX_ATTEMPTS)))]
    pub repeat: Option<u32>,
    /// With --repeat: least time between two attempt starts.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration, requires = "repeat")]
    pub interval: Duration,
}

/// Everything about a probe but its target (the interactive view takes the same options).
#[derive(Debug, Args, Clone)]
pub struct ProbeOptions {
    #[command(flatten)]
    pub to: ConnArgs,
    /// Offer only this TLS version (repeatable): 1.2, 1.3.
    #[arg(long = "tls-version", value_name = "1.2|1.3", value_parser = parse_version)]
    pub tls_versions: Vec<TlsVersion>,
    /// Offer only this cipher suite (repeatable; IANA or rustls names).
    #[arg(long = "cipher", value_name = "NAME")]
    pub ciphers: Vec<String>,
    /// Offer only this key-exchange group (repeatable): X25519MLKEM768, X25519, secp256r1, secp384r1.
    #[arg(long = "group", value_name = "NAME")]
    pub groups: Vec<String>,
    /// Trust only the CA certificates in this PEM file.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Verify the certificate against NAME instead of the host a sender would check
    /// (the MX host, or the [host] given).
    #[arg(long, value_name = "NAME")]
    pub verify_name: Option<String>,
    /// Complete the handshake despite a bad certificate (the verdict is still reported).
    #[arg(long)]
    pub no_verify: bool,
    /// Client certificate chain (PEM), with --key.
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Client private key (PEM), with --cert.
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Timeout per SMTP reply and per TLS flight, e.g. 30s.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Append TLS secrets to FILE (NSS key log format); SSLKEYLOGFILE is honoured too.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// Write the event stream to FILE as JSON lines (see `tlsdive replay`).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// DNSSEC trust anchor: root DNSKEY records in zone-file format, replacing the built-in
    /// root anchor (for a private signed root, e.g. a lab).
    #[arg(long, value_name = "FILE")]
    pub trust_anchor: Option<PathBuf>,
    /// Skip the routing-policy lookups (DNSSEC, DANE, MTA-STS, TLS-RPT) of a domain target.
    #[arg(long)]
    pub no_policy: bool,
    /// Port of the MTA-STS policy host (443; other ports are for labs).
    #[arg(long, value_name = "PORT")]
    pub mta_sts_port: Option<u16>,
    /// Print the JSON report instead of text.
    #[arg(long)]
    pub json: bool,
    /// After the probe, run the case's next experiments (without the post-quantum share,
    /// TLS 1.2 only, a version scan) until the cause is confirmed: at most 24 connections.
    #[arg(long)]
    pub investigate: bool,
}

fn parse_version(s: &str) -> Result<TlsVersion, String> {
    match s
        .trim()
        .trim_start_matches("TLSv")
        .trim_start_matches("tls")
    {
        "1.2" | "12" => Ok(TlsVersion::Tls12),
        "1.3" | "13" => Ok(TlsVersion::Tls13),
        other => Err(format!(
            "{other:?} is not a TLS version this client speaks: use 1.2 or 1.3 (older versions: `tlsdive scan`)"
        )),
    }
}

/// `30s`, `500ms`, `2m`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (try 30s or 500ms)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use ms, s or m)")),
    };
    if !(0.001..=3600.0).contains(&secs) {
        return Err(format!("{s:?} is out of range (1ms to 1h)"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot use --source {addr}: {detail}")]
    Source { addr: IpAddr, detail: String },
    #[error("{0}")]
    Target(#[from] crate::target::TargetError),
    #[error("{0}")]
    Check(#[from] check::CheckError),
    #[error("{0}")]
    File(#[from] crate::files::FileError),
    #[error("{0}")]
    Tls(#[from] crate::engine::tls::TlsConfigError),
    #[error("--trust-anchor {file}: {detail}")]
    TrustAnchor { file: String, detail: String },
}

/// The DNSSEC trust anchor file's text, checked to parse before any lookup.
fn trust_anchor(path: &std::path::Path) -> Result<String, PlanError> {
    use std::str::FromStr;
    let bytes = crate::files::read_capped("--trust-anchor", path, crate::files::MAX_PEM_BYTES)?;
    let err = |detail: String| PlanError::TrustAnchor {
        file: path.display().to_string(),
        detail,
    };
    let text = String::from_utf8(bytes).map_err(|_| err("not UTF-8 text".into()))?;
    hickory_resolver::proto::dnssec::TrustAnchors::from_str(&text)
        .map_err(|e| err(format!("no DNSKEY records in zone-file format: {e}")))?;
    Ok(text)
}

impl ProbeArgs {
    /// The plan these arguments describe, with every name and file checked.
    pub fn plan(&self) -> Result<Plan, PlanError> {
        let o = &self.opts;
        let mut plan = o.to.base_plan(&self.target)?;
        let mut versions = o.tls_versions.clone();
        versions.sort();
        versions.dedup();
        plan.tls.versions = versions;
        plan.tls.cipher_suites = o.ciphers.clone();
        plan.tls.groups = o.groups.clone();
        plan.tls.verify = !o.no_verify;
        if let Some(n) = &o.verify_name {
            plan.tls.verify_name = Some(check::host_name("--verify-name", n)?);
        }
        if let Some(path) = &o.ca_file {
            plan.tls.trust = Trust::from_file("--ca-file", path)?;
        }
        if let (Some(cert), Some(key)) = (&o.cert, &o.key) {
            plan.tls.client = Some(ClientIdentity::from_files(cert, key)?);
        }
        plan.tls.keylog = o.keylog.clone();
        plan.policy.skip = o.no_policy;
        plan.policy.mta_sts_port = o.mta_sts_port;
        if let Some(path) = &o.trust_anchor {
            plan.policy.trust_anchor = Some(trust_anchor(path)?);
        }
        plan.timeouts.reply = o.timeout;
        check::check(&plan)?;
        crate::engine::tls::check(&plan.tls)?;
        Ok(plan)
    }
}

/// `--sni=` names the flag and the way to send none.
fn empty_sni(e: check::CheckError) -> check::CheckError {
    match e {
        check::CheckError::Empty { what, .. } => check::CheckError::Empty {
            what,
            hint: "give a name, or use --no-sni to send none",
        },
        e => e,
    }
}

/// A source address must belong to this machine: find out now, not mid-probe.
pub fn check_source(addr: IpAddr) -> Result<(), PlanError> {
    std::net::TcpListener::bind((addr, 0))
        .map(drop)
        .map_err(|e| PlanError::Source {
            addr,
            detail: match e.kind() {
                std::io::ErrorKind::AddrNotAvailable => "not an address of this machine".into(),
                _ => e.to_string(),
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(argv: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("tlsdive").chain(argv.iter().copied()))
    }

    fn plan(argv: &[&str]) -> Plan {
        match args(argv).unwrap().command {
            Some(Command::Probe(p)) => p.plan().unwrap(),
            other => panic!("{other:?}"),
        }
    }

    /// An output file a mode would not write is refused, never silently ignored.
    #[test]
    fn output_files_a_mode_would_not_write_are_refused() {
        for line in [
            "probe example.com --all --record x.jsonl",
            "probe example.com --all --pcap x.pcapng",
            "probe example.com --repeat 2 --pcap x.pcapng",
            "probe example.com --repeat 2 --record x.jsonl",
        ] {
            let argv: Vec<&str> = line.split(' ').collect();
            let kind = args(&argv).unwrap_err().kind();
            assert_eq!(kind, clap::error::ErrorKind::ArgumentConflict, "{line}");
        }
    }

    #[test]
    fn probe_options_become_the_plan() {
        let p = plan(&[
            "probe",
            "example.com",
            "--tls-version",
            "1.3",
            "--tls-version",
            "1.2",
            "--cipher",
            "TLS_AES_128_GCM_SHA256",
            "--group",
            "X25519",
            "--sni",
            "mx.example.com",
            "--no-verify",
            "--timeout",
            "500ms",
            "-4",
            "--ehlo",
            "probe.example.org",
        ]);
        assert_eq!(p.tls.versions, vec![TlsVersion::Tls12, TlsVersion::Tls13]);
        assert_eq!(p.tls.sni, Sni::Name("mx.example.com".into()));
        assert!(!p.tls.verify);
        assert_eq!(p.timeouts.reply, Duration::from_millis(500));
        assert_eq!(p.family, Family::V4);
        assert_eq!(p.ehlo, "probe.example.org");
        assert_eq!(p.port, 25);
        assert_eq!(p.mode, TlsMode::Starttls);
    }

    #[test]
    fn port_465_means_implicit_tls() {
        let p = plan(&["probe", "[mx.example.com]:465"]);
        assert_eq!((p.port, p.mode), (465, TlsMode::Implicit));
        let p = plan(&["probe", "127.0.0.1", "--port", "2525", "--implicit-tls"]);
        assert_eq!((p.port, p.mode), (2525, TlsMode::Implicit));
    }

    #[test]
    fn bad_input_gets_clear_errors() {
        let e = args(&["probe", "x.example", "--tls-version", "1.0"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("tlsdive scan"), "{e}");
        let e = args(&["probe", "x.example", "--timeout", "soon"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a duration"), "{e}");
        let e = args(&["probe", "x.example", "--cert", "c.pem"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("--key"), "{e}");
        let Some(Command::Probe(p)) = args(&["probe", "x.example", "--group", "ffdhe2048"])
            .unwrap()
            .command
        else {
            panic!()
        };
        let e = p.plan().unwrap_err().to_string();
        assert!(
            e.starts_with("unknown group ffdhe2048; this client can offer: X25519MLKEM768"),
            "{e}"
        );
    }

    #[test]
    fn scan_options_become_the_scan_plan() {
        let Some(Command::Scan(a)) = args(&[
            "scan",
            "[mx.example.com]:2525",
            "--tls-version",
            "1.0",
            "--tls-version",
            "ssl3",
            "--max-connections",
            "2",
            "--delay",
            "200ms",
            "--timeout",
            "3s",
            "-4",
            "--json",
        ])
        .unwrap()
        .command
        else {
            panic!()
        };
        let s = a.scan_plan().unwrap();
        assert_eq!(s.plan.port, 2525);
        assert_eq!(
            s.versions,
            [
                crate::scan::ScanVersion::Ssl3,
                crate::scan::ScanVersion::Tls10
            ]
        );
        assert_eq!(
            (s.max_connections, s.delay),
            (2, Duration::from_millis(200))
        );
        assert_eq!(s.plan.timeouts.reply, Duration::from_secs(3));
        assert_eq!(s.plan.family, Family::V4);
        assert!(a.json);
        assert!(args(&["scan", "x.example", "--max-connections", "0"]).is_err());
        assert!(args(&["scan", "x.example", "--tls-version", "2.0"]).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("3h").is_err());
    }
}

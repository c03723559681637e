//! `tlsdive triage`: is it one recipient or everywhere? Reads targets and sending-MTA log
//! lines (Postfix `smtp`, Exim mainlog), probes each distinct destination once, and sets
//! the MTA's own error beside tlsdive's verdict.
//!
//! ```text
//!  lines ─► log::parse ─► Item { Destination, recipient, MTA error } ─► shard filter
//!        ─► run (dedupe, bounded concurrency, one probe per destination, back-off on 421)
//!        ─► Row (one per destination: JSONL) ─► summary (grouped by cause; also --merge)
//! ```
//!
//! Files: `log` (line → item, pure), `shard` (stable split over machines), `run` (the
//! bounded runner), `summary` (grouping, text, merge of JSONL outputs), `tlsrpt` (TLS
//! reports in, each failure group judged again now: `--tlsrpt`).

pub mod log;
pub mod only;
pub mod run;
pub mod shard;
pub mod summary;
pub mod tlsrpt;

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::plan::{Plan, Target, TlsMode};

/// Where a sending MTA delivers: what tlsdive probes, once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// `host:port`, `[ip]:port`, or a bare mail domain (MX lookup): parses back as a target.
    pub key: String,
    pub target: Target,
    pub port: u16,
    /// The address the MTA used (from its log): the probe goes to it, no DNS.
    pub address: Option<SocketAddr>,
    /// The relay host the MTA named (the name a sender verifies the certificate against).
    pub relay_host: Option<String>,
}

impl Destination {
    /// A destination the user typed: a domain, `[host]`, `host:port`, `ip` or `ip:port`.
    pub fn from_target(input: &str) -> Option<Destination> {
        let (target, port) = crate::target::parse(input).ok()?;
        let port = port.unwrap_or(25);
        Some(match target {
            Target::Ip(ip) => Destination::relay(None, SocketAddr::new(ip, port)),
            Target::Domain(d) if port == 25 => Destination {
                key: d.clone(),
                target: Target::Domain(d),
                port,
                address: None,
                relay_host: None,
            },
            Target::Domain(h) | Target::Host(h) => Destination {
                key: format!("{h}:{port}"),
                target: Target::Host(h),
                port,
                address: None,
                relay_host: None,
            },
        })
    }

    /// A destination from a log line: the address the MTA connected to, and its name.
    pub fn relay(host: Option<String>, addr: SocketAddr) -> Destination {
        let target = match &host {
            Some(h) => Target::Host(h.clone()),
            None => Target::Ip(addr.ip()),
        };
        Destination {
            key: format!("[{}]:{}", addr.ip(), addr.port()),
            target,
            port: addr.port(),
            address: Some(addr),
            relay_host: host,
        }
    }

    /// The same destination on `port` (`--port`): the logged or typed port is replaced.
    pub fn with_port(self, port: u16) -> Destination {
        match self.address {
            Some(a) => Destination::relay(self.relay_host, SocketAddr::new(a.ip(), port)),
            None => {
                let key = match &self.target {
                    Target::Domain(n) if port == 25 => n.clone(),
                    Target::Domain(n) | Target::Host(n) => format!("{n}:{port}"),
                    Target::Ip(ip) => SocketAddr::new(*ip, port).to_string(),
                };
                Destination { key, port, ..self }
            }
        }
    }

    /// The plan for this destination: `template`'s settings (trust, timeouts, EHLO, ...)
    /// with this target, port and pinned address.
    pub fn plan(&self, template: &Plan) -> Plan {
        let mut p = template.clone();
        p.target = self.target.clone();
        p.port = self.port;
        p.address = self.address;
        p.address_host = self.address.and(self.relay_host.clone());
        p.mode = if self.port == 465 {
            TlsMode::Implicit
        } else {
            TlsMode::Starttls
        };
        p
    }
}

/// One destination's result: a line of `triage --jsonl`, and what `--merge` reads back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub destination: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay_host: Option<String>,
    pub cause: Verdict,
    pub summary: String,
    /// tlsdive's fix: the diagnosis' first next step, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Set when `cause`, `summary` and `fix` come from the interactive view opened on the
    /// row (an investigation or a repeat there), not from the triage's one probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drilldown: Option<Drilldown>,
    /// MTA log lines that named this destination (0 for a typed target).
    pub log_lines: u64,
    /// A sample of the recipient domains the log lines named (at most
    /// [`run::MAX_DOMAINS`], the first seen, sorted).
    pub recipient_domains: Vec<String>,
    /// The log lines named more recipient domains than the sample holds.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recipient_domains_more: bool,
    /// The MTA's own error text (the first one seen), when the destination came from a log.
    pub mta_error: Option<String>,
    /// Probes answered 421 before this one, each followed by a back-off.
    #[serde(default)]
    pub retries_after_421: u32,
}

impl Row {
    pub fn ok(&self) -> bool {
        self.cause == Verdict::Probed(crate::diagnose::Cause::Ok)
    }
}

/// What the interactive view opened on a row found, carried back to the row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drilldown {
    /// Attempts made there.
    pub attempts: u32,
    /// The case was backed by a second observation (another attempt or a scan).
    pub confirmed: bool,
    /// What the triage's own probe had said.
    pub probe_said: Verdict,
}

/// What a row says of its destination: the cause its probe found, or that a dry run
/// probed nothing. Written as the cause's stable code (`"ok"`, `"tls-alert"`, ...) or
/// `"not-probed"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    Probed(crate::diagnose::Cause),
    /// `--dry-run`: no connection was made.
    NotProbed,
}

impl Verdict {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Probed(c) => c.code(),
            Verdict::NotProbed => "not-probed",
        }
    }

    /// The verdict for a stable code.
    pub fn from_code(code: &str) -> Option<Verdict> {
        match code {
            "not-probed" => Some(Verdict::NotProbed),
            c => crate::diagnose::Cause::from_code(c).map(Verdict::Probed),
        }
    }

    pub fn is_ok(self) -> bool {
        self == Verdict::Probed(crate::diagnose::Cause::Ok)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Verdict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Verdict, D::Error> {
        let code = String::deserialize(d)?;
        Verdict::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown cause {code:?}")))
    }
}

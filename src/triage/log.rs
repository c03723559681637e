//! One input line of `triage` → what to probe. A line is a target (`example.com`,
//! `[mx.example.com]`, `mx.example.com:2525`, `192.0.2.7:25`), a Postfix `smtp` log line
//! (`relay=HOST[IP]:PORT`, `to=<user@domain>`, `status=deferred (...)`, "SSL_connect error
//! to HOST[IP]:PORT", "lost connection with HOST[IP] while performing the TLS handshake"),
//! or an Exim mainlog line (`== user@domain ... H=host [ip]:port: TLS session: ...`, "TLS
//! error on connection to host [ip] (SSL_connect): ..."). Pure: no I/O. Log text is
//! untrusted: names are validated as host names, addresses must parse, texts are capped.

use std::net::{IpAddr, SocketAddr};

use super::Destination;

/// MTA error texts are kept to this many characters.
pub const MAX_ERROR: usize = 300;

/// What one line holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Item(Item),
    /// Read, and nothing to probe in it: why.
    Skipped(Skip),
    /// Neither a target nor a known log format.
    Garbage,
}

/// Why a line was read and left out: every input line is used, skipped for one of these
/// reasons, or unreadable, and the summary counts each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Skip {
    Blank,
    Comment,
    /// A delivery (`status=sent`, Exim `=>`, `->`, `*>`) or an arrival (`<=`).
    Delivered,
    /// Another daemon of the MTA (Postfix smtpd, qmgr, cleanup, ...).
    OtherDaemon,
    /// A line of the MTA's SMTP client that reports no failure.
    NoFailure,
    /// A failure that names neither a host nor a recipient domain to probe.
    NoDestination,
}

impl Skip {
    pub const ALL: [Skip; 6] = [
        Skip::Blank,
        Skip::Comment,
        Skip::Delivered,
        Skip::OtherDaemon,
        Skip::NoFailure,
        Skip::NoDestination,
    ];

    /// Words for the summary: "12 lines skipped: 10 deliveries, 2 other daemons".
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Skip::Blank => ("blank line", "blank lines"),
            Skip::Comment => ("comment", "comments"),
            Skip::Delivered => ("delivery", "deliveries"),
            Skip::OtherDaemon => ("line of another MTA daemon", "lines of other MTA daemons"),
            Skip::NoFailure => (
                "SMTP client line with no failure",
                "SMTP client lines with no failure",
            ),
            Skip::NoDestination => (
                "failure naming no host or recipient domain",
                "failures naming no host or recipient domain",
            ),
        }
    }
}

/// A destination to probe, and what the log line said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub destination: Destination,
    /// Whether the line came from an MTA log (and counts as a log line).
    pub from_log: bool,
    pub recipient_domain: Option<String>,
    pub mta_error: Option<String>,
}

/// Read one line.
pub fn parse(line: &str) -> Line {
    let t = line.trim();
    if t.is_empty() {
        return Line::Skipped(Skip::Blank);
    }
    if t.starts_with('#') {
        return Line::Skipped(Skip::Comment);
    }
    if let Some(l) = postfix(t).or_else(|| exim(t)) {
        return l;
    }
    if !t.contains(char::is_whitespace)
        && let Some(d) = Destination::from_target(t)
        && plausible(&d)
    {
        return Line::Item(Item {
            destination: d,
            from_log: false,
            recipient_domain: None,
            mta_error: None,
        });
    }
    Line::Garbage
}

/// Whether a typed destination could be a mail host: an address, `localhost`, or a name of
/// two labels or more whose last label is not all digits. Random bytes and hex dumps give
/// tokens like `17` or `2c`: they are garbage, not domains to look up.
fn plausible(d: &Destination) -> bool {
    match &d.target {
        crate::plan::Target::Ip(_) => true,
        crate::plan::Target::Domain(n) | crate::plan::Target::Host(n) => {
            let n = n.trim_end_matches('.');
            n.eq_ignore_ascii_case("localhost")
                || n.rsplit_once('.').is_some_and(|(_, last)| {
                    !last.is_empty() && !last.bytes().all(|b| b.is_ascii_digit())
                })
        }
    }
}

/// Postfix `smtp` client lines (`postfix/smtp[PID]:`, `postfix-out/smtp[PID]:`, ...).
fn postfix(t: &str) -> Option<Line> {
    let Some(at) = t.find("/smtp[").filter(|_| t.contains("postfix")) else {
        // Other Postfix daemons (smtpd, qmgr, cleanup, ...) in a whole maillog: known, idle.
        let daemon = t.contains("postfix") && t.contains("]: ");
        return daemon.then_some(Line::Skipped(Skip::OtherDaemon));
    };
    let msg = t[at..].split_once("]: ").map(|(_, m)| m)?;
    // "4F3A21C0123: to=<...>" → drop the queue id.
    let body = match msg.split_once(": ") {
        Some((id, rest)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()) => rest,
        _ => msg,
    };
    if body.contains("status=sent") {
        return Some(Line::Skipped(Skip::Delivered));
    }
    let relay = field(body, "relay=")
        .filter(|r| *r != "none")
        .and_then(bracketed);
    let failure = body.contains("status=deferred")
        || body.contains("status=bounced")
        || body.contains("status=expired")
        || [
            "SSL_connect error",
            "TLS is required",
            "Server certificate not verified",
            "while performing the TLS handshake",
            "certificate verification failed",
            "TLS handshake failed",
            // Stock connection failures: "connect to HOST[IP]:PORT: Connection refused",
            // "... while receiving the initial server greeting", "conversation ... timed out".
            "connect to ",
            "lost connection with",
            "conversation with",
        ]
        .iter()
        .any(|k| body.contains(k));
    if !failure {
        return Some(Line::Skipped(Skip::NoFailure));
    }
    let recipient = field(body, "to=<").and_then(|r| domain_of(r.trim_end_matches('>')));
    let error = match body.split_once("status=") {
        Some((_, s)) => s
            .split_once(" (")
            .map(|(_, e)| e.strip_suffix(')').unwrap_or(e))
            .unwrap_or(s),
        None => body,
    };
    match relay.or_else(|| find_bracketed(body, false)) {
        Some((host, addr)) => Some(item(host, addr, recipient, error)),
        // `relay=none`: the MTA never connected (an MTA-STS or DANE policy refused every
        // MX, a lookup failed): the recipient's domain is what to probe, from its MX up.
        None => match recipient.as_deref().and_then(Destination::from_target) {
            Some(destination) => Some(Line::Item(Item {
                destination,
                from_log: true,
                recipient_domain: recipient,
                mta_error: capped(error),
            })),
            None => Some(Line::Skipped(Skip::NoDestination)),
        },
    }
}

/// Exim mainlog lines: `YYYY-MM-DD HH:MM:SS [pid] msgid FLAG ...`.
fn exim(t: &str) -> Option<Line> {
    let b = t.as_bytes();
    let dated = b.len() > 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && b[..4].iter().all(u8::is_ascii_digit);
    if !dated {
        return None;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    let flag_at = words
        .iter()
        .position(|w| ["==", "**", "=>", "->", "*>", "<="].contains(w));
    let flag = flag_at.map(|i| words[i]);
    if matches!(flag, Some("=>" | "->" | "*>" | "<=")) {
        return Some(Line::Skipped(Skip::Delivered));
    }
    let from_h = t.find(" H=").map(|i| &t[i + 3..]);
    let tls_error = t.find("TLS error on connection to ");
    let found = match (from_h, tls_error) {
        (Some(h), _) => find_bracketed(h, true),
        (None, Some(i)) => find_bracketed(&t[i + "TLS error on connection to ".len()..], true),
        _ => None,
    };
    let Some((host, addr)) = found else {
        return Some(Line::Skipped(Skip::NoDestination));
    };
    let recipient = flag_at
        .and_then(|i| words.get(i + 1))
        .and_then(|r| domain_of(r.trim_matches(|c| c == '<' || c == '>')));
    let error = if let Some(i) = t.find("TLS session: ") {
        &t[i..]
    } else if let Some(i) = tls_error {
        &t[i..]
    } else {
        // After the host: "H=mx [ip]: <error>" or "H=mx [ip]:2525: <error>".
        from_h.and_then(after_address).unwrap_or(t)
    };
    Some(item(host, addr, recipient, error))
}

/// The text after `[ip]`, an optional `:port` and `: `.
fn after_address(h: &str) -> Option<&str> {
    let (_, rest) = h.split_once(']')?;
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    rest.strip_prefix(": ").or_else(|| rest.strip_prefix(' '))
}

fn item(host: Option<String>, addr: SocketAddr, recipient: Option<String>, error: &str) -> Line {
    Line::Item(Item {
        destination: Destination::relay(host, addr),
        from_log: true,
        recipient_domain: recipient,
        mta_error: capped(error),
    })
}

fn capped(error: &str) -> Option<String> {
    let error: String = error.trim().chars().take(MAX_ERROR).collect();
    (!error.is_empty()).then_some(error)
}

/// The value of `name` up to the next `, ` (Postfix's field separator) or space.
fn field<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let i = body.find(name)?;
    let rest = &body[i + name.len()..];
    let end = rest.find([',', ' ']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// `HOST[IP]:PORT` or `HOST[IP]` (port 25) as Postfix writes a relay.
fn bracketed(s: &str) -> Option<(Option<String>, SocketAddr)> {
    let (host, rest) = s.split_once('[')?;
    let (ip, after) = rest.split_once(']')?;
    let ip: IpAddr = ip.parse().ok()?;
    let port = match after.strip_prefix(':') {
        Some(p) => {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u16>().ok().filter(|&n| n > 0)?
        }
        None => 25,
    };
    Some((host_name(host), SocketAddr::new(ip, port)))
}

/// The first `host[ip]` (Postfix) or `host [ip]` (Exim, `spaced`) in `s`.
fn find_bracketed(s: &str, spaced: bool) -> Option<(Option<String>, SocketAddr)> {
    let mut from = 0;
    while let Some(rel) = s[from..].find('[') {
        let open = from + rel;
        let before = &s[..open];
        let before = if spaced {
            before.strip_suffix(' ').unwrap_or(before)
        } else {
            before
        };
        let start = before
            .rfind(|c: char| c.is_whitespace() || c == '=' || c == '(')
            .map_or(0, |i| i + 1);
        let end = s[open..]
            .find(|c: char| c.is_whitespace() || c == ',' || c == ')')
            .map_or(s.len(), |i| open + i);
        let after_host = &s[open..end];
        let candidate = format!("{}{}", &before[start..], after_host.trim_end_matches(':'));
        if let Some(found) = bracketed(&candidate) {
            return Some(found);
        }
        from = open + 1;
    }
    None
}

/// A relay name worth verifying against: a valid host name, not an address.
fn host_name(h: &str) -> Option<String> {
    match crate::target::parse(h) {
        Ok((crate::plan::Target::Domain(d), None)) => Some(d),
        _ => None,
    }
}

fn domain_of(address: &str) -> Option<String> {
    let (_, d) = address.rsplit_once('@')?;
    host_name(d)
}

#[cfg(test)]
mod tests;

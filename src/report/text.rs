//! The readable report: what was tried, the SMTP transcript, the TLS timeline, the
//! certificates and the diagnosis, in that order — the order an engineer reads an incident.

use crate::diagnose::Cause;
use std::fmt::Write;

use crate::diagnose::evidence::{bytes, message_words};
use crate::diagnose::{self};
use crate::report::caps;
use crate::report::units::human_micros as ms;
use crate::session::{Attempt, TimelineRow};
use crate::wire::{Dir, MessageInfo};

/// ANSI colour for a terminal, or none. Only our own words are painted: server text is
/// already escaped and is never wrapped in anything it could close or reopen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    /// Colour when stdout is a terminal and `NO_COLOR` is not set (no-color.org).
    pub fn for_stdout() -> Paint {
        use std::io::IsTerminal;
        Paint {
            on: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(self, t: &str) -> String {
        self.wrap("1", t)
    }
    fn red(self, t: &str) -> String {
        self.wrap("31", t)
    }
    fn green(self, t: &str) -> String {
        self.wrap("32", t)
    }
    fn yellow(self, t: &str) -> String {
        self.wrap("33", t)
    }
    fn cyan(self, t: &str) -> String {
        self.wrap("36", t)
    }
}

/// Render one attempt as plain text.
pub fn report(a: &Attempt) -> String {
    report_with(a, Paint::default())
}

/// Render one attempt, coloured when `paint` says so. Whatever the attempt holds (a
/// recording is untrusted input), no unsafe character reaches the text: it is rendered from
/// the neutralized attempt, and the finished text is checked once more.
pub fn report_with(a: &Attempt, p: Paint) -> String {
    // Neutralizing keeps the line breaks that are syntax (PEM, the MTA-STS policy), so the
    // policy section and the diagnosis judge this copy as they would the original.
    let a = &crate::session::neutralize::neutralize_attempt(a);
    let mut out = String::new();
    header(&mut out, a);
    transcript(&mut out, a, p);
    timeline(&mut out, a, p);
    certificates(&mut out, a, p);
    out.push_str(&crate::report::policy::text(a));
    diagnosis(&mut out, a, p);
    neutralize_report(&out, p)
}

/// Escape any unsafe character left in the finished report, line breaks and our own colour
/// codes (`Paint`) excepted.
fn neutralize_report(text: &str, p: Paint) -> String {
    const OURS: [&str; 6] = ["[0m", "[1m", "[31m", "[32m", "[33m", "[36m"];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        if c == '\n' {
            out.push(c);
        } else if c == '\x1b' && p.on {
            match OURS.iter().find(|code| rest.starts_with(*code)) {
                Some(code) => {
                    out.push(c);
                    out.push_str(code);
                    rest = &rest[code.len()..];
                }
                None => out.push_str("\\e"),
            }
        } else {
            let mut buf = [0u8; 4];
            out.push_str(&crate::sanitize::neutralize(c.encode_utf8(&mut buf)));
        }
    }
    out
}

fn header(out: &mut String, a: &Attempt) {
    let Some(plan) = &a.plan else {
        let _ = writeln!(out, "attempt {} (plan not recorded)", a.id);
        return;
    };
    let _ = writeln!(
        out,
        "tlsdive probe {} port {}",
        plan.target.display_name(),
        plan.port
    );
    let _ = writeln!(out, "  plan: {}", plan.tls_summary());
    if let Some((domain, hosts)) = &a.resolution.mx {
        let _ = writeln!(out, "  MX of {domain}:");
        for h in hosts.iter().take(caps::ROWS) {
            let addrs: Vec<String> = h.addresses.iter().map(|a| a.to_string()).collect();
            let _ = writeln!(
                out,
                "    {:>5} {} {}{}",
                h.preference,
                h.exchange,
                addrs.join(" "),
                h.error
                    .as_ref()
                    .map(|e| format!(" ({})", caps::value(e, caps::VALUE)))
                    .unwrap_or_default()
            );
        }
        if let Some(more) = caps::more(hosts.len(), caps::ROWS) {
            let _ = writeln!(out, "    {more} MX hosts");
        }
    }
    if let Some(d) = &a.resolution.implicit_mx {
        let _ = writeln!(
            out,
            "  {d} has no MX records: using its address (implicit MX)"
        );
    }
    for (addr, host) in &a.tried {
        let _ = writeln!(
            out,
            "  connect {}{}",
            addr,
            host.as_ref().map(|h| format!(" ({h})")).unwrap_or_default()
        );
    }
    for (at, note) in &a.notes {
        let _ = writeln!(out, "  +{} note: {note}", ms(*at));
    }
}

fn transcript(out: &mut String, a: &Attempt, p: Paint) {
    let _ = writeln!(out, "\n{}", p.bold("SMTP transcript"));
    if a.transcript.is_empty() {
        let _ = writeln!(out, "  (nothing exchanged)");
    }
    let mut was_tls = false;
    for l in &a.transcript {
        if l.tls && !was_tls {
            let _ = writeln!(out, "  ---- TLS ----");
        }
        was_tls = l.tls;
        let who = match (l.dir, l.line.as_bytes().first()) {
            (Dir::Client, _) => p.cyan("C:"),
            (Dir::Server, Some(b'2' | b'3')) => p.green("S:"),
            (Dir::Server, Some(b'4')) => p.yellow("S:"),
            (Dir::Server, _) => p.red("S:"),
        };
        let _ = writeln!(out, "  {:>9} {who} {}", format!("+{}", ms(l.at_us)), l.line);
    }
    if let Some((lines, b)) = a.reply_cut {
        let _ = writeln!(out, "  [reply cut after {lines} lines, {} bytes]", bytes(b));
    }
    if let Some((n, preview)) = &a.injected {
        let _ = writeln!(
            out,
            "  !! {n} plaintext bytes after the 220 to STARTTLS: {preview}"
        );
    }
}

/// The line under a row that stands for a run of identical records.
pub fn folded_words(repeated: u32) -> String {
    format!(
        "… and {} more identical record{} right after it",
        crate::units::thousands(u64::from(repeated)),
        if repeated == 1 { "" } else { "s" }
    )
}

fn timeline(out: &mut String, a: &Attempt, p: Paint) {
    if a.timeline.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", p.bold("TLS timeline"));
    let mut prev = None;
    for row in &a.timeline {
        let at = row.at_us();
        let delta = prev
            .map(|p| format!("(+{})", ms(at.saturating_sub(p))))
            .unwrap_or_default();
        prev = Some(at);
        match row {
            TimelineRow::Record { dir, record, .. } => {
                let arrow = if *dir == Dir::Client {
                    "C→S"
                } else {
                    "S→C"
                };
                let what: Vec<String> = record.messages.iter().map(message_words).collect();
                let alert = record
                    .messages
                    .iter()
                    .any(crate::diagnose::evidence::is_trouble);
                let what = if alert {
                    p.red(&what.join("; "))
                } else {
                    what.join("; ")
                };
                let _ = writeln!(
                    out,
                    "  {:>9} {:>11} {arrow} {:>6} B {} {}: {}{}",
                    format!("+{}", ms(at)),
                    delta,
                    bytes(record.length),
                    record.content_type,
                    record.version,
                    crate::diagnose::evidence::decrypted_label(record),
                    what
                );
                if record.repeated > 0 {
                    let _ = writeln!(out, "{:>24} {}", "", folded_words(record.repeated));
                }
                for m in &record.messages {
                    hello_details(out, m);
                }
            }
            TimelineRow::Ended { how, .. } => {
                let words = how.words();
                let words = match how {
                    crate::event::ConnectionEnd::ClosedByUs => words.to_string(),
                    _ => p.red(words),
                };
                let _ = writeln!(
                    out,
                    "  {:>9} {:>11} --- connection {words}",
                    format!("+{}", ms(at)),
                    delta,
                );
            }
        }
    }
    if let Some(n) = &a.negotiated {
        let _ = writeln!(
            out,
            "  negotiated: {} {} group {} ({} handshake){}",
            n.version,
            n.cipher_suite,
            n.group.as_deref().unwrap_or("-"),
            n.handshake_kind,
            n.alpn
                .as_ref()
                .map(|p| format!(" ALPN {p}"))
                .unwrap_or_default()
        );
    }
}

fn hello_details(out: &mut String, m: &MessageInfo) {
    if let MessageInfo::CertificateRequest {
        authorities,
        signature_algorithms,
        ..
    } = m
    {
        for ca in authorities {
            let _ = writeln!(out, "{:>30} acceptable CA: {ca}", "");
        }
        let _ = writeln!(
            out,
            "{:>30} signature algorithms: {}",
            "",
            signature_algorithms.join(", ")
        );
    }
    if let MessageInfo::ClientHello(ch) = m {
        let _ = writeln!(out, "{:>30} versions: {}", "", ch.versions.join(", "));
        let _ = writeln!(out, "{:>30} suites: {}", "", ch.cipher_suites.join(", "));
        let _ = writeln!(out, "{:>30} groups: {}", "", ch.groups.join(", "));
        let shares: Vec<String> = ch
            .key_shares
            .iter()
            .map(|(g, n)| format!("{g} ({n} B)"))
            .collect();
        // A TLS 1.2-only hello has no key_share extension: no empty line for it.
        if !shares.is_empty() {
            let _ = writeln!(out, "{:>30} key shares: {}", "", shares.join(", "));
        }
        let _ = writeln!(
            out,
            "{:>30} SNI: {}  ALPN: {}",
            "",
            ch.sni.as_deref().unwrap_or("(none)"),
            if ch.alpn.is_empty() {
                "(none)".into()
            } else {
                ch.alpn.join(",")
            }
        );
    }
}

fn certificates(out: &mut String, a: &Attempt, p: Paint) {
    if a.certificates.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", p.bold("Certificates (as sent by the server)"));
    for (i, c) in a.certificates.iter().enumerate() {
        let _ = writeln!(out, "  #{i} subject: {}", c.subject);
        let _ = writeln!(out, "     issuer:  {}", c.issuer);
        if !c.sans.is_empty() {
            let _ = writeln!(out, "     SANs:    {}", c.sans.join(", "));
        }
        let _ = writeln!(out, "     valid:   {} to {}", c.not_before, c.not_after);
        let _ = writeln!(
            out,
            "     key:     {}, signed with {}{}{}",
            c.key,
            c.signature_algorithm,
            if c.is_ca { ", CA" } else { "" },
            if c.self_signed { ", self-signed" } else { "" }
        );
        let _ = writeln!(out, "     SHA-256: {}", c.sha256);
    }
    if let Some(v) = &a.verdict {
        let _ = writeln!(
            out,
            "  verdict: {} ({})",
            if v.ok {
                p.green("valid")
            } else {
                p.red("NOT valid")
            },
            v.detail
        );
    }
}

fn diagnosis(out: &mut String, a: &Attempt, p: Paint) {
    let d = diagnose::diagnose(a);
    // `ok` is only ever the `ok` cause: the words agree with the code.
    let verdict = if d.ok && d.cause == Cause::Ok {
        p.green("OK")
    } else {
        p.red("FAILED")
    };
    let _ = writeln!(
        out,
        "\n{} {verdict} [{}] in phase {}",
        p.bold("Diagnosis:"),
        d.cause,
        d.phase.name()
    );
    let _ = writeln!(out, "  {}", d.summary);
    // The same finding in TLS-RPT's words, to join it with a line of a TLS report.
    if let Some(r) = diagnose::tlsrpt::result_type_on(a, d.cause) {
        let _ = writeln!(out, "  TLS-RPT result-type: {}", r.code());
    }
    if !d.evidence.is_empty() {
        let _ = writeln!(out, "  evidence:");
        for e in &d.evidence {
            let _ = writeln!(out, "    {e}");
        }
    }
    if !d.next_steps.is_empty() {
        let _ = writeln!(out, "  next steps:");
        for s in &d.next_steps {
            let _ = writeln!(out, "    - {}", s.text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, ProbeEvent};

    fn attempt() -> Attempt {
        let mut a = Attempt::new(1, None);
        let kinds = vec![
            EventKind::SmtpReceived {
                line: "220 hi \\e[2J".into(),
                tls: false,
                truncated: false,
            },
            EventKind::SmtpSent {
                line: "EHLO x".into(),
                tls: false,
            },
            EventKind::SmtpReceived {
                line: "554 go away".into(),
                tls: false,
                truncated: false,
            },
            EventKind::AttemptFinished {
                failure: Some(crate::event::Failure::BadReply { code: 554 }),
                phase: crate::event::Phase::Ehlo,
            },
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            a.apply(&ProbeEvent {
                attempt: 1,
                at_us: i as u64,
                kind,
            });
        }
        a
    }

    #[test]
    fn durations_read_as_seconds_past_one_second() {
        let mut a = attempt();
        a.apply(&ProbeEvent {
            attempt: 1,
            at_us: 20_054_000,
            kind: EventKind::SmtpReceived {
                line: "221 at last".into(),
                tls: false,
                truncated: false,
            },
        });
        let text = report(&a);
        assert!(text.contains("    +20.1 s S: 221 at last"), "{text}");
        let transcript = text.split("Diagnosis").next().unwrap_or_default();
        assert!(!transcript.contains("20054 ms"), "{text}");
    }

    #[test]
    fn colour_only_paints_our_own_words() {
        let a = attempt();
        let plain = report(&a);
        assert!(!plain.contains('\x1b'));
        let coloured = report_with(&a, Paint { on: true });
        assert!(
            coloured.contains("\x1b[32mS:\x1b[0m 220 hi \\e[2J"),
            "{coloured}"
        );
        assert!(
            coloured.contains("\x1b[31mS:\x1b[0m 554 go away"),
            "{coloured}"
        );
        assert!(
            coloured.contains("\x1b[31mFAILED\x1b[0m [ehlo-rejected]"),
            "{coloured}"
        );
        // Without the colour codes it is the plain report, character for character.
        let stripped = coloured
            .replace("\x1b[0m", "")
            .replace("\x1b[1m", "")
            .replace("\x1b[31m", "")
            .replace("\x1b[32m", "")
            .replace("\x1b[33m", "")
            .replace("\x1b[36m", "");
        assert_eq!(stripped, plain);
    }
}

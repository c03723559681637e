//! The readable report: what was tried, the SMTP transcript, the TLS timeline, the
//! certificates and the diagnosis, in that order — the order an engineer reads an incident.

use std::fmt::Write;

use crate::diagnose::evidence::{bytes, message_words, ms};
use crate::diagnose::{self};
use crate::session::{Attempt, TimelineRow};
use crate::wire::{Dir, MessageInfo};

/// Render one attempt.
pub fn report(a: &Attempt) -> String {
    let mut out = String::new();
    header(&mut out, a);
    transcript(&mut out, a);
    timeline(&mut out, a);
    certificates(&mut out, a);
    diagnosis(&mut out, a);
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
        for h in hosts {
            let addrs: Vec<String> = h.addresses.iter().map(|a| a.to_string()).collect();
            let _ = writeln!(
                out,
                "    {:>5} {} {}{}",
                h.preference,
                h.exchange,
                addrs.join(" "),
                h.error
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            );
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

fn transcript(out: &mut String, a: &Attempt) {
    let _ = writeln!(out, "\nSMTP transcript");
    if a.transcript.is_empty() {
        let _ = writeln!(out, "  (nothing exchanged)");
    }
    let mut was_tls = false;
    for l in &a.transcript {
        if l.tls && !was_tls {
            let _ = writeln!(out, "  ---- TLS ----");
        }
        was_tls = l.tls;
        let _ = writeln!(
            out,
            "  {:>9} {} {}",
            format!("+{}", ms(l.at_us)),
            if l.dir == Dir::Client { "C:" } else { "S:" },
            l.line
        );
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

fn timeline(out: &mut String, a: &Attempt) {
    if a.timeline.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nTLS timeline");
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
                let _ = writeln!(
                    out,
                    "  {:>9} {:>11} {arrow} {:>6} B {} {}: {}",
                    format!("+{}", ms(at)),
                    delta,
                    bytes(record.length),
                    record.content_type,
                    record.version,
                    what.join("; ")
                );
                for m in &record.messages {
                    hello_details(out, m);
                }
            }
            TimelineRow::Ended { how, .. } => {
                let _ = writeln!(
                    out,
                    "  {:>9} {:>11} --- connection {}",
                    format!("+{}", ms(at)),
                    delta,
                    crate::report::end_words(*how)
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
    if let MessageInfo::ClientHello(ch) = m {
        let _ = writeln!(out, "{:>30} versions: {}", "", ch.versions.join(", "));
        let _ = writeln!(out, "{:>30} suites: {}", "", ch.cipher_suites.join(", "));
        let _ = writeln!(out, "{:>30} groups: {}", "", ch.groups.join(", "));
        let shares: Vec<String> = ch
            .key_shares
            .iter()
            .map(|(g, n)| format!("{g} ({n} B)"))
            .collect();
        let _ = writeln!(out, "{:>30} key shares: {}", "", shares.join(", "));
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

fn certificates(out: &mut String, a: &Attempt) {
    if a.certificates.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nCertificates (as sent by the server)");
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
            if v.ok { "valid" } else { "NOT valid" },
            v.detail
        );
    }
}

fn diagnosis(out: &mut String, a: &Attempt) {
    let d = diagnose::diagnose(a);
    let _ = writeln!(
        out,
        "\nDiagnosis: {} [{}] in phase {}",
        if d.ok { "OK" } else { "FAILED" },
        d.cause,
        d.phase.name()
    );
    let _ = writeln!(out, "  {}", d.summary);
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

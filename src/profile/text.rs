//! The text report of a [`Profile`]: one line per version with the server's answer, the
//! accepted suites under it, the groups, the overlap with a rustls-based sender and the
//! verdict. Everything shown from the server was escaped when it was read.

use std::fmt::Write;

use super::Profile;
use crate::plan::TlsMode;

/// The report, ending in a newline.
pub fn report(p: &Profile) -> String {
    let mut out = String::new();
    let mode = match p.mode {
        TlsMode::Starttls => "STARTTLS",
        TlsMode::Implicit => "implicit TLS",
    };
    let addr = p
        .address
        .map(|a| a.to_string())
        .unwrap_or_else(|| "-".into());
    let _ = writeln!(out, "TLS profile of {} ({addr}, {mode})", p.target);
    if let Some(why) = &p.stopped {
        let _ = writeln!(out, "  scan stopped: {why}");
    }
    for note in &p.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    if !p.versions.is_empty() {
        let _ = writeln!(out, "\nVersions");
    }
    for v in &p.versions {
        let yes = if v.accepted {
            "yes"
        } else if v.unfinished.is_some() {
            "?  "
        } else {
            "no "
        };
        let _ = writeln!(out, "  {:<8} {yes}  {}", v.version, v.answer);
        if v.accepted {
            let order = match (v.server_order, v.complete) {
                (_, false) => " (version probe only; not every suite)",
                (Some(true), _) => " (server's order)",
                (Some(false), _) => " (client's order: the server takes the first it accepts)",
                (None, _) => "",
            };
            let _ = writeln!(out, "           {} suites{order}", v.cipher_suites.len());
            for s in &v.cipher_suites {
                let _ = writeln!(out, "             {s}");
            }
            if let Some((words, _)) = v.dhe_words() {
                let _ = writeln!(out, "           {words}");
            }
        }
    }
    if !p.groups.is_empty() {
        let _ = writeln!(out, "\nGroups");
    }
    for g in &p.groups {
        let _ = writeln!(out, "  {:<8} {}", g.version, g.words());
    }
    if !p.senders.is_empty() {
        out.push_str(&senders_table(&p.senders));
    }
    if p.versions.is_empty() && !p.senders.is_empty() {
        // A senders-only run: the rustls overlap needs a version scan, so it is not shown.
        let _ = writeln!(out, "\nVerdict: {}", p.verdict);
        return with_connections(out, p);
    }
    let o = &p.overlap;
    let _ = writeln!(
        out,
        "\nIn common with a rustls-based sender (TLS 1.2 + 1.3)"
    );
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    let _ = writeln!(out, "  versions: {}", list(&o.versions));
    let _ = writeln!(out, "  suites:   {}", list(&o.cipher_suites));
    let _ = writeln!(out, "  groups:   {}", list(&o.groups));
    let _ = writeln!(out, "\nVerdict: {}", p.verdict);
    with_connections(out, p)
}

fn with_connections(mut out: String, p: &Profile) -> String {
    let plural = if p.connections == 1 { "" } else { "s" };
    let _ = writeln!(
        out,
        "{} connection{plural}, {} ms",
        p.connections, p.elapsed_ms
    );
    out
}

/// One row per sender profile: accepted or not, what the server chose or how it refused.
pub fn senders_table(senders: &[super::sender::SenderResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\nSenders (each MTA's default ClientHello)");
    let width = senders
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(0)
        .max(6);
    for s in senders {
        let yes = if s.accepted { "yes" } else { "no " };
        let chosen = match (&s.version, &s.cipher_suite) {
            (Some(v), Some(c)) if s.accepted => {
                let g = s
                    .group
                    .as_deref()
                    .map(|g| format!(" {g}"))
                    .unwrap_or_default();
                format!("{v} {c}{g}")
            }
            _ => s.answer.clone(),
        };
        let _ = writeln!(
            out,
            "  {:<width$} {yes}  {chosen}  ({} byte hello)",
            s.name, s.hello_bytes
        );
        if let Some(why) = &s.blocked {
            let _ = writeln!(out, "  {:<width$}      {why}", "");
        }
    }
    let built: Vec<&str> = senders
        .iter()
        .filter(|s| !s.captured)
        .map(|s| s.name.as_str())
        .collect();
    if !built.is_empty() {
        let _ = writeln!(
            out,
            "  (not compared with a capture of the real sender, built from published lists: {})",
            built.join(", ")
        );
    }
    out
}

/// A one-line progress bar for a terminal: `[#####-----] 12 connections  TLSv1.2`.
pub fn progress_line(p: &super::Progress) -> String {
    const WIDTH: u32 = 24;
    let filled = (p.steps_done.min(p.steps_total) * WIDTH)
        .checked_div(p.steps_total)
        .unwrap_or(0);
    let bar: String = (0..WIDTH)
        .map(|i| if i < filled { '#' } else { '-' })
        .collect();
    format!(
        "scanning [{bar}] {:>4} connections  {:<10}",
        p.connections,
        crate::sanitize::cap(&p.step, 10)
    )
}

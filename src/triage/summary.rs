//! The grouped summary of a triage ("42 destinations: 38 ok now, 3 cert-expired, 1 ...
//! (covers 1,204 MTA log lines)"), with the MTA's error beside tlsdive's verdict: they often
//! disagree, and the difference is the finding. Built from `Row`s only, so a live run and
//! `--merge` of its JSONL print the same text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::run::MAX_DOMAINS;
use super::{Row, Verdict};

/// Destinations listed by name per group before "and N more".
const LISTED: usize = 50;

pub use crate::units::thousands;

/// Causes with their rows: `ok` first, then by count (largest first), then by name.
fn groups(rows: &[Row]) -> Vec<(Verdict, Vec<&Row>)> {
    let mut by: BTreeMap<Verdict, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        by.entry(r.cause).or_default().push(r);
    }
    let mut v: Vec<(Verdict, Vec<&Row>)> = by.into_iter().collect();
    v.sort_by(|a, b| {
        (b.0.is_ok())
            .cmp(&a.0.is_ok())
            .then(b.1.len().cmp(&a.1.len()))
            .then(a.0.code().cmp(b.0.code()))
    });
    for (_, rows) in &mut v {
        rows.sort_by(|a, b| a.destination.cmp(&b.destination));
    }
    v
}

/// The one-line headline.
pub fn headline(rows: &[Row]) -> String {
    let parts: Vec<String> = groups(rows)
        .iter()
        .map(|(cause, rs)| {
            let cause = if cause.is_ok() {
                "ok now"
            } else {
                cause.code()
            };
            format!("{} {cause}", thousands(rs.len() as u64))
        })
        .collect();
    let lines = rows.iter().fold(0u64, |n, r| n.saturating_add(r.log_lines));
    let mut s = format!(
        "{} destination{}",
        thousands(rows.len() as u64),
        if rows.len() == 1 { "" } else { "s" }
    );
    if !parts.is_empty() {
        let _ = write!(s, ": {}", parts.join(", "));
    }
    if lines > 0 {
        let _ = write!(s, " (covers {} MTA log lines)", thousands(lines));
    }
    s
}

/// The whole summary: the headline, then each cause with its destinations, the MTA's
/// error and tlsdive's verdict side by side. Destinations that work now are listed in
/// full only when the MTA had complained about them (fixed since, or intermittent).
pub fn text(rows: &[Row]) -> String {
    text_with(rows, &[])
}

/// [`text`], the repeat hints carrying `probe_options`: the triage's own settings as
/// `tlsdive probe` options (see [`probe_command`]).
pub fn text_with(rows: &[Row], probe_options: &[String]) -> String {
    let mut out = headline(rows);
    out.push('\n');
    if let Some(line) = failing_domains(rows) {
        let _ = writeln!(out, "{line}");
    }
    for (cause, rs) in groups(rows) {
        let title = if cause.is_ok() {
            "ok now"
        } else {
            cause.code()
        };
        let _ = writeln!(out, "\n{title} ({}):", thousands(rs.len() as u64));
        let (detailed, quiet): (Vec<&Row>, Vec<&Row>) = rs
            .into_iter()
            .partition(|r| !cause.is_ok() || r.mta_error.is_some());
        for r in detailed.iter().take(LISTED) {
            row(&mut out, r, probe_options);
        }
        if detailed.len() > LISTED {
            let _ = writeln!(out, "  ... and {} more", detailed.len() - LISTED);
        }
        if !quiet.is_empty() {
            let names: Vec<&str> = quiet
                .iter()
                .take(LISTED)
                .map(|r| r.destination.as_str())
                .collect();
            let more = quiet.len().saturating_sub(LISTED);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {}{tail}", names.join(", "));
        }
    }
    out
}

/// The recipient domains behind the destinations that fail now, by name: the answer to
/// "one recipient or everywhere?" (a sample: each row keeps at most [`MAX_DOMAINS`]).
pub fn failing_domains(rows: &[Row]) -> Option<String> {
    let mut names: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    let mut more = false;
    for r in rows
        .iter()
        .filter(|r| !r.ok() && r.cause != Verdict::NotProbed)
    {
        names.extend(r.recipient_domains.iter().map(String::as_str));
        more |= r.recipient_domains_more;
    }
    if names.is_empty() {
        return None;
    }
    let shown: Vec<&str> = names.iter().copied().take(LISTED).collect();
    let rest = names.len() - shown.len();
    let tail = match (rest, more) {
        (0, false) => String::new(),
        (0, true) => " and others".into(),
        (n, _) => format!(" and {} more", thousands(n as u64)),
    };
    Some(format!(
        "recipient domains behind the failing destinations: {}{tail}",
        shown.join(", ")
    ))
}

/// What a row that works now says when the MTA had logged failures for it: one probe
/// met one backend; a repeat meets the others.
pub fn repeat_hint(r: &Row) -> Option<&'static str> {
    (r.ok() && r.mta_error.is_some() && r.drilldown.is_none())
        .then_some("the MTA saw failures, one probe found none")
}

/// The `tlsdive probe` command that probes what the triage probed for `r`: a relay the MTA
/// named is its address with the name sent as SNI and verified (the triage pinned the name
/// to the address; a bare IP target would send no SNI and check the certificate against
/// the IP); the routing-policy lookups stay off, as in the triage; then `options`.
pub fn probe_command(r: &Row, options: &[String]) -> String {
    let mut words = vec![
        "tlsdive".to_string(),
        "probe".into(),
        probe_target(&r.destination),
    ];
    match &r.relay_host {
        Some(h) => {
            words.extend(["--sni".into(), h.clone(), "--verify-name".into(), h.clone()]);
        }
        // An address alone has no policy to look up; a name does, and triage skips it.
        None if !r.destination.starts_with('[') => words.push("--no-policy".into()),
        None => {}
    }
    words.extend(options.iter().cloned());
    let quoted: Vec<String> = words.iter().map(|w| shell_word(w)).collect();
    quoted.join(" ")
}

/// A destination as `probe` reads it, without brackets where none are needed (they are a
/// shell glob): `[192.0.2.1]:25` is `192.0.2.1:25`; an IPv6 address keeps them.
fn probe_target(destination: &str) -> String {
    let v4 = destination
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("]:"))
        .filter(|(ip, _)| ip.parse::<std::net::Ipv4Addr>().is_ok());
    match v4 {
        Some((ip, port)) => format!("{ip}:{port}"),
        None => destination.to_string(),
    }
}

/// `w` as one POSIX shell word: as it is when it holds nothing the shell reads, else in
/// single quotes.
pub fn shell_word(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

fn row(out: &mut String, r: &Row, probe_options: &[String]) {
    let relay = r
        .relay_host
        .as_ref()
        .map(|h| format!(" ({h})"))
        .unwrap_or_default();
    let mut facts = Vec::new();
    if r.log_lines > 0 {
        facts.push(crate::report::units::plural(r.log_lines, "log line"));
    }
    if !r.recipient_domains.is_empty() {
        let more = if r.recipient_domains_more {
            " and other domains"
        } else {
            ""
        };
        facts.push(format!("to {}{more}", r.recipient_domains.join(", ")));
    }
    if r.retries_after_421 > 0 {
        facts.push(format!("421 {} time(s) first", r.retries_after_421));
    }
    let facts = if facts.is_empty() {
        String::new()
    } else {
        format!("  [{}]", facts.join("; "))
    };
    let _ = writeln!(out, "  {}{relay}{facts}", r.destination);
    if let Some(e) = &r.mta_error {
        let _ = writeln!(out, "    MTA says:     {e}");
    }
    let _ = writeln!(out, "    tlsdive says: {}: {}", r.cause, r.summary);
    if let Some(d) = &r.drilldown {
        let _ = writeln!(
            out,
            "                  (from the interactive view: {}{}; the triage's probe said {})",
            crate::units::plural(u64::from(d.attempts), "attempt"),
            if d.confirmed { ", confirmed" } else { "" },
            d.probe_said
        );
    }
    if let Some(fix) = &r.fix {
        let _ = writeln!(out, "    fix:          {fix}");
    }
    if let Some(hint) = repeat_hint(r) {
        let _ = writeln!(
            out,
            "    hint:         {hint}: repeat it ({} --repeat 20) to catch a failing backend",
            probe_command(r, probe_options)
        );
    }
}

/// Where every input line went: "11 lines: 8 used, 2 skipped (1 delivery, 1 line of another
/// MTA daemon), 1 unreadable". The three counts add up to the lines read, so a line can
/// never vanish unsaid.
pub fn lines(s: &super::run::Stats) -> String {
    let mut out = format!(
        "{} line{}: {} used, {} skipped",
        thousands(s.lines),
        if s.lines == 1 { "" } else { "s" },
        thousands(s.used),
        thousands(s.skipped)
    );
    let why: Vec<String> = s
        .skipped_by
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(skip, n)| {
            let (one, many) = skip.words();
            format!("{} {}", thousands(*n), if *n == 1 { one } else { many })
        })
        .collect();
    if !why.is_empty() {
        let _ = write!(out, " ({})", why.join(", "));
    }
    let _ = write!(out, ", {} unreadable", thousands(s.garbage));
    out
}

/// Fold rows read from several JSONL outputs: a destination seen twice (overlapping
/// inputs) keeps its first verdict and adds up its log lines and recipient domains.
pub fn merge(rows: impl IntoIterator<Item = Row>) -> Vec<Row> {
    let mut by: BTreeMap<String, Row> = BTreeMap::new();
    for mut r in rows {
        bound_domains(&mut r);
        match by.get_mut(&r.destination) {
            Some(have) => {
                have.log_lines = have.log_lines.saturating_add(r.log_lines);
                have.recipient_domains_more |= r.recipient_domains_more;
                have.recipient_domains.extend(r.recipient_domains);
                bound_domains(have);
                if have.mta_error.is_none() {
                    have.mta_error = r.mta_error;
                }
            }
            None => {
                by.insert(r.destination.clone(), r);
            }
        }
    }
    by.into_values().collect()
}

/// A row's recipient domains as a sorted sample of at most [`MAX_DOMAINS`] (a row read back
/// from a file may hold any number).
fn bound_domains(r: &mut Row) {
    let d = &mut r.recipient_domains;
    d.sort();
    d.dedup();
    if d.len() > MAX_DOMAINS {
        d.truncate(MAX_DOMAINS);
        r.recipient_domains_more = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(d: &str, cause: &str, lines: u64, mta: Option<&str>) -> Row {
        Row {
            destination: d.into(),
            relay_host: None,
            cause: Verdict::from_code(cause).unwrap(),
            summary: format!("{cause} summary"),
            fix: None,
            drilldown: None,
            log_lines: lines,
            recipient_domains: vec![],
            recipient_domains_more: false,
            mta_error: mta.map(String::from),
            retries_after_421: 0,
        }
    }

    #[test]
    fn headline_groups_by_cause() {
        let mut rows: Vec<Row> = (0..38)
            .map(|i| row(&format!("d{i}"), "ok", 30, None))
            .collect();
        rows.extend((0..3).map(|i| row(&format!("e{i}"), "cert-expired", 20, Some("x"))));
        rows.push(row(
            "h",
            "hello-size-intolerant",
            4,
            Some("lost connection"),
        ));
        assert_eq!(
            headline(&rows),
            "42 destinations: 38 ok now, 3 cert-expired, 1 hello-size-intolerant \
             (covers 1,204 MTA log lines)"
        );
        let t = text(&rows);
        assert!(t.contains("  h  [4 log lines]\n    MTA says:     lost connection\n    tlsdive says: hello-size-intolerant: "), "{t}");
    }

    /// The 11-line log of issue 19: two lines used to vanish from the summary.
    #[test]
    fn every_line_is_accounted_for() {
        use super::super::log::Skip;
        let mut s = crate::triage::run::Stats {
            lines: 11,
            used: 8,
            skipped: 2,
            garbage: 1,
            ..Default::default()
        };
        s.skipped_by.insert(Skip::Delivered, 1);
        s.skipped_by.insert(Skip::OtherDaemon, 1);
        assert_eq!(
            lines(&s),
            "11 lines: 8 used, 2 skipped (1 delivery, 1 line of another MTA daemon), 1 unreadable"
        );
    }

    /// Issue 19: the recipient domains were counted, never named; a row the MTA saw fail
    /// that one probe finds ok says to repeat it; a row's fix and its drill-down are shown.
    #[test]
    fn the_summary_names_recipient_domains_and_hints_a_repeat() {
        let mut bad = row(
            "[192.0.2.1]:25",
            "cert-expired",
            3,
            Some("certificate verify failed"),
        );
        bad.recipient_domains = vec!["b.example".into(), "a.example".into()];
        bad.fix = Some("renew the certificate".into());
        let mut flaky = row("[192.0.2.2]:25", "ok", 1, Some("certificate verify failed"));
        flaky.relay_host = Some("mx.example.net".into());
        flaky.recipient_domains = vec!["c.example".into()];
        let mut drilled = row("[192.0.2.3]:25", "intermittent", 1, Some("lost connection"));
        drilled.drilldown = Some(crate::triage::Drilldown {
            attempts: 4,
            confirmed: true,
            probe_said: Verdict::from_code("ok").unwrap(),
        });
        let t = text(&[bad, flaky, drilled]);
        assert!(
            t.contains(
                "\nrecipient domains behind the failing destinations: a.example, b.example\n"
            ),
            "{t}"
        );
        assert!(
            t.contains("    fix:          renew the certificate\n"),
            "{t}"
        );
        assert!(
            t.contains(
                "    hint:         the MTA saw failures, one probe found none: repeat it (tlsdive probe 192.0.2.2:25 --sni mx.example.net --verify-name mx.example.net --repeat 20) to catch a failing backend\n"
            ),
            "{t}"
        );
        assert!(
            t.contains(
                "(from the interactive view: 4 attempts, confirmed; the triage's probe said ok)"
            ),
            "{t}"
        );
        assert_eq!(t.matches("hint:").count(), 1, "{t}");
    }

    /// The repeat hint probes what the triage probed, with the triage's options, and
    /// quotes what a shell would read.
    #[test]
    fn the_probe_command_matches_the_triage() {
        let mut r = row("[2001:db8::1]:2525", "ok", 1, Some("x"));
        assert_eq!(
            probe_command(&r, &["--ca-file".into(), "/tmp/my ca.pem".into()]),
            "tlsdive probe '[2001:db8::1]:2525' --ca-file '/tmp/my ca.pem'"
        );
        r.destination = "mx.example.net:2525".into();
        assert_eq!(
            probe_command(&r, &[]),
            "tlsdive probe mx.example.net:2525 --no-policy"
        );
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn merge_adds_up_duplicates() {
        let mut a = row("x", "ok", 2, None);
        a.recipient_domains = vec!["b.example".into()];
        let mut b = row("x", "tls-alert", 3, Some("e"));
        b.recipient_domains = vec!["a.example".into(), "b.example".into()];
        let m = merge([a, b, row("y", "ok", 0, None)]);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].log_lines, 5);
        assert!(m[0].cause.is_ok());
        assert_eq!(m[0].recipient_domains, ["a.example", "b.example"]);
        assert_eq!(m[0].mta_error.as_deref(), Some("e"));
    }

    /// Counts saturate instead of wrapping, and a merged sample of domains stays bounded.
    #[test]
    fn merge_saturates_and_bounds_the_domain_sample() {
        let mut a = row("x", "tls-alert", u64::MAX, None);
        a.recipient_domains = (0..500).map(|i| format!("d{i}.example")).collect();
        let b = row("x", "ok", 5, None);
        let m = merge([a, b]);
        assert_eq!(m[0].cause.code(), "tls-alert");
        assert_eq!(m[0].log_lines, u64::MAX);
        assert_eq!(m[0].recipient_domains.len(), MAX_DOMAINS);
        assert!(m[0].recipient_domains_more);
        assert!(
            headline(&m).contains("(covers 18,446,744,073,709,551,615 MTA log lines)"),
            "{}",
            headline(&m)
        );
        assert!(text(&m).contains(" and other domains]"), "{}", text(&m));
    }
}

//! The header: what is probed and where it connected, for a mail domain its MX hosts and
//! addresses with their DNSSEC state in one line, the plan of the attempt on screen in one
//! line, and a running indicator with the time spent in each phase. Each line fits the
//! terminal by priority: the attempt counter and the mode before the peer, the outcome and
//! the longest phases before the short ones, and a cut line ends in `…`.

use crate::diagnose::Cause;
use crate::event::Phase;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::View;
use super::text::safe_owned;
use crate::plan::Plan;
use crate::session::Attempt;
use crate::units::human_micros;

/// Rows the header takes for `a`: three, and a fourth listing a domain's MX hosts.
pub fn height(a: Option<&Attempt>) -> u16 {
    if a.and_then(route).is_some() { 4 } else { 3 }
}

/// The MX hosts (in preference order) and addresses of a domain attempt with their DNSSEC
/// states, in one line, most important first so a narrow terminal cuts the tail:
/// `MX dnssec secure: 10 mx.example.net 192.0.2.1 2001:db8::1 (secure) · 20 ...`.
pub fn route(a: &Attempt) -> Option<String> {
    let state = |name: &str, rtype: &str| {
        let name = crate::policy::norm(name);
        a.policy
            .dnssec
            .iter()
            .find(|d| d.name == name && d.rtype == rtype)
            .map(|d| d.dnssec.name())
    };
    let host_state = |host: &str| match (state(host, "A"), state(host, "AAAA")) {
        (Some(x), Some(y)) if x == y => format!(" ({x})"),
        (Some(x), Some(y)) => format!(" (A {x}, AAAA {y})"),
        (Some(x), None) | (None, Some(x)) => format!(" ({x})"),
        (None, None) => String::new(),
    };
    let addrs = |ips: &[std::net::IpAddr], error: Option<&String>| {
        if ips.is_empty() {
            error.map_or_else(|| "no address".to_string(), |e| e.clone())
        } else {
            ips.iter()
                .map(|ip| ip.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    if let Some((domain, hosts)) = &a.resolution.mx {
        let head = match state(domain, "MX") {
            Some(s) => format!("MX dnssec {s}: "),
            None => "MX: ".to_string(),
        };
        let all = hosts.len();
        let mut hosts: Vec<String> = hosts
            .iter()
            .take(crate::report::caps::ROWS)
            .map(|h| {
                format!(
                    "{} {} {}{}",
                    h.preference,
                    h.exchange,
                    addrs(&h.addresses, h.error.as_ref()),
                    host_state(&h.exchange)
                )
            })
            .collect();
        hosts.extend(crate::report::caps::more(all, crate::report::caps::ROWS));
        let list = if hosts.is_empty() {
            "none".to_string()
        } else {
            hosts.join(" · ")
        };
        return Some(format!("{head}{list}"));
    }
    let domain = a.resolution.implicit_mx.as_ref()?;
    Some(format!(
        "no MX: implicit MX {domain} {}{}",
        addrs(&a.resolution.addresses, None),
        host_state(domain)
    ))
}

pub fn render(f: &mut Frame, v: &View, area: Rect) {
    let t = v.theme;
    let Some(a) = v.attempt() else {
        let l = Line::from(vec![
            Span::styled("tlsdive ", t.title()),
            Span::styled("waiting for the first attempt…", t.dim()),
        ]);
        f.render_widget(Paragraph::new(l), area);
        return;
    };
    let n = v.session.attempts.len();
    let idx = v
        .session
        .attempts
        .iter()
        .position(|b| b.id == a.id)
        .map_or(0, |i| i + 1);
    let target = a
        .plan
        .as_ref()
        .map(|p| format!("{}:{}", safe_owned(&p.target.display_name()), p.port))
        .unwrap_or_else(|| "(plan not recorded)".into());
    // Each part with its rank: when the line is too long for the terminal the highest rank
    // goes first, so the attempt counter and the mode outlive the peer and the MX host.
    let mut first: Vec<(u8, Span<'static>)> = vec![(0, Span::styled("tlsdive ", t.title()))];
    let scenario = v.app.scenario_of(a);
    if let Some(s) = scenario {
        first.push((
            2,
            Span::styled(format!("lab scenario {}  ", s.name()), t.warn()),
        ));
    }
    first.push((0, Span::raw(target)));
    if let Some(host) = a.host() {
        first.push((4, Span::raw(format!("  MX/host {}", safe_owned(host)))));
    }
    if let Some(peer) = a.peer.or_else(|| a.tried.last().map(|t| t.0)) {
        first.push((3, Span::raw(format!("  → {peer}"))));
    }
    first.push((1, Span::styled(format!("   attempt {idx}/{n}"), t.title())));
    if v.app.options.read_only {
        first.push((1, Span::styled("  [recording, read-only]", t.warn())));
    }
    if v.app.options.step_mode {
        first.push((1, Span::styled("  [step mode]", t.warn())));
    }
    if let Some(s) = scenario {
        first.push((5, Span::styled(format!("  — {}", s.describe()), t.dim())));
    }
    let width = usize::from(area.width);
    let prev = idx
        .checked_sub(2)
        .and_then(|i| v.session.attempts.get(i))
        .and_then(|b| b.plan.as_ref());
    let plan = a.plan.as_ref().map_or_else(String::new, |p| {
        let first = v.session.attempts.first().and_then(|f| f.plan.as_ref());
        fit(plan_parts(p, first, prev), width.saturating_sub(5))
    });
    let second = Line::from(vec![
        Span::styled("plan ", t.dim()),
        Span::raw(safe_owned(&plan)),
    ]);
    let mut lines = vec![by_rank(first, width)];
    if let Some(route) = route(a) {
        lines.push(marked(Line::raw(safe_owned(&route)), width, t));
    }
    lines.extend([marked(second, width, t), phases(v, a, width)]);
    f.render_widget(Paragraph::new(lines), area);
}

/// The parts that fit in `width`, in their order, dropping the highest rank first (a part
/// that has a shorter form takes it before it goes).
fn by_rank(mut parts: Vec<(u8, Span<'static>)>, width: usize) -> Line<'static> {
    let total = |p: &[(u8, Span)]| p.iter().map(|(_, s)| s.width()).sum::<usize>();
    while total(&parts) > width {
        let Some(worst) = parts.iter().map(|(r, _)| *r).max().filter(|r| *r > 0) else {
            break;
        };
        let Some(i) = parts.iter().rposition(|(r, _)| *r == worst) else {
            break;
        };
        match short(&parts[i].1) {
            Some(s) => parts[i].1 = s,
            None => {
                parts.remove(i);
            }
        }
    }
    Line::from(parts.into_iter().map(|(_, s)| s).collect::<Vec<_>>())
}

/// The shorter form of a header part, if it has one.
fn short(s: &Span<'static>) -> Option<Span<'static>> {
    match s.content.as_ref() {
        "  [recording, read-only]" => Some(Span::styled("  [replay]", s.style)),
        _ => None,
    }
}

/// `line` cut to `width` with a `…` where it was cut, so a cut never looks like the end.
fn marked(line: Line<'static>, width: usize, t: crate::tui::theme::Theme) -> Line<'static> {
    if line.width() <= width || width < 2 {
        return line;
    }
    let mut out: Vec<Span<'static>> = Vec::new();
    let mut room = width - 1;
    for span in line.spans {
        let text: String = span
            .content
            .chars()
            .scan(0usize, |used, c| {
                *used += super::text::width_of(c);
                (*used <= room).then_some(c)
            })
            .collect();
        room -= Span::raw(text.clone()).width();
        let cut = text.len() < span.content.len();
        out.push(Span::styled(text, span.style));
        if cut || room == 0 {
            break;
        }
    }
    out.push(Span::styled("…", t.dim()));
    Line::from(out)
}

/// The plan of the attempt on screen in one line, as the server will see it: the versions
/// the ClientHello offers (chosen suites can narrow them), the suites chosen out of how many
/// this client has, and the reply timeout when it is not the one the session started with
/// (`T` changes it).
pub fn plan_line(p: &Plan, first: Option<&Plan>) -> String {
    plan_parts(p, first, None)
        .into_iter()
        .map(|(_, s)| s)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The parts of the plan line in their order, each with its rank (the highest gives way
/// first when the line is too long): the mode and versions never, then the suites, verify,
/// SNI, timeout and pinned address, then the groups (their default first), the EHLO name
/// last. A part that differs from the previous attempt's plan (`prev`) ranks with the
/// versions: what the user just changed stays in view.
pub fn plan_parts(p: &Plan, first: Option<&Plan>, prev: Option<&Plan>) -> Vec<(u8, String)> {
    use crate::plan::diff::Field;
    let names = |v: &[crate::plan::TlsVersion]| {
        let n: Vec<&str> = v.iter().map(|v| v.name()).collect();
        n.join("+")
    };
    let offered = p.offered_versions();
    let mut versions = if p.tls.versions.is_empty() {
        "TLSv1.2+1.3".to_string()
    } else {
        names(&p.tls.versions)
    };
    let narrowed = if p.tls.versions.is_empty() {
        offered.len() < 2
    } else {
        offered.len() < p.tls.versions.len()
    };
    if narrowed {
        let missing = match offered.as_slice() {
            [crate::plan::TlsVersion::Tls12] => " (no TLS 1.3 suite chosen)",
            [crate::plan::TlsVersion::Tls13] => " (no TLS 1.2 suite chosen)",
            _ => " (no chosen suite fits)",
        };
        versions = format!("{}{missing}", names(&offered));
    }
    let chosen = &p.tls.cipher_suites;
    let suites = match chosen.len() {
        0 => "default".to_string(),
        n => {
            let all = crate::plan::provider::suite_names().len();
            let shown = if n <= 2 {
                format!(" ({})", chosen.join(", "))
            } else {
                String::new()
            };
            format!("{n} of {all}{shown}")
        }
    };
    let sni = match &p.tls.sni {
        crate::plan::Sni::Auto => "auto".to_string(),
        crate::plan::Sni::Off => "off".to_string(),
        crate::plan::Sni::Name(n) => n.clone(),
    };
    let changed = |f: Field, rank: u8| {
        if prev.is_some_and(|q| f.differs(q, p)) {
            0
        } else {
            rank
        }
    };
    let mode = match p.mode {
        crate::plan::TlsMode::Starttls => "STARTTLS",
        crate::plan::TlsMode::Implicit => "implicit-TLS",
    };
    let mut parts = vec![
        (0, mode.to_string()),
        (0, versions),
        (changed(Field::Suites, 1), format!("suites:{suites}")),
        (
            changed(Field::Verify, 1),
            format!("verify:{}", if p.tls.verify { "strict" } else { "off" }),
        ),
        (changed(Field::Sni, 1), format!("sni:{sni}")),
    ];
    if first.is_some_and(|f| f.timeouts.reply != p.timeouts.reply) {
        parts.push((
            changed(Field::Timeouts, 1),
            format!("timeout:{}", crate::units::human_duration(p.timeouts.reply)),
        ));
    }
    if let Some(addr) = p.address {
        parts.push((changed(Field::Address, 1), format!("pinned:{addr}")));
    }
    let groups = if p.tls.groups.is_empty() {
        (changed(Field::Groups, 3), "groups:default".to_string())
    } else {
        (
            changed(Field::Groups, 2),
            format!("groups:{}", p.tls.groups.join(",")),
        )
    };
    parts.push(groups);
    parts.push((changed(Field::Ehlo, 4), format!("ehlo:{}", p.ehlo)));
    parts
}

/// `parts` joined by spaces in at most `width` columns: the highest rank gives way first,
/// each run of parts given up shown as `…` where it was, so a short line never hides that
/// it is short. Parts of rank 0 never give way (the caller cuts what still does not fit).
pub fn fit(parts: Vec<(u8, String)>, width: usize) -> String {
    let mut keep = vec![true; parts.len()];
    let line = |keep: &[bool]| {
        let mut out: Vec<&str> = Vec::new();
        for (i, (_, s)) in parts.iter().enumerate() {
            if keep[i] {
                out.push(s);
            } else if i == 0 || keep[i - 1] {
                out.push("…");
            }
        }
        out.join(" ")
    };
    while line(&keep).chars().count() > width {
        let worst = parts
            .iter()
            .zip(&keep)
            .filter(|((r, _), k)| **k && *r > 0)
            .map(|((r, _), _)| *r)
            .max();
        let Some(worst) = worst else { break };
        let Some(i) = (0..parts.len())
            .rev()
            .find(|&i| keep[i] && parts[i].0 == worst)
        else {
            break;
        };
        keep[i] = false;
    }
    line(&keep)
}

/// The outcome, then the time of each phase. The `done` phase is the end, not a step: it
/// has no time of its own. Too long for the terminal, the shortest phases give way to `…`
/// (the running one and the outcome never do).
fn phases(v: &View, a: &crate::session::Attempt, width: usize) -> Line<'static> {
    let t = v.theme;
    let now = v.app.now_us.max(a.last_us);
    let mut spans = Vec::new();
    match (&a.finished, &v.derived.diagnosis) {
        (None, _) => {
            let what = match &a.paused {
                Some(before) => format!("⏸ paused before {} ", safe_owned(before)),
                None => format!("● running {} ", a.phase().name()),
            };
            spans.push(Span::styled(what, t.running()));
            spans.push(Span::raw(format!("{}  ", human_micros(now))));
        }
        (Some((_, _, at)), Some(d)) if d.ok && d.cause == Cause::Ok => {
            spans.push(Span::styled("✔ ok ", t.good()));
            spans.push(Span::raw(format!("in {}  ", human_micros(*at))));
        }
        (Some((_, _, at)), d) => {
            let cause = d.as_ref().map(|d| d.cause.code()).unwrap_or("failed");
            spans.push(Span::styled(format!("✘ {cause} "), t.bad()));
            spans.push(Span::raw(format!("after {}  ", human_micros(*at))));
        }
    }
    let mut durations = a.phase_durations(now);
    if a.finished.is_some() && durations.last().is_some_and(|(p, _)| *p == Phase::Done) {
        durations.pop();
    }
    let running = a.is_running();
    let last = durations.len().saturating_sub(1);
    let items: Vec<String> = durations
        .iter()
        .map(|(p, d)| format!("{} {}", p.name(), human_micros(*d)))
        .collect();
    // The phases to show: the running one, then the longest first while they fit.
    let room = width.saturating_sub(spans.iter().map(Span::width).sum());
    let chain = |keep: &[bool]| -> usize {
        let mut w = 0;
        let mut parts = 0usize;
        for (i, k) in keep.iter().enumerate() {
            let gap_start = !k && (i == 0 || keep[i - 1]);
            if *k || gap_start {
                w += if *k { items[i].chars().count() } else { 1 };
                parts += 1;
            }
        }
        w + 3 * parts.saturating_sub(1)
    };
    let mut keep = vec![false; items.len()];
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| (!(running && i == last), std::cmp::Reverse(durations[i].1)));
    for i in order {
        keep[i] = true;
        if chain(&keep) > room && !(running && i == last) {
            keep[i] = false;
        }
    }
    let mut first = true;
    for (i, text) in items.into_iter().enumerate() {
        let gap_start = !keep[i] && (i == 0 || keep[i - 1]);
        if !keep[i] && !gap_start {
            continue;
        }
        if !first {
            spans.push(Span::styled(" › ", t.dim()));
        }
        first = false;
        if keep[i] {
            let style = if i == last && running {
                t.running()
            } else {
                t.dim()
            };
            spans.push(Span::styled(text, style));
        } else {
            spans.push(Span::styled("…", t.dim()));
        }
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Sni, Target, TlsVersion};

    fn plan() -> Plan {
        let mut p = Plan::new(Target::Domain("example.net".into()));
        p.ehlo = "probe.example.org".into();
        p
    }

    /// Issue 19: at 80 columns the plan line just ended in `…` after `verify:strict`, so a
    /// changed EHLO name or SNI could be the part cut. The versions, suites, verify and SNI
    /// come first, the default groups and the EHLO name give way, and where they went says
    /// `…`.
    #[test]
    fn the_plan_line_gives_up_the_ehlo_and_default_groups_first() {
        let p = plan();
        let whole = plan_line(&p, None);
        assert_eq!(
            whole,
            "STARTTLS TLSv1.2+1.3 suites:default verify:strict sni:auto groups:default \
             ehlo:probe.example.org"
        );
        assert_eq!(fit(plan_parts(&p, None, None), 200), whole);
        assert_eq!(
            fit(plan_parts(&p, None, None), 75),
            "STARTTLS TLSv1.2+1.3 suites:default verify:strict sni:auto groups:default …"
        );
        assert_eq!(
            fit(plan_parts(&p, None, None), 70),
            "STARTTLS TLSv1.2+1.3 suites:default verify:strict sni:auto …"
        );
        // Chosen groups, as long as they fit.
        let mut q = plan();
        q.tls.groups = vec!["secp256r1".into()];
        assert_eq!(
            fit(plan_parts(&q, None, None), 77),
            "STARTTLS TLSv1.2+1.3 suites:default verify:strict sni:auto groups:secp256r1 …"
        );
    }

    /// What the attempt changed from the previous one stays in view, however low it ranks.
    #[test]
    fn the_plan_line_keeps_what_the_last_step_changed() {
        let prev = plan();
        let mut p = plan();
        p.ehlo = "mail.example.org".into();
        assert_eq!(
            fit(plan_parts(&p, None, Some(&prev)), 75),
            "STARTTLS TLSv1.2+1.3 suites:default verify:strict … ehlo:mail.example.org"
        );
        let mut p = plan();
        p.tls.sni = Sni::Name("a-long-sni-name.mx.example.net".into());
        p.tls.versions = vec![TlsVersion::Tls12];
        let line = fit(plan_parts(&p, None, Some(&prev)), 60);
        assert_eq!(
            line, "STARTTLS TLSv1.2 … sni:a-long-sni-name.mx.example.net …",
            "{line}"
        );
        // Nothing can give way: the line is returned whole, for the header to cut and mark.
        assert_eq!(
            fit(plan_parts(&p, None, Some(&prev)), 10),
            "STARTTLS TLSv1.2 … sni:a-long-sni-name.mx.example.net …"
        );
    }
}

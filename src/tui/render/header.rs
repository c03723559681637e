//! The header: what is probed and where it connected, for a mail domain its MX hosts and
//! addresses with their DNSSEC state in one line, the plan of the attempt on screen in one
//! line, and a running indicator with the time spent in each phase.

use crate::diagnose::Cause;
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
    let mut first = vec![Span::styled("tlsdive ", t.title())];
    let scenario = v.app.scenario_of(a);
    if let Some(s) = scenario {
        first.push(Span::styled(
            format!("lab scenario {}  ", s.name()),
            t.warn(),
        ));
    }
    first.push(Span::raw(target));
    if let Some(host) = a.host() {
        first.push(Span::raw(format!("  MX/host {}", safe_owned(host))));
    }
    if let Some(peer) = a.peer.or_else(|| a.tried.last().map(|t| t.0)) {
        first.push(Span::raw(format!("  → {peer}")));
    }
    first.push(Span::styled(format!("   attempt {idx}/{n}"), t.title()));
    if v.app.options.read_only {
        first.push(Span::styled("  [recording, read-only]", t.warn()));
    }
    if v.app.options.step_mode {
        first.push(Span::styled("  [step mode]", t.warn()));
    }
    if let Some(s) = scenario {
        // Last, so a narrow terminal cuts this and not the facts before it.
        first.push(Span::styled(format!("  — {}", s.describe()), t.dim()));
    }
    let second = Line::from(vec![
        Span::styled("plan ", t.dim()),
        Span::raw(safe_owned(
            &a.plan
                .as_ref()
                .map(|p| plan_line(p, v.session.attempts.first().and_then(|f| f.plan.as_ref())))
                .unwrap_or_default(),
        )),
    ]);
    let mut lines = vec![Line::from(first)];
    if let Some(route) = route(a) {
        lines.push(Line::raw(safe_owned(&route)));
    }
    lines.extend([second, phases(v, a)]);
    f.render_widget(Paragraph::new(lines), area);
}

/// The plan of the attempt on screen in one line, as the server will see it: the versions
/// the ClientHello offers (chosen suites can narrow them), the suites chosen out of how many
/// this client has, and the reply timeout when it is not the one the session started with
/// (`T` changes it).
pub fn plan_line(p: &Plan, first: Option<&Plan>) -> String {
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
    let list = |v: &[String]| {
        if v.is_empty() {
            "default".to_string()
        } else {
            v.join(",")
        }
    };
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
    // Before the EHLO name, which is long and rarely the point.
    let timeout = if first.is_some_and(|f| f.timeouts.reply != p.timeouts.reply) {
        format!(
            " timeout:{}",
            crate::units::human_duration(p.timeouts.reply)
        )
    } else {
        String::new()
    };
    let mut s = format!(
        "{} {versions} suites:{suites} groups:{} sni:{sni} verify:{}{timeout} ehlo:{}",
        match p.mode {
            crate::plan::TlsMode::Starttls => "STARTTLS",
            crate::plan::TlsMode::Implicit => "implicit-TLS",
        },
        list(&p.tls.groups),
        if p.tls.verify { "strict" } else { "off" },
        p.ehlo
    );
    if let Some(addr) = p.address {
        s.push_str(&format!(" pinned:{addr}"));
    }
    s
}

fn phases(v: &View, a: &crate::session::Attempt) -> Line<'static> {
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
    let durations = a.phase_durations(now);
    let last = durations.len().saturating_sub(1);
    for (i, (p, d)) in durations.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" › ", t.dim()));
        }
        let style = if i == last && a.is_running() {
            t.running()
        } else {
            t.dim()
        };
        spans.push(Span::styled(
            format!("{} {}", p.name(), human_micros(d)),
            style,
        ));
    }
    Line::from(spans)
}

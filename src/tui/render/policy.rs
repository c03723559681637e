//! The routing-policy view: the MX hosts and addresses of the attempt on screen with the
//! DNSSEC state of each RRset, then DANE, MTA-STS and TLS-RPT verdicts and the table of
//! whether each kind of sender would deliver (the report's policy section, line for line).

use crate::tui::app::Mode;
use crate::tui::keymap::{self, Key};
use crate::tui::verbs::Command;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::View;
use super::text::{safe_owned, scrolled};
use crate::session::Attempt;

/// Draw the view; returns how far it can scroll.
pub fn render(f: &mut Frame, v: &View, area: Rect) -> usize {
    let block = v.block(
        &format!(
            "routing policy ({} or {} returns)",
            keymap::name(Mode::Policy, Command::ViewPolicy),
            keymap::name_or(Mode::Policy, Command::Back, Key::Esc)
        ),
        true,
    );
    let lines = match v.attempt() {
        Some(a) => lines(v, a),
        None => vec![Line::raw("no attempt yet")],
    };
    scrolled(f, v.theme, block, area, lines, v.app.policy.top)
}

fn lines(v: &View, a: &Attempt) -> Vec<Line<'static>> {
    let t = v.theme;
    let mut out = Vec::new();
    if let Some((domain, hosts)) = &a.resolution.mx {
        out.push(Line::from(vec![
            Span::styled("MX of ", t.dim()),
            Span::raw(safe_owned(domain)),
            Span::styled(format!("  dnssec {}", state(a, domain, "MX")), t.dim()),
        ]));
        for h in hosts.iter().take(crate::report::caps::ROWS) {
            let addrs: Vec<String> = h.addresses.iter().map(|ip| ip.to_string()).collect();
            out.push(Line::raw(safe_owned(&format!(
                "  {:>5} {}  A {}  AAAA {}  [{}]",
                h.preference,
                h.exchange,
                state(a, &h.exchange, "A"),
                state(a, &h.exchange, "AAAA"),
                if addrs.is_empty() {
                    h.error.clone().unwrap_or_else(|| "no address".into())
                } else {
                    addrs.join(", ")
                }
            ))));
        }
        if let Some(more) = crate::report::caps::more(hosts.len(), crate::report::caps::ROWS) {
            out.push(Line::styled(format!("  {more} MX hosts"), t.dim()));
        }
    } else if let Some(domain) = &a.resolution.implicit_mx {
        out.push(Line::raw(safe_owned(&format!(
            "no MX: {domain} itself is the implicit MX (RFC 5321 §5.1)"
        ))));
    }
    sweep(v, a, &mut out);
    let policy = crate::report::policy::text(a);
    if policy.trim().is_empty() {
        out.push(Line::styled(
            "no routing-policy lookups for this attempt: they run for a mail domain target \
             (not for a host, an address, or with --no-policy)",
            t.dim(),
        ));
    }
    out.extend(
        policy
            .lines()
            .skip_while(|l| l.trim().is_empty())
            .map(|l| Line::raw(safe_owned(l))),
    );
    out
}

/// The sweep's table when the attempt is one of its rows, else how to run one.
fn sweep(v: &View, a: &Attempt, out: &mut Vec<Line<'static>>) {
    let t = v.theme;
    match v.app.sweep().filter(|s| s.shows(a.id)) {
        Some(s) => {
            let text = crate::sweep::text(&s.rows(v.session), &s.domain);
            out.push(Line::raw(""));
            out.extend(text.lines().map(|l| Line::raw(safe_owned(l))));
            if s.running {
                out.push(Line::styled(
                    format!(
                        "  … the sweep is running ({} in the main view stops it)",
                        keymap::name(Mode::Main, Command::Cancel)
                    ),
                    t.dim(),
                ));
            }
        }
        None if a.resolution.mx.is_some() || a.resolution.implicit_mx.is_some() => {
            out.push(Line::styled(
                format!(
                    "{} probes every MX × address above, up to 4 at once, one per address (probe --all)",
                    keymap::name(Mode::Policy, Command::Sweep)
                ),
                t.dim(),
            ));
        }
        None => {}
    }
}

fn state(a: &Attempt, name: &str, rtype: &str) -> &'static str {
    let name = crate::policy::norm(name);
    a.policy
        .dnssec
        .iter()
        .find(|d| d.name == name && d.rtype == rtype)
        .map_or("-", |d| d.dnssec.name())
}

//! The routing-policy view: the MX hosts and addresses of the attempt's domain with the
//! DNSSEC state of each RRset, then DANE, MTA-STS and TLS-RPT verdicts and the table of
//! whether each kind of sender would deliver (the report's policy section, line for line).
//! The policy belongs to the domain: a pinned attempt of a sweep shows the one its domain
//! attempt looked up. Every line wraps under its own indent, and the view scrolls.

use crate::tui::app::Mode;
use crate::tui::keymap::{self, Key};
use crate::tui::verbs::Command;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::View;
use super::text::{safe_owned, scrolled, wrap};
use crate::plan::Target;
use crate::session::{Attempt, Session};

/// Columns before the reason in the report's "would a sender deliver?" rows.
const SENDER_REASON: usize = 27;

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
    let width = usize::from(block.inner(area).width);
    let lines = match v.attempt() {
        Some(a) => lines(v, a, width),
        None => vec![(Line::raw("no attempt yet"), 0)],
    };
    let lines = lines
        .into_iter()
        .flat_map(|(l, hang)| wrap(l, width, hang))
        .collect();
    scrolled(f, v.theme, block, area, lines, v.app.policy.top)
}

/// Whether `a` made routing-policy lookups.
fn looked_up(a: &Attempt) -> bool {
    crate::diagnose::policy::assess(a).is_some()
}

/// The attempt whose lookups stand for `a`'s domain: `a` itself when it made them, else the
/// latest attempt of the session at the same domain that did (a sweep pins its attempts to
/// one address each; the domain attempt before them looked the policy up).
pub fn policy_source<'s>(session: &'s Session, a: &'s Attempt) -> &'s Attempt {
    if looked_up(a) {
        return a;
    }
    let domain = |b: &Attempt| match b.plan.as_ref().map(|p| &p.target) {
        Some(Target::Domain(d)) => Some(crate::policy::norm(d)),
        _ => None,
    };
    let Some(mine) = domain(a) else {
        return a;
    };
    session
        .attempts
        .iter()
        .rev()
        .find(|b| b.id != a.id && domain(b).as_ref() == Some(&mine) && looked_up(b))
        .unwrap_or(a)
}

/// The view's lines, each with the indent its continuation lines take.
fn lines(v: &View, a: &Attempt, width: usize) -> Vec<(Line<'static>, usize)> {
    let t = v.theme;
    let src = policy_source(v.session, a);
    let mut out = Vec::new();
    if src.id != a.id {
        out.push((
            Line::styled(
                format!(
                    "the domain's policy, as attempt #{} looked it up; the verdicts are #{}'s \
                     (pinned to one address)",
                    src.id, a.id
                ),
                t.dim(),
            ),
            2,
        ));
    }
    let res = if a.resolution.mx.is_some() || a.resolution.implicit_mx.is_some() {
        a
    } else {
        src
    };
    if let Some((domain, hosts)) = &res.resolution.mx {
        out.push((
            Line::from(vec![
                Span::styled("MX of ", t.dim()),
                Span::raw(safe_owned(domain)),
                Span::styled(format!("  dnssec {}", state(res, domain, "MX")), t.dim()),
            ]),
            2,
        ));
        for h in hosts.iter().take(crate::report::caps::ROWS) {
            let addrs: Vec<String> = h.addresses.iter().map(|ip| ip.to_string()).collect();
            out.push((
                Line::raw(safe_owned(&format!(
                    "  {:>5} {}  A {}  AAAA {}  [{}]",
                    h.preference,
                    h.exchange,
                    state(res, &h.exchange, "A"),
                    state(res, &h.exchange, "AAAA"),
                    if addrs.is_empty() {
                        h.error.clone().unwrap_or_else(|| "no address".into())
                    } else {
                        addrs.join(", ")
                    }
                ))),
                10,
            ));
        }
        if let Some(more) = crate::report::caps::more(hosts.len(), crate::report::caps::ROWS) {
            out.push((Line::styled(format!("  {more} MX hosts"), t.dim()), 4));
        }
    } else if let Some(domain) = &res.resolution.implicit_mx {
        out.push((
            Line::raw(safe_owned(&format!(
                "no MX: {domain} itself is the implicit MX (RFC 5321 §5.1)"
            ))),
            2,
        ));
    }
    sweep(v, a, res, width, &mut out);
    // The domain's published policy, judged against what THIS attempt saw (its certificate,
    // its TLS): a pinned backend with a stale TLSA or another certificate must not borrow
    // the verdicts of the attempt that looked the policy up.
    let judged = if src.id == a.id {
        crate::report::policy::text(a)
    } else {
        let mut pinned = a.clone();
        pinned.policy = src.policy.clone();
        crate::report::policy::text(&pinned)
    };
    let policy = judged;
    if policy.trim().is_empty() {
        out.push((
            Line::styled(
                "no routing-policy lookups in this session for this target: they run for a mail \
                 domain target (not for a host, an address, or with --no-policy)",
                t.dim(),
            ),
            2,
        ));
    }
    let mut senders = false;
    for l in policy.lines().skip_while(|l| l.trim().is_empty()) {
        if l.starts_with("would a sender deliver?") {
            senders = true;
        }
        let indent = l.len() - l.trim_start().len();
        // Table rows hang under their reason column; a verdict ("DANE: x — why") under its
        // words; anything else two columns in.
        let hang = if senders && indent > 0 {
            SENDER_REASON
        } else if l.trim_start().contains(": ") && indent == 2 {
            indent + 4
        } else {
            indent + 2
        };
        out.push((Line::raw(safe_owned(l)), hang));
    }
    out
}

/// The sweep's table when the attempt is one of its rows, else how to run one.
fn sweep(
    v: &View,
    a: &Attempt,
    res: &Attempt,
    width: usize,
    out: &mut Vec<(Line<'static>, usize)>,
) {
    let t = v.theme;
    match v.app.sweep().filter(|s| s.shows(a.id)) {
        Some(s) => {
            out.push((Line::raw(""), 0));
            out.extend(sweep_table(v, &s.rows(v.session), &s.domain, width));
            if s.running {
                out.push((
                    Line::styled(
                        format!(
                            "  … the sweep is running ({} in the main view stops it)",
                            keymap::name(Mode::Main, Command::Cancel)
                        ),
                        t.dim(),
                    ),
                    4,
                ));
            }
            out.push((Line::raw(""), 0));
        }
        None if res.resolution.mx.is_some() || res.resolution.implicit_mx.is_some() => {
            out.push((
                Line::styled(
                    format!(
                        "{} probes every MX × address above, up to 4 at once, one per address (probe --all)",
                        keymap::name(Mode::Policy, Command::Sweep)
                    ),
                    t.dim(),
                ),
                2,
            ));
        }
        None => {}
    }
}

/// The sweep as a table whose columns are as wide as their widest cell, two spaces apart
/// (`sweep::Table`, as the text report); the detail wraps under its own column, or under the
/// row when the screen is too narrow.
fn sweep_table(
    v: &View,
    rows: &[crate::sweep::Row],
    domain: &str,
    width: usize,
) -> Vec<(Line<'static>, usize)> {
    let t = v.theme;
    let table = crate::sweep::Table::of(rows, domain);
    let mut out = vec![(Line::raw(table.heading.clone()), 2)];
    // Too far right, the detail goes under its row.
    let at = table.detail_at();
    let beside = width >= at + 24;
    let head = &table.head;
    out.push((
        Line::styled(
            if beside {
                table.columns(head) + &head[5]
            } else {
                table.columns(head).trim_end().to_string()
            },
            t.title(),
        ),
        at,
    ));
    for row in &table.cells {
        let cols = table.columns(row);
        if beside {
            out.push((Line::raw(cols + &row[5]), at));
        } else {
            out.push((Line::raw(cols.trim_end().to_string()), 4));
            out.push((Line::styled(format!("    {}", row[5]), t.dim()), 4));
        }
    }
    out
}

fn state(a: &Attempt, name: &str, rtype: &str) -> &'static str {
    let name = crate::policy::norm(name);
    a.policy
        .dnssec
        .iter()
        .find(|d| d.name == name && d.rtype == rtype)
        .map_or("-", |d| d.dnssec.name())
}

//! The server-profile view: what the scans of the attempt on screen found. One row per
//! version (SSL 3.0 to TLS 1.3) with accepted or not and the server's answer, the suites it
//! accepts under it (numbered when the server imposes its order, ✓ when this client can
//! negotiate them), the groups, what this client has in common with the server, the verdict,
//! what was not scanned yet, and the legacy probes apart: those are one ClientHello and its
//! answer, not a handshake. Long lines wrap under their second column; the view scrolls.

use crate::tui::app::Mode;
use crate::tui::keymap::{self, Key};
use crate::tui::verbs::Command;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::View;
use super::text::{self, safe_owned, scrolled};
use crate::plan::TlsMode;
use crate::profile::kind::LEGACY_NOTE;
use crate::profile::merge::missing;
use crate::scan::{Profile, ScanVersion};
use crate::tui::derived::ScanView;

/// Draw the view; returns how far it can scroll.
pub fn render(f: &mut Frame, v: &View, area: Rect) -> usize {
    let scan = v.derived.scan.as_ref();
    let back = keymap::name_or(Mode::Profile, Command::Cancel, Key::Esc);
    let room = usize::from(area.width).saturating_sub(4);
    let title = match scan.and_then(|s| s.merged.as_ref().map(|p| (s.from, p))) {
        Some((from, p)) => {
            let what = format!("server profile of {}", safe_owned(&p.target));
            let at = format!(
                " ({}, {})",
                p.address.map_or_else(|| "-".into(), |a| a.to_string()),
                match p.mode {
                    TlsMode::Starttls => "STARTTLS",
                    TlsMode::Implicit => "implicit TLS",
                }
            );
            let scans = format!(" · scans of attempt #{from}");
            let count = format!(
                " · {}",
                crate::report::units::plural(u64::from(p.connections), "connection")
            );
            let back = format!(" ({back} returns)");
            // The least important part goes first when the title does not fit.
            [
                format!("{what}{at}{scans}{count}{back}"),
                format!("{what}{at}{scans}{back}"),
                format!("{what}{at}{back}"),
                format!("{what}{back}"),
            ]
            .into_iter()
            .find(|t| t.chars().count() <= room)
            .unwrap_or_else(|| format!("{what}{back}"))
        }
        None => format!("server profile ({back} returns)"),
    };
    let block = v.block(&title, true);
    let inner = block.inner(area);
    let mut lines = match scan {
        Some(s) => lines(v, s, usize::from(inner.width)),
        None => Vec::new(),
    };
    if scan.is_none_or(|s| s.merged.is_none()) {
        lines.insert(0, Line::raw(""));
        lines.insert(0, hint(v));
    }
    let width = usize::from(inner.width);
    let lines = lines
        .into_iter()
        .flat_map(|l| {
            let hang = hang(&l, width);
            text::wrap(l, width, hang)
        })
        .collect();
    scrolled(f, v.theme, block, area, lines, v.app.profile.top)
}

/// Where a wrapped line's continuation starts: under its second column ("  TLS 1.2   yes …",
/// "  postfix         yes …"), else two columns past its indent.
fn hang(l: &Line, width: usize) -> usize {
    let text = l.to_string();
    let indent = text.len() - text.trim_start().len();
    let column = text[indent..]
        .find("  ")
        .map(|i| indent + i)
        .and_then(|gap| {
            text[gap..]
                .find(|c: char| c != ' ')
                .map(|j| text[..gap + j].chars().count())
        });
    match column {
        Some(c) if c <= width / 2 => c,
        _ => indent + 2,
    }
}

fn hint(v: &View) -> Line<'static> {
    let t = v.theme;
    let k = |s: &'static str| Span::styled(s, t.key());
    Line::from(vec![
        Span::raw("no scan yet: "),
        k("w"),
        Span::raw(" scans the part the diagnosis points to, "),
        k("W"),
        Span::raw(" the full profile, "),
        k("E"),
        Span::raw(" each real MTA's hello; "),
        k("0"),
        Span::raw("/"),
        k("1"),
        Span::raw(" probe TLS 1.0/1.1, "),
        k("L"),
        Span::raw(" one legacy suite"),
    ])
}

fn lines(v: &View, s: &ScanView, width: usize) -> Vec<Line<'static>> {
    let t = v.theme;
    let mut out = Vec::new();
    if let Some(p) = &s.merged {
        profile_lines(v, p, width, &mut out);
    }
    if !s.legacy.is_empty() {
        out.push(Line::styled(
            format!("legacy probes — {LEGACY_NOTE}"),
            t.title(),
        ));
        for r in &s.legacy {
            let (answer, ok) = match (&r.profile.stopped, r.profile.versions.first()) {
                (Some(why), _) => (format!("stopped: {}", safe_owned(why)), false),
                (None, Some(v)) => (safe_owned(&v.answer), v.accepted),
                (None, None) => ("no answer".into(), false),
            };
            let what = r.kind.probe_words();
            out.push(Line::from(vec![
                Span::raw(format!("  {what} → ")),
                Span::styled(
                    format!("{} {answer}", if ok { "accepted:" } else { "refused:" }),
                    if ok { t.good() } else { t.bad() },
                ),
            ]));
        }
    }
    out
}

/// `text` in lines of at most `width` characters, broken at spaces where it can be.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(20);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out
}

fn profile_lines(v: &View, p: &Profile, width: usize, out: &mut Vec<Line<'static>>) {
    let t = v.theme;
    if let Some(why) = &p.stopped {
        out.push(Line::styled(
            format!("scan stopped: {}", safe_owned(why)),
            t.bad(),
        ));
    }
    out.push(Line::styled(
        format!(
            "  {:<8}  {:<10}the server's answer to the first ClientHello",
            "version", "accepted"
        ),
        t.title(),
    ));
    for sv in ScanVersion::ALL {
        let Some(r) = p.versions.iter().find(|r| r.version == sv) else {
            out.push(Line::styled(
                format!("  {:<8}  {:<10}not probed", sv.words(), "—"),
                t.dim(),
            ));
            continue;
        };
        let (yes, style) = if r.accepted {
            ("yes", t.good())
        } else {
            ("no", t.bad())
        };
        let order = match (r.accepted, r.complete, r.server_order) {
            (false, _, _) => String::new(),
            (true, false, _) => "  (version probe: suites seen in passing)".into(),
            (true, true, Some(true)) => {
                format!("  {} suites, server's order", r.cipher_suites.len())
            }
            (true, true, Some(false)) => {
                format!("  {} suites, client's order", r.cipher_suites.len())
            }
            (true, true, None) => format!("  {} suite(s)", r.cipher_suites.len()),
        };
        out.push(Line::from(vec![
            Span::raw(format!("  {:<8}  ", sv.words())),
            Span::styled(format!("{yes:<10}"), style),
            Span::raw(safe_owned(&r.answer)),
            Span::styled(order, t.dim()),
        ]));
        for (i, suite) in r.cipher_suites.iter().enumerate() {
            let rank = if r.server_order == Some(true) {
                format!("{:>2}.", i + 1)
            } else {
                "  ·".into()
            };
            let ours = p.overlap.cipher_suites.contains(suite);
            out.push(Line::from(vec![
                Span::styled(format!("           {rank} "), t.dim()),
                Span::raw(safe_owned(suite)),
                Span::styled(if ours { "  ✓" } else { "" }, t.good()),
            ]));
        }
        if let Some((words, weak)) = r.dhe_words() {
            let style = if weak { t.bad() } else { t.dim() };
            out.push(Line::styled(format!("           {words}"), style));
        }
    }
    out.push(Line::styled("groups", t.title()));
    if p.groups.is_empty() {
        let modern = p
            .versions
            .iter()
            .any(|v| v.accepted && v.version.is_modern());
        let probed = [ScanVersion::Tls12, ScanVersion::Tls13]
            .iter()
            .all(|n| p.versions.iter().any(|v| v.version == *n));
        let why = if !modern && probed {
            "  none: groups are scanned for TLS 1.2 and 1.3, and the server accepts neither"
        } else {
            "  not scanned"
        };
        out.push(Line::styled(why, t.dim()));
    }
    for g in &p.groups {
        out.push(Line::raw(format!(
            "  {:<8}  {}",
            g.version.words(),
            safe_owned(&g.words())
        )));
    }
    let o = &p.overlap;
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            safe_owned(&v.join(", "))
        }
    };
    out.push(Line::styled(
        "in common with this client (rustls: TLS 1.2 + 1.3, ECDHE with AEAD; ✓ above)",
        t.title(),
    ));
    out.push(Line::raw(format!("  versions: {}", list(&o.versions))));
    out.push(Line::raw(format!("  suites:   {}", list(&o.cipher_suites))));
    out.push(Line::raw(format!("  groups:   {}", list(&o.groups))));
    let style = if o.negotiable { t.good() } else { t.bad() };
    for (i, part) in wrap(&safe_owned(&p.verdict), width.saturating_sub(9))
        .into_iter()
        .enumerate()
    {
        let head = if i == 0 { "verdict: " } else { "         " };
        out.push(Line::from(vec![
            Span::styled(head, t.title()),
            Span::styled(part, style),
        ]));
    }
    if !p.senders.is_empty() {
        sender_lines(v, p, out);
    }
    let gaps = missing(p);
    if !gaps.is_empty() {
        out.push(Line::styled(
            format!("partial scan: {} (W scans everything)", gaps.join("; ")),
            t.warn(),
        ));
    }
}

/// One row per sender profile (`E`): accepted or not, and what the server chose or how it
/// refused.
fn sender_lines(v: &View, p: &Profile, out: &mut Vec<Line<'static>>) {
    let t = v.theme;
    out.push(Line::styled(
        format!(
            "senders — each real MTA's default ClientHello ({} runs it again)",
            keymap::name(Mode::Profile, Command::ScanSenders)
        ),
        t.title(),
    ));
    for s in &p.senders {
        let (yes, style) = if s.accepted {
            ("yes", t.good())
        } else {
            ("no", t.bad())
        };
        let chosen = match (&s.version, &s.cipher_suite) {
            (Some(ver), Some(suite)) if s.accepted => {
                let group = s
                    .group
                    .as_deref()
                    .map(|g| format!(" {g}"))
                    .unwrap_or_default();
                format!("{ver} {suite}{group}")
            }
            _ => s.blocked.clone().unwrap_or_else(|| s.answer.clone()),
        };
        out.push(Line::from(vec![
            Span::raw(format!("  {:<16}", safe_owned(&s.name))),
            Span::styled(format!("{yes:<5}"), style),
            Span::raw(safe_owned(&chosen)),
            Span::styled(format!("  ({} byte hello)", s.hello_bytes), t.dim()),
        ]));
    }
    let verdict = crate::scan::senders::verdict(&p.senders, None);
    out.push(Line::raw(format!("  {}", safe_owned(&verdict))));
}

//! The certificates view: the verification verdict, the name check explained, and every
//! field captured for each certificate of the chain the server sent. `Tab` marks one
//! certificate (the one `y` copies). Every value is the server's text, escaped.

use crate::tui::app::Mode;
use crate::tui::keymap;
use crate::tui::verbs::Command;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::View;
use super::text::{safe_owned, scrolled, wrap};
use crate::cert::{CertInfo, CertProblem};
use crate::diagnose::evidence::bytes;
use crate::policy::wildcard::host_matches;
use crate::tui::theme::Theme;

/// Draw the view; returns how far it can scroll.
pub fn render(f: &mut Frame, v: &View, area: Rect) -> usize {
    let t = v.theme;
    let block = v.block(
        &format!(
            "certificates ({} marks one, {} copies it; {} returns)",
            keymap::name(Mode::Certificates, Command::NextCert),
            keymap::name(Mode::Certificates, Command::Copy),
            keymap::names_of(
                Mode::Certificates,
                &[Command::ViewCertificates, Command::Back]
            ),
        ),
        true,
    );
    let width = usize::from(block.inner(area).width);
    let Some(a) = v.attempt() else {
        f.render_widget(block, area);
        return 0;
    };
    let mut lines = Vec::new();
    match &a.verdict {
        None => lines.push(Line::styled(
            "no certificate received in this attempt",
            t.dim(),
        )),
        Some(verdict) => {
            let (word, style) = if verdict.ok {
                ("verified", t.good())
            } else {
                ("NOT verified", t.bad())
            };
            lines.push(Line::from(vec![
                Span::styled(format!("verification: {word}"), style),
                Span::raw(format!(" — {}", safe_owned(&verdict.detail))),
            ]));
            if let Some(p) = &a.plan
                && !p.tls.verify
            {
                lines.push(Line::styled(
                    "verification was OFF for this attempt: the handshake went on anyway",
                    t.warn(),
                ));
            }
            lines.extend(name_check(
                t,
                verdict.name_checked.as_deref(),
                a.certificates.first(),
                verdict.problem.as_ref(),
            ));
        }
    }
    for (i, c) in a.certificates.iter().enumerate() {
        lines.push(Line::raw(""));
        let role = match (i, c.is_ca) {
            (0, _) => "leaf",
            (_, true) => "CA",
            _ => "intermediate",
        };
        let marked = i == v.app.certs.cert.min(a.certificates.len().saturating_sub(1));
        let head = Line::styled(
            format!("{} #{i} {role}", if marked { "▶" } else { " " }),
            t.title(),
        );
        lines.push(if marked {
            head.patch_style(t.selected())
        } else {
            head
        });
        cert_lines(t, c, &mut lines);
    }
    let lines = lines.into_iter().flat_map(|l| wrap(l, width, 16)).collect();
    scrolled(f, t, block, area, lines, v.app.certs.top)
}

fn field(t: Theme, name: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:>14}: "), t.dim()),
        Span::raw(safe_owned(&value)),
    ])
}

fn cert_lines(t: Theme, c: &CertInfo, out: &mut Vec<Line<'static>>) {
    out.push(field(t, "subject", c.subject.clone()));
    out.push(field(t, "issuer", c.issuer.clone()));
    out.push(field(t, "names (SAN)", c.sans.join(", ")));
    out.push(field(t, "not before", c.not_before.clone()));
    out.push(field(t, "not after", c.not_after.clone()));
    out.push(field(t, "key", c.key.clone()));
    out.push(field(t, "signature", c.signature_algorithm.clone()));
    out.push(field(t, "serial", c.serial.clone()));
    out.push(field(t, "SHA-256", c.sha256.clone()));
    out.push(field(t, "size", format!("{} B (DER)", bytes(c.der_len))));
    let flags: Vec<&str> = [(c.is_ca, "CA"), (c.self_signed, "self-signed")]
        .iter()
        .filter_map(|(on, w)| on.then_some(*w))
        .collect();
    if !flags.is_empty() {
        out.push(field(t, "flags", flags.join(", ")));
    }
}

fn name_check(
    t: Theme,
    checked: Option<&str>,
    leaf: Option<&CertInfo>,
    problem: Option<&CertProblem>,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(name) = checked else {
        out.push(Line::styled(
            "no name was checked (no SNI name, IP target)",
            t.dim(),
        ));
        return out;
    };
    let sans = leaf.map(|l| l.sans.clone()).unwrap_or_default();
    out.push(field(t, "name checked", name.to_string()));
    out.push(field(t, "leaf names", sans.join(", ")));
    let hit = sans.iter().find(|s| host_matches(s, name));
    let words = match (hit, problem) {
        (_, Some(CertProblem::NameMismatch { looked_for, names })) => format!(
            "no match: {looked_for} is not among {} — the server presents a certificate for another name",
            names.join(", ")
        ),
        (Some(s), _) if s.starts_with("*.") => {
            format!("{name} matches the wildcard {s} (one label)")
        }
        (Some(s), _) => format!("{name} matches {s} exactly"),
        (None, _) => format!("{name} is not among the leaf's names"),
    };
    out.push(field(t, "name match", words));
    out
}

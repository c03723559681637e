//! The diagnosis of the attempt on screen: cause and phase, the summary, the next steps with
//! their keys, the evidence lines quoted from the wire, and what the scans of the server found
//! (cited as evidence next to `diagnose()`'s own, which never runs a scan).

use crate::diagnose::Cause;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::View;
use super::text::{safe_owned, scrolled, wrap};
use crate::tui::app::Mode;
use crate::tui::keymap::key_for;
use crate::tui::verbs::command_for_retry;

/// Draw the diagnosis, wrapped to the panel (the cause first, never cut); returns how far it
/// can scroll.
pub fn render(f: &mut Frame, v: &View, area: Rect, focused: bool) -> usize {
    let block = v.block("diagnosis", focused);
    let width = usize::from(block.inner(area).width);
    let lines: Vec<Line<'static>> = lines(v)
        .into_iter()
        .flat_map(|(l, hang, _)| wrap(l, width, hang))
        .collect();
    scrolled(f, v.theme, block, area, lines, v.app.main.diagnosis_top)
}

/// Rows the diagnosis needs at `width` before its evidence: the cause and summary, the
/// case, the next steps and the investigate key.
pub fn wanted(v: &View, width: usize) -> usize {
    lines(v)
        .into_iter()
        .take_while(|(_, _, evidence)| !evidence)
        .map(|(l, hang, _)| wrap(l, width, hang).len())
        .sum()
}

/// The diagnosis' lines with the indent their continuation lines take, and whether each is
/// evidence (what may scroll below the panel's edge).
fn lines(v: &View) -> Vec<(Line<'static>, usize, bool)> {
    let t = v.theme;
    let Some(d) = &v.derived.diagnosis else {
        return Vec::new();
    };
    let plan = v.attempt().and_then(|a| a.plan.as_ref());
    let cause_style = if d.cause == Cause::Running {
        t.running()
    } else if d.ok && d.cause == Cause::Ok {
        t.good()
    } else {
        t.bad()
    };
    let mut lines = vec![(
        Line::from(vec![
            Span::styled(d.cause.code(), cause_style),
            Span::styled(format!("  (phase {})  ", d.phase.name()), t.dim()),
            Span::raw(safe_owned(&d.summary)),
        ]),
        2,
        false,
    )];
    // What the attempts and scans so far add up to, when it says more than this attempt.
    if let Some(c) = v
        .derived
        .case
        .as_ref()
        // Shown when it adds something: a conclusion of its own, or what confirms this one.
        .filter(|c| {
            if c.cause == d.cause {
                c.confirmed
            } else {
                c.cause != Cause::Ok
            }
        })
    {
        // A case that agrees with this attempt only adds what backs it.
        let words = match &c.words.attempt {
            Some(own) if c.cause == d.cause && *own == d.summary => {
                c.words.added.clone().unwrap_or_default()
            }
            _ => c.summary.clone(),
        };
        lines.push((
            Line::from(vec![
                Span::styled("  case: ", t.dim()),
                Span::styled(
                    c.cause.code(),
                    if c.cause == Cause::Ok {
                        t.good()
                    } else {
                        t.bad()
                    },
                ),
                Span::styled(
                    if c.confirmed {
                        " (confirmed) "
                    } else {
                        " (suspected) "
                    },
                    t.dim(),
                ),
                Span::raw(safe_owned(&words)),
            ]),
            8,
            false,
        ));
    }
    // The next steps come before the evidence: they carry the keys, and the panel is short.
    for (i, s) in d.next_steps.iter().enumerate() {
        let key = s
            .retry
            .as_ref()
            .and_then(|r| command_for_retry(r, plan))
            .and_then(|c| key_for(Mode::Main, c))
            .filter(|_| !v.app.options.read_only);
        let mut spans = vec![Span::styled(
            if i == 0 { "  next: " } else { "        " },
            t.dim(),
        )];
        match key {
            Some(k) => {
                spans.push(Span::raw("press "));
                spans.push(Span::styled(k.label(), t.key()));
                spans.push(Span::raw(format!(" to {}", safe_owned(&s.text))));
            }
            None => spans.push(Span::raw(safe_owned(&s.text))),
        }
        lines.push((Line::from(spans), 8, false));
    }
    if let Some(inv) = v.app.investigation() {
        lines.push((
            Line::from(vec![
                Span::styled("        investigating: ", t.dim()),
                Span::raw(format!("step {}, ", inv.steps)),
                Span::styled(
                    crate::tui::keymap::name(Mode::Main, crate::tui::verbs::Command::Cancel),
                    t.key(),
                ),
                Span::raw(" stops"),
            ]),
            8,
            false,
        ));
    } else if v.derived.investigable && !v.app.options.read_only {
        lines.push((
            Line::from(vec![
                Span::styled("        ", t.dim()),
                Span::raw("press "),
                Span::styled(
                    crate::tui::keymap::name(Mode::Main, crate::tui::verbs::Command::Investigate),
                    t.key(),
                ),
                Span::raw(format!(
                    " to investigate: run these experiments by themselves (at most {} connections)",
                    crate::runs::investigate::MAX_CONNECTIONS
                )),
            ]),
            8,
            false,
        ));
    }
    for e in &d.evidence {
        lines.push((
            Line::from(vec![
                Span::styled("  · ", t.dim()),
                Span::raw(safe_owned(e)),
            ]),
            4,
            true,
        ));
    }
    for e in v.derived.scan.iter().flat_map(|s| &s.evidence) {
        lines.push((
            Line::from(vec![
                Span::styled("  · ", t.dim()),
                Span::styled(safe_owned(e), t.warn()),
            ]),
            4,
            true,
        ));
    }
    lines
}

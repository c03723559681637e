//! The diagnosis of the attempt on screen: cause and phase, the summary, the next steps with
//! their keys, the evidence lines quoted from the wire, and what the scans of the server found
//! (cited as evidence next to `diagnose()`'s own, which never runs a scan).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::View;
use crate::tui::app::Mode;
use crate::tui::command::command_for_retry;
use crate::tui::keymap::key_for;

pub fn render(f: &mut Frame, v: &View, area: Rect, focused: bool) {
    let t = v.theme;
    let block = v.block("diagnosis", focused);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(d) = &v.derived.diagnosis else {
        return;
    };
    let plan = v.attempt().and_then(|a| a.plan.as_ref());
    let cause_style = if d.cause == "running" {
        t.running()
    } else if d.ok && d.cause == "ok" {
        t.good()
    } else {
        t.bad()
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(d.cause, cause_style),
        Span::styled(format!("  (phase {})  ", d.phase.name()), t.dim()),
        Span::raw(d.summary.clone()),
    ])];
    // The next steps come before the evidence: they carry the keys, and the panel is short.
    for (i, s) in d.next_steps.iter().enumerate() {
        let key = s
            .retry
            .as_ref()
            .and_then(|r| command_for_retry(r, plan))
            .and_then(|c| key_for(Mode::Main, c))
            .filter(|_| !v.app.read_only);
        let mut spans = vec![Span::styled(
            if i == 0 { "  next: " } else { "        " },
            t.dim(),
        )];
        match key {
            Some(k) => {
                spans.push(Span::raw("press "));
                spans.push(Span::styled(k.label(), t.key()));
                spans.push(Span::raw(format!(" to {}", s.text)));
            }
            None => spans.push(Span::raw(s.text.clone())),
        }
        lines.push(Line::from(spans));
    }
    for e in &d.evidence {
        lines.push(Line::from(vec![
            Span::styled("  · ", t.dim()),
            Span::raw(e.clone()),
        ]));
    }
    for e in v.derived.scan.iter().flat_map(|s| &s.evidence) {
        lines.push(Line::from(vec![
            Span::styled("  · ", t.dim()),
            Span::styled(e.clone(), t.warn()),
        ]));
    }
    let top = u16::try_from(v.app.diagnosis_top).unwrap_or(u16::MAX);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((top, 0)),
        inner,
    );
}

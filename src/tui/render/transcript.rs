//! The SMTP transcript: client and server lines with their times, coloured by direction and
//! reply class, lines inside TLS marked, long replies folded. Only the visible rows are
//! built, and long lines are cut to the panel's width (marked `…`, the rest a sideways scroll
//! away) before they become spans, so a 100,000-line reply costs no more than a short one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::safe_owned;
use super::{View, clip, window};
use crate::diagnose::evidence::bytes;
use crate::tui::derived::Row;
use crate::units::{human_micros, plural};
use crate::wire::Dir;

pub fn render(f: &mut Frame, v: &View, area: Rect, focused: bool) {
    let t = v.theme;
    let rows = &v.derived.rows;
    let title = format!(
        "SMTP transcript ({}{})",
        plural(v.attempt().map_or(0, |a| a.transcript.len()) as u64, "line"),
        if v.app.main.transcript_top.is_some() {
            ", scrolled"
        } else {
            ""
        }
    );
    let block = v.block(&title, focused);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(a) = v.attempt() else {
        return;
    };
    let height = usize::from(inner.height);
    let top = v
        .app
        .main
        .transcript_top
        .unwrap_or(rows.len().saturating_sub(height));
    let width = usize::from(inner.width);
    let mut lines = Vec::with_capacity(height);
    for row in &rows[window(top, rows.len(), height)] {
        match *row {
            Row::Line(i) => {
                let Some(l) = a.transcript.get(i) else {
                    continue;
                };
                let (who, style) = match l.dir {
                    Dir::Client => ("C ", t.client()),
                    Dir::Server => ("S ", t.reply(&l.line)),
                };
                let mut spans = vec![
                    Span::styled(format!("{:>9} ", human_micros(l.at_us)), t.dim()),
                    Span::styled(if l.tls { "tls " } else { "    " }, t.tls()),
                    Span::styled(who, t.dir(l.dir)),
                ];
                let room = width.saturating_sub(16);
                // Cut before escaping: a 1 MB line costs no more than a short one.
                let shown = clip_from(&l.line, v.app.main.left, room);
                // Longer than the panel: it ends `…` (→ scrolls sideways to the rest).
                let more = clip_from(&l.line, v.app.main.left, room + 1).len() > shown.len();
                let shown = if more {
                    format!(
                        "{}…",
                        safe_owned(clip(shown, room.saturating_sub(1))).replace('\t', " ")
                    )
                } else {
                    safe_owned(shown).replace('\t', " ")
                };
                spans.push(Span::styled(shown, style));
                if l.truncated {
                    spans.push(Span::styled(" [cut]", t.bad()));
                }
                lines.push(Line::from(spans));
            }
            Row::Fold { hidden, .. } => lines.push(Line::styled(
                format!(
                    "{:>14}⋯ {} more lines of this reply (f unfolds)",
                    "",
                    bytes(hidden)
                ),
                t.dim(),
            )),
        }
    }
    if let Some((n, preview)) = &a.injected
        && lines.len() < height
    {
        lines.push(Line::styled(
            format!(
                "  ! {n} plaintext bytes injected after 220: {}",
                safe_owned(clip(preview, 60))
            ),
            t.bad(),
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// At most `max` characters of `s` from character `from` on (a slice, never a copy).
fn clip_from(s: &str, from: usize, max: usize) -> &str {
    let start = s.char_indices().nth(from).map_or(s.len(), |(i, _)| i);
    clip(&s[start..], max)
}

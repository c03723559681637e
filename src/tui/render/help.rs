//! The key help, generated from `keymap::TABLE` for the view it was opened from — the same
//! rows the keys run, so it cannot go stale.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{View, centered, window};
use crate::tui::keymap;

pub fn render(f: &mut Frame, v: &View, body: Rect) {
    let t = v.theme;
    let mode = v.app.back;
    let rows = keymap::help(mode);
    let area = centered(body, 86, u16::try_from(rows.len() + 4).unwrap_or(u16::MAX));
    let block = v.block(
        &format!("keys — {} view (Esc or ? closes)", mode.name()),
        true,
    );
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let mut lines: Vec<Line> = rows
        .iter()
        .map(|(keys, help)| {
            Line::from(vec![
                Span::styled(format!("{keys:>14}  "), t.key()),
                Span::raw(*help),
            ])
        })
        .collect();
    lines.push(Line::styled(
        "in lists, j/k/g/G move; in the main view k and g change the plan",
        t.dim(),
    ));
    let h = usize::from(inner.height);
    let range = window(v.app.help_top, lines.len(), h);
    let shown: Vec<Line> = lines.drain(range).collect();
    f.render_widget(Paragraph::new(shown), inner);
}

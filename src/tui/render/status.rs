//! The status line: what just happened (a new attempt, an export's file names, an error),
//! a paused step waiting for `space`, a running scan's progress, and the way to the help.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::View;

pub fn render(f: &mut Frame, v: &View, area: Rect) {
    let t = v.theme;
    let paused = v.attempt().and_then(|a| a.paused.as_ref());
    let left = match paused {
        Some(before) => Line::from(vec![
            Span::styled(format!("⏸ paused before {before}: "), t.running()),
            Span::styled("space", t.key()),
            Span::raw(" continues, "),
            Span::styled("n", t.key()),
            Span::raw(" leaves step mode"),
        ]),
        None => match &v.app.scanning {
            Some(s) => {
                let bar = s
                    .progress
                    .as_ref()
                    .map_or_else(|| "scanning".to_string(), crate::scan::text::progress_line);
                Line::from(vec![
                    Span::styled(format!("{} · {} ", bar.trim_end(), s.what), t.running()),
                    Span::styled("Esc", t.key()),
                    Span::raw(" cancels"),
                ])
            }
            None => Line::raw(v.app.status.clone()),
        },
    };
    let right = Line::from(vec![
        Span::styled(format!("{} ", v.app.mode.name()), t.dim()),
        Span::styled("?", t.key()),
        Span::raw(" help "),
        Span::styled("q", t.key()),
        Span::raw(" quit"),
    ]);
    let [l, r] = Layout::horizontal([Constraint::Min(10), Constraint::Length(30)]).areas(area);
    f.render_widget(Paragraph::new(left), l);
    f.render_widget(Paragraph::new(right).right_aligned(), r);
}

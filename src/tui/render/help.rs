//! The key help, generated from `keymap::TABLE` for the view it was opened from — the same
//! rows the keys run, so it cannot go stale.

use crate::tui::app::Mode;
use crate::tui::keymap::Key;
use crate::tui::verbs::Command;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Clear;

use super::text::scrolled;
use super::{View, centered};
use crate::tui::keymap;

/// Draw the help over `body`; returns how far it can scroll.
pub fn render(f: &mut Frame, v: &View, body: Rect) -> usize {
    let t = v.theme;
    let mode = v.app.back;
    let replay = v.app.options.read_only;
    let groups: Vec<_> = keymap::help_groups(mode)
        .into_iter()
        .filter(|(g, _)| !(replay && g.is_live()))
        .collect();
    let rows: usize = groups.iter().map(|(_, r)| r.len() + 1).sum();
    let area = centered(body, 86, u16::try_from(rows + 5).unwrap_or(u16::MAX));
    let block = v.block(
        &format!(
            "keys — {} view ({}, {} or {} closes)",
            mode.name(),
            keymap::name_or(Mode::Help, Command::Back, Key::Esc),
            keymap::name_or(Mode::Help, Command::Back, Key::Char('q')),
            keymap::name(Mode::Help, Command::Help)
        ),
        true,
    );
    f.render_widget(Clear, area);
    let mut lines: Vec<Line<'static>> = Vec::new();
    if replay {
        lines.push(Line::styled(
            "a replayed recording: no new attempts, scans or runs (they need tlsdive TARGET, or replay --live)",
            t.warn(),
        ));
    }
    for (group, rows) in &groups {
        lines.push(Line::styled(group.title(), t.title()));
        lines.extend(rows.iter().map(|(keys, help)| {
            Line::from(vec![
                Span::styled(format!("{keys:>14}  "), t.key()),
                Span::raw(*help),
            ])
        }));
    }
    lines.push(Line::styled(
        format!(
            "{}/{} move and {}/{} jump in every view; {} and {} close what is open",
            keymap::name_or(Mode::Main, Command::Down, Key::Char('j')),
            keymap::name_or(Mode::Main, Command::Up, Key::Char('k')),
            keymap::name(Mode::Main, Command::Top),
            keymap::name(Mode::Main, Command::Bottom),
            keymap::name_or(Mode::Help, Command::Back, Key::Char('q')),
            keymap::name_or(Mode::Help, Command::Back, Key::Esc),
        ),
        t.dim(),
    ));
    scrolled(f, t, block, area, lines, v.app.help.top)
}

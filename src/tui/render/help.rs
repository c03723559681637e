//! The key help, generated from `keymap::TABLE` for the view it was opened from — the same
//! rows the keys run, so it cannot go stale — wrapped to the terminal and scrolled, under
//! the last status message in full.

use crate::tui::app::Mode;
use crate::tui::keymap::Key;
use crate::tui::verbs::Command;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Clear;

use super::text::{safe_owned, scrolled, wrap};
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
    // As wide as its longest row where it can be; narrower, the rows wrap under their
    // words (never cut) and the help scrolls.
    let width = body.width.min(86);
    let inner = usize::from(width.saturating_sub(2));
    let mut lines: Vec<Line<'static>> = Vec::new();
    // The last message whole: a status line too long for its two rows ends `… ? shows all`.
    if !v.app.status.is_empty() {
        lines.push(Line::styled("last message", t.title()));
        lines.extend(wrap(
            Line::raw(format!("  {}", safe_owned(&v.app.status))),
            inner,
            2,
        ));
    }
    if replay {
        lines.extend(wrap(
            Line::styled(
                "a replayed recording: no new attempts, scans or runs (they need tlsdive TARGET, or replay --live)",
                t.warn(),
            ),
            inner,
            0,
        ));
    }
    for (group, rows) in &groups {
        lines.push(Line::styled(group.title(), t.title()));
        for (keys, help) in rows {
            lines.extend(wrap(
                Line::from(vec![
                    Span::styled(format!("{keys:>14}  "), t.key()),
                    Span::raw(*help),
                ]),
                inner,
                16,
            ));
        }
    }
    lines.extend(wrap(
        Line::styled(
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
        ),
        inner,
        0,
    ));
    let area = centered(
        body,
        width,
        u16::try_from(lines.len() + 2).unwrap_or(u16::MAX),
    );
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
    scrolled(f, t, block, area, lines, v.app.help.top)
}

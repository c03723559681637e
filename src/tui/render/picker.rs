//! Overlays that ask for a choice: the multi-select suite and group pickers, the address and
//! scenario pickers, and the one-line editor for SNI and EHLO names.

use crate::tui::app::Mode;
use crate::tui::keymap;
use crate::tui::verbs::Command;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::text::safe_owned;
use super::{View, centered};
use crate::tui::app::EditKind;

pub fn render(f: &mut Frame, v: &View, body: Rect) {
    if let Some(e) = &v.app.editor {
        let t = v.theme;
        let area = centered(body, 70, 5);
        let keys = format!(
            "{} retries, {} cancels",
            keymap::name(Mode::Edit, Command::Confirm),
            keymap::name(Mode::Edit, Command::Back)
        );
        let title = match e.kind {
            EditKind::Sni => format!("SNI name (empty: automatic; {keys})"),
            EditKind::Ehlo => format!("EHLO name ({keys})"),
        };
        let block = v.block(&title, true);
        let inner = block.inner(area);
        f.render_widget(Clear, area);
        f.render_widget(block, area);
        // The cursor is kept on a character boundary; were it not, it shows at the end.
        let (before, after) = match (e.text.get(..e.cursor), e.text.get(e.cursor..)) {
            (Some(b), Some(a)) => (b, a),
            _ => (e.text.as_str(), ""),
        };
        let line = Line::from(vec![
            Span::raw(safe_owned(before)),
            Span::styled("▏", t.key()),
            Span::raw(safe_owned(after)),
        ]);
        f.render_widget(Paragraph::new(vec![Line::raw(""), line]), inner);
        return;
    }
    let Some(p) = &v.app.picker else {
        return;
    };
    let t = v.theme;
    let head = usize::from(p.header.is_some());
    let h = u16::try_from(p.items.len() + 2 + head).unwrap_or(u16::MAX);
    let area = centered(body, 110, h);
    let block = v.block(&p.title, true);
    let mut inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    if let Some(header) = &p.header {
        f.render_widget(
            Paragraph::new(Line::styled(format!("    {header}"), t.title())),
            inner,
        );
        inner.y += 1;
        inner.height = inner.height.saturating_sub(1);
    }
    let height = usize::from(inner.height).max(1);
    let top = (p.cursor + 1).saturating_sub(height);
    let lines: Vec<Line> = p
        .items
        .iter()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(i, item)| {
            let mark = match (p.multi, item.checked) {
                (true, true) => "[x] ",
                (true, false) => "[ ] ",
                (false, _) => "    ",
            };
            let line = Line::from(vec![Span::raw(mark), Span::raw(safe_owned(&item.label))]);
            if i == p.cursor {
                line.patch_style(t.selected())
            } else {
                line
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

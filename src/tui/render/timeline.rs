//! The TLS handshake timeline: one row per record with its direction, time, delta to the
//! previous row, size and decoded message names; alerts in red; how the connection ended as
//! the last row. The selected row's fields are shown by `detail`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{View, clip};
use crate::diagnose::evidence::{bytes, message_words, ms};
use crate::event::ConnectionEnd;
use crate::session::TimelineRow;
use crate::tui::theme::Theme;
use crate::wire::{Dir, MessageInfo};

/// The index of the selected row of a timeline of `len` rows.
pub fn selected(v: &View, len: usize) -> Option<usize> {
    let last = len.checked_sub(1)?;
    Some(v.app.timeline_row.unwrap_or(last).min(last))
}

pub fn render(f: &mut Frame, v: &View, area: Rect, focused: bool) {
    let rows = v.attempt().map(|a| a.timeline.as_slice()).unwrap_or(&[]);
    let block = v.block(
        &format!("TLS handshake timeline ({} rows)", rows.len()),
        focused,
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    let height = usize::from(inner.height);
    let Some(sel) = selected(v, rows.len()) else {
        f.render_widget(
            Paragraph::new(Line::styled("no TLS records yet", v.theme.dim())),
            inner,
        );
        return;
    };
    let top = (sel + 1).saturating_sub(height);
    let end = (top + height).min(rows.len());
    let width = usize::from(inner.width);
    let lines: Vec<Line> = (top..end)
        .map(|i| {
            let prev = i.checked_sub(1).map(|p| rows[p].at_us());
            let line = row_line(v.theme, i, &rows[i], prev, width);
            if i == sel {
                line.patch_style(v.theme.selected())
            } else {
                line
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// Words for one row (used by the timeline, the comparison and the export).
pub fn row_words(row: &TimelineRow) -> String {
    match row {
        TimelineRow::Record { record, .. } if record.messages.is_empty() => {
            format!("{} record", record.content_type)
        }
        TimelineRow::Record { record, .. } => record
            .messages
            .iter()
            .map(message_words)
            .collect::<Vec<_>>()
            .join(" + "),
        TimelineRow::Ended { how, .. } => end_words(*how).to_string(),
    }
}

pub fn end_words(how: ConnectionEnd) -> &'static str {
    match how {
        ConnectionEnd::Fin => "FIN: the server closed the connection",
        ConnectionEnd::Rst => "RST: the connection was reset",
        ConnectionEnd::Timeout => "timeout: we gave up waiting",
        ConnectionEnd::ClosedByUs => "closed by us",
    }
}

pub fn arrow(dir: Dir) -> &'static str {
    match dir {
        Dir::Client => "C→S",
        Dir::Server => "S→C",
    }
}

fn row_line(
    t: Theme,
    i: usize,
    row: &TimelineRow,
    prev: Option<u64>,
    width: usize,
) -> Line<'static> {
    let at = row.at_us();
    let delta = prev
        .map(|p| format!("+{}", ms(at.saturating_sub(p))))
        .unwrap_or_default();
    let head = format!("{:>4} {:>9} {:>10} ", i + 1, ms(at), delta);
    let (dir, size, style) = match row {
        TimelineRow::Record { dir, record, .. } => {
            let alert = record
                .messages
                .iter()
                .any(|m| matches!(m, MessageInfo::Alert(_)));
            let style = if alert {
                t.bad()
            } else if record.encrypted {
                t.dim()
            } else {
                Style::new()
            };
            (
                arrow(*dir),
                format!("{:>7} B ", bytes(record.length)),
                style,
            )
        }
        TimelineRow::Ended { how, .. } => {
            let style = match how {
                ConnectionEnd::ClosedByUs => t.dim(),
                _ => t.bad(),
            };
            ("■■■", "          ".to_string(), style)
        }
    };
    let words = row_words(row);
    let room = width.saturating_sub(head.len() + 4 + size.len());
    Line::from(vec![
        Span::styled(head, t.dim()),
        Span::styled(format!("{dir} "), style),
        Span::styled(size, t.dim()),
        Span::styled(clip(&words, room).to_string(), style),
    ])
}

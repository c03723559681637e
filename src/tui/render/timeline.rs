//! The TLS handshake timeline: one row per record with its direction, time, delta to the
//! previous row, size and decoded message names; alerts in red; how the connection ended as
//! the last row. The selected row's fields are shown by `detail`; a row too long for the
//! panel ends `…` (the words that ended the handshake wrap instead).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::{safe_owned, wrap};
use super::{View, clip};
use crate::diagnose::evidence::{bytes, decrypted_label, is_trouble, message_words};
use crate::event::ConnectionEnd;
use crate::session::TimelineRow;
use crate::tui::theme::Theme;
use crate::units::{human_micros, plural};
use crate::wire::{Dir, MessageInfo};

/// The row shown when the user has not moved the selection: the first ClientHello we sent
/// (where a handshake story starts), else the first row.
pub fn first_hello(rows: &[TimelineRow]) -> Option<usize> {
    let hello = rows.iter().position(|r| {
        matches!(r, TimelineRow::Record { dir: Dir::Client, record, .. }
            if record.messages.iter().any(|m| matches!(m, MessageInfo::ClientHello(_))))
    });
    hello.or_else(|| (!rows.is_empty()).then_some(0))
}

/// The index of the selected row: the user's choice, clamped, else the first ClientHello.
pub fn selected(row: Option<usize>, rows: &[TimelineRow]) -> Option<usize> {
    let last = rows.len().checked_sub(1)?;
    match row {
        Some(i) => Some(i.min(last)),
        None => first_hello(rows),
    }
}

/// Which columns fit, most important first: the record's words (never dropped), direction,
/// time, size, delta to the previous row, row number.
#[derive(Debug, Clone, Copy)]
struct Columns {
    time: bool,
    size: bool,
    delta: bool,
    index: bool,
}

impl Columns {
    const WORDS: usize = 22;

    fn fit(width: usize) -> Columns {
        let mut room = width.saturating_sub(4 + Self::WORDS);
        let mut take = |w: usize| {
            let ok = room >= w;
            if ok {
                room -= w;
            }
            ok
        };
        let time = take(10);
        let size = take(10);
        let delta = take(11);
        let index = take(5);
        Columns {
            time,
            size,
            delta,
            index,
        }
    }
}

pub fn render(f: &mut Frame, v: &View, area: Rect, focused: bool) {
    let a = v.attempt();
    let rows = a.map(|a| a.timeline.as_slice()).unwrap_or(&[]);
    let block = v.block(
        &format!(
            "TLS handshake timeline ({})",
            plural(rows.len() as u64, "row")
        ),
        focused,
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    let height = usize::from(inner.height);
    let Some(sel) = selected(v.app.main.timeline_row, rows) else {
        if let Some(lines) = a.and_then(|a| hello_preview(v, a, usize::from(inner.width))) {
            f.render_widget(Paragraph::new(lines), inner);
            return;
        }
        let words = match a.and_then(|a| a.finished.as_ref()) {
            Some((_, phase, _)) => format!(
                "no TLS records: the attempt ended in the {} phase, before TLS",
                phase.name()
            ),
            None => "no TLS records yet".into(),
        };
        f.render_widget(
            Paragraph::new(Line::styled(words, v.theme.dim()))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    };
    let width = usize::from(inner.width);
    let cols = Columns::fit(width);
    // Every row's lines (an alert or the connection's end wraps rather than lose words),
    // then the window of lines that ends with the selected row.
    // Only rows that can be on screen: each takes at least one line.
    let from = (sel + 1).saturating_sub(height);
    let to = (sel + height).min(rows.len());
    let mut lines: Vec<(usize, Line)> = Vec::new();
    for (i, row) in rows.iter().enumerate().take(to).skip(from) {
        let prev = i.checked_sub(1).map(|p| rows[p].at_us());
        for line in row_lines(v.theme, cols, i, row, prev, width, v.app.main.left) {
            let line = if i == sel {
                line.patch_style(v.theme.selected())
            } else {
                line
            };
            lines.push((i, line));
        }
    }
    let last_of_sel = lines.iter().rposition(|(i, _)| *i == sel).unwrap_or(0);
    let top = (last_of_sel + 1).saturating_sub(height);
    let lines: Vec<Line> = lines
        .into_iter()
        .skip(top)
        .take(height)
        .map(|(_, l)| l)
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// Words for one row (used by the timeline, the comparison and the export).
pub fn row_words(row: &TimelineRow) -> String {
    let words = row_words_once(row);
    match row {
        TimelineRow::Record { record, .. } if record.repeated > 0 => {
            format!("{words} ×{}", u64::from(record.repeated) + 1)
        }
        _ => words,
    }
}

fn row_words_once(row: &TimelineRow) -> String {
    match row {
        TimelineRow::Record { record, .. } if record.messages.is_empty() => {
            format!("{} record", record.content_type)
        }
        TimelineRow::Record { record, .. } => format!(
            "{}{}",
            decrypted_label(record),
            record
                .messages
                .iter()
                .map(message_words)
                .collect::<Vec<_>>()
                .join(" + ")
        ),
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

fn row_lines(
    t: Theme,
    cols: Columns,
    i: usize,
    row: &TimelineRow,
    prev: Option<u64>,
    width: usize,
    left: usize,
) -> Vec<Line<'static>> {
    let at = row.at_us();
    let mut head = String::new();
    if cols.index {
        head.push_str(&format!("{:>4} ", i + 1));
    }
    if cols.time {
        head.push_str(&format!("{:>9} ", human_micros(at)));
    }
    if cols.delta {
        let delta = prev
            .map(|p| format!("+{}", human_micros(at.saturating_sub(p))))
            .unwrap_or_default();
        head.push_str(&format!("{delta:>10} "));
    }
    let (dir, size, style, cause) = match row {
        TimelineRow::Record { dir, record, .. } => {
            let alert = record.messages.iter().any(is_trouble);
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
                alert,
            )
        }
        TimelineRow::Ended { how, .. } => {
            let style = match how {
                ConnectionEnd::ClosedByUs => t.dim(),
                _ => t.bad(),
            };
            (
                "■■■",
                " ".repeat(10),
                style,
                *how != ConnectionEnd::ClosedByUs,
            )
        }
    };
    let size = if cols.size { size } else { String::new() };
    let words = safe_owned(&row_words(row));
    let shifted: String = words.chars().skip(left).collect();
    let lead = head.chars().count() + 4 + size.chars().count();
    let room = width.saturating_sub(lead).max(1);
    // What ended the handshake is never cut: an alert or a FIN/RST/timeout row wraps.
    let keep_whole = cause && shifted.chars().count() > room;
    let first = if keep_whole {
        wrap(Line::raw(shifted.clone()), room, 0)
    } else if shifted.chars().count() > room {
        // Cut visibly: the rest is in the row panel below, or a sideways scroll away.
        vec![Line::raw(format!(
            "{}…",
            clip(&shifted, room.saturating_sub(1))
        ))]
    } else {
        vec![Line::raw(shifted)]
    };
    first
        .into_iter()
        .enumerate()
        .map(|(n, part)| {
            let text = part.to_string();
            if n == 0 {
                Line::from(vec![
                    Span::styled(head.clone(), t.dim()),
                    Span::styled(format!("{dir} "), style),
                    Span::styled(size.clone(), t.dim()),
                    Span::styled(text, style),
                ])
            } else {
                Line::from(vec![Span::raw(" ".repeat(lead)), Span::styled(text, style)])
            }
        })
        .collect()
}

/// Step mode, paused before the ClientHello: the hello rustls prepared, to be shown.
pub fn pending_hello(a: &crate::session::Attempt) -> Option<&crate::wire::ClientHelloInfo> {
    a.hello_preview
        .as_deref()
        .filter(|_| a.paused.as_deref() == Some("ClientHello") && a.timeline.is_empty())
}

/// What will be sent, as rustls wrote it: the short fields (the row panel below lists the
/// suites and extensions).
fn hello_preview(
    v: &View,
    a: &crate::session::Attempt,
    width: usize,
) -> Option<Vec<Line<'static>>> {
    let hello = pending_hello(a)?;
    let t = v.theme;
    let mut lines = vec![Line::from(vec![
        Span::styled("ClientHello about to be sent — ", t.running()),
        Span::styled(
            crate::tui::keymap::name(
                crate::tui::app::Mode::Main,
                crate::tui::verbs::Command::Step,
            ),
            t.key(),
        ),
        Span::styled(" sends it", t.running()),
    ])];
    lines.extend(
        super::detail::hello_preview(t, hello)
            .0
            .into_iter()
            .flat_map(|l| wrap(l, width, 14)),
    );
    Some(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ConnectionEnd;

    /// The timeline's times are `units`' words: 9,960 µs reads "10 ms" here as in the text
    /// report (the panel's own formatter said "10.0 ms").
    #[test]
    fn times_read_as_the_report_writes_them() {
        let cols = Columns {
            time: true,
            size: false,
            delta: true,
            index: false,
        };
        let row = TimelineRow::Ended {
            at_us: 9_960,
            how: ConnectionEnd::Fin,
        };
        let lines = row_lines(Theme::new(false), cols, 0, &row, Some(0), 80, 0);
        let text: String = lines.iter().map(|l| l.to_string()).collect();
        assert!(text.contains("    10 ms "), "{text}");
        assert!(text.contains("+10 ms"), "{text}");
        assert!(!text.contains("10.0 ms"), "{text}");
    }
}

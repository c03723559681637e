//! Draws the live triage table: the progress (queued / probing / done and a bar), one row
//! per destination with the MTA's error and tlsdive's verdict side by side, the selected
//! row in full below, and the keys. Everything from the input or a server is escaped.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table as TableWidget};

use super::text::{safe_owned, wrap};
use crate::report::units::plural;
use crate::triage::summary::thousands;
use crate::tui::theme::Theme;
use crate::tui::triage_table::{State, Table};

/// Rows of the detail box under the table (borders included).
const DETAIL: u16 = 6;

/// The table's visible rows for a terminal of `area` (for the page keys).
pub fn page_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(DETAIL + 2 + 2 + 3)).max(1)
}

pub fn render(f: &mut Frame, t: &Table, area: Rect) {
    let theme = Theme::new(t.color);
    let [head, bar, list, detail, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Length(DETAIL),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(headline(t, theme)), head);
    f.render_widget(Paragraph::new(progress(t, usize::from(bar.width))), bar);
    table(f, t, theme, list);
    details(f, t, theme, detail);
    f.render_widget(Paragraph::new(safe_owned(&t.status)), status);
    let k = |s: &'static str| Span::styled(s, theme.key());
    f.render_widget(
        Paragraph::new(Line::from(vec![
            k("↑/↓ j/k"),
            Span::raw(" select  "),
            k("PgUp/PgDn Home/End"),
            Span::raw(" move  "),
            k("Enter"),
            Span::raw(" open in the interactive view (q there returns here)  "),
            k("q"),
            Span::raw(" quit and print the summary"),
        ])),
        keys,
    );
}

fn headline(t: &Table, theme: Theme) -> Line<'static> {
    let (queued, probing, done) = t.counts();
    let mut spans = vec![
        Span::styled("tlsdive triage", theme.title()),
        Span::raw(format!(
            " · {} destinations: {} done, {} probing, {} queued",
            thousands(t.rows.len() as u64),
            thousands(done as u64),
            thousands(probing as u64),
            thousands(queued as u64)
        )),
    ];
    match &t.input {
        Some(s) => {
            let mut words = format!(" · input read: {} lines", thousands(s.lines));
            if s.garbage > 0 {
                words.push_str(&format!(", {} not understood", thousands(s.garbage)));
            }
            if s.other_shards > 0 {
                words.push_str(&format!(
                    ", {} destinations left to other shards",
                    thousands(s.other_shards)
                ));
            }
            spans.push(Span::raw(words));
        }
        None => spans.push(Span::styled(" · reading the input", theme.running())),
    }
    if t.finished {
        spans.push(Span::styled(" · finished", theme.good()));
    }
    Line::from(spans)
}

/// `[██████░░░░] 6/10 done`: readable without colour.
fn progress(t: &Table, width: usize) -> String {
    let (_, _, done) = t.counts();
    let total = t.rows.len();
    let label = format!(
        " {}/{} done",
        thousands(done as u64),
        thousands(total as u64)
    );
    let room = width.saturating_sub(label.chars().count() + 2).max(4);
    let filled = (done * room).checked_div(total).unwrap_or(0);
    format!(
        "[{}{}]{label}",
        "█".repeat(filled),
        "░".repeat(room - filled)
    )
}

fn table(f: &mut Frame, t: &Table, theme: Theme, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(" destinations ", theme.title()));
    let inner = block.inner(area);
    let height = usize::from(inner.height.saturating_sub(1)).max(1);
    let top = t.cursor.saturating_sub(height - 1);
    let mut rows = Vec::new();
    for (i, r) in t.rows.iter().enumerate().skip(top).take(height) {
        let state_style = match r.state {
            State::Queued => theme.dim(),
            State::Probing => theme.running(),
            State::Done => theme.plain(),
        };
        let (cause, cause_style) = match &r.cause {
            Some(c) if c.is_ok() => (c.to_string(), theme.good()),
            Some(c) => (c.to_string(), theme.bad()),
            None => (String::new(), theme.plain()),
        };
        // The marker shows the selection without colour too.
        let mark = if i == t.cursor { "›" } else { " " };
        let row = Row::new(vec![
            Cell::from(mark),
            Cell::from(Line::styled(r.state.word(), state_style)),
            Cell::from(safe_owned(&r.destination.key)),
            Cell::from(r.seen.log_lines.to_string()),
            Cell::from(r.seen.recipient_domains.to_string()),
            Cell::from(Line::styled(safe_owned(&cause), cause_style)),
            Cell::from(safe_owned(r.seen.mta_error.as_deref().unwrap_or("-"))),
            Cell::from(safe_owned(r.summary.as_deref().unwrap_or(""))),
        ]);
        rows.push(if i == t.cursor {
            row.style(theme.selected())
        } else {
            row
        });
    }
    let header = Row::new([
        "",
        "state",
        "destination",
        "lines",
        "rcpts",
        "tlsdive: cause",
        "MTA says",
        "tlsdive says",
    ])
    .style(theme.title());
    let widths = [
        Constraint::Length(1),
        Constraint::Length(7),
        Constraint::Length(24),
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Length(20),
        Constraint::Percentage(40),
        Constraint::Percentage(60),
    ];
    f.render_widget(block, area);
    f.render_widget(TableWidget::new(rows, widths).header(header), inner);
}

/// The selected destination in full: its relay, the MTA's error and tlsdive's verdict.
fn details(f: &mut Frame, t: &Table, theme: Theme, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(false))
        .title(Line::styled(" selected ", theme.title()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(r) = t.selected() else {
        f.render_widget(Paragraph::new("no destination yet"), inner);
        return;
    };
    let width = usize::from(inner.width);
    let label = |s: &str| Span::styled(format!("{s:<15}"), theme.title());
    let mut dest = safe_owned(&r.destination.key);
    if let Some(h) = &r.destination.relay_host {
        dest.push_str(&format!(" ({})", safe_owned(h)));
    }
    dest.push_str(&format!(
        " · {} · {} · {}",
        r.state.word(),
        plural(r.seen.log_lines, "log line"),
        plural(r.seen.recipient_domains as u64, "recipient domain")
    ));
    let verdict = match (&r.cause, &r.summary) {
        (Some(c), Some(s)) => format!("{c}: {s}"),
        _ => format!("not yet ({})", r.state.word()),
    };
    let mut lines = vec![Line::from(vec![label("destination"), Span::raw(dest)])];
    lines.extend(wrap(
        Line::from(vec![
            label("MTA says"),
            Span::raw(safe_owned(r.seen.mta_error.as_deref().unwrap_or("-"))),
        ]),
        width,
        15,
    ));
    lines.extend(wrap(
        Line::from(vec![label("tlsdive says"), Span::raw(safe_owned(&verdict))]),
        width,
        15,
    ));
    lines.truncate(usize::from(inner.height));
    f.render_widget(Paragraph::new(lines), inner);
}

//! The repeat view: one plan run again and again. A strip with one cell per attempt (`✓`
//! worked, `✗` failed, `…` running: readable without colour), the counts per cause and per
//! address, what tells the attempts apart and the conclusion (`repeat::words::facts`) — the
//! conclusion first, wrapped, so a small terminal never loses it — then the attempts one per
//! row, the latest in view, scrolled by the list keys with the position shown.

use crate::diagnose::Cause;
use crate::tui::app::Mode;
use crate::tui::keymap;
use crate::tui::verbs::Command;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::View;
use super::text::{safe_owned, wrap};
use crate::repeat::{Observed, words};
use crate::tui::repeat::{End, Repeating};
use crate::units::human_micros;

/// Columns of the labels on the left.
const LABEL: usize = 12;
/// Rows of strip at most; longer repeats show their latest attempts.
const STRIP_ROWS: usize = 3;

/// Draw the view; returns how many attempt rows its table shows (the scroll keys' page).
pub fn render(f: &mut Frame, v: &View, area: Rect) -> usize {
    let Some(r) = v.app.repeat() else {
        let block = v.block(&format!("repeat ({} returns)", back()), true);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let lines = wrap(hint(v), usize::from(inner.width), 2);
        f.render_widget(Paragraph::new(lines), inner);
        return 0;
    };
    let block = v.block(&title(r, usize::from(area.width).saturating_sub(4)), true);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = usize::from(inner.width);
    let lines = facts(v, r, width);
    // The table keeps its position line, its header and three rows; the facts above it come
    // in order of importance, the conclusion first, and what does not fit says so.
    let room = usize::from(inner.height).saturating_sub(5).max(1);
    let lines = fit(v, lines, room);
    let top_h = u16::try_from(lines.len()).unwrap_or(0);
    let [top, list] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Min(0)]).areas(inner);
    f.render_widget(Paragraph::new(lines), top);
    table(f, v, r, list)
}

/// The facts, most important first: the conclusion, the strip, the counts, what differs,
/// the plan (the header shows it too).
fn facts(v: &View, r: &Repeating, width: usize) -> Vec<Line<'static>> {
    let labelled = |label: &str, text: &str| {
        let line = Line::from(vec![
            Span::styled(format!("{label:<LABEL$}"), v.theme.title()),
            Span::raw(safe_owned(text)),
        ]);
        wrap(line, width, LABEL)
    };
    let facts = v
        .derived
        .repeat
        .as_ref()
        .map(words::facts)
        .unwrap_or_default();
    let mut lines = Vec::new();
    for (label, text) in facts.iter().filter(|(l, _)| *l == "conclusion") {
        lines.extend(labelled(label, text));
    }
    lines.extend(strip(v, r, width));
    for (label, text) in facts.iter().filter(|(l, _)| *l != "conclusion") {
        lines.extend(labelled(label, text));
    }
    lines.extend(labelled("plan", &r.plan.tls_summary()));
    lines
}

/// `lines` within `room` rows: the last ones give way to a line saying how many did not fit.
fn fit(v: &View, mut lines: Vec<Line<'static>>, room: usize) -> Vec<Line<'static>> {
    if lines.len() > room {
        let hidden = lines.len() + 1 - room;
        lines.truncate(room - 1);
        lines.push(Line::styled(
            format!(
                "{:LABEL$}… {} more below: a taller terminal shows them",
                "",
                crate::units::plural(hidden as u64, "line")
            ),
            v.theme.dim(),
        ));
    }
    lines
}

/// The title, its parts by priority: progress, state, the way back, then the interval.
fn title(r: &Repeating, room: usize) -> String {
    let again = keymap::name(Mode::Repeat, Command::Repeat);
    let state = match r.ended {
        None => format!(
            "running ({} stops)",
            keymap::names_of(
                Mode::Repeat,
                &[
                    Command::Repeat,
                    Command::RepeatUntilStopped,
                    Command::Cancel
                ]
            )
        ),
        Some(End::Done) => format!("done ({again} runs it again)"),
        Some(End::Stopped) => format!("stopped ({again} runs it again)"),
        Some(End::Replaced) => "stopped by a new attempt".to_string(),
    };
    let apart = format!("{} apart", crate::report::units::human_duration(r.interval));
    let parts = [
        format!("repeat {}", r.progress()),
        apart,
        state,
        format!("{} returns", back()),
    ];
    // Drop the interval first, then the state's hint in parentheses.
    let full = parts.join(" · ");
    if full.chars().count() <= room {
        return full;
    }
    let short = [&parts[0][..], &parts[2][..], &parts[3][..]].join(" · ");
    if short.chars().count() <= room {
        return short;
    }
    let state = parts[2].split(" (").next().unwrap_or_default();
    [&parts[0][..], state, &parts[3][..]].join(" · ")
}

/// The keys that leave the repeat view: "O or q".
fn back() -> String {
    keymap::names_of(Mode::Repeat, &[Command::ViewRepeat, Command::Back])
}

fn hint(v: &View) -> Line<'static> {
    let k = |s: &'static str| Span::styled(s, v.theme.key());
    Line::from(vec![
        Span::raw("no repeat yet: "),
        k("R"),
        Span::raw(" runs the current plan again N times, "),
        k("U"),
        Span::raw(" until stopped; the strip shows each attempt"),
    ])
}

/// The strip: one cell per finished attempt in order, then `…` for the one running.
fn strip(v: &View, r: &Repeating, width: usize) -> Vec<Line<'static>> {
    let t = v.theme;
    let done = v
        .derived
        .repeat
        .as_ref()
        .map_or(&[][..], |s| &s.sequence[..]);
    let running = r.pending
        || r.ids
            .last()
            .and_then(|id| v.session.attempt(*id))
            .is_some_and(|a| a.is_running());
    let room = width.saturating_sub(LABEL).max(8) * STRIP_ROWS;
    let total = done.len() + usize::from(running);
    let skip = total.saturating_sub(room);
    let mut cells: Vec<Span<'static>> = Vec::new();
    for cause in done.iter().skip(skip) {
        cells.push(if *cause == Cause::Ok {
            Span::styled("✓", t.good())
        } else {
            Span::styled("✗", t.bad())
        });
    }
    if running {
        cells.push(Span::styled("…", t.running()));
    }
    let per_row = width.saturating_sub(LABEL).max(8);
    let mut out = Vec::new();
    for (i, chunk) in cells.chunks(per_row).enumerate() {
        let label = match (i, skip) {
            (0, 0) => "attempts".to_string(),
            (0, n) => format!("+{n} before"),
            _ => String::new(),
        };
        let mut spans = vec![Span::styled(format!("{label:<LABEL$}"), t.title())];
        spans.extend(chunk.iter().cloned());
        out.push(Line::from(spans));
    }
    if out.is_empty() {
        out.push(Line::from(vec![
            Span::styled(format!("{:<LABEL$}", "attempts"), t.title()),
            Span::styled("none finished yet", t.dim()),
        ]));
    }
    out.push(Line::from(vec![
        Span::raw(" ".repeat(LABEL)),
        Span::styled("✓ worked  ✗ failed  … running", t.dim()),
    ]));
    out
}

/// The repeat's attempts, the latest in view until the scroll keys move it, with the
/// position above them ("rows 3–8 of 20"). Returns how many rows fit.
fn table(f: &mut Frame, v: &View, r: &Repeating, area: Rect) -> usize {
    let t = v.theme;
    let [pos, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let fit = usize::from(list.height.saturating_sub(1)).max(1);
    let len = r.ids.len();
    let last = len.saturating_sub(fit);
    let top = v.app.repeat_rows.unwrap_or(last).min(last);
    let shown = &r.ids[top..(top + fit).min(len)];
    if len > fit {
        let k = |c| keymap::name(Mode::Repeat, c);
        let keys = format!(
            "{}{} {} {}",
            k(Command::Up),
            k(Command::Down),
            k(Command::PageUp),
            k(Command::PageDown)
        );
        f.render_widget(
            Paragraph::new(Line::styled(
                format!(
                    "rows {}–{} of {len}  ({keys} scroll)",
                    top + 1,
                    top + shown.len()
                ),
                t.dim(),
            ))
            .right_aligned(),
            pos,
        );
    }
    let mut rows = Vec::new();
    let mut widths = [1usize, 7, 7, 19, 4];
    for id in shown {
        let Some(a) = v.session.attempt(*id) else {
            continue;
        };
        let (outcome, style) = if a.is_running() {
            ("running".to_string(), t.running())
        } else {
            let o = Observed::of(a);
            let style = if o.cause == Cause::Ok {
                t.good()
            } else {
                t.bad()
            };
            (o.cause.to_string(), style)
        };
        let address = a.peer.map(|p| p.to_string()).unwrap_or_else(|| "-".into());
        let cert = a
            .certificates
            .first()
            .map(|c| safe_owned(&words::short_fingerprint(&c.sha256)))
            .unwrap_or_else(|| "-".into());
        let time = a
            .finished
            .as_ref()
            .map(|f| human_micros(f.2))
            .unwrap_or_else(|| "…".into());
        let outcome = safe_owned(&outcome);
        let id = a.id.to_string();
        for (w, cell) in widths
            .iter_mut()
            .zip([&id, &outcome, &address, &cert, &time])
        {
            *w = (*w).max(cell.chars().count());
        }
        rows.push(Row::new(vec![
            Cell::from(id),
            Cell::from(Line::styled(outcome, style)),
            Cell::from(address),
            Cell::from(cert),
            Cell::from(time),
        ]));
    }
    let header =
        Row::new(["#", "outcome", "address", "certificate SHA-256", "time"]).style(t.title());
    let widths = widths.map(|w| Constraint::Length(u16::try_from(w).unwrap_or(u16::MAX)));
    f.render_widget(
        Table::new(rows, widths).header(header).column_spacing(2),
        list,
    );
    fit
}

//! The repeat view: one plan run again and again. A strip with one cell per attempt (`✓`
//! worked, `✗` failed, `…` running: readable without colour), the counts per cause and per
//! address, what tells the attempts apart and the conclusion (`repeat::words::facts`), then
//! the latest attempts one per row.

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

pub fn render(f: &mut Frame, v: &View, area: Rect) {
    let Some(r) = v.app.repeat() else {
        let block = v.block(&format!("repeat ({} returns)", back()), true);
        let inner = block.inner(area);
        f.render_widget(block, area);
        f.render_widget(Paragraph::new(hint(v)), inner);
        return;
    };
    let block = v.block(&title(r), true);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = usize::from(inner.width);
    let plan = Line::from(vec![
        Span::styled(format!("{:<LABEL$}", "plan"), v.theme.title()),
        Span::raw(safe_owned(&r.plan.tls_summary())),
    ]);
    let mut lines = wrap(plan, width, LABEL);
    lines.extend(strip(v, r, width));
    if let Some(s) = &v.derived.repeat {
        for (label, text) in words::facts(s) {
            let line = Line::from(vec![
                Span::styled(format!("{label:<LABEL$}"), v.theme.title()),
                Span::raw(safe_owned(&text)),
            ]);
            lines.extend(wrap(line, width, LABEL));
        }
    }
    let max_top = usize::from(inner.height) / 2 + 2;
    let top_h = u16::try_from(lines.len().min(max_top)).unwrap_or(0);
    let [top, _, list] = Layout::vertical([
        Constraint::Length(top_h),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    lines.truncate(usize::from(top_h));
    f.render_widget(Paragraph::new(lines), top);
    table(f, v, r, list);
}

fn title(r: &Repeating) -> String {
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
    format!(
        "repeat {} · {} apart · {state} · {} returns",
        r.progress(),
        crate::report::units::human_duration(r.interval),
        back(),
    )
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

/// The latest attempts of the repeat, newest last.
fn table(f: &mut Frame, v: &View, r: &Repeating, area: Rect) {
    let t = v.theme;
    let rows_fit = usize::from(area.height.saturating_sub(1));
    let ids = &r.ids[r.ids.len().saturating_sub(rows_fit)..];
    let mut rows = Vec::new();
    for id in ids {
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
            .map(|c| words::short_fingerprint(&c.sha256))
            .unwrap_or_else(|| "-".into());
        let time = a
            .finished
            .as_ref()
            .map(|f| human_micros(f.2))
            .unwrap_or_else(|| "…".into());
        rows.push(Row::new(vec![
            Cell::from(a.id.to_string()),
            Cell::from(Line::styled(safe_owned(&outcome), style)),
            Cell::from(address),
            Cell::from(safe_owned(&cert)),
            Cell::from(time),
        ]));
    }
    let header =
        Row::new(["#", "outcome", "address", "certificate SHA-256", "time"]).style(t.title());
    let widths = [
        Constraint::Length(5),
        Constraint::Length(30),
        Constraint::Length(26),
        Constraint::Length(20),
        Constraint::Length(9),
    ];
    f.render_widget(Table::new(rows, widths).header(header), area);
}

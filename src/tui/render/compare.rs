//! Two attempts side by side: what differed in their plans, how each ended, and their
//! timelines next to each other with the first row where they part marked.

use crate::tui::app::Mode;
use crate::tui::keymap;
use crate::tui::verbs::Command;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::View;
use super::attempts::plan_changes;
use super::text::safe_owned;
use super::timeline::{arrow, row_words};
use crate::diagnose;
use crate::session::{Attempt, TimelineRow};
use crate::units::human_micros;

/// What a row is, without its time: two timelines "part" at the first row that differs.
fn signature(r: &TimelineRow) -> String {
    match r {
        TimelineRow::Record { dir, .. } => format!("{} {}", arrow(*dir), row_words(r)),
        TimelineRow::Ended { .. } => row_words(r),
    }
}

/// The index of the first row where the two timelines differ (None: identical).
pub fn parting(a: &Attempt, b: &Attempt) -> Option<usize> {
    let n = a.timeline.len().max(b.timeline.len());
    (0..n).find(|&i| a.timeline.get(i).map(signature) != b.timeline.get(i).map(signature))
}

/// Draw the comparison; returns how far its timelines can scroll.
pub fn render(f: &mut Frame, v: &View, area: Rect) -> usize {
    let t = v.theme;
    let pair = v
        .app
        .compare
        .pair
        .and_then(|(x, y)| Some((v.session.attempt(x)?, v.session.attempt(y)?)));
    let Some((a, b)) = pair else {
        f.render_widget(v.block("compare: mark two attempts first", true), area);
        return 0;
    };
    let block = v.block(
        &format!(
            "attempt {} vs attempt {} ({} returns)",
            a.id,
            b.id,
            keymap::names(Mode::Compare, Command::Back)
        ),
        true,
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    let mut top = Vec::new();
    let changes = match (&a.plan, &b.plan) {
        (Some(p), Some(q)) => plan_changes(p, q),
        _ => vec![],
    };
    top.push(Line::styled("plan differences", t.title()));
    if changes.is_empty() {
        top.push(Line::raw("  none: the same plan"));
    }
    for c in &changes {
        top.push(Line::raw(format!("  {}", safe_owned(c))));
    }
    for x in [a, b] {
        let d = diagnose::diagnose(x);
        top.push(Line::from(vec![
            Span::styled(format!("  #{} ", x.id), t.title()),
            Span::styled(d.cause.code(), if d.ok { t.good() } else { t.bad() }),
            Span::raw(format!("  {}", safe_owned(&d.summary))),
        ]));
    }
    let part = parting(a, b);
    top.push(Line::styled(
        match part {
            Some(i) => format!("timelines part at row {}", i + 1),
            None => "timelines are identical".into(),
        },
        t.warn(),
    ));
    let head = u16::try_from(top.len()).unwrap_or(u16::MAX);
    let [upper, lower] =
        Layout::vertical([Constraint::Length(head), Constraint::Min(1)]).areas(inner);
    f.render_widget(Paragraph::new(top), upper);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(lower);
    let longest = a.timeline.len().max(b.timeline.len());
    let max = longest.saturating_sub(usize::from(lower.height));
    for (x, area) in [(a, left), (b, right)] {
        let h = usize::from(area.height);
        let skip = v.app.compare.top.min(max);
        let lines: Vec<Line> = x
            .timeline
            .iter()
            .enumerate()
            .skip(skip)
            .take(h)
            .map(|(i, r)| {
                let style = match part {
                    Some(p) if i == p => t.bad(),
                    Some(p) if i > p => t.dim(),
                    _ => t.plain(),
                };
                Line::styled(
                    format!(
                        "{:>3} {:>9} {}",
                        i + 1,
                        human_micros(r.at_us()),
                        safe_owned(&signature(r))
                    ),
                    style,
                )
            })
            .collect();
        f.render_widget(Paragraph::new(lines), area);
    }
    max
}

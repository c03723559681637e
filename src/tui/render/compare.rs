//! Two attempts side by side: what differed in their plans, how each ended, and their
//! timelines next to each other with the first row where they part marked. Long lines wrap
//! (a timeline row under its own words, the other side waiting for it); the whole view
//! scrolls and says where it stands.

use crate::tui::app::Mode;
use crate::tui::keymap;
use crate::tui::verbs::Command;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::View;
use super::attempts::{plan_changes, short_suites};
use super::text::{safe_owned, scrolled, wrap};
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

/// Draw the comparison; returns how far it can scroll.
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
    let width = usize::from(area.width.saturating_sub(2));
    let mut lines: Vec<Line<'static>> = Vec::new();
    let changes = match (&a.plan, &b.plan) {
        (Some(p), Some(q)) => plan_changes(p, q),
        _ => vec![],
    };
    lines.push(Line::styled("plan differences", t.title()));
    if changes.is_empty() {
        lines.push(Line::raw("  none: the same plan"));
    }
    for c in &changes {
        lines.extend(wrap(Line::raw(format!("  {}", safe_owned(c))), width, 4));
    }
    for x in [a, b] {
        let d = diagnose::diagnose(x);
        let line = Line::from(vec![
            Span::styled(format!("  #{} ", x.id), t.title()),
            Span::styled(d.cause.code(), if d.ok { t.good() } else { t.bad() }),
            Span::raw(format!("  {}", safe_owned(&d.summary))),
        ]);
        lines.extend(wrap(line, width, 4));
    }
    let part = parting(a, b);
    lines.push(Line::styled(
        match part {
            Some(i) => format!("timelines part at row {}", i + 1),
            None => "timelines are identical".into(),
        },
        t.warn(),
    ));
    // Side by side, row against row: a row too long for its half wraps under its words,
    // and the other side waits for it.
    let half = width.saturating_sub(2) / 2;
    let rows = |x: &Attempt, i: usize| -> Vec<Line<'static>> {
        let Some(r) = x.timeline.get(i) else {
            return Vec::new();
        };
        let style = match part {
            Some(p) if i == p => t.bad(),
            Some(p) if i > p => t.dim(),
            _ => t.plain(),
        };
        // A suite name longer than the room for it is read short rather than cut.
        let mut words = safe_owned(&signature(r));
        if words
            .split(' ')
            .any(|w| w.chars().count() > half.saturating_sub(14))
        {
            words = short_suites(&words);
        }
        let line = Line::styled(
            format!("{:>3} {:>9} {words}", i + 1, human_micros(r.at_us())),
            style,
        );
        wrap(line, half, 14)
    };
    for i in 0..a.timeline.len().max(b.timeline.len()) {
        let (l, r) = (rows(a, i), rows(b, i));
        for k in 0..l.len().max(r.len()) {
            let left = l.get(k).cloned().unwrap_or_default();
            let pad = (half + 2).saturating_sub(left.width());
            let mut spans = left.spans;
            spans.push(Span::raw(" ".repeat(pad)));
            if let Some(right) = r.get(k) {
                spans.extend(right.spans.iter().cloned());
            }
            lines.push(Line::from(spans));
        }
    }
    scrolled(f, t, block, area, lines, v.app.compare.top)
}

//! The attempts view: every attempt of the session with what changed from the previous one,
//! its outcome and time. Two marked attempts open the comparison.

use crate::diagnose::Cause;
use crate::tui::app::Mode;
use crate::tui::keymap;
use crate::tui::verbs::Command;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};

use super::View;
use super::text::safe_owned;
use crate::diagnose;
use crate::plan::Plan;
use crate::units::human_micros;

pub fn render(f: &mut Frame, v: &View, area: Rect) {
    let t = v.theme;
    let block = v.block(
        &format!(
            "attempts ({} marks two, {} compares or shows; {} returns)",
            keymap::name(Mode::Attempts, Command::Toggle),
            keymap::name(Mode::Attempts, Command::Confirm),
            keymap::names_of(Mode::Attempts, &[Command::ViewAttempts, Command::Back]),
        ),
        true,
    );
    let header = Row::new([
        "",
        "#",
        "changed from the previous",
        "outcome",
        "negotiated",
        "time",
    ])
    .style(t.title());
    let mut rows = Vec::new();
    let mut prev: Option<&Plan> = None;
    for (i, a) in v.session.attempts.iter().enumerate() {
        let d = diagnose::diagnose(a);
        let changed = match (prev, a.plan.as_ref()) {
            (Some(p), Some(q)) => {
                let c = plan_changes(p, q);
                if c.is_empty() {
                    "same plan".into()
                } else {
                    c.join("; ")
                }
            }
            (None, Some(q)) => q.tls_summary(),
            _ => "?".into(),
        };
        prev = a.plan.as_ref();
        let style = if a.is_running() {
            t.running()
        } else if d.ok && d.cause == Cause::Ok {
            t.good()
        } else {
            t.bad()
        };
        let neg = a
            .negotiated
            .as_ref()
            .map(|n| safe_owned(&format!("{} {}", n.version, n.cipher_suite)))
            .unwrap_or_default();
        let time = a
            .finished
            .as_ref()
            .map(|f| human_micros(f.2))
            .unwrap_or_else(|| "…".into());
        let mark = if v.app.attempts.marked.contains(&a.id) {
            "*"
        } else {
            ""
        };
        let row = Row::new(vec![
            Cell::from(mark),
            Cell::from(a.id.to_string()),
            Cell::from(safe_owned(&changed)),
            Cell::from(Line::styled(d.cause.code(), style)),
            Cell::from(neg),
            Cell::from(time),
        ]);
        rows.push(if i == v.app.attempts.cursor {
            row.style(t.selected())
        } else {
            row
        });
    }
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Length(3),
            Constraint::Fill(3),
            Constraint::Length(28),
            Constraint::Fill(2),
            Constraint::Length(9),
        ],
    )
    .header(header)
    .block(block);
    f.render_widget(table, area);
}

/// What differs between two plans, field by field ("versions: TLSv1.2+1.3 → TLSv1.2").
pub fn plan_changes(a: &Plan, b: &Plan) -> Vec<String> {
    crate::plan::diff::diff(a, b)
        .into_iter()
        .map(|f| format!("{}: {} → {}", f.name(), f.value(a), f.value(b)))
        .collect()
}

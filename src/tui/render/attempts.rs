//! The attempts view: every attempt of the session with what changed from the previous one,
//! its outcome and time. Two marked attempts open the comparison. Long plans wrap inside
//! their column, suites are shortened as read (`ECDHE_ECDSA AES_256_GCM_SHA384`); the table
//! follows the cursor and says where it is ("3/20").

use crate::diagnose::Cause;
use crate::tui::app::Mode;
use crate::tui::keymap;
use crate::tui::verbs::Command;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Text};
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::View;
use super::text::{safe_owned, wrap};
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
    struct Cells {
        id: String,
        changed: String,
        cause: &'static str,
        style: ratatui::style::Style,
        neg: String,
        time: String,
        mark: &'static str,
    }
    let mut cells = Vec::new();
    let mut prev: Option<&Plan> = None;
    for a in &v.session.attempts {
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
            (None, Some(q)) => format!("first: {}", q.tls_summary()),
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
        cells.push(Cells {
            id: a.id.to_string(),
            changed: safe_owned(&changed),
            cause: d.cause.code(),
            style,
            neg: a
                .negotiated
                .as_ref()
                .map(|n| safe_owned(&format!("{} {}", n.version, short_suite(&n.cipher_suite))))
                .unwrap_or_default(),
            time: a
                .finished
                .as_ref()
                .map(|f| human_micros(f.2))
                .unwrap_or_else(|| "…".into()),
            mark: if v.app.attempts.marked.contains(&a.id) {
                "*"
            } else {
                ""
            },
        });
    }
    // Fixed columns as wide as their widest cell; the two long ones share the rest (three
    // parts to two) and wrap inside it, so nothing is cut.
    let w =
        |f: &dyn Fn(&Cells) -> usize, min: usize| cells.iter().map(f).max().unwrap_or(0).max(min);
    let id_w = w(&|c| c.id.len(), 1);
    let cause_w = w(&|c| c.cause.len(), "outcome".len());
    let time_w = w(&|c| c.time.chars().count(), "time".len());
    let inner = usize::from(area.width.saturating_sub(2));
    let spacing = 5;
    let rest = inner.saturating_sub(1 + id_w + cause_w + time_w + spacing);
    // The negotiated column takes its longest cell when that fits in half the rest, else
    // what its longest word needs (a suite's cipher part, whole); the plan changes wrap in
    // what is left.
    let full = cells
        .iter()
        .map(|c| c.neg.chars().count())
        .max()
        .unwrap_or(0);
    let longest = cells
        .iter()
        .flat_map(|c| c.neg.split(' '))
        .map(|w| w.chars().count() + 2)
        .max()
        .unwrap_or(0);
    let neg_w = if full <= rest / 2 {
        full.max(rest * 2 / 5)
    } else {
        longest.clamp(rest * 2 / 5, rest / 2)
    }
    .max(8);
    let changed_w = rest.saturating_sub(neg_w).max(8);
    let mut rows = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let changed = wrap(Line::raw(c.changed.clone()), changed_w, 2);
        let neg = wrap(Line::raw(c.neg.clone()), neg_w, 2);
        let height = changed.len().max(neg.len()).max(1);
        let row = Row::new(vec![
            Cell::from(c.mark),
            Cell::from(c.id.clone()),
            Cell::from(Text::from(changed)),
            Cell::from(Line::styled(c.cause, c.style)),
            Cell::from(Text::from(neg)),
            Cell::from(c.time.clone()),
        ])
        .height(u16::try_from(height).unwrap_or(1));
        rows.push(if i == v.app.attempts.cursor {
            row.style(t.selected())
        } else {
            row
        });
    }
    let n = cells.len();
    let shown = |x: usize| u16::try_from(x).unwrap_or(u16::MAX);
    let block = if n > 0 {
        block.title_bottom(
            Line::styled(
                format!(" {}/{n} ", v.app.attempts.cursor.min(n - 1) + 1),
                t.dim(),
            )
            .right_aligned(),
        )
    } else {
        block
    };
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Length(shown(id_w)),
            Constraint::Length(shown(changed_w)),
            Constraint::Length(shown(cause_w)),
            Constraint::Length(shown(neg_w)),
            Constraint::Length(shown(time_w)),
        ],
    )
    .header(header)
    .block(block);
    // The cursor's row stays in view however many rows there are.
    let mut state = TableState::default().with_selected(Some(v.app.attempts.cursor));
    f.render_stateful_widget(table, area, &mut state);
}

/// A cipher suite as a person reads it next to its version: without the `TLS_`/`TLS13_`
/// prefix, the key exchange and the cipher apart (`ECDHE_ECDSA AES_256_GCM_SHA384`), so a
/// narrow column breaks it between the two, never inside a name.
pub fn short_suite(name: &str) -> String {
    let bare = name
        .strip_prefix("TLS13_")
        .or_else(|| name.strip_prefix("TLS_"))
        .unwrap_or(name);
    bare.replacen("_WITH_", " ", 1)
}

/// `text` with every cipher suite name in it read as [`short_suite`] does, for a column too
/// narrow for the full names (`ServerHello TLSv1.2 ECDHE_ECDSA AES_256_GCM_SHA384 + …`).
pub fn short_suites(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let (name, rest) = w.split_at(w.trim_end_matches([',', ';', ')']).len());
            let suite =
                (name.starts_with("TLS_") && name.contains("_WITH_")) || name.starts_with("TLS13_");
            if suite {
                format!("{}{rest}", short_suite(name))
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What differs between two plans, field by field ("versions: TLSv1.2+1.3 → TLSv1.2").
pub fn plan_changes(a: &Plan, b: &Plan) -> Vec<String> {
    crate::plan::diff::diff(a, b)
        .into_iter()
        .map(|f| format!("{}: {} → {}", f.name(), f.value(a), f.value(b)))
        .collect()
}

//! The two bottom lines. The status line: what just happened (a new attempt, an export's
//! file names, an error), a paused step waiting for `space`, a running scan's progress, a
//! running repeat's latest cells. The footer: the keys that matter now, generated from the
//! keymap — first the keys of the diagnosis' next steps, then the current mode's keys as far
//! as they fit, and always the way to the help and out.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::View;
use super::text::safe_owned;
use crate::tui::app::Mode;
use crate::tui::keymap::{self, Key, Shown};
use crate::tui::verbs::{Command, command_for_retry};

pub fn render(f: &mut Frame, v: &View, area: Rect) {
    let [status, foot] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    f.render_widget(Paragraph::new(status_line(v)), status);
    footer(f, v, foot);
}

fn status_line(v: &View) -> Line<'static> {
    let t = v.theme;
    let paused = v.attempt().and_then(|a| a.paused.as_ref());
    match paused {
        Some(before) => Line::from(vec![
            Span::styled(
                format!("⏸ paused before {}: ", safe_owned(before)),
                t.running(),
            ),
            Span::styled(keymap::name(Mode::Main, Command::Step), t.key()),
            Span::raw(" continues, "),
            Span::styled(keymap::name(Mode::Main, Command::StepMode), t.key()),
            Span::raw(" leaves step mode"),
        ]),
        None => match &v.app.scanning {
            Some(s) => {
                let progress = v
                    .session
                    .attempts
                    .iter()
                    .find(|a| a.id == s.attempt)
                    .and_then(|a| a.scan_running.as_ref())
                    .filter(|r| s.scan == Some(r.scan))
                    .and_then(|r| r.progress.as_ref());
                let bar = progress
                    .map_or_else(|| "scanning".to_string(), crate::scan::text::progress_line);
                Line::from(vec![
                    Span::styled(
                        format!("{} · {} ", bar.trim_end(), safe_owned(&s.what)),
                        t.running(),
                    ),
                    Span::styled(keymap::name(Mode::Main, Command::Cancel), t.key()),
                    Span::raw(" cancels"),
                ])
            }
            None => match repeat_strip(v) {
                Some(mut strip) => {
                    strip.push_span(Span::raw(safe_owned(&v.app.status)));
                    strip
                }
                None => Line::raw(safe_owned(&v.app.status)),
            },
        },
    }
}

/// While a repeat runs, outside its own view: its latest cells (`✓`/`✗`), before the status.
fn repeat_strip(v: &View) -> Option<Line<'static>> {
    let t = v.theme;
    let r = v.app.repeat().filter(|r| r.active())?;
    if v.app.mode == Mode::Repeat {
        return None;
    }
    let seq = v
        .derived
        .repeat
        .as_ref()
        .map_or(&[][..], |s| &s.sequence[..]);
    let mut spans = vec![Span::styled(
        format!("repeat {} ", r.progress()),
        t.running(),
    )];
    for cause in &seq[seq.len().saturating_sub(20)..] {
        spans.push(if *cause == crate::diagnose::Cause::Ok {
            Span::styled("✓", t.good())
        } else {
            Span::styled("✗", t.bad())
        });
    }
    spans.push(Span::raw(" · "));
    Some(Line::from(spans))
}

/// The keys of the diagnosis' next steps, with the footer words of their commands.
pub fn next_step_keys(v: &View) -> Vec<(Key, &'static str)> {
    if v.app.options.read_only || v.app.mode != Mode::Main {
        return Vec::new();
    }
    let plan = v.attempt().and_then(|a| a.plan.as_ref());
    let Some(d) = &v.derived.diagnosis else {
        return Vec::new();
    };
    let mut out: Vec<(Key, &'static str)> = Vec::new();
    for s in &d.next_steps {
        let Some(cmd) = s.retry.as_ref().and_then(|r| command_for_retry(r, plan)) else {
            continue;
        };
        let Some(b) = keymap::TABLE
            .iter()
            .find(|b| b.command == cmd && b.modes.contains(&Mode::Main))
        else {
            continue;
        };
        let Some(key) = keymap::key_for(Mode::Main, cmd) else {
            continue;
        };
        let words = if b.short.is_empty() { b.help } else { b.short };
        if !out.iter().any(|(k, _)| *k == key) {
            out.push((key, words));
        }
    }
    out
}

fn footer(f: &mut Frame, v: &View, area: Rect) {
    let t = v.theme;
    let mode = v.app.mode;
    let rows = keymap::footer(mode);
    // The way out and the help go right, where they always are.
    let mut right = vec![Span::styled(format!("{} ", mode.name()), t.dim())];
    for row in rows.iter().filter(|r| r.exit) {
        right.push(Span::styled(row.label(), t.key()));
        right.push(Span::raw(format!(" {} ", row.short)));
    }
    let right = Line::from(right);
    let room = usize::from(area.width).saturating_sub(right.width() + 1);
    let mut left: Vec<Span> = Vec::new();
    let mut used = 0;
    let mut push = |spans: Vec<Span<'static>>, left: &mut Vec<Span<'static>>| {
        let w: usize = spans.iter().map(Span::width).sum();
        if used + w > room {
            return false;
        }
        used += w;
        left.extend(spans);
        true
    };
    let next = next_step_keys(v);
    if !next.is_empty() {
        push(vec![Span::styled("next: ", t.warn())], &mut left);
        for (k, words) in &next {
            push(
                vec![
                    Span::styled(k.label(), t.key()),
                    Span::styled(format!(" {words}  "), t.warn()),
                ],
                &mut left,
            );
        }
    }
    let multi = v.app.picker.as_ref().is_some_and(|p| p.multi);
    // A replay offers only what it can do: no key that would start network work.
    let replay = v.app.options.read_only;
    let shown = |r: &keymap::FooterKey| {
        !r.exit
            && (!replay || keymap::works_in_replay(r.command))
            && match r.shown {
                Shown::Always => true,
                Shown::Demo => v.app.options.demo,
                Shown::MultiPick => multi,
                Shown::Stepping => v.app.options.step_mode,
                Shown::Asking => v.app.asking.is_some(),
            }
    };
    for row in rows.iter().filter(|r| shown(r)) {
        if next.iter().any(|(k, _)| row.keys == [*k]) {
            continue;
        }
        if !push(
            vec![
                Span::styled(row.label(), t.key()),
                Span::raw(format!(" {}  ", row.short)),
            ],
            &mut left,
        ) {
            break;
        }
    }
    let [l, r] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(u16::try_from(right.width()).unwrap_or(30)),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(Line::from(left)), l);
    f.render_widget(Paragraph::new(right).right_aligned(), r);
}

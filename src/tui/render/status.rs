//! The bottom lines. The status line: what just happened (a new attempt, an export's
//! file names, an error, a heavy key's question), a paused step waiting for `space`, a
//! running scan's progress, a running repeat's latest cells — on a second row when it needs
//! one, and shortened with `…` before its answering keys when even two are too few. The
//! footer: the keys that matter now, generated from the keymap — first the keys of the
//! diagnosis' next steps, then the current mode's keys as far as they fit, and always the
//! way to the help and out.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::View;
use super::text::{safe_owned, wrap};
use crate::tui::app::Mode;
use crate::tui::keymap::{self, Key, Shown};
use crate::tui::verbs::{Command, command_for_retry};

pub fn render(f: &mut Frame, v: &View, area: Rect) {
    let lines = status_lines(v, usize::from(area.width));
    let rows = u16::try_from(lines.len()).unwrap_or(1);
    let [status, foot] =
        Layout::vertical([Constraint::Length(rows), Constraint::Length(1)]).areas(area);
    f.render_widget(Paragraph::new(lines), status);
    footer(f, v, foot);
}

/// Rows the status line takes at `width` columns: one, or two when what it says needs them
/// (the panels above give up a row).
pub fn height(v: &View, width: u16) -> u16 {
    u16::try_from(status_lines(v, usize::from(width)).len()).unwrap_or(1)
}

/// The status in at most two rows of `width`, wrapped at spaces. Longer, it is shortened
/// before its tail and ends visibly: a question keeps its answering keys whole
/// (`… — I/Enter starts, Esc cancels`); any other message ends `… ? shows all` (the help
/// shows the last message whole).
fn status_lines(v: &View, width: usize) -> Vec<Line<'static>> {
    const ROWS: usize = 2;
    let (head, tail) = status_line(v);
    let whole = join(&head, tail.as_ref());
    let rows = wrap(whole, width, 2);
    if rows.len() <= ROWS {
        return rows;
    }
    let tail = tail.unwrap_or_else(|| {
        Line::styled(
            format!(" {} shows all", keymap::name(Mode::Main, Command::Help)),
            v.theme.dim(),
        )
    });
    let fits = |k: usize| wrap(join(&cut(&head, k), Some(&tail)), width, 2).len() <= ROWS;
    // The longest head that fits: fewer characters never take more rows.
    let (mut lo, mut hi) = (0, head.width());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut rows = wrap(join(&cut(&head, lo), Some(&tail)), width, 2);
    rows.truncate(ROWS);
    rows
}

/// `head` then `tail`, in one line.
fn join(head: &Line<'static>, tail: Option<&Line<'static>>) -> Line<'static> {
    let mut l = head.clone();
    if let Some(t) = tail {
        l.spans.extend(t.spans.iter().cloned());
    }
    l
}

/// The first `k` characters of `line` (spaces at the cut dropped), then `…`.
fn cut(line: &Line<'static>, k: usize) -> Line<'static> {
    let mut left = k;
    let mut spans: Vec<Span<'static>> = Vec::new();
    for s in &line.spans {
        if left == 0 {
            break;
        }
        let text: String = s.content.chars().take(left).collect();
        left -= text.chars().count();
        spans.push(Span::styled(text, s.style));
    }
    if let Some(last) = spans.last_mut() {
        last.content = last.content.trim_end().to_string().into();
    }
    spans.push(Span::raw("…"));
    Line::from(spans)
}

/// What the status says, and the end that must stay whole when it is shortened (a
/// question's answering keys), if any.
fn status_line(v: &View) -> (Line<'static>, Option<Line<'static>>) {
    let t = v.theme;
    let paused = v.attempt().and_then(|a| a.paused.as_ref());
    let line = match paused {
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
            None => {
                let text = safe_owned(&v.app.status);
                // A question: its answering keys are the end kept whole.
                let asked = v.app.asking.and_then(|c| {
                    let keys = format!(" — {}", crate::tui::confirm::answers(c));
                    let head = text.strip_suffix(&keys)?.to_string();
                    Some((head, keys))
                });
                let (text, tail) = match asked {
                    Some((head, keys)) => (head, Some(Line::styled(keys, t.key()))),
                    None => (text, None),
                };
                let line = match repeat_strip(v) {
                    Some(mut strip) => {
                        strip.push_span(Span::raw(text));
                        strip
                    }
                    None => Line::raw(text),
                };
                return (line, tail);
            }
        },
    };
    (line, None)
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

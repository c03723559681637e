//! What every panel needs to turn facts into screen text: server and recording text made
//! safe (`safe`: the escaping of `sanitize`, applied at render time because a replayed
//! recording is untrusted input too), styled word wrapping with a hanging indent, and a
//! scrolled panel that never scrolls into blank space and says where it stands ("4–10/17").
//! Durations and plurals are `crate::units`', the same words as the text report.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::theme::Theme;

/// `s` with control characters, ANSI escapes and invisible or reordering characters escaped
/// (`\e`, `\u{202e}`); text escaped at capture passes unchanged (no double escaping);
/// borrowed when there is nothing to escape.
pub fn safe(s: &str) -> Cow<'_, str> {
    crate::sanitize::neutralize(s)
}

/// `safe` as an owned string, for spans.
pub fn safe_owned(s: &str) -> String {
    safe(s).into_owned()
}

/// How many columns `c` takes (ASCII fast, others as the terminal will draw them).
pub fn width_of(c: char) -> usize {
    if c.is_ascii() {
        1
    } else {
        Span::raw(c.to_string()).width()
    }
}

/// `line` broken at spaces into lines of at most `width` columns; continuation lines start
/// with `hang` spaces. A word longer than a line is cut where the line ends.
pub fn wrap(line: Line<'static>, width: usize, hang: usize) -> Vec<Line<'static>> {
    let width = width.max(hang + 8);
    let base = line.style;
    let mut out: Vec<Vec<(char, Style)>> = vec![Vec::new()];
    let mut cols = 0;
    for span in &line.spans {
        let style = base.patch(span.style);
        for c in span.content.chars() {
            let w = width_of(c);
            if cols + w > width {
                let cur = out.last_mut().expect("never empty");
                // Break after the last space past the indent, carrying the partial word over.
                let cut = cur
                    .iter()
                    .rposition(|(ch, _)| *ch == ' ')
                    .filter(|&i| i > hang && c != ' ');
                let carry: Vec<(char, Style)> = match cut {
                    Some(i) => cur.split_off(i + 1),
                    None => Vec::new(),
                };
                while cur.last().is_some_and(|(ch, _)| *ch == ' ') {
                    cur.pop();
                }
                let mut next: Vec<(char, Style)> = vec![(' ', Style::new()); hang];
                next.extend(carry);
                cols = next.iter().map(|(ch, _)| width_of(*ch)).sum();
                out.push(next);
            }
            if c == ' ' && cols == hang && out.len() > 1 {
                continue; // no leading space on a continuation line
            }
            out.last_mut().expect("never empty").push((c, style));
            cols += w;
        }
    }
    out.into_iter().map(to_line).collect()
}

fn to_line(cells: Vec<(char, Style)>) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = None;
    for (c, s) in cells {
        if style.is_some_and(|st| st != s) {
            spans.push(Span::styled(
                std::mem::take(&mut text),
                style.unwrap_or_default(),
            ));
        }
        style = Some(s);
        text.push(c);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style.unwrap_or_default()));
    }
    Line::from(spans)
}

/// Draw `lines` in `block` from row `top` (clamped so the last page stays full), with the
/// position ("4–10/17") on the bottom border when they do not fit. Returns the largest
/// useful `top`, for the scroll keys.
pub fn scrolled(
    f: &mut Frame,
    t: Theme,
    block: Block<'static>,
    area: Rect,
    mut lines: Vec<Line<'static>>,
    top: usize,
) -> usize {
    let inner = block.inner(area);
    let height = usize::from(inner.height);
    let len = lines.len();
    let max = len.saturating_sub(height);
    let top = top.min(max);
    let block = if len > height {
        let end = (top + height).min(len);
        block.title_bottom(
            Line::styled(format!(" {}–{end}/{len} ", top + 1), t.dim()).right_aligned(),
        )
    } else {
        block
    };
    f.render_widget(block, area);
    let shown: Vec<Line> = lines.drain(top..(top + height).min(len)).collect();
    f.render_widget(Paragraph::new(shown), inner);
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_escapes_controls_and_bidi_only_when_needed() {
        assert!(matches!(safe("250 OK"), Cow::Borrowed(_)));
        assert_eq!(safe("a\x1b[31mb\u{202e}c"), "a\\e[31mb\\u{202e}c");
    }

    #[test]
    fn wrap_breaks_at_spaces_with_a_hanging_indent() {
        let text = |ls: Vec<Line>| -> Vec<String> { ls.iter().map(|l| l.to_string()).collect() };
        let l = Line::raw("  · one two three four five six");
        assert_eq!(
            text(wrap(l, 14, 4)),
            vec!["  · one two", "    three four", "    five six"]
        );
        let long = Line::raw("abcdefghijklmnopqrstuvwxyz");
        assert_eq!(
            text(wrap(long, 10, 2)),
            vec!["abcdefghij", "  klmnopqr", "  stuvwxyz"]
        );
        // Styles survive the break.
        let styled = Line::from(vec![
            Span::raw("aaa "),
            Span::styled("bbb ccc", Style::new().red()),
        ]);
        let w = wrap(styled, 9, 0);
        assert_eq!(text(w.clone()), vec!["aaa bbb", "ccc"]);
        assert_eq!(w[1].spans[0].style, Style::new().red());
    }
}

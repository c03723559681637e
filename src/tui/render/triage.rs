//! Draws the live triage table: the progress (queued / probing / done and a bar), one row
//! per destination (or report group) with what the MTA or the report said beside tlsdive's
//! verdict, the selected row in full below, and the keys. Columns are laid out by priority
//! (those that do not fit are left to the details box, never cut to a few characters), and
//! the details wrap and scroll with their position shown. Everything from the input, a
//! report or a server is escaped.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table as TableWidget};

use super::text::{safe_owned, scrolled, wrap};
use crate::report::units::plural;
use crate::triage::summary::thousands;
use crate::tui::theme::Theme;
use crate::tui::triage_table::{Kind, State, Table, TableRow};

/// Columns of the labels in the details box.
const LABEL: usize = 14;
/// The narrowest a text column is drawn; narrower, it is left to the details box.
const MIN_TEXT: u16 = 20;

/// The table's visible rows for a terminal of `area` (for the page keys).
pub fn page_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(4) / 2)
        .saturating_sub(3)
        .max(1)
}

pub fn render(f: &mut Frame, t: &Table, area: Rect) {
    let theme = Theme::new(t.color);
    // The status wraps to a second line rather than lose its end.
    let mut status_lines = wrap(Line::raw(safe_owned(&t.status)), usize::from(area.width), 2);
    status_lines.truncate(2);
    let status_h = u16::try_from(status_lines.len()).unwrap_or(1).max(1);
    let body = area.height.saturating_sub(3 + status_h);
    let details = details_lines(t, theme, usize::from(area.width.saturating_sub(2)));
    // The table keeps room for its rows (up to a third of the body), the details take
    // what they need of the rest, and the table any height left over.
    let table_need = u16::try_from(t.rows.len() + 3).unwrap_or(u16::MAX).max(4);
    let table_least = table_need.min((body / 3).max(5)).min(body);
    let details_need = u16::try_from(details.len() + 2).unwrap_or(u16::MAX);
    let details_h = details_need
        .min(body.saturating_sub(table_least))
        .max(3.min(body));
    let [head, bar, list, detail, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(details_h),
        Constraint::Length(status_h),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(
        Paragraph::new(headline(t, theme, usize::from(head.width))),
        head,
    );
    f.render_widget(Paragraph::new(progress(t, usize::from(bar.width))), bar);
    table(f, t, theme, list);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(false))
        .title(Line::styled(" selected ", theme.title()));
    let max = scrolled(f, theme, block, detail, details, t.detail_top);
    t.detail_max.set(max);
    f.render_widget(Paragraph::new(status_lines), status);
    f.render_widget(
        Paragraph::new(footer(theme, usize::from(keys.width), max > 0)),
        keys,
    );
}

/// The keys, most needed first, as many as fit (in a fixed order); in fewer words when
/// the long ones do not all fit.
fn footer(theme: Theme, width: usize, scrolls: bool) -> Line<'static> {
    let long: [(&str, &str, bool); 5] = [
        ("↑/↓", "select", true),
        ("Enter", "open (q there returns here)", true),
        ("J/K", "scroll the details", scrolls),
        ("q", "quit, print the summary", true),
        ("PgUp/PgDn Home/End", "move", true),
    ];
    let need: usize = long
        .iter()
        .filter(|e| e.2)
        .map(|(k, w, _)| k.chars().count() + w.chars().count() + 3)
        .sum();
    let all = if need <= width {
        long
    } else {
        [
            ("↑/↓", "select", true),
            ("Enter", "open", true),
            ("J/K", "details", scrolls),
            ("q", "quit", true),
            ("PgUp/PgDn", "page", true),
        ]
    };
    let mut used = 0;
    let mut keep = [false; 5];
    for (i, (k, w, want)) in all.iter().enumerate() {
        let n = k.chars().count() + 1 + w.chars().count() + 2;
        if *want && used + n <= width {
            keep[i] = true;
            used += n;
        }
    }
    let mut spans = Vec::new();
    for (i, (k, w, _)) in all.iter().enumerate() {
        if keep[i] {
            spans.push(Span::styled(k.to_string(), theme.key()));
            spans.push(Span::raw(format!(" {w}  ")));
        }
    }
    Line::from(spans)
}

/// The title and the counts; where they do not fit, the counts alone in fewer words.
fn headline(t: &Table, theme: Theme, width: usize) -> Line<'static> {
    let full = headline_words(t, theme, false);
    if full.width() <= width {
        return full;
    }
    headline_words(t, theme, true)
}

fn headline_words(t: &Table, theme: Theme, short: bool) -> Line<'static> {
    let (queued, probing, done) = t.counts();
    let (title, what) = match t.kind {
        Kind::Log => ("tlsdive triage", "destination"),
        Kind::Reports { .. } => ("tlsdive triage --tlsrpt", "failure group"),
    };
    let n = t.rows.len() as u64;
    let what = if n == 1 {
        what.to_string()
    } else {
        format!("{what}s")
    };
    let mut spans = vec![
        Span::styled(if short { "" } else { title }, theme.title()),
        Span::raw(format!(
            "{}{} {what}: {} done, {} probing, {} queued",
            if short { "" } else { " · " },
            thousands(n),
            thousands(done as u64),
            thousands(probing as u64),
            thousands(queued as u64)
        )),
    ];
    if let Kind::Reports {
        reports,
        unreadable,
    } = t.kind
    {
        let still = t
            .rows
            .iter()
            .filter(|r| r.still_failing() == Some(true))
            .count();
        let mut words = format!(
            " · {} still failing · {} read",
            thousands(still as u64),
            plural(reports as u64, "report")
        );
        if unreadable > 0 {
            words.push_str(&format!(", {} unreadable", thousands(unreadable as u64)));
        }
        spans.push(Span::raw(words));
    } else {
        match &t.input {
            Some(s) => {
                let mut words = if short {
                    format!(" · {} lines read", thousands(s.lines))
                } else {
                    format!(" · input read: {} lines", thousands(s.lines))
                };
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

/// One column: its title, its cells, the width it wants (`natural`), and whether it takes
/// what width is left over (`flex`, never below [`MIN_TEXT`]).
struct Column {
    title: &'static str,
    cells: Vec<Line<'static>>,
    natural: u16,
    flex: bool,
}

impl Column {
    fn new(title: &'static str, cells: Vec<Line<'static>>, cap: u16) -> Column {
        let widest = cells.iter().map(Line::width).max().unwrap_or(0);
        let natural = u16::try_from(widest)
            .unwrap_or(u16::MAX)
            .max(u16::try_from(title.chars().count()).unwrap_or(u16::MAX))
            .min(cap);
        Column {
            title,
            cells,
            natural,
            flex: false,
        }
    }

    fn text(title: &'static str, cells: Vec<Line<'static>>) -> Column {
        Column {
            natural: MIN_TEXT,
            flex: true,
            ..Column::new(title, cells, MIN_TEXT)
        }
    }
}

/// Which columns to draw in `width`, and how wide: taken in `priority` order while they
/// fit (one space between columns; once a text column does not fit, nothing after it is
/// taken: the room goes to the text), shown in their own order; flexible ones share what
/// is left.
fn lay_out(columns: &[Column], priority: &[usize], width: u16) -> Vec<(usize, u16)> {
    let mut chosen = vec![false; columns.len()];
    let mut used: u16 = 0;
    for &i in priority {
        let need = columns[i].natural + u16::from(used > 0);
        if used + need <= width {
            chosen[i] = true;
            used += need;
        } else if columns[i].flex {
            break;
        }
    }
    let flex = columns
        .iter()
        .enumerate()
        .filter(|(i, c)| chosen[*i] && c.flex)
        .count() as u16;
    let spare = width.saturating_sub(used);
    let mut given = 0;
    let mut out = Vec::new();
    let mut nth = 0;
    for (i, c) in columns.iter().enumerate().filter(|(i, _)| chosen[*i]) {
        let mut w = c.natural;
        if c.flex && flex > 0 {
            nth += 1;
            // The last flexible column takes the rounding.
            let share = if nth == flex {
                spare - given
            } else {
                spare / flex
            };
            given += share;
            w += share;
        }
        out.push((i, w));
    }
    out
}

fn table(f: &mut Frame, t: &Table, theme: Theme, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(
            match t.kind {
                Kind::Log => " destinations ",
                Kind::Reports { .. } => " failure groups (then → now) ",
            },
            theme.title(),
        ));
    let inner = block.inner(area);
    let height = usize::from(inner.height.saturating_sub(1)).max(1);
    let top = t.cursor.saturating_sub(height - 1);
    let visible: Vec<(usize, &TableRow)> =
        t.rows.iter().enumerate().skip(top).take(height).collect();
    let (columns, priority) = match t.kind {
        Kind::Log => log_columns(t, theme, &visible),
        Kind::Reports { .. } => report_columns(t, theme, &visible),
    };
    let laid = lay_out(&columns, &priority, inner.width);
    let rows: Vec<Row> = visible
        .iter()
        .enumerate()
        .map(|(n, (i, _))| {
            let row = Row::new(
                laid.iter()
                    .map(|(c, w)| Cell::from(fit(&columns[*c].cells[n], usize::from(*w))))
                    .collect::<Vec<_>>(),
            );
            if *i == t.cursor {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();
    let header = Row::new(
        laid.iter()
            .map(|(c, _)| columns[*c].title)
            .collect::<Vec<_>>(),
    )
    .style(theme.title());
    let widths: Vec<Constraint> = laid.iter().map(|(_, w)| Constraint::Length(*w)).collect();
    let shown = if t.rows.len() > height {
        block.title_bottom(
            Line::styled(
                format!(
                    " {}–{}/{} ",
                    top + 1,
                    (top + height).min(t.rows.len()),
                    t.rows.len()
                ),
                theme.dim(),
            )
            .right_aligned(),
        )
    } else {
        block
    };
    f.render_widget(shown, area);
    f.render_widget(TableWidget::new(rows, widths).header(header), inner);
}

/// `line` in at most `width` columns: a cell that is cut ends in `…`, so a cut is never
/// silent (the details box below shows it whole).
fn fit(line: &Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line.clone();
    }
    let mut left = width.saturating_sub(1);
    let mut spans = Vec::new();
    for s in &line.spans {
        let mut text = String::new();
        for c in s.content.chars() {
            let w = Span::raw(c.to_string()).width();
            if w > left {
                left = 0;
                break;
            }
            left -= w;
            text.push(c);
        }
        spans.push(Span::styled(text, s.style));
        if left == 0 {
            break;
        }
    }
    let style = line.spans.last().map(|s| s.style).unwrap_or_default();
    spans.push(Span::styled("…", style));
    Line::from(spans).style(line.style)
}

/// The marker shows the selection without colour too.
fn marks(t: &Table, rows: &[(usize, &TableRow)]) -> Column {
    let cells = rows
        .iter()
        .map(|(i, _)| Line::raw(if *i == t.cursor { "›" } else { " " }))
        .collect();
    Column::new("", cells, 1)
}

/// The verdict cell: the cause once probed (`↩` when the interactive view found it, `?`
/// when a repeat is worth it), else where the row is.
fn verdict_cell(r: &TableRow, theme: Theme) -> Line<'static> {
    match &r.cause {
        Some(c) => {
            let style = if c.is_ok() { theme.good() } else { theme.bad() };
            let mark = if r.drilldown.is_some() {
                " ↩"
            } else if r.hint().is_some() {
                " ?"
            } else {
                ""
            };
            Line::styled(format!("{}{mark}", safe_owned(c.code())), style)
        }
        None => Line::styled(
            r.state.word(),
            match r.state {
                State::Probing => theme.running(),
                _ => theme.dim(),
            },
        ),
    }
}

fn raw(s: &str) -> Line<'static> {
    Line::raw(safe_owned(s))
}

/// Log triage: destination, verdict, the MTA's error, tlsdive's summary, the counts.
fn log_columns(t: &Table, theme: Theme, rows: &[(usize, &TableRow)]) -> (Vec<Column>, Vec<usize>) {
    let cells = |f: &dyn Fn(&TableRow) -> Line<'static>| rows.iter().map(|(_, r)| f(r)).collect();
    let columns = vec![
        marks(t, rows),
        Column::new("destination", cells(&|r| raw(&r.destination.key)), 24),
        Column::new("tlsdive: cause", cells(&|r| verdict_cell(r, theme)), 30),
        Column::text(
            "MTA says",
            cells(&|r| raw(r.seen.mta_error.as_deref().unwrap_or("-"))),
        ),
        Column::text(
            "tlsdive says",
            cells(&|r| raw(r.summary.as_deref().unwrap_or(""))),
        ),
        Column::new(
            "lines",
            cells(&|r| Line::raw(r.seen.log_lines.to_string())),
            6,
        ),
        Column::new(
            "rcpts",
            cells(&|r| Line::raw(r.seen.recipient_domains.len().to_string())),
            6,
        ),
    ];
    (columns, vec![0, 1, 2, 3, 4, 5, 6])
}

fn group(r: &TableRow) -> Option<&crate::tlsrpt::GroupKey> {
    r.group.as_ref().map(|g| &g.group.key)
}

/// `--tlsrpt`: the group (domain, policy, MX, reporter), then (result type, sessions) and
/// now (still failing or fixed, tlsdive's cause, the fix).
fn report_columns(
    t: &Table,
    theme: Theme,
    rows: &[(usize, &TableRow)],
) -> (Vec<Column>, Vec<usize>) {
    let cells = |f: &dyn Fn(&TableRow) -> Line<'static>| rows.iter().map(|(_, r)| f(r)).collect();
    let now = |r: &TableRow| match r.still_failing() {
        Some(true) => Line::styled("STILL FAILING", theme.bad()),
        Some(false) => Line::styled("fixed since", theme.good()),
        None => Line::styled(r.state.word(), theme.dim()),
    };
    let columns = vec![
        marks(t, rows),
        Column::new(
            "policy domain",
            cells(&|r| raw(group(r).map_or("", |k| k.policy_domain.as_str()))),
            32,
        ),
        Column::new(
            "policy",
            cells(&|r| raw(group(r).map_or("", |k| k.policy_type.code()))),
            15,
        ),
        Column::new(
            "receiving MX",
            cells(&|r| {
                raw(group(r)
                    .and_then(|k| k.receiving_mx.as_deref())
                    .unwrap_or("(MX set)"))
            }),
            28,
        ),
        Column::new(
            "then: result type",
            cells(&|r| {
                raw(group(r)
                    .and_then(|k| k.result_type.as_ref())
                    .map_or("(no details)", |t| t.code()))
            }),
            25,
        ),
        Column::new(
            "reporter",
            cells(&|r| raw(group(r).map_or("", |k| k.organization.as_str()))),
            24,
        ),
        Column::new(
            "failed",
            cells(&|r| {
                Line::raw(
                    r.group
                        .as_ref()
                        .map(|g| thousands(g.group.failed_sessions))
                        .unwrap_or_default(),
                )
            }),
            8,
        ),
        Column::new("now", cells(&now), 13),
        Column::new("tlsdive: cause", cells(&|r| verdict_cell(r, theme)), 30),
        Column::text("fix", cells(&|r| raw(r.fix.as_deref().unwrap_or("")))),
    ];
    (columns, vec![0, 3, 4, 7, 8, 5, 6, 1, 2, 9])
}

/// The selected row in full, most important first: what it is, tlsdive's verdict and fix,
/// the hint, what the MTA (or the report) said, and the rest. Wrapped to `width`.
fn details_lines(t: &Table, theme: Theme, width: usize) -> Vec<Line<'static>> {
    let Some(r) = t.selected() else {
        return vec![Line::raw("nothing yet")];
    };
    let mut fields: Vec<(&str, String, Style)> = Vec::new();
    let verdict = match (&r.cause, &r.summary) {
        (Some(c), Some(s)) => format!("{c}: {s}"),
        _ => format!("not yet ({})", r.state.word()),
    };
    let verdict_style = match &r.cause {
        Some(c) if c.is_ok() => theme.good(),
        Some(_) => theme.bad(),
        None => theme.dim(),
    };
    let drill = r.drilldown.as_ref().map(|d| {
        format!(
            "from the interactive view ({}{}); the triage's probe said {}",
            plural(u64::from(d.attempts), "attempt"),
            if d.confirmed { ", confirmed" } else { "" },
            d.probe_said
        )
    });
    match r.group.as_ref() {
        None => {
            let mut dest = r.destination.key.clone();
            if let Some(h) = &r.destination.relay_host {
                dest.push_str(&format!(" ({h})"));
            }
            dest.push_str(&format!(
                " · {} · {}",
                r.state.word(),
                plural(r.seen.log_lines, "log line")
            ));
            fields.push(("destination", dest, theme.plain()));
            fields.push(("tlsdive says", verdict, verdict_style));
            if let Some(d) = drill {
                fields.push(("", d, theme.dim()));
            }
            if let Some(fix) = &r.fix {
                fields.push(("fix", fix.clone(), theme.plain()));
            }
            if let Some(h) = r.hint() {
                fields.push(("hint", h, theme.warn()));
            }
            fields.push((
                "MTA says",
                r.seen.mta_error.clone().unwrap_or_else(|| "-".into()),
                theme.plain(),
            ));
            let mut names = r.seen.recipient_domains.join(", ");
            if names.is_empty() {
                names = "none named".into();
            } else if r.seen.recipient_domains_more {
                names.push_str(" and others");
            }
            fields.push(("recipients", names, theme.plain()));
        }
        Some(g) => {
            let k = &g.group.key;
            let mx = match (&k.receiving_mx, &k.receiving_ip) {
                (Some(m), Some(ip)) => format!("MX {m} [{ip}]"),
                (Some(m), None) => format!("MX {m}"),
                (None, Some(ip)) => format!("[{ip}]"),
                (None, None) => "the MX set".into(),
            };
            fields.push((
                "group",
                format!(
                    "{} · policy {} · {mx} · {}",
                    k.policy_domain,
                    k.policy_type.code(),
                    r.state.word()
                ),
                theme.plain(),
            ));
            let state = match r.still_failing() {
                Some(true) => "STILL FAILING: ",
                Some(false) => "fixed since: ",
                None => "",
            };
            fields.push(("now", format!("{state}{verdict}"), verdict_style));
            if let Some(d) = drill {
                fields.push(("", d, theme.dim()));
            }
            if let Some(fix) = &r.fix {
                fields.push(("fix", fix.clone(), theme.plain()));
            }
            if let Some(h) = r.hint() {
                fields.push(("hint", h, theme.warn()));
            }
            let profile = crate::triage::tlsrpt::sender_profile(&k.organization)
                .map(|p| format!(" (tlsdive profile: {p})"))
                .unwrap_or_default();
            fields.push((
                "then",
                format!(
                    "{} reported {} for {} ({} to {}){profile}",
                    k.organization,
                    k.result_type
                        .as_ref()
                        .map_or("failures without details", |t| t.code()),
                    plural(g.group.failed_sessions, "failed session"),
                    g.group.first,
                    g.group.last
                ),
                theme.plain(),
            ));
            if let Some(f) = &g.finding {
                if let Some(s) = &f.sender_now {
                    fields.push(("senders", s.clone(), theme.plain()));
                }
                if let (Some(p), Some(a)) = (&f.probe_profile, &f.profile_answer) {
                    fields.push((
                        "as the sender",
                        format!("{p}'s own ClientHello: {a}"),
                        theme.plain(),
                    ));
                }
                fields.push(("probed", f.probed.join("; "), theme.plain()));
            }
        }
    }
    let mut out = Vec::new();
    for (label, text, style) in fields {
        let line = Line::from(vec![
            Span::styled(format!("{label:<LABEL$}"), theme.title()),
            Span::styled(safe_owned(&text), style),
        ]);
        out.extend(wrap(line, width, LABEL));
    }
    out
}

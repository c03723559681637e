//! The root render function: lays the screen out and hands each area to its panel.
//!
//! ```text
//! ┌────────────────────────────────────────────────────────────────────────────┐
//! │ header: target → host address · attempt i/n · plan (tls_summary)           │
//! │         (a domain: its MX hosts, addresses and DNSSEC states, one line)     │
//! │         ● phase elapsed · resolve › connect › banner › ... durations       │
//! ├ SMTP transcript ──────────────────────┬ TLS handshake timeline ────────────┤
//! │ +  0.4 ms S   220 mx ESMTP            │   1 → +1.2 ms  ClientHello ...      │
//! │ +  0.6 ms C   EHLO probe.example      │   2 ← +2.0 ms  ServerHello ...      │
//! │ ...  (windowed: only visible rows)    ├ detail of the selected row ────────┤
//! │                                       │ versions, suites, groups, SNI ...   │
//! ├ diagnosis ────────────────────────────┴────────────────────────────────────┤
//! │ cause · summary (wrapped) · next steps with their keys · evidence   4–9/17 │
//! ├────────────────────────────────────────────────────────────────────────────┤
//! │ status line: what just happened (a second row when it needs one)           │
//! │ footer: next: 2 TLS 1.2 · r retry · 3 TLS 1.3 · ...          main ? help q quit │
//! └────────────────────────────────────────────────────────────────────────────┘
//! ```
//! The certificates, attempts, comparison, server-profile and repeat views replace the middle; help, pickers and
//! the editor are drawn over it. Smaller than `MIN_WIDTH`×`MIN_HEIGHT`, the screen only says
//! so.

pub mod attempts;
pub mod certificates;
pub mod compare;
pub mod detail;
pub mod diagnosis;
pub mod header;
pub mod help;
pub mod picker;
pub mod policy;
pub mod profile;
pub mod repeat;
pub mod status;
pub mod text;
pub mod timeline;
pub mod transcript;
pub mod triage;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::app::{App, Extents, Focus, Mode};
use super::derived::Derived;
use super::theme::Theme;
use crate::session::{Attempt, Session};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Everything a panel may read: the model, the view state and what was derived from both.
pub struct View<'a> {
    pub session: &'a Session,
    pub app: &'a App,
    pub derived: &'a Derived,
    pub theme: Theme,
}

impl<'a> View<'a> {
    pub fn new(session: &'a Session, app: &'a App, derived: &'a Derived) -> View<'a> {
        View {
            session,
            app,
            derived,
            theme: Theme::new(app.color),
        }
    }

    pub fn attempt(&self) -> Option<&'a Attempt> {
        self.app.attempt(self.session)
    }

    /// A bordered block with a title, highlighted when `focused`.
    pub fn block(&self, title: &str, focused: bool) -> Block<'static> {
        Block::default()
            .borders(Borders::ALL)
            .border_style(self.theme.border(focused))
            .title(Line::styled(format!(" {title} "), self.theme.title()))
    }
}

/// The areas of the main view.
pub struct Areas {
    pub header: Rect,
    pub body: Rect,
    pub transcript: Rect,
    pub timeline: Rect,
    pub detail: Rect,
    pub diagnosis: Rect,
    pub status: Rect,
}

pub fn areas(area: Rect) -> Areas {
    areas_with(area, 3)
}

/// The areas of the main view under a header of `header_rows` (see `header::height`).
pub fn areas_with(area: Rect, header_rows: u16) -> Areas {
    areas_for(area, header_rows, 0)
}

/// [`areas_with`], the diagnosis at least `diag_rows` tall (its lines up to the keys it
/// offers, with its borders) as far as the panels above keep six rows.
pub fn areas_for(area: Rect, header_rows: u16, diag_rows: u16) -> Areas {
    areas_under(area, header_rows, diag_rows, 1)
}

/// [`areas_for`] over a status line of `status_rows` (one, or two for a long message) and
/// the footer.
pub fn areas_under(area: Rect, header_rows: u16, diag_rows: u16, status_rows: u16) -> Areas {
    let [header, body, status] = Layout::vertical([
        Constraint::Length(header_rows),
        Constraint::Min(10),
        Constraint::Length(status_rows + 1),
    ])
    .areas(area);
    let diag_h = (body.height / 3)
        .clamp(7, 16)
        .max(diag_rows.min(body.height.saturating_sub(6)));
    let [top, diagnosis] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(diag_h)]).areas(body);
    // Narrow terminals give the timeline more: its record names matter more than the
    // transcript's long lines, which scroll sideways.
    let split = if area.width < 110 { 45 } else { 52 };
    let [transcript, right] = Layout::horizontal([
        Constraint::Percentage(split),
        Constraint::Percentage(100 - split),
    ])
    .areas(top);
    let [timeline, detail] =
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(right);
    Areas {
        header,
        body,
        transcript,
        timeline,
        detail,
        diagnosis,
        status,
    }
}

/// Rows a page key moves in the focused list, for a terminal of `area`.
pub fn page_rows(area: Rect) -> usize {
    page_rows_with(area, 3)
}

/// [`page_rows`] under a header of `header_rows` (a domain's MX line makes it four).
pub fn page_rows_with(area: Rect, header_rows: u16) -> usize {
    usize::from(
        areas_with(area, header_rows)
            .transcript
            .height
            .saturating_sub(3),
    )
    .max(1)
}

/// Draw the whole screen; returns how far each wrapped panel can scroll.
pub fn render(f: &mut Frame, v: &View) -> Extents {
    let area = f.area();
    let mut ext = v.app.layout.extents;
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "terminal too small: {}×{}; tlsdive needs at least {MIN_WIDTH}×{MIN_HEIGHT} ({} quits)",
            area.width,
            area.height,
            super::keymap::name(Mode::Main, super::verbs::Command::Quit)
        );
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return ext;
    }
    let header_rows = header::height(v.attempt());
    // The diagnosis gets the rows its cause, summary, next steps and keys need; the evidence
    // below them scrolls.
    let wanted = diagnosis::wanted(v, usize::from(area.width.saturating_sub(2)));
    let a = areas_under(
        area,
        header_rows,
        u16::try_from(wanted + 2).unwrap_or(u16::MAX),
        status::height(v, area.width),
    );
    header::render(f, v, a.header);
    let view = match v.app.mode {
        Mode::Help | Mode::Picker | Mode::Edit => v.app.back,
        m => m,
    };
    match view {
        Mode::Certificates => ext.certs = certificates::render(f, v, a.body),
        Mode::Attempts => attempts::render(f, v, a.body),
        Mode::Compare => ext.compare = compare::render(f, v, a.body),
        Mode::Profile => ext.profile = profile::render(f, v, a.body),
        Mode::Policy => ext.policy = policy::render(f, v, a.body),
        Mode::Repeat => ext.repeat = repeat::render(f, v, a.body),
        _ => {
            let focus = |p: Focus| v.app.mode == Mode::Main && v.app.main.focus == p;
            transcript::render(f, v, a.transcript, focus(Focus::Transcript));
            timeline::render(f, v, a.timeline, focus(Focus::Timeline));
            detail::render(f, v, a.detail);
            ext.diagnosis = diagnosis::render(f, v, a.diagnosis, focus(Focus::Diagnosis));
            ext.page = usize::from(a.transcript.height.saturating_sub(3)).max(1);
        }
    }
    status::render(f, v, a.status);
    match v.app.mode {
        Mode::Help => ext.help = help::render(f, v, a.body),
        Mode::Picker | Mode::Edit => picker::render(f, v, a.body),
        _ => {}
    }
    ext
}

/// A rectangle of `w`×`h` centred in `area` (clamped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// At most `max` characters of `s` (a slice, never a copy of a long server line).
pub fn clip(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The window `[top, top+height)` of a list of `len` rows that keeps `top` in range.
pub fn window(top: usize, len: usize, height: usize) -> std::ops::Range<usize> {
    let top = top.min(len.saturating_sub(height));
    top..(top + height).min(len)
}

#[cfg(test)]
mod page_tests {
    use super::*;

    /// A page is what the transcript shows: the MX line of a domain's header takes a row.
    #[test]
    fn a_fourth_header_row_makes_the_page_one_row_shorter() {
        let area = Rect::new(0, 0, 120, 36);
        assert_eq!(page_rows_with(area, 3), page_rows(area));
        assert_eq!(page_rows_with(area, 4) + 1, page_rows(area));
    }
}

//! Moving through lists: the focused panel of the main view, the certificates, the attempts
//! table, the comparison, the repeat's attempts, the help and pickers. Every offset stops at the end of its content:
//! the wrapped panels report how far they can scroll when drawn (`App::extents`), so no key
//! ever scrolls a panel into blank space. `None` offsets follow the tail so a running
//! attempt stays in view; the timeline's `None` is its first ClientHello.

use super::app::{App, Focus, Mode, Scroll};
use super::derived::Derived;
use super::verbs::Command;
use crate::session::Session;

/// Where a tail-following list stands after `cmd`, given its length and visible height.
pub fn follow(pos: Scroll, len: usize, page: usize, cmd: Command) -> Scroll {
    let last = len.saturating_sub(page.max(1));
    let cur = pos.unwrap_or(last).min(last);
    let next = match cmd {
        Command::Up => cur.saturating_sub(1),
        Command::Down => cur + 1,
        Command::PageUp => cur.saturating_sub(page),
        Command::PageDown => cur + page,
        Command::Top => 0,
        _ => return None,
    };
    (next < last).then_some(next)
}

/// A plain offset or cursor within `0..len`.
pub fn offset(pos: usize, len: usize, page: usize, cmd: Command) -> usize {
    within(pos, len.saturating_sub(1), page, cmd)
}

/// An offset within `0..=max`.
pub fn within(pos: usize, max: usize, page: usize, cmd: Command) -> usize {
    let pos = pos.min(max);
    match cmd {
        Command::Up => pos.saturating_sub(1),
        Command::Down => pos + 1,
        Command::PageUp => pos.saturating_sub(page),
        Command::PageDown => pos + page,
        Command::Top => 0,
        _ => max,
    }
    .min(max)
}

pub fn scroll(app: &mut App, session: &Session, derived: &Derived, cmd: Command) {
    let page = app.layout.page.max(1);
    // The main view's panels are as tall as the last draw made them.
    let main_page = match app.layout.extents.page {
        0 => page,
        p => p,
    };
    match app.mode {
        Mode::Main => match app.main.focus {
            Focus::Transcript => {
                app.main.transcript_top =
                    follow(app.main.transcript_top, derived.rows.len(), main_page, cmd)
            }
            Focus::Timeline => {
                let rows = app.attempt(session).map_or(&[][..], |a| &a.timeline[..]);
                let from = super::render::timeline::selected(app.main.timeline_row, rows);
                app.main.timeline_row = from.map(|i| offset(i, rows.len(), main_page, cmd));
            }
            Focus::Diagnosis => {
                app.main.diagnosis_top = within(
                    app.main.diagnosis_top,
                    app.layout.extents.diagnosis,
                    main_page,
                    cmd,
                )
            }
        },
        Mode::Certificates => {
            app.certs.top = within(app.certs.top, app.layout.extents.certs, page, cmd)
        }
        Mode::Profile => {
            app.profile.top = within(app.profile.top, app.layout.extents.profile, page, cmd)
        }
        Mode::Policy => {
            app.policy.top = within(app.policy.top, app.layout.extents.policy, page, cmd)
        }
        Mode::Compare => {
            app.compare.top = within(app.compare.top, app.layout.extents.compare, page, cmd)
        }
        Mode::Help => app.help.top = within(app.help.top, app.layout.extents.help, page, cmd),
        Mode::Attempts => {
            app.attempts.cursor = offset(app.attempts.cursor, session.attempts.len(), page, cmd)
        }
        Mode::Picker => {
            if let Some(p) = app.picker.as_mut() {
                p.cursor = offset(p.cursor, p.items.len(), page, cmd);
            }
        }
        // The repeat view's table follows the latest attempt until moved.
        Mode::Repeat => {
            let len = app.repeat().map_or(0, |r| r.ids.len());
            let rows = app.layout.extents.repeat.max(1);
            app.repeat_rows = follow(app.repeat_rows, len, rows, cmd);
        }
        Mode::Edit => {}
    }
}

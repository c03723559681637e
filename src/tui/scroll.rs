//! Moving through lists: the focused panel of the main view, the certificates, the attempts
//! table, the comparison, the help and pickers. Offsets are clamped when drawn; `None`
//! offsets follow the tail so a running attempt stays in view.

use super::app::{App, Focus, Mode, Scroll};
use super::command::Command;
use super::derived::Derived;
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
    let max = len.saturating_sub(1);
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
    let page = app.page.max(1);
    match app.mode {
        Mode::Main => match app.focus {
            Focus::Transcript => {
                app.transcript_top = follow(app.transcript_top, derived.rows.len(), page, cmd)
            }
            Focus::Timeline => {
                let len = app.attempt(session).map(|a| a.timeline.len()).unwrap_or(0);
                app.timeline_row = cursor(app.timeline_row, len, page, cmd);
            }
            Focus::Diagnosis => app.diagnosis_top = offset(app.diagnosis_top, 200, page, cmd),
        },
        Mode::Certificates => app.certs_top = offset(app.certs_top, 2000, page, cmd),
        Mode::Profile => app.profile_top = offset(app.profile_top, 2000, page, cmd),
        Mode::Compare => app.certs_top = offset(app.certs_top, 20_000, page, cmd),
        Mode::Help => app.help_top = offset(app.help_top, 200, page, cmd),
        Mode::Attempts => {
            app.attempts_cursor = offset(app.attempts_cursor, session.attempts.len(), page, cmd)
        }
        Mode::Picker => {
            if let Some(p) = app.picker.as_mut() {
                p.cursor = offset(p.cursor, p.items.len(), page, cmd);
            }
        }
        Mode::Edit => {}
    }
}

/// A selection that follows the last row while `None`.
pub fn cursor(pos: Scroll, len: usize, page: usize, cmd: Command) -> Scroll {
    let last = len.saturating_sub(1);
    let cur = pos.unwrap_or(last).min(last);
    let next = match cmd {
        Command::Up => cur.saturating_sub(1),
        Command::Down => cur + 1,
        Command::PageUp => cur.saturating_sub(page),
        Command::PageDown => cur + page,
        Command::Top => 0,
        _ => last,
    };
    (next < last).then_some(next)
}

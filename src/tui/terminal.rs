//! The terminal's state while the TUI runs: raw mode, alternate screen and mouse capture
//! on entry, all undone on every way out — a normal quit or error (the guard's `Drop`), a
//! panic (the hook, which restores before the panic message is printed) and SIGINT, SIGTERM
//! or SIGHUP (the loop listens and leaves normally).

use std::io::{self, stdout};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use ratatui::DefaultTerminal;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Owns the terminal; dropping it restores the terminal.
pub struct Guard {
    pub terminal: DefaultTerminal,
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Enter raw mode and the alternate screen, capture the mouse, and install the panic hook.
pub fn init() -> io::Result<Guard> {
    let terminal = ratatui::try_init()?;
    // Once per process: the triage table and the interactive view take turns.
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
    if let Err(e) = execute!(stdout(), EnableMouseCapture) {
        restore();
        return Err(e);
    }
    Ok(Guard { terminal })
}

/// Put `text` on the terminal's clipboard with OSC 52 (see `clipboard`).
pub fn copy(text: &str) -> io::Result<()> {
    use std::io::Write;
    let mut out = stdout();
    out.write_all(super::clipboard::osc52(text).as_bytes())?;
    out.flush()
}

/// Capture the mouse (the wheel scrolls) or leave it to the terminal (text selection).
pub fn set_mouse(on: bool) -> io::Result<()> {
    if on {
        execute!(stdout(), EnableMouseCapture)
    } else {
        execute!(stdout(), DisableMouseCapture)
    }
}

/// Undo `init`; safe to call more than once.
pub fn restore() {
    let _ = execute!(stdout(), DisableMouseCapture);
    let _ = ratatui::try_restore();
}

/// The signals that end the TUI.
pub struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl Signals {
    pub fn new() -> io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Wait for any of them; returns its number (15, 2 or 1).
    pub async fn recv(&mut self) -> i32 {
        tokio::select! {
            _ = self.term.recv() => 15,
            _ = self.int.recv() => 2,
            _ = self.hup.recv() => 1,
        }
    }
}

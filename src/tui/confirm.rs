//! Keys that start many connections (a repeat, a sweep, an investigation, a scan) ask first:
//! the first press only says what would run and how much, the same key again or `Enter`
//! starts it, `Esc` or any other key drops the question. A slipped Shift costs nothing.

use super::app::{App, Mode};
use super::keymap;
use super::verbs::{Command, Effect};
use crate::runs::Run;
use crate::session::Session;

/// Whether `cmd` asks before it starts: it may open many connections to the server.
pub fn asks_first(cmd: Command) -> bool {
    use Command as C;
    matches!(
        cmd,
        C::Investigate
            | C::Sweep
            | C::Repeat
            | C::RepeatUntilStopped
            | C::Scan
            | C::ScanFull
            | C::ScanSenders
    )
}

/// What the loop does with a key while a question is open, or `None` when the key is not
/// about the question (it is then forgotten and the key does what it always does).
pub enum Answer {
    /// Run the command asked about.
    Start(Command),
    /// Drop the question, do nothing else.
    Drop,
}

/// The answer `cmd` gives to the open question about `asked`.
pub fn answer(asked: Command, cmd: Command) -> Option<Answer> {
    match cmd {
        c if c == asked || c == Command::Confirm => Some(Answer::Start(asked)),
        Command::Cancel | Command::Back => Some(Answer::Drop),
        _ => None,
    }
}

/// `effect` is what `cmd` would do now (computed on a copy of the view state, `trial`):
/// when it starts a run or a scan, the question to ask instead, else `None` (a refusal, a
/// stop, nothing heavy: it goes through at once).
pub fn question(
    cmd: Command,
    trial: &App,
    session: &Session,
    effect: Option<&Effect>,
) -> Option<String> {
    let target = trial
        .attempt(session)
        .and_then(|a| a.plan.as_ref())
        .map(|p| p.target.display_name())
        .unwrap_or_default();
    let what = match effect? {
        Effect::Scan(req) => format!("scan {} of {target} (paced probes)", req.kind.label()),
        Effect::Run(_) => match trial.run.as_ref()? {
            Run::Repeat(r) => {
                let every = crate::units::human_duration(r.interval);
                match r.limit {
                    Some(n) => format!("repeat: {n} attempts to {target}, {every} apart"),
                    None => format!(
                        "repeat until stopped: up to {} attempts to {target}, {every} apart",
                        crate::runs::repeat::MAX_ATTEMPTS
                    ),
                }
            }
            Run::Sweep(s) => format!(
                "sweep: {} (every MX × address of {})",
                crate::units::plural(s.total as u64, "attempt"),
                s.domain
            ),
            Run::Investigate(_) => format!(
                "investigate: up to {} connections to {target}",
                crate::runs::investigate::MAX_CONNECTIONS
            ),
            Run::Triage(_) => return None,
        },
        _ => return None,
    };
    Some(format!("{what} — {}", answers(cmd)))
}

/// The end of the question about `cmd`: the keys that answer it
/// (`I/Enter starts, Esc cancels`). The status line keeps it whole however narrow the
/// terminal, shortening what comes before it instead.
pub fn answers(cmd: Command) -> String {
    format!(
        "{}/{} starts, {} cancels",
        keymap::name(Mode::Main, cmd),
        keymap::name(Mode::Main, Command::Confirm),
        keymap::name(Mode::Main, Command::Cancel)
    )
}

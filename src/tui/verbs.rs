//! The TUI's two vocabularies: `Command`, everything a key can ask for (bound in
//! `keymap::TABLE`, carried out by `command::execute`), and `Effect`, what the loop must then
//! do with the engine or the terminal. A leaf, so the keymap, the pickers, scrolling, repeat
//! and investigate can name them without depending on `command`.

use crate::diagnose::Retry;
use crate::plan::Plan;
use crate::runs::{Order, ScanRequest};

/// Everything a key can ask for (see `keymap::TABLE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Quit,
    Help,
    Back,
    Retry,
    Tls13Only,
    Tls12Only,
    BothVersions,
    SuitePicker,
    GroupPicker,
    WithoutPq,
    DefaultGroups,
    EditSni,
    ToggleSniOff,
    ToggleVerify,
    EditEhlo,
    AddressPicker,
    ToggleImplicit,
    LongerTimeout,
    StepMode,
    Step,
    Cancel,
    PrevAttempt,
    NextAttempt,
    ViewCertificates,
    ViewAttempts,
    /// The server-profile view.
    ViewProfile,
    /// The routing-policy view (MX, DNSSEC, DANE, MTA-STS, TLS-RPT, senders).
    ViewPolicy,
    /// Scan the part of the server's profile the diagnosis points to.
    Scan,
    /// Scan every version, suite and group.
    ScanFull,
    /// Send each sender profile's ClientHello (postfix, exim, Exchange Online, ...).
    ScanSenders,
    /// Run the case's next experiments by themselves until it is confirmed (≤ 24
    /// connections).
    Investigate,
    /// Legacy retries, as scanner probes (the server's answer, not a handshake).
    ProbeTls10,
    ProbeTls11,
    LegacySuitePicker,
    ScenarioPicker,
    Export,
    /// Copy the diagnosis (or the marked certificate) to the clipboard.
    Copy,
    /// Let the terminal have the mouse (to select text) or take it back (wheel scrolls).
    ToggleMouse,
    /// Mark the next certificate of the chain (certificates view).
    NextCert,
    ScrollLeft,
    ScrollRight,
    ToggleFold,
    Toggle,
    /// Check every item of a multi-pick picker: the defaults (Enter then retries).
    Defaults,
    Confirm,
    /// One editing step of the one-line editor (readline keys).
    Edit(super::app::Edit),
    /// Type the pressed character (editor).
    Insert,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Repeat the plan on screen N times, paced (again: stop).
    Repeat,
    /// Repeat the plan on screen until stopped (again: stop).
    RepeatUntilStopped,
    /// The repeat view: strip, counts, conclusion.
    ViewRepeat,
    /// Probe every MX × address of the domain on screen, up to 4 at once and one connection
    /// per address at a time, as `probe --all` does.
    Sweep,
}

/// What the loop must do after a command.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Start(Box<Plan>),
    Cancel,
    Step,
    SetStepMode(bool),
    Export,
    /// Probe this lab scenario (demo).
    Scenario(String),
    /// Run this scan in the background (one at a time).
    Scan(Box<ScanRequest>),
    /// Stop the running scan.
    CancelScan,
    /// Start what the active run asks for (several at once for a sweep), telling the run
    /// each id (`Ui::run_started`).
    Run(Vec<Order>),
    /// Put this text on the terminal's clipboard (OSC 52); `what` names it for the status.
    Copy {
        what: String,
        text: String,
    },
    /// Capture the mouse (true) or leave it to the terminal.
    SetMouse(bool),
    Quit,
}

/// The command that carries out a diagnosis' suggested retry, for "press 2 to ...".
pub fn command_for_retry(r: &Retry, plan: Option<&Plan>) -> Option<Command> {
    Some(match r {
        Retry::Same => Command::Retry,
        Retry::Tls12Only => Command::Tls12Only,
        Retry::Tls13Only => Command::Tls13Only,
        Retry::BothVersions => Command::BothVersions,
        Retry::WithoutPostQuantum => Command::WithoutPq,
        Retry::DefaultGroups => Command::DefaultGroups,
        Retry::NoVerify if plan.is_none_or(|p| p.tls.verify) => Command::ToggleVerify,
        Retry::Sni(_) => Command::EditSni,
        Retry::ImplicitTls => Command::ToggleImplicit,
        Retry::LongerTimeout => Command::LongerTimeout,
        Retry::EditEhlo => Command::EditEhlo,
        Retry::Scan => Command::Scan,
        Retry::NoVerify => return None,
    })
}

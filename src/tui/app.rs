//! View state of the TUI: which view or overlay is open, which panel has the focus, scroll
//! offsets, selections, the open picker or editor and the status line. Probe facts never live
//! here — they are in the `Session` — so a replayed recording renders exactly like the live
//! run once the same view state is set.

use crate::session::Session;

/// What the keys currently act on. The keymap table is indexed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Header, transcript, timeline, detail and diagnosis of the selected attempt.
    Main,
    /// The certificate chain of the selected attempt.
    Certificates,
    /// Every attempt in a table.
    Attempts,
    /// Two attempts side by side.
    Compare,
    /// What the server accepts: the scans of the attempt on screen.
    Profile,
    /// The routing policy of the attempt on screen: MX hosts and addresses with their
    /// DNSSEC state, DANE, MTA-STS, TLS-RPT and the sender-policy table.
    Policy,
    /// The repeat of one plan: success/failure strip, counts, conclusion.
    Repeat,
    /// The generated key help, over the view it was opened from.
    Help,
    /// A list to pick from (suites, groups, addresses, lab scenarios).
    Picker,
    /// A one-line text editor (SNI, EHLO name).
    Edit,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Main => "main",
            Mode::Certificates => "certificates",
            Mode::Attempts => "attempts",
            Mode::Compare => "compare",
            Mode::Profile => "profile",
            Mode::Policy => "policy",
            Mode::Repeat => "repeat",
            Mode::Help => "help",
            Mode::Picker => "picker",
            Mode::Edit => "edit",
        }
    }
}

/// The panel of the main view that scrolls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Transcript,
    Timeline,
    Diagnosis,
}

impl Focus {
    pub fn next(self) -> Focus {
        match self {
            Focus::Transcript => Focus::Timeline,
            Focus::Timeline => Focus::Diagnosis,
            Focus::Diagnosis => Focus::Transcript,
        }
    }

    pub fn prev(self) -> Focus {
        self.next().next()
    }
}

/// What a picker chooses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerKind {
    Suites,
    Groups,
    /// MX host / address to pin the next attempt to.
    Address,
    /// A lab scenario (demo only).
    Scenario,
    /// A legacy cipher suite to probe with the scanner.
    LegacySuite,
}

/// One entry of a picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickItem {
    pub label: String,
    /// What choosing it means (a suite or group name, `host|ip`, a scenario name).
    pub values: Vec<String>,
    pub checked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub kind: PickerKind,
    pub title: String,
    pub items: Vec<PickItem>,
    /// Column names above the items, when they are a table.
    pub header: Option<String>,
    pub cursor: usize,
    /// Several items may be checked (space), Enter applies them; else Enter picks one.
    pub multi: bool,
}

/// What an editor edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    Sni,
    Ehlo,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    pub kind: EditKind,
    pub text: String,
    /// Where typing goes: a byte offset on a character boundary of `text`.
    pub cursor: usize,
}

impl Editor {
    /// An editor holding `text`, the cursor at its end.
    pub fn new(kind: EditKind, text: String) -> Editor {
        let cursor = text.len();
        Editor { kind, text, cursor }
    }

    /// Carry out one editing command, readline-style (Ctrl-A/E/U/W, arrows, Backspace).
    pub fn apply(&mut self, edit: Edit) {
        let before = &self.text[..self.cursor];
        match edit {
            Edit::Start => self.cursor = 0,
            Edit::End => self.cursor = self.text.len(),
            Edit::Left => {
                self.cursor = before.char_indices().next_back().map_or(0, |(i, _)| i);
            }
            Edit::Right => {
                if let Some(c) = self.text[self.cursor..].chars().next() {
                    self.cursor += c.len_utf8();
                }
            }
            Edit::Backspace => {
                if let Some((i, _)) = before.char_indices().next_back() {
                    self.text.replace_range(i..self.cursor, "");
                    self.cursor = i;
                }
            }
            Edit::KillToStart => {
                self.text.replace_range(..self.cursor, "");
                self.cursor = 0;
            }
            Edit::KillWord => {
                // Back over separators, then over the word (a name's labels count as words).
                let trimmed = before.trim_end_matches(|c: char| !c.is_alphanumeric());
                let start = trimmed
                    .char_indices()
                    .rev()
                    .find(|(_, c)| !c.is_alphanumeric())
                    .map_or(0, |(i, c)| i + c.len_utf8());
                self.text.replace_range(start..self.cursor, "");
                self.cursor = start;
            }
            Edit::Insert(c) => {
                if self.text.len() < 253 && !c.is_control() {
                    self.text.insert(self.cursor, c);
                    self.cursor += c.len_utf8();
                }
            }
        }
    }
}

/// One editing step of the one-line editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Start,
    End,
    Left,
    Right,
    Backspace,
    KillToStart,
    KillWord,
    Insert(char),
}

/// The scan running in the background, as the status line shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanning {
    /// The engine's number for the scan, once it took the request: events of a cancelled
    /// scan carry another one.
    pub scan: Option<u32>,
    pub attempt: u32,
    pub what: String,
}

/// A scrolled list: `None` follows the tail (new lines stay visible), `Some(top)` is pinned.
pub type Scroll = Option<usize>;

/// How far each wrapped panel could scroll at the last draw (its rows minus its height), so
/// a scroll key stops at the end instead of leaving the panel blank.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extents {
    pub diagnosis: usize,
    pub certs: usize,
    pub profile: usize,
    pub policy: usize,
    pub help: usize,
    pub compare: usize,
    /// Rows of the repeat view's attempt table on screen (its page).
    pub repeat: usize,
    /// Rows of the main view's transcript on screen (its page), once drawn: the diagnosis
    /// takes the height it needs, so the transcript's varies.
    pub page: usize,
}

/// What quitting would lose: the session's size when it was last saved (exported, or loaded
/// from a recording), and whether the next quit key is the confirming one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Saved {
    pub attempts: usize,
    pub events: usize,
    /// `--record FILE` writes the session on exit: quitting loses nothing.
    pub on_exit: bool,
    /// The last key was a quit that asked first.
    pub asked: bool,
}

/// The main view's own state: which panel scrolls, where each panel is, folding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MainView {
    pub focus: Focus,
    pub transcript_top: Scroll,
    /// Selected timeline row; `None` follows the last.
    pub timeline_row: Option<usize>,
    pub diagnosis_top: usize,
    /// Columns the transcript and the timeline are scrolled sideways (long lines).
    pub left: usize,
    /// Long replies are folded unless this is set.
    pub unfold: bool,
}

impl Default for MainView {
    fn default() -> Self {
        MainView {
            focus: Focus::Transcript,
            transcript_top: None,
            timeline_row: None,
            diagnosis_top: 0,
            left: 0,
            unfold: false,
        }
    }
}

impl MainView {
    /// Another attempt is shown: back to following its tail (focus and folding stay).
    fn reset(&mut self) {
        *self = MainView {
            focus: self.focus,
            unfold: self.unfold,
            ..MainView::default()
        };
    }
}

/// The certificates view: where it is scrolled and which certificate `y` copies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CertsView {
    pub top: usize,
    /// The certificate of the chain `y` copies (the certificates view marks it).
    pub cert: usize,
}

/// The attempts table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttemptsView {
    /// Cursor in the table.
    pub cursor: usize,
    /// Attempts marked for comparison (at most two).
    pub marked: Vec<u32>,
}

/// Two attempts side by side (opened from the attempts table).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompareView {
    /// The pair shown, lower id first.
    pub pair: Option<(u32, u32)>,
    pub top: usize,
}

/// A view that only scrolls (profile, policy, help).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scrolled {
    pub top: usize,
}

/// Leaving tlsdive: whether it is time, where it leads, what it would lose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leaving {
    pub quit: bool,
    /// Where quitting leads when it does not end tlsdive (the quit prompt's words).
    pub to: Option<String>,
    /// What quitting now would lose.
    pub saved: Saved,
}

/// How this TUI runs: set at start (replay, demo, flags) or by a toggle key.
#[derive(Debug, Clone)]
pub struct Options {
    /// The next attempt pauses before each step.
    pub step_mode: bool,
    /// Plan changes are refused (replay of a recording).
    pub read_only: bool,
    /// Lab scenarios can be picked (`tlsdive demo`).
    pub demo: bool,
    /// How `R` repeats.
    pub repeat_count: u32,
    pub repeat_interval: std::time::Duration,
    /// The terminal reports the mouse (wheel scrolls); off, the terminal selects text.
    pub mouse: bool,
    /// The lab scenario each demo server runs, by its address (the header names it).
    pub lab: Vec<(std::net::SocketAddr, crate::lab::Scenario)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            step_mode: false,
            read_only: false,
            demo: false,
            repeat_count: super::runs::DEFAULT_COUNT,
            repeat_interval: super::runs::DEFAULT_INTERVAL,
            mouse: true,
            lab: Vec::new(),
        }
    }
}

/// What the last draw measured, for the keys and the mouse that come before the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Rows of the last drawn panels, for paging.
    pub page: usize,
    /// Scroll limits of the last drawn panels.
    pub extents: Extents,
    /// The last drawn screen, to find the panel under the mouse.
    pub area: ratatui::layout::Rect,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            page: 10,
            extents: Extents::default(),
            area: ratatui::layout::Rect::default(),
        }
    }
}

/// The TUI's view state: what is open, each view's own scroll and selection, the overlays,
/// the work running by itself, and what the last draw measured.
#[derive(Debug, Clone)]
pub struct App {
    pub mode: Mode,
    /// The mode Help / Picker / Edit return to.
    pub back: Mode,
    /// The attempt shown; `None` follows the latest.
    pub selected: Option<u32>,
    pub main: MainView,
    pub certs: CertsView,
    pub attempts: AttemptsView,
    pub compare: CompareView,
    pub profile: Scrolled,
    pub policy: Scrolled,
    pub help: Scrolled,
    /// The first row of the repeat view's attempt table; `None` follows the latest.
    pub repeat_rows: Scroll,
    pub picker: Option<Picker>,
    pub editor: Option<Editor>,
    pub status: String,
    /// A key that starts many connections was pressed once: the status asks, and the same
    /// key again (or the confirm key) starts it (`confirm`).
    pub asking: Option<super::verbs::Command>,
    /// The scan running now, if any (one at a time).
    pub scanning: Option<Scanning>,
    /// The self-running mode under way or run last (repeat `R`/`U`, investigation `I`,
    /// sweep `F`): one at a time.
    pub run: Option<crate::runs::Run>,
    /// The run has reported its end (its words are on the status line).
    pub run_over: bool,
    /// When the run asked to be polled again (the loop's clock).
    pub run_wake: Option<std::time::Duration>,
    /// The loop's clock (time since it began), which paces the runs.
    pub clock: std::time::Duration,
    /// Microseconds since the running attempt started, as the loop's clock saw it.
    pub now_us: u64,
    pub options: Options,
    pub color: bool,
    pub leaving: Leaving,
    pub layout: Layout,
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

impl App {
    pub fn new() -> App {
        App {
            mode: Mode::Main,
            back: Mode::Main,
            selected: None,
            main: MainView::default(),
            certs: CertsView::default(),
            attempts: AttemptsView::default(),
            compare: CompareView::default(),
            profile: Scrolled::default(),
            policy: Scrolled::default(),
            help: Scrolled::default(),
            repeat_rows: None,
            picker: None,
            editor: None,
            status: String::new(),
            asking: None,
            scanning: None,
            run: None,
            run_over: false,
            run_wake: None,
            clock: std::time::Duration::ZERO,
            now_us: 0,
            options: Options::default(),
            color: true,
            leaving: Leaving::default(),
            layout: Layout::default(),
        }
    }

    /// The attempt on screen: the selected one, else the latest.
    pub fn attempt<'s>(&self, session: &'s Session) -> Option<&'s crate::session::Attempt> {
        self.selected
            .and_then(|id| session.attempt(id))
            .or_else(|| session.latest())
    }

    /// The repeat under way or run last.
    pub fn repeat(&self) -> Option<&crate::runs::repeat::Repeat> {
        match &self.run {
            Some(crate::runs::Run::Repeat(r)) => Some(r),
            _ => None,
        }
    }

    /// The sweep under way or run last.
    pub fn sweep(&self) -> Option<&crate::runs::sweep::Sweep> {
        match &self.run {
            Some(crate::runs::Run::Sweep(s)) => Some(s),
            _ => None,
        }
    }

    /// The investigation under way (a stopped or finished one is no longer shown).
    pub fn investigation(&self) -> Option<&crate::runs::investigate::Investigation> {
        match &self.run {
            Some(crate::runs::Run::Investigate(i)) if !self.run_over => Some(i),
            _ => None,
        }
    }

    /// Open an overlay mode, remembering where to return.
    pub fn open(&mut self, mode: Mode) {
        if !matches!(self.mode, Mode::Help | Mode::Picker | Mode::Edit) {
            self.back = self.mode;
        }
        self.mode = mode;
    }

    /// Close the overlay (or view) and return.
    pub fn close(&mut self) {
        self.mode = match self.mode {
            Mode::Help | Mode::Picker | Mode::Edit => self.back,
            Mode::Compare => Mode::Attempts,
            _ => Mode::Main,
        };
        self.picker = None;
        self.editor = None;
    }

    /// Show another attempt: reset the per-attempt scroll state.
    pub fn show_attempt(&mut self, id: Option<u32>) {
        self.selected = id;
        self.main.reset();
        self.certs = CertsView::default();
        self.profile = Scrolled::default();
        self.policy = Scrolled::default();
    }

    /// `tlsdive demo`: lab servers at these addresses; the first screen says how to pick
    /// another scenario.
    pub fn start_demo(&mut self, lab: Vec<(std::net::SocketAddr, crate::lab::Scenario)>) {
        self.options.demo = true;
        self.options.lab = lab;
        self.status = format!(
            "demo: each lab server has one known fault; press {} to pick another scenario",
            super::keymap::name(Mode::Main, super::verbs::Command::ScenarioPicker)
        );
    }

    /// The lab scenario the attempt's server runs (demo only).
    pub fn scenario_of(&self, a: &crate::session::Attempt) -> Option<crate::lab::Scenario> {
        let p = a.plan.as_ref()?;
        let ip = match &p.target {
            crate::plan::Target::Ip(ip) => *ip,
            _ => return None,
        };
        let addr = std::net::SocketAddr::new(ip, p.port);
        self.options
            .lab
            .iter()
            .find(|(a, _)| *a == addr)
            .map(|(_, s)| *s)
    }

    /// Attempts (and whether anything at all) added since the session was last saved.
    pub fn unsaved(&self, session: &Session) -> (usize, bool) {
        let n = session
            .attempts
            .len()
            .saturating_sub(self.leaving.saved.attempts);
        let events = session.events().count();
        (
            n,
            !self.leaving.saved.on_exit && events > self.leaving.saved.events,
        )
    }

    /// Count the session as saved as it stands.
    pub fn mark_saved(&mut self, session: &Session) {
        self.leaving.saved.attempts = session.attempts.len();
        self.leaving.saved.events = session.events().count();
        self.leaving.saved.asked = false;
    }
}

/// A picker item (label, the values it stands for, checked or not).
pub fn item(label: impl Into<String>, values: Vec<String>, checked: bool) -> PickItem {
    PickItem {
        label: label.into(),
        values,
        checked,
    }
}

//! The one key table: which key runs which `Command` in which `Mode`, with the words the
//! help overlay shows. Adding a key is one row here; the help is generated from these rows,
//! so it cannot drift from what the keys do.
//!
//! A key means one thing in every mode where it is bound: `j`/`k` move down and up
//! everywhere, `v` toggles verification, `g` is the group picker, `Home`/`End` (and `G`) go to
//! the top and the bottom. `q` and `Esc` leave what is open — an overlay or a view back to
//! the main view; `q` in the main view leaves the program (asking first when attempts would be
//! lost). The rows also carry the short words of the footer, which shows the keys that matter
//! in the current mode.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::Edit as E;
use super::app::Mode;
use super::verbs::Command;

/// A key as the table names it (shift is part of the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Space,
    Esc,
    Enter,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
}

impl Key {
    /// The table's key for a terminal key press (releases and repeats of releases: None).
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        Some(match ev.code {
            KeyCode::Char(c) if ctrl => Key::Ctrl(c.to_ascii_lowercase()),
            KeyCode::Char(' ') => Key::Space,
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Esc => Key::Esc,
            KeyCode::Enter => Key::Enter,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::Backspace => Key::Backspace,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            _ => return None,
        })
    }

    pub fn label(self) -> String {
        match self {
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{c}"),
            Key::Space => "space".into(),
            Key::Esc => "Esc".into(),
            Key::Enter => "Enter".into(),
            Key::Tab => "Tab".into(),
            Key::BackTab => "S-Tab".into(),
            Key::Backspace => "Bksp".into(),
            Key::Up => "↑".into(),
            Key::Down => "↓".into(),
            Key::Left => "←".into(),
            Key::Right => "→".into(),
            Key::PageUp => "PgUp".into(),
            Key::PageDown => "PgDn".into(),
            Key::Home => "Home".into(),
            Key::End => "End".into(),
        }
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct Binding {
    pub modes: &'static [Mode],
    pub keys: &'static [Key],
    pub command: Command,
    pub help: &'static str,
    /// The footer's words for this row (empty: not in the footer).
    pub short: &'static str,
    /// Where the footer puts it: lower first, as far as the width allows.
    pub rank: u8,
    /// The footer keeps the ways out and the help on the right.
    pub exit: bool,
    /// When the footer shows it.
    pub shown: Shown,
}

/// When a footer entry is shown (its key works regardless).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Always,
    /// Only in the demo (the lab scenario picker).
    Demo,
    /// Only in a picker that takes several items.
    MultiPick,
    /// Only in step mode.
    Stepping,
    /// Only while a heavy key asks first (`confirm`).
    Asking,
}

impl Binding {
    /// The same row, shown in the footer as `short`.
    const fn footer(self, short: &'static str, rank: u8) -> Binding {
        Binding {
            short,
            rank,
            ..self
        }
    }

    /// A way out (or the help): the footer shows it on the right.
    const fn exit(self) -> Binding {
        Binding { exit: true, ..self }
    }

    /// The footer shows it only `when`.
    const fn shown(self, when: Shown) -> Binding {
        Binding {
            shown: when,
            ..self
        }
    }
}

use Key::*;
use Mode::*;

const VIEWS: &[Mode] = &[
    Main,
    Certificates,
    Attempts,
    Compare,
    Profile,
    Policy,
    Repeat,
];
const LISTS: &[Mode] = &[
    Certificates,
    Attempts,
    Compare,
    Profile,
    Policy,
    Repeat,
    Help,
    Picker,
];
/// Views and overlays that `q` and `Esc` close (back to where they were opened from).
const CLOSABLE: &[Mode] = &[Certificates, Attempts, Compare, Policy, Help, Picker];
const ALL_BUT_EDIT: &[Mode] = &[
    Main,
    Certificates,
    Attempts,
    Compare,
    Profile,
    Policy,
    Help,
    Picker,
];
/// Where the paging keys move something: every view but the editor.
const PAGED: &[Mode] = &[
    Main,
    Certificates,
    Attempts,
    Compare,
    Profile,
    Policy,
    Repeat,
    Help,
    Picker,
];
const ALL_BUT_HELP: &[Mode] = &[
    Main,
    Certificates,
    Attempts,
    Compare,
    Profile,
    Policy,
    Repeat,
    Picker,
];

const fn b(
    modes: &'static [Mode],
    keys: &'static [Key],
    command: Command,
    help: &'static str,
) -> Binding {
    Binding {
        modes,
        keys,
        command,
        help,
        short: "",
        rank: 0,
        exit: false,
        shown: Shown::Always,
    }
}

/// The table. The first row that matches (mode, key) wins.
pub static TABLE: &[Binding] = &[
    // Leaving: the innermost overlay or view first, the program last.
    b(
        &[Main],
        &[Char('q')],
        Command::Quit,
        "quit (asks first if attempts were not exported)",
    )
    .footer("quit", 90)
    .exit(),
    b(
        CLOSABLE,
        &[Char('q'), Esc],
        Command::Back,
        "close, back to where it was opened",
    )
    .footer("back", 90)
    .exit(),
    b(
        &[Profile, Repeat],
        &[Char('q')],
        Command::Back,
        "close, back to the main view",
    )
    .footer("back", 90)
    .exit(),
    b(
        &[
            Main,
            Certificates,
            Attempts,
            Compare,
            Profile,
            Policy,
            Repeat,
            Help,
            Picker,
            Edit,
        ],
        &[Ctrl('c')],
        Command::Quit,
        "quit (asks first if attempts were not exported)",
    ),
    // Attempts: each starts a new attempt with one change to the current plan.
    b(
        VIEWS,
        &[Char('r')],
        Command::Retry,
        "retry the current plan",
    )
    .footer("retry", 7),
    b(
        VIEWS,
        &[Char('3')],
        Command::Tls13Only,
        "retry with TLS 1.3 only",
    )
    .footer("TLS 1.3", 10),
    b(
        VIEWS,
        &[Char('2')],
        Command::Tls12Only,
        "retry with TLS 1.2 only",
    )
    .footer("TLS 1.2", 9),
    b(
        VIEWS,
        &[Char('a')],
        Command::BothVersions,
        "retry with TLS 1.2 and 1.3",
    )
    .footer("TLS 1.2+1.3", 30),
    b(
        &[Main],
        &[Char('c')],
        Command::SuitePicker,
        "pick cipher suites, then retry",
    )
    .footer("suites", 11),
    b(
        &[Main],
        &[Char('g')],
        Command::GroupPicker,
        "pick key-exchange groups (post-quantum is one toggle), then retry",
    )
    .footer("groups", 12),
    b(
        &[Main],
        &[Char('p')],
        Command::WithoutPq,
        "retry without the post-quantum key share",
    )
    .footer("no post-quantum", 31),
    b(
        &[Main],
        &[Char('d')],
        Command::DefaultGroups,
        "retry with the default groups",
    )
    .footer("default groups", 32),
    b(
        &[Main],
        &[Char('s')],
        Command::EditSni,
        "edit the SNI name, then retry (empty: automatic)",
    )
    .footer("SNI", 13),
    b(
        &[Main],
        &[Char('S')],
        Command::ToggleSniOff,
        "retry with SNI off / automatic",
    ),
    b(
        &[Main, Certificates],
        &[Char('v')],
        Command::ToggleVerify,
        "retry with strict verification on / off",
    )
    .footer("verify", 8),
    b(
        &[Main],
        &[Char('e')],
        Command::EditEhlo,
        "edit the EHLO name, then retry",
    )
    .footer("EHLO name", 33),
    b(
        &[Main],
        &[Char('m')],
        Command::AddressPicker,
        "pin an MX host or address (IPv4/IPv6), then retry",
    ),
    b(
        &[Main],
        &[Char('i')],
        Command::ToggleImplicit,
        "retry with implicit TLS / STARTTLS",
    )
    .footer("implicit TLS", 34),
    b(
        &[Main],
        &[Char('T')],
        Command::LongerTimeout,
        "retry with a 4× longer reply timeout",
    )
    .footer("longer timeout", 35),
    // Repeat: the same plan again and again, for a failure that comes and goes.
    b(
        VIEWS,
        &[Char('R')],
        Command::Repeat,
        "repeat the current plan N times, paced (R again stops)",
    )
    .footer("repeat", 16),
    b(
        VIEWS,
        &[Char('U')],
        Command::RepeatUntilStopped,
        "repeat the current plan until stopped (U, R or Esc stops)",
    ),
    b(
        VIEWS,
        &[Char('O')],
        Command::ViewRepeat,
        "repeat view: strip, counts, conclusion (O again returns)",
    ),
    b(
        &[Repeat],
        &[Esc],
        Command::Cancel,
        "stop the repeat (the running attempt finishes), else back",
    )
    .footer("stop", 1),
    // The server's profile: scanner probes (a ClientHello and its answer, never a handshake).
    b(
        VIEWS,
        &[Char('w')],
        Command::Scan,
        "scan what the server accepts, the part the diagnosis points to",
    )
    .footer("scan", 6),
    b(
        VIEWS,
        &[Char('W')],
        Command::ScanFull,
        "scan the server's full profile (versions, suites, groups)",
    ),
    b(
        &[Main],
        &[Char('I')],
        Command::Investigate,
        "investigate: run the case's next experiments by themselves",
    ),
    b(
        VIEWS,
        &[Char('E')],
        Command::ScanSenders,
        "send each real MTA's default hello (Postfix, Exim, Exchange, ...)",
    ),
    b(
        VIEWS,
        &[Char('P')],
        Command::ViewProfile,
        "server-profile view (P again returns)",
    )
    .footer("profile", 14),
    b(
        VIEWS,
        &[Char('D')],
        Command::ViewPolicy,
        "routing policy: MX, DNSSEC, DANE, MTA-STS, TLS-RPT (D again returns)",
    )
    .footer("policy", 6),
    b(
        &[Main, Policy],
        &[Char('F')],
        Command::Sweep,
        "probe every MX × address, up to 4 at once (probe --all)",
    )
    .footer("sweep all MX", 17),
    b(
        VIEWS,
        &[Char('0')],
        Command::ProbeTls10,
        "probe TLS 1.0: the server's answer to a ClientHello, not a handshake",
    ),
    b(
        VIEWS,
        &[Char('1')],
        Command::ProbeTls11,
        "probe TLS 1.1: the server's answer to a ClientHello, not a handshake",
    ),
    b(
        &[Main, Profile],
        &[Char('L')],
        Command::LegacySuitePicker,
        "probe one legacy cipher suite: the server's answer, not a handshake",
    ),
    // The running attempt.
    b(
        VIEWS,
        &[Char('n')],
        Command::StepMode,
        "step mode: pause before each SMTP command and the ClientHello",
    ),
    b(
        &[Main],
        &[Space],
        Command::Step,
        "take the next step (step mode)",
    )
    .footer("step", 0)
    .shown(Shown::Stepping),
    b(
        &[Main],
        &[Esc],
        Command::Cancel,
        "cancel the running scan or attempt",
    ),
    b(
        &[Profile],
        &[Esc],
        Command::Cancel,
        "cancel the running scan, else back",
    ),
    // Attempts and views.
    b(
        VIEWS,
        &[Char('[')],
        Command::PrevAttempt,
        "previous attempt",
    ),
    b(VIEWS, &[Char(']')], Command::NextAttempt, "next attempt"),
    b(
        VIEWS,
        &[Char('C')],
        Command::ViewCertificates,
        "certificates view (C again returns)",
    )
    .footer("certs", 4),
    b(
        VIEWS,
        &[Char('A')],
        Command::ViewAttempts,
        "attempts view (A again returns)",
    )
    .footer("attempts", 5),
    b(
        VIEWS,
        &[Char('l')],
        Command::ScenarioPicker,
        "pick another lab scenario (demo)",
    )
    .footer("lab", 0)
    .shown(Shown::Demo),
    b(
        VIEWS,
        &[Char('x')],
        Command::Export,
        "export report, JSON, recording, attempt pcapng, PEM chain",
    )
    .footer("export", 3),
    b(
        &[Main, Certificates],
        &[Char('y')],
        Command::Copy,
        "copy the diagnosis (certificates view: the marked certificate) to the clipboard",
    )
    .footer("copy", 2),
    b(
        ALL_BUT_EDIT,
        &[Char('M')],
        Command::ToggleMouse,
        "mouse on / off (off: the terminal selects text to copy)",
    )
    .footer("mouse", 15),
    b(
        &[Main],
        &[Char('f')],
        Command::ToggleFold,
        "fold / unfold long replies",
    ),
    b(
        &[Attempts],
        &[Space],
        Command::Toggle,
        "mark for comparison (two)",
    )
    .footer("mark", 1),
    b(
        &[Attempts],
        &[Enter],
        Command::Confirm,
        "compare the two marked, else show the attempt",
    )
    .footer("compare/show", 2),
    b(
        &[Main, Certificates, Compare, Profile, Policy, Repeat],
        &[Enter],
        Command::Confirm,
        "start what a key asked about (a run or a scan asks first)",
    )
    .footer("start", 0)
    .shown(Shown::Asking),
    b(&[Picker], &[Space], Command::Toggle, "check / uncheck")
        .footer("check", 1)
        .shown(Shown::MultiPick),
    b(
        &[Picker],
        &[Char('d')],
        Command::Defaults,
        "check every item: back to the defaults (then apply)",
    )
    .footer("defaults", 3)
    .shown(Shown::MultiPick),
    b(&[Picker], &[Enter], Command::Confirm, "apply and retry").footer("apply", 2),
    b(&[Edit], &[Enter], Command::Confirm, "apply and retry").footer("apply", 2),
    b(
        &[Edit],
        &[Backspace, Ctrl('h')],
        Command::Edit(E::Backspace),
        "delete the character before the cursor",
    ),
    b(
        &[Edit],
        &[Left, Ctrl('b')],
        Command::Edit(E::Left),
        "cursor left",
    ),
    b(
        &[Edit],
        &[Right, Ctrl('f')],
        Command::Edit(E::Right),
        "cursor right",
    ),
    b(
        &[Edit],
        &[Ctrl('a'), Home],
        Command::Edit(E::Start),
        "to the start",
    ),
    b(
        &[Edit],
        &[Ctrl('e'), End],
        Command::Edit(E::End),
        "to the end",
    ),
    b(
        &[Edit],
        &[Ctrl('u')],
        Command::Edit(E::KillToStart),
        "delete everything before the cursor",
    ),
    b(
        &[Edit],
        &[Ctrl('w')],
        Command::Edit(E::KillWord),
        "delete the word before the cursor",
    ),
    b(
        &[Edit],
        &[Esc],
        Command::Back,
        "cancel editing (type to edit)",
    )
    .footer("cancel", 1),
    // Moving around.
    b(&[Main], &[Tab], Command::FocusNext, "focus the next panel").footer("panel", 1),
    b(
        &[Main],
        &[BackTab],
        Command::FocusPrev,
        "focus the previous panel",
    ),
    b(
        &[Certificates],
        &[Tab],
        Command::NextCert,
        "mark the next certificate of the chain",
    )
    .footer("next cert", 1),
    b(
        &[Main],
        &[Down, Char('j')],
        Command::Down,
        "scroll / select down in the focused panel",
    ),
    b(
        &[Main],
        &[Up, Char('k')],
        Command::Up,
        "scroll / select up in the focused panel",
    ),
    b(
        &[Main],
        &[Left],
        Command::ScrollLeft,
        "scroll long lines left (transcript, timeline)",
    ),
    b(
        &[Main],
        &[Right],
        Command::ScrollRight,
        "scroll long lines right (transcript, timeline)",
    ),
    b(LISTS, &[Down, Char('j')], Command::Down, "down"),
    b(LISTS, &[Up, Char('k')], Command::Up, "up"),
    b(PAGED, &[Home], Command::Top, "top"),
    b(
        PAGED,
        &[End, Char('G')],
        Command::Bottom,
        "bottom (a live list follows new lines)",
    ),
    b(PAGED, &[PageDown], Command::PageDown, "page down"),
    b(PAGED, &[PageUp], Command::PageUp, "page up"),
    b(&[Help], &[Char('?')], Command::Help, "close this help"),
    b(
        ALL_BUT_HELP,
        &[Char('?')],
        Command::Help,
        "every key of this view",
    )
    .footer("help", 91)
    .exit(),
];

/// The command for `key` in `mode`. In the editor, printable characters are typed.
pub fn lookup(mode: Mode, key: Key) -> Option<Command> {
    let hit = TABLE
        .iter()
        .find(|b| b.modes.contains(&mode) && b.keys.contains(&key))
        .map(|b| b.command);
    match (hit, mode, key) {
        (None, Mode::Edit, Key::Char(_) | Key::Space) => Some(Command::Insert),
        (hit, _, _) => hit,
    }
}

/// The first key bound to `command` in `mode`, as the help and the diagnosis show it.
pub fn key_for(mode: Mode, command: Command) -> Option<Key> {
    TABLE
        .iter()
        .find(|b| b.command == command && b.modes.contains(&mode))
        .and_then(|b| b.keys.first().copied())
}

/// Every key that runs `command` in `mode` (keys an earlier row takes are left out), in
/// table order.
pub fn keys_for(mode: Mode, command: Command) -> Vec<Key> {
    let mut keys: Vec<Key> = Vec::new();
    for b in TABLE
        .iter()
        .filter(|b| b.command == command && b.modes.contains(&mode))
    {
        for k in b.keys {
            if lookup(mode, *k) == Some(command) && !keys.contains(k) {
                keys.push(*k);
            }
        }
    }
    keys
}

/// The key a status line names for `command` in `mode` (the first one that runs it), so
/// that rebinding a key in the table changes every status line that mentions it.
pub fn name(mode: Mode, command: Command) -> String {
    keys_for(mode, command)
        .first()
        .map_or_else(|| "?".to_string(), |k| k.label())
}

/// `prefer` if it runs `command` in `mode` (the key the words have always named), else the
/// first key that does.
pub fn name_or(mode: Mode, command: Command, prefer: Key) -> String {
    if lookup(mode, prefer) == Some(command) {
        prefer.label()
    } else {
        name(mode, command)
    }
}

/// Every key for `command` in `mode`, as a status line lists them: "q or Esc".
pub fn names(mode: Mode, command: Command) -> String {
    either(&keys_for(mode, command))
}

/// Keys for several commands in one list, as a status line names them: "C, q or Esc".
pub fn names_of(mode: Mode, commands: &[Command]) -> String {
    let mut keys: Vec<Key> = Vec::new();
    for c in commands {
        for k in keys_for(mode, *c) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    either(&keys)
}

fn either(keys: &[Key]) -> String {
    let labels: Vec<String> = keys.iter().map(|k| k.label()).collect();
    match labels.split_last() {
        None => "?".to_string(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The footer of `mode`: (keys, short words) of the rows marked for it, by rank.
pub fn footer(mode: Mode) -> Vec<FooterKey> {
    let mut rows: Vec<FooterKey> = Vec::new();
    let mut marked: Vec<&Binding> = TABLE
        .iter()
        .filter(|b| !b.short.is_empty() && b.modes.contains(&mode))
        .collect();
    marked.sort_by_key(|b| b.rank);
    for b in marked {
        let keys: Vec<Key> = b
            .keys
            .iter()
            .copied()
            .filter(|k| lookup(mode, *k) == Some(b.command))
            .collect();
        if !keys.is_empty() && !rows.iter().any(|r| r.short == b.short) {
            rows.push(FooterKey {
                keys,
                command: b.command,
                short: b.short,
                exit: b.exit,
                shown: b.shown,
            });
        }
    }
    rows
}

/// One entry of the footer: the keys that reach `command` in the mode, and its words.
#[derive(Debug, Clone, PartialEq)]
pub struct FooterKey {
    pub keys: Vec<Key>,
    pub command: Command,
    pub short: &'static str,
    /// A way out or the help ([`Binding::exit`]): shown on the right.
    pub exit: bool,
    pub shown: Shown,
}

impl FooterKey {
    /// `q/Esc`.
    pub fn label(&self) -> String {
        let labels: Vec<String> = self.keys.iter().map(|k| k.label()).collect();
        labels.join("/")
    }
}

/// What a key does, as the help groups the keys: by effect, not by letter or case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// One new attempt with one change to the plan.
    Plan,
    /// Many connections: repeat, sweep, investigate, scans (they ask first).
    Run,
    /// The attempt running now (step mode, cancel).
    Running,
    Views,
    Move,
    /// Pickers, the editor and the attempts table's marks.
    Choose,
    Export,
    Leave,
}

impl Group {
    /// The order the help lists the groups in.
    pub const ALL: [Group; 8] = [
        Group::Plan,
        Group::Run,
        Group::Running,
        Group::Views,
        Group::Choose,
        Group::Move,
        Group::Export,
        Group::Leave,
    ];

    pub fn of(cmd: Command) -> Group {
        use Command as C;
        match cmd {
            C::Retry
            | C::Tls13Only
            | C::Tls12Only
            | C::BothVersions
            | C::SuitePicker
            | C::GroupPicker
            | C::WithoutPq
            | C::DefaultGroups
            | C::EditSni
            | C::ToggleSniOff
            | C::ToggleVerify
            | C::EditEhlo
            | C::AddressPicker
            | C::ToggleImplicit
            | C::LongerTimeout
            | C::ScenarioPicker => Group::Plan,
            C::Repeat
            | C::RepeatUntilStopped
            | C::Scan
            | C::ScanFull
            | C::ScanSenders
            | C::Investigate
            | C::Sweep
            | C::ProbeTls10
            | C::ProbeTls11
            | C::LegacySuitePicker => Group::Run,
            C::StepMode | C::Step | C::Cancel => Group::Running,
            C::ViewCertificates
            | C::ViewAttempts
            | C::ViewProfile
            | C::ViewPolicy
            | C::ViewRepeat
            | C::PrevAttempt
            | C::NextAttempt
            | C::NextCert
            | C::FocusNext
            | C::FocusPrev
            | C::ToggleFold
            | C::ToggleMouse => Group::Views,
            C::Up
            | C::Down
            | C::PageUp
            | C::PageDown
            | C::Top
            | C::Bottom
            | C::ScrollLeft
            | C::ScrollRight => Group::Move,
            C::Toggle | C::Defaults | C::Confirm | C::Edit(_) | C::Insert => Group::Choose,
            C::Export | C::Copy => Group::Export,
            C::Quit | C::Back | C::Help => Group::Leave,
        }
    }

    /// The help's heading for the group.
    pub fn title(self) -> &'static str {
        match self {
            Group::Plan => "change the plan: each key starts one new attempt",
            Group::Run => "run and probe: keys for many connections ask first",
            Group::Running => "the running attempt",
            Group::Views => "views",
            Group::Move => "move and scroll",
            Group::Choose => "choose and edit",
            Group::Export => "export and copy",
            Group::Leave => "help and leaving",
        }
    }

    /// Its keys start network work, which a replayed recording cannot do.
    pub fn is_live(self) -> bool {
        matches!(self, Group::Plan | Group::Run)
    }
}

/// Whether `cmd` can do anything in a replay (read-only): no new attempts, scans or runs,
/// and no step mode (nothing runs to step through).
pub fn works_in_replay(cmd: Command) -> bool {
    !(Group::of(cmd).is_live() || matches!(cmd, Command::StepMode | Command::Step))
}

/// The group a row is listed under: its command's, except that the key confirming a heavy
/// key's question goes with the heavy keys.
fn row_group(b: &Binding) -> Group {
    if b.shown == Shown::Asking {
        Group::Run
    } else {
        Group::of(b.command)
    }
}

/// Help rows for `mode` under their group headings, in [`Group::ALL`] order.
pub fn help_groups(mode: Mode) -> Vec<(Group, Vec<(String, &'static str)>)> {
    let rows = help(mode);
    Group::ALL
        .iter()
        .filter_map(|g| {
            let mine: Vec<(String, &'static str)> = rows
                .iter()
                .filter(|(_, h)| {
                    TABLE
                        .iter()
                        .find(|b| b.help == *h && b.modes.contains(&mode))
                        .is_some_and(|b| row_group(b) == *g)
                })
                .cloned()
                .collect();
            (!mine.is_empty()).then_some((*g, mine))
        })
        .collect()
}

/// Help rows for `mode`: (keys, what they do), generated from the table.
pub fn help(mode: Mode) -> Vec<(String, &'static str)> {
    let mut rows: Vec<(String, &'static str)> = Vec::new();
    for b in TABLE.iter().filter(|b| b.modes.contains(&mode)) {
        // A key taken by an earlier row in this mode is not reachable here: skip it.
        let keys: Vec<String> = b
            .keys
            .iter()
            .filter(|k| lookup(mode, **k) == Some(b.command))
            .map(|k| k.label())
            .collect();
        if keys.is_empty() {
            continue;
        }
        match rows.iter_mut().find(|(_, h)| *h == b.help) {
            Some(row) => {
                row.0.push(' ');
                row.0.push_str(&keys.join(" "));
            }
            None => rows.push((keys.join(" "), b.help)),
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collisions_resolve_per_mode() {
        assert_eq!(lookup(Main, Char('v')), Some(Command::ToggleVerify));
        assert_eq!(lookup(Main, Char('g')), Some(Command::GroupPicker));
        assert_eq!(lookup(Main, Char('G')), Some(Command::Bottom));
        assert_eq!(lookup(Main, Esc), Some(Command::Cancel));
        assert_eq!(lookup(Certificates, Esc), Some(Command::Back));
        assert_eq!(lookup(Edit, Char('q')), Some(Command::Insert));
        assert_eq!(lookup(Edit, Esc), Some(Command::Back));
        assert_eq!(lookup(Main, Char('Z')), None);
        assert_eq!(lookup(Main, Char('w')), Some(Command::Scan));
        assert_eq!(lookup(Profile, Esc), Some(Command::Cancel));
        assert_eq!(lookup(Profile, Char('k')), Some(Command::Up));
    }

    /// Issue 7: `k`/`K` meant "verify"/"up" in the main view and "up"/nothing in lists. A key
    /// now runs one command (or none) in every mode; `q` and `Esc` in an overlay close it.
    #[test]
    fn each_key_means_one_thing_everywhere() {
        let modes = [
            Main,
            Certificates,
            Attempts,
            Compare,
            Profile,
            Repeat,
            Help,
            Picker,
        ];
        for key in [
            Char('k'),
            Char('j'),
            Char('K'),
            Char('g'),
            Char('G'),
            Char('v'),
            Home,
            End,
        ] {
            let mut seen: Vec<Command> = modes.iter().filter_map(|m| lookup(*m, key)).collect();
            seen.dedup();
            assert!(seen.len() <= 1, "{key:?} means {seen:?}");
        }
        assert_eq!(lookup(Main, Char('k')), Some(Command::Up));
        assert_eq!(lookup(Attempts, Char('k')), Some(Command::Up));
        assert_eq!(lookup(Main, Char('K')), None);
        for m in [Help, Picker, Certificates, Attempts, Compare, Profile] {
            assert_eq!(lookup(m, Char('q')), Some(Command::Back), "{m:?}");
        }
        assert_eq!(lookup(Main, Char('q')), Some(Command::Quit));
    }

    #[test]
    fn no_row_is_shadowed_entirely() {
        for b in TABLE {
            for m in b.modes {
                assert!(
                    b.keys.iter().any(|k| lookup(*m, *k) == Some(b.command)),
                    "{:?} in {m:?} is unreachable",
                    b.command
                );
            }
        }
    }

    #[test]
    fn help_is_generated_from_the_table() {
        let main = help(Main);
        assert!(
            main.iter()
                .any(|(k, h)| k == "2" && h.contains("TLS 1.2 only"))
        );
        assert!(
            main.iter()
                .any(|(k, h)| k == "q Ctrl-c" && h.starts_with("quit"))
        );
        assert!(main.iter().any(|(k, _)| k == "↑ k"));
        let lists = help(Attempts);
        assert!(lists.iter().any(|(k, _)| k == "↑ k"));
        let foot: Vec<(String, &str)> = footer(Main).iter().map(|r| (r.label(), r.short)).collect();
        assert!(foot.contains(&("2".to_string(), "TLS 1.2")), "{foot:?}");
        assert!(foot.contains(&("y".to_string(), "copy")), "{foot:?}");
        let back = footer(Picker);
        let back = back.iter().find(|r| r.short == "back");
        assert_eq!(back.map(FooterKey::label).as_deref(), Some("q/Esc"));
        assert!(back.is_some_and(|b| b.exit));
        for mode in [
            Main,
            Certificates,
            Attempts,
            Compare,
            Profile,
            Repeat,
            Help,
            Picker,
            Edit,
        ] {
            assert!(!help(mode).is_empty(), "{mode:?}");
        }
        assert_eq!(key_for(Main, Command::Tls12Only), Some(Char('2')));
    }

    #[test]
    fn keys_from_terminal_events() {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let k = |code, m| Key::from_event(&KeyEvent::new(code, m));
        assert_eq!(k(KeyCode::Char('G'), KeyModifiers::SHIFT), Some(Char('G')));
        assert_eq!(
            k(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Ctrl('c'))
        );
        assert_eq!(k(KeyCode::Char(' '), KeyModifiers::NONE), Some(Space));
        assert_eq!(k(KeyCode::F(1), KeyModifiers::NONE), None);
    }
}

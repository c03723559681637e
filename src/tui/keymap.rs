//! The one key table: which key runs which `Command` in which `Mode`, with the words the
//! help overlay shows. Adding a key is one row here; the help is generated from these rows,
//! so it cannot drift from what the keys do.
//!
//! Collisions are resolved per mode: in the main view `k` toggles verification and `g` opens
//! the group picker, so scrolling there uses `↑`/`K` and `Home`; in lists and overlays
//! (`j`/`k`/`g`/`G`) scroll and move as in `less`.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::Mode;
use super::command::Command;

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
}

use Key::*;
use Mode::*;

const VIEWS: &[Mode] = &[Main, Certificates, Attempts, Compare, Profile];
const LISTS: &[Mode] = &[Certificates, Attempts, Compare, Profile, Help, Picker];
const ALL_BUT_EDIT: &[Mode] = &[Main, Certificates, Attempts, Compare, Profile, Help, Picker];

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
    }
}

/// The table. The first row that matches (mode, key) wins.
pub static TABLE: &[Binding] = &[
    // Attempts: each starts a new attempt with one change to the current plan.
    b(
        VIEWS,
        &[Char('r')],
        Command::Retry,
        "retry the current plan",
    ),
    b(
        VIEWS,
        &[Char('3')],
        Command::Tls13Only,
        "retry with TLS 1.3 only",
    ),
    b(
        VIEWS,
        &[Char('2')],
        Command::Tls12Only,
        "retry with TLS 1.2 only",
    ),
    b(
        VIEWS,
        &[Char('a')],
        Command::BothVersions,
        "retry with TLS 1.2 and 1.3",
    ),
    b(
        &[Main],
        &[Char('c')],
        Command::SuitePicker,
        "pick cipher suites, then retry",
    ),
    b(
        &[Main],
        &[Char('g')],
        Command::GroupPicker,
        "pick key-exchange groups (post-quantum is one toggle), then retry",
    ),
    b(
        &[Main],
        &[Char('p')],
        Command::WithoutPq,
        "retry without the post-quantum key share",
    ),
    b(
        &[Main],
        &[Char('d')],
        Command::DefaultGroups,
        "retry with the default groups",
    ),
    b(
        &[Main],
        &[Char('s')],
        Command::EditSni,
        "edit the SNI name, then retry (empty: automatic)",
    ),
    b(
        &[Main],
        &[Char('S')],
        Command::ToggleSniOff,
        "retry with SNI off / automatic",
    ),
    b(
        &[Main, Certificates],
        &[Char('k')],
        Command::ToggleVerify,
        "retry with strict verification on / off",
    ),
    b(
        &[Main],
        &[Char('e')],
        Command::EditEhlo,
        "edit the EHLO name, then retry",
    ),
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
    ),
    b(
        &[Main],
        &[Char('T')],
        Command::LongerTimeout,
        "retry with a 4× longer reply timeout",
    ),
    // The server's profile: scanner probes (a ClientHello and its answer, never a handshake).
    b(
        VIEWS,
        &[Char('w')],
        Command::Scan,
        "scan what the server accepts, the part the diagnosis points to",
    ),
    b(
        VIEWS,
        &[Char('W')],
        Command::ScanFull,
        "scan the server's full profile (versions, suites, groups)",
    ),
    b(
        VIEWS,
        &[Char('P')],
        Command::ViewProfile,
        "server-profile view",
    ),
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
    ),
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
        "certificates view",
    ),
    b(VIEWS, &[Char('A')], Command::ViewAttempts, "attempts view"),
    b(
        VIEWS,
        &[Char('l')],
        Command::ScenarioPicker,
        "pick another lab scenario (demo)",
    ),
    b(
        VIEWS,
        &[Char('x')],
        Command::Export,
        "export text report, JSON and recording",
    ),
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
    ),
    b(
        &[Attempts],
        &[Enter],
        Command::Confirm,
        "compare the two marked, else show the attempt",
    ),
    b(&[Picker], &[Space], Command::Toggle, "check / uncheck"),
    b(&[Picker], &[Enter], Command::Confirm, "apply and retry"),
    b(&[Edit], &[Enter], Command::Confirm, "apply and retry"),
    b(
        &[Edit],
        &[Backspace],
        Command::Backspace,
        "delete a character",
    ),
    b(
        &[Edit],
        &[Esc],
        Command::Back,
        "cancel editing (type to edit)",
    ),
    b(
        &[Certificates, Attempts, Compare, Help, Picker],
        &[Esc],
        Command::Back,
        "back",
    ),
    // Moving around.
    b(&[Main], &[Tab], Command::FocusNext, "focus the next panel"),
    b(
        &[Main],
        &[BackTab],
        Command::FocusPrev,
        "focus the previous panel",
    ),
    b(
        &[Main],
        &[Down, Char('j')],
        Command::Down,
        "scroll / select down in the focused panel",
    ),
    b(
        &[Main],
        &[Up, Char('K')],
        Command::Up,
        "scroll / select up (k is verification here)",
    ),
    b(
        &[Main],
        &[Home],
        Command::Top,
        "top (g is the group picker here)",
    ),
    b(
        &[Main],
        &[End, Char('G')],
        Command::Bottom,
        "bottom, and follow new lines",
    ),
    b(LISTS, &[Down, Char('j')], Command::Down, "down"),
    b(LISTS, &[Up, Char('k')], Command::Up, "up"),
    b(LISTS, &[Home, Char('g')], Command::Top, "top"),
    b(LISTS, &[End, Char('G')], Command::Bottom, "bottom"),
    b(ALL_BUT_EDIT, &[PageDown], Command::PageDown, "page down"),
    b(ALL_BUT_EDIT, &[PageUp], Command::PageUp, "page up"),
    b(ALL_BUT_EDIT, &[Char('?')], Command::Help, "this help"),
    b(ALL_BUT_EDIT, &[Char('q')], Command::Quit, "quit"),
    b(
        &[
            Main,
            Certificates,
            Attempts,
            Compare,
            Profile,
            Help,
            Picker,
            Edit,
        ],
        &[Ctrl('c')],
        Command::Quit,
        "quit",
    ),
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
        assert_eq!(lookup(Main, Char('k')), Some(Command::ToggleVerify));
        assert_eq!(lookup(Attempts, Char('k')), Some(Command::Up));
        assert_eq!(lookup(Main, Char('g')), Some(Command::GroupPicker));
        assert_eq!(lookup(Picker, Char('g')), Some(Command::Top));
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
        assert!(main.iter().any(|(k, h)| k == "q Ctrl-c" && *h == "quit"));
        assert!(main.iter().any(|(k, _)| k == "↑ K"));
        let lists = help(Attempts);
        assert!(lists.iter().any(|(k, _)| k == "↑ k"));
        for mode in [
            Main,
            Certificates,
            Attempts,
            Compare,
            Profile,
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

//! Status lines and titles name keys from the one keymap table, never literally: a key
//! rebound in the table is named that way everywhere. One test builds statuses and compares
//! them with the table's labels; one reads the TUI's sources for key names in string literals.

use std::path::{Path, PathBuf};

use tlsdive::session::Session;
use tlsdive::tui::Ui;
use tlsdive::tui::app::{App, Mode};
use tlsdive::tui::command::Command;
use tlsdive::tui::keymap::{self, Key, TABLE, key_for, lookup};

fn label(mode: Mode, command: Command) -> String {
    key_for(mode, command)
        .map(Key::label)
        .expect("the command is bound in this mode")
}

/// `keymap::name` is the table's label for the key that runs the command, for every row.
#[test]
fn a_named_key_is_the_tables_label() {
    for b in TABLE {
        for mode in b.modes {
            let reachable: Vec<Key> = b
                .keys
                .iter()
                .copied()
                .filter(|k| lookup(*mode, *k) == Some(b.command))
                .collect();
            if let Some(first) = keymap::keys_for(*mode, b.command).first() {
                assert_eq!(keymap::name(*mode, b.command), first.label());
                assert_eq!(lookup(*mode, *first), Some(b.command), "{b:?}");
            }
            for k in reachable {
                assert!(keymap::keys_for(*mode, b.command).contains(&k), "{b:?}");
            }
        }
    }
    assert_eq!(keymap::names(Mode::Compare, Command::Back), "q or Esc");
    assert_eq!(
        keymap::name_or(Mode::Help, Command::Back, Key::Char('x')),
        keymap::name(Mode::Help, Command::Back)
    );
}

/// Statuses the commands set carry the keys the table binds.
#[test]
fn statuses_name_the_bound_keys() {
    let mut ui = Ui::new(Session::new(), App::new());
    ui.key(key_for(Mode::Main, Command::StepMode).expect("step mode key"));
    assert_eq!(
        ui.app.status,
        format!(
            "step mode on: the next attempt pauses before each step ({} continues)",
            label(Mode::Main, Command::Step)
        )
    );
    let mut demo = App::new();
    demo.start_demo(Vec::new());
    assert!(
        demo.status.ends_with(&format!(
            "press {} to pick another scenario",
            label(Mode::Main, Command::ScenarioPicker)
        )),
        "{}",
        demo.status
    );
}

/// Words that follow a key in a status ("R stops", "q again", "press l").
const VERBS: &[&str] = &[
    "again",
    "stops",
    "shows",
    "returns",
    "runs",
    "copies",
    "exports",
    "quits",
    "closes",
    "cancels",
    "continues",
    "marks",
    "checks",
    "retries",
    "probes",
    "opens",
    "leaves",
    "compares",
    "toggles",
];
/// Key names that are never ordinary words in a status.
const KEY_WORDS: &[&str] = &["Esc", "Enter", "Tab", "Bksp", "PgUp", "PgDn"];

/// The string literals of `src` before its tests module.
fn literals(src: &str) -> Vec<String> {
    let code = src.split("#[cfg(test)]").next().unwrap_or("");
    let code = code.replace("'\"'", "");
    let mut out = Vec::new();
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        if c == '/' {
            // Skip line comments (doc comments name keys in prose).
            let rest: String = chars.clone().take(1).collect();
            if rest == "/" {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            continue;
        }
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => break,
                c => s.push(c),
            }
        }
        out.push(s);
    }
    out
}

/// Why `literal` names a key literally, if it does.
fn key_named(literal: &str) -> Option<String> {
    // Format arguments (`{n}`) are not words.
    let mut plain = String::new();
    let mut depth = 0;
    for c in literal.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            c if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let literal = plain.as_str();
    if literal == "space" {
        return Some("\"space\"".into());
    }
    let words: Vec<&str> = literal
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '?'))
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        if KEY_WORDS.contains(w) || w.starts_with("Ctrl-") {
            return Some(format!("{w:?}"));
        }
        let key_like = *w == "space" || *w == "?" || (w.len() == 1 && w != &"a");
        let next = words.get(i + 1).copied().unwrap_or("");
        let before = if i == 0 { "" } else { words[i - 1] };
        // "(space)", not the plural "suite(s)".
        let alone = literal.contains(&format!(" ({w})")) || literal.starts_with(&format!("({w})"));
        if key_like && (VERBS.contains(&next) || before == "press" || alone) {
            return Some(format!("{w:?} {next:?}"));
        }
    }
    None
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_detector_sees_literal_keys() {
    for bad in [
        "a scan of x is running (Esc cancels it)",
        "repeat: attempt 3 (R stops)",
        "not exported: q again quits, x exports them",
        "press l to pick another scenario",
        "nothing checked: check at least one (space)",
    ] {
        assert!(key_named(bad).is_some(), "{bad}");
    }
    assert_eq!(key_named("a repeat is running: stop it first"), None);
    assert_eq!(key_named("{} ({} stops)"), None);
}

/// No string in the TUI (outside the table itself and the triage table, whose keys are its
/// own, not the table's) names a key: each asks the keymap.
#[test]
fn no_status_names_a_key_literally() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![root.join("tui.rs")];
    sources(&root.join("tui"), &mut files);
    let own_keys = ["keymap.rs", "triage_table.rs", "triage.rs"];
    let mut found = Vec::new();
    for f in files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if own_keys.contains(&name) {
            continue;
        }
        let src = std::fs::read_to_string(&f).expect("source");
        for lit in literals(&src) {
            if let Some(why) = key_named(&lit) {
                found.push(format!("{}: {lit:?} ({why})", f.display()));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

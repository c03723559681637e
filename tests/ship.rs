//! What a packaged tlsdive ships besides the binary, generated from the clap definition: the
//! man pages (one per command), the completion scripts, and a `--version` naming the TLS
//! stack. Each is checked against the definition, so a new command cannot be left out.

use std::process::Command;

use clap::CommandFactory;
use tlsdive::cli::Cli;

fn tlsdive(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tlsdive"))
        .args(args)
        .output()
        .expect("run tlsdive")
}

fn commands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_string())
        .collect()
}

#[test]
fn version_names_the_tls_stack() {
    let out = tlsdive(&["--version"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("tlsdive {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    let lock = include_str!("../Cargo.lock");
    let version_of = |name: &str| {
        let at = lock
            .find(&format!("name = \"{name}\"\nversion = \""))
            .expect("in Cargo.lock");
        let rest = &lock[at + name.len() + 20..];
        rest[..rest.find('"').expect("quoted")].to_string()
    };
    assert!(
        text.contains(&format!("rustls {}", version_of("rustls"))),
        "{text}"
    );
    assert!(
        text.contains(&format!("aws-lc-rs {}", version_of("aws-lc-rs"))),
        "{text}"
    );
    assert!(text.contains("(AWS-LC "), "{text}");
}

#[test]
fn the_man_pages_cover_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tlsdive(&["manpage", dir.path().to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "{out:?}");
    let main = std::fs::read_to_string(dir.path().join("tlsdive.1")).expect("tlsdive.1");
    assert!(
        main.starts_with(".ie"),
        "roff: {}",
        &main[..80.min(main.len())]
    );
    assert!(main.contains(".SH SUBCOMMANDS"), "{main}");
    let cmds = commands();
    assert!(cmds.len() >= 7, "{cmds:?}");
    for cmd in &cmds {
        assert!(
            main.contains(&format!("tlsdive\\-{}(1)", cmd.replace('-', "\\-"))),
            "tlsdive.1 does not mention {cmd}"
        );
        let page = std::fs::read_to_string(dir.path().join(format!("tlsdive-{cmd}.1")))
            .unwrap_or_else(|e| panic!("tlsdive-{cmd}.1: {e}"));
        assert!(
            page.contains(".SH OPTIONS"),
            "tlsdive-{cmd}.1 has no options"
        );
    }
    // The hidden generator itself is not documented as a user command.
    assert!(!main.contains("manpage"), "{main}");
}

#[test]
fn completions_know_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let out = tlsdive(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8_lossy(&out.stdout);
        for cmd in commands() {
            assert!(script.contains(&cmd), "{shell} completion misses {cmd}");
        }
        assert!(
            script.contains("starttls") || script.contains("ca-file"),
            "{shell}"
        );
    }
    let out = tlsdive(&["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn a_man_page_folder_that_cannot_be_made_is_a_usage_error() {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    let dir = file.path().join("man");
    let out = tlsdive(&["manpage", dir.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot write the man pages"),
        "{out:?}"
    );
}

//! The suite must pass on a fresh clone on another machine: no file under `assets/` or
//! `tests/` may hold an absolute path outside the repository (a recording that names
//! a temporary CA file only works where that temporary file still exists).

use std::path::{Path, PathBuf};

/// Roots of paths that exist only on the machine that wrote them. Built at run time so this
/// file does not match itself.
fn local_roots() -> Vec<String> {
    let mut roots: Vec<String> = [
        "tmp", "var", "home", "root", "work", "Users", "private", "mnt",
    ]
    .iter()
    .map(|r| format!("/{r}/"))
    .collect();
    roots.push(env!("CARGO_MANIFEST_DIR").to_string());
    roots.push(std::env::temp_dir().display().to_string());
    roots
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn no_fixture_holds_a_local_absolute_path() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    files(&repo.join("assets"), &mut all);
    files(&repo.join("tests"), &mut all);
    assert!(all.len() > 10, "found only {} files", all.len());
    let roots = local_roots();
    let mut found = Vec::new();
    for f in &all {
        let Ok(text) = std::fs::read(f) else { continue };
        let text = String::from_utf8_lossy(&text);
        for (n, line) in text.lines().enumerate() {
            for r in &roots {
                if r.len() > 1 && line.contains(r.as_str()) {
                    let at = line.find(r.as_str()).unwrap_or(0);
                    let end = line.len().min(at + 60);
                    found.push(format!(
                        "{}:{}: {}",
                        f.strip_prefix(repo).unwrap_or(f).display(),
                        n + 1,
                        line.get(at..end).unwrap_or(r)
                    ));
                    break;
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "absolute local paths in fixtures (they fail on another machine):\n{}",
        found.join("\n")
    );
}

//! The crate's top-level modules form the layers DESIGN.md declares: a module names (through
//! `crate::` paths) only modules of its own layer or below, and no two modules reach each
//! other. Test modules (`tests.rs`, `#[cfg(test)] mod tests`) are left out: a test may use
//! anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The first path segment after each `crate::`, and each item's first segment in a
/// grouped `crate::{a::x, b}` import.
fn named_modules(code: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            // Items at depth 1 of the group, split on commas.
            let mut depth = 1;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 1 => {
                        out.push(ident(&group[start..j]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        out.push(ident(&group[start..j]));
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest));
        }
    }
    out
}

/// Module name → the other top-level modules its non-test code names as `crate::x`.
fn edges(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(src).expect("read src") {
        let p = entry.expect("dir entry").path();
        if let Some(stem) = p.file_stem().and_then(|s| s.to_str())
            && p.extension().is_some_and(|e| e == "rs")
            && stem != "lib"
            && stem != "main"
        {
            modules.insert(stem.to_string());
        }
    }
    let mut out = BTreeMap::new();
    for m in &modules {
        let mut files = vec![src.join(format!("{m}.rs"))];
        let dir = src.join(m);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
        let mut deps = BTreeSet::new();
        for f in files.iter().filter(|f| !f.ends_with("tests.rs")) {
            let text = std::fs::read_to_string(f).expect("read source");
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
            for name in named_modules(code) {
                if &name != m && modules.contains(&name) {
                    deps.insert(name);
                }
            }
        }
        out.insert(m.clone(), deps);
    }
    out
}

/// A path from `from` back to `to`, if there is one.
fn path(
    g: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    to: &str,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if from == to {
        return Some(vec![to.to_string()]);
    }
    if !seen.insert(from.to_string()) {
        return None;
    }
    for next in g.get(from).into_iter().flatten() {
        if let Some(mut rest) = path(g, next, to, seen) {
            rest.insert(0, from.to_string());
            return Some(rest);
        }
    }
    None
}

/// DESIGN.md's layers, bottom to top. The binary's own modules (`main` and the `*_cmd`
/// files beside it) are the top.
const LAYERS: &[&[&str]] = &[
    &["sanitize", "units", "files"],
    &["wire", "cert", "policy"],
    &["plan"],
    &["profile", "target", "lab"],
    &["event"],
    &["net", "session"],
    &["diagnose", "scan", "recording", "pcap"],
    &["case", "repeat", "sweep"],
    &["runs"],
    &["engine"],
    &["report", "triage"],
    &["cli", "tui"],
    &[
        "lab_cmd",
        "repeat_cmd",
        "sweep_cmd",
        "triage_cmd",
        "tui_cmd",
    ],
];

fn layer_of(m: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&m))
}

/// Every use that points up: "lower -> higher".
fn upward(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut up = Vec::new();
    for (m, deps) in g {
        for d in deps {
            if let (Some(lm), Some(ld)) = (layer_of(m), layer_of(d))
                && ld > lm
            {
                up.push(format!("{m} (layer {lm}) uses {d} (layer {ld})"));
            }
        }
    }
    up
}

#[test]
fn every_module_is_in_a_declared_layer() {
    let g = edges(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let undeclared: Vec<&String> = g.keys().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        undeclared.is_empty(),
        "modules missing from LAYERS (declare them as DESIGN.md does): {undeclared:?}"
    );
}

#[test]
fn arrows_only_point_down() {
    let g = edges(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let up = upward(&g);
    assert!(
        up.is_empty(),
        "a lower layer uses a higher one:\n{}",
        up.join("\n")
    );
}

#[test]
fn grouped_imports_are_seen() {
    assert_eq!(
        named_modules("use crate::{engine::EngineHandle, wire::{a, b}, tui};"),
        vec!["engine", "wire", "tui"]
    );
}

#[test]
fn the_check_sees_an_upward_arrow() {
    let mut g = BTreeMap::new();
    g.insert("wire".to_string(), BTreeSet::from(["engine".to_string()]));
    g.insert("engine".to_string(), BTreeSet::from(["wire".to_string()]));
    assert_eq!(
        upward(&g),
        vec!["wire (layer 1) uses engine (layer 9)".to_string()]
    );
}

#[test]
fn top_level_modules_have_no_cycles() {
    let g = edges(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(
        g.len() > 20,
        "the crate's modules were found: {:?}",
        g.keys()
    );
    let mut cycles = Vec::new();
    for (m, deps) in &g {
        for d in deps {
            if let Some(back) = path(&g, d, m, &mut BTreeSet::new()) {
                cycles.push(format!("{m} -> {}", back.join(" -> ")));
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_check_sees_a_cycle() {
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(
        path(&g, "b", "a", &mut BTreeSet::new()),
        Some(vec!["b".to_string(), "a".to_string()])
    );
}

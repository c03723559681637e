//! The crate's top-level modules form layers: no module reaches, through `crate::` paths,
//! back to a module that reaches it (DESIGN.md: plan → engine → events → attempt → front
//! ends; pure parts below the I/O). Test modules (`tests.rs`, `#[cfg(test)] mod tests`) are
//! left out: a test may use anything.

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
            for (i, _) in code.match_indices("crate::") {
                let name: String = code[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
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

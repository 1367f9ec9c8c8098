//! The layering of `ARCHITECTURE.md` ("Layers"): no import cycle between the top-level modules
//! of `src/`. Read from the sources: every `crate::X` path (outside comments and the test
//! modules at the end of a file) is an edge from the file's top-level module to `X`.

use crate::support::sources::{rust_files, src_dir};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level module a file under `src/` belongs to (`None`: the crate root, `main.rs`).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// The code of a file without comment lines and without its trailing `#[cfg(test)]` module.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules `code` names as `crate::X`, `crate::{X, …}`.
fn named_modules(code: &str, tops: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group
                .split('}')
                .next()
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().split("::").next().unwrap_or_default())
                .collect(),
            None => vec![
                rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap(),
            ],
        };
        out.extend(
            names
                .into_iter()
                .filter(|n| tops.contains(*n))
                .map(String::from),
        );
    }
    out
}

/// The edges between top-level modules.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = src_dir();
    let files = rust_files(&src);
    let tops: BTreeSet<String> = files.iter().filter_map(|f| top_module(&src, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let Some(top) = top_module(&src, f) else {
            continue;
        };
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        let deps = graph.entry(top.clone()).or_default();
        deps.extend(
            named_modules(&code, &tops)
                .into_iter()
                .filter(|m| *m != top),
        );
    }
    graph
}

/// A path `from` → … → `to` in `graph`, if any.
fn path_between(
    graph: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    to: &str,
) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap().clone();
        if last == to {
            return Some(path);
        }
        if !seen.insert(last.clone()) {
            continue;
        }
        for next in graph.get(&last).into_iter().flatten() {
            let mut p = path.clone();
            p.push(next.clone());
            stack.push(p);
        }
    }
    None
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = module_graph();
    assert!(graph.len() >= 10, "modules found: {:?}", graph.keys());
    let mut cycles = Vec::new();
    for (from, deps) in &graph {
        for to in deps {
            if let Some(back) = path_between(&graph, to, from) {
                cycles.push(format!("{from} -> {}", back.join(" -> ")));
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let tops: BTreeSet<String> = ["a", "b"].map(String::from).into();
    let a = named_modules("use crate::b::x;", &tops);
    let b = named_modules("use crate::{a, c};", &tops);
    let graph = BTreeMap::from([("a".to_string(), a), ("b".to_string(), b)]);
    assert_eq!(
        path_between(&graph, "b", "a"),
        Some(vec!["b".to_string(), "a".to_string()])
    );
    assert_eq!(code_of("x\n// crate::b\n#[cfg(test)]\ncrate::a"), "x");
}

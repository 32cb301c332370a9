//! The module directions of DESIGN.md section 5, pinned by a test: `commands`/`wizard` →
//! `diagnose`/`incident` → `config` → `dictionary` → `servicenow`, no cycles.
//!
//! Every `crate::X` path in `src/**/*.rs` is an edge from the file's top-level module to `X`;
//! an edge missing from [`ALLOWED`] fails the test and names the file, so a newcomer who adds
//! `use crate::diagnose::…` to `config/` learns at once which way the layers point.

#![cfg(test)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which top-level modules each module may use, lowest layer first.
///
/// Leaves use nothing of the crate, so any layer may use them: `sanitize` (untrusted text made
/// safe, secrets redacted) and `harden` (process hardening at start, called by `cli`). The
/// `simulator` plays a ServiceNow instance and knows nothing of the client; of this crate it
/// uses only the `sanitize` leaf (to show a bad `--tls-name` escaped), so it stays separable.
/// `exit` and `logging` belong to the command layer: `exit` is the one map from a verdict to a
/// process exit code (DESIGN.md section 5: only `commands/` and `main` make that step), and
/// `logging` is the log file `cli` sets up, redacted through `sanitize`. Nothing below the
/// command layer may use either.
const ALLOWED: &[(&str, &[&str])] = &[
    ("sanitize", &[]),
    ("harden", &[]),
    ("simulator", &["sanitize"]),
    ("servicenow", &["sanitize"]),
    ("dictionary", &["servicenow", "sanitize"]),
    ("config", &["dictionary", "servicenow", "sanitize"]),
    (
        "diagnose",
        &["config", "dictionary", "servicenow", "sanitize"],
    ),
    (
        "incident",
        &["config", "dictionary", "servicenow", "sanitize"],
    ),
    (
        "wizard",
        &[
            "diagnose",
            "incident",
            "config",
            "dictionary",
            "servicenow",
            "sanitize",
            "simulator",
        ],
    ),
    ("exit", &["diagnose", "servicenow"]),
    ("logging", &["config", "sanitize"]),
    (
        "commands",
        &[
            "cli",
            "wizard",
            "diagnose",
            "incident",
            "config",
            "dictionary",
            "servicenow",
            "sanitize",
            "simulator",
            "exit",
            "logging",
        ],
    ),
    (
        "cli",
        &[
            "commands",
            "exit",
            "logging",
            "simulator",
            "config",
            "harden",
        ],
    ),
];

/// Modules that are one layer between them, so their edges both ways are no cycle: `cli`
/// parses the command line into the argument types `commands` take, and dispatches to them.
const ONE_LAYER: &[&[&str]] = &[&["cli", "commands"]];

/// A cycle in `table` (each group of `one_layer` counted as one module), as `a -> b -> a`.
fn cycle(table: &[(&str, &[&str])], one_layer: &[&[&str]]) -> Option<String> {
    let node = |m: &str| -> String {
        one_layer
            .iter()
            .find(|g| g.contains(&m))
            .map_or_else(|| m.to_string(), |g| g.join("+"))
    };
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in table {
        let from = node(from);
        let targets = graph.entry(from.clone()).or_default();
        targets.extend(tos.iter().map(|t| node(t)).filter(|t| *t != from));
    }
    // Depth first; a module met again while still on the path closes a cycle.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<String> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut shown = path[at..].to_vec();
            shown.push(m.to_string());
            return Some(shown.join(" -> "));
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for t in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(t, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(m, &graph, &mut Vec::new(), &mut done))
}

/// Remove `//` comments (doc comments included) so that prose naming a path is no edge.
fn strip_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for line in source.lines() {
        let mut in_str = false;
        let mut prev = '\0';
        let mut cut = line.len();
        for (i, c) in line.char_indices() {
            match c {
                '"' if prev != '\\' => in_str = !in_str,
                '/' if !in_str && prev == '/' => {
                    cut = i - 1;
                    break;
                }
                _ => {}
            }
            prev = c;
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

/// The top-level modules a source text refers to through `crate::` (plain and grouped
/// `use crate::{a::b, c}` forms).
fn targets(source: &str) -> BTreeSet<String> {
    let code = strip_comments(source);
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        // `snow_connect::crate::` cannot happen; `$crate::` in macros is the same crate.
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(ident(item.trim()));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 || c != '{' {
                    item.push(c);
                }
            }
            found.insert(ident(item.trim()));
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|t| !t.is_empty());
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src/config/validate.rs` → `config`; `src/exit.rs` → `exit`; `None` for the crate roots
/// and this file.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    // This file's own examples are test data, not edges.
    (!matches!(name, "lib" | "main" | "layers")).then(|| name.to_string())
}

/// Every edge (from, to) with the files that make it.
fn edges(src: &Path) -> BTreeMap<(String, String), Vec<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for f in files {
        let Some(from) = module_of(src, &f) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for to in targets(&text) {
            if to != from {
                let shown = f.strip_prefix(src).unwrap_or(&f).display().to_string();
                edges.entry((from.clone(), to)).or_default().push(shown);
            }
        }
    }
    edges
}

/// The edges [`ALLOWED`] does not list, as messages.
fn violations(edges: &BTreeMap<(String, String), Vec<String>>) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut out = Vec::new();
    for ((from, to), files) in edges {
        let ok = allowed
            .get(from.as_str())
            .is_some_and(|list| list.contains(&to.as_str()));
        if !ok {
            let rule = match allowed.get(from.as_str()) {
                Some(list) => format!("`{from}` may use only: {}", list.join(", ")),
                None => format!("`{from}` is not in the layer table (src/layers.rs ALLOWED)"),
            };
            out.push(format!(
                "forbidden edge {from} -> {to} (in {}): {rule}. Layers point one way \
                 (DESIGN.md section 5): move the shared piece down to the lowest layer that \
                 owns it instead.",
                files.join(", ")
            ));
        }
    }
    out
}

#[test]
fn module_directions_follow_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = edges(&src);
    assert!(
        edges.contains_key(&("config".to_string(), "dictionary".to_string())),
        "the scan found no config -> dictionary edge; is it reading src/?"
    );
    let v = violations(&edges);
    assert!(v.is_empty(), "{}", v.join("\n"));
}

#[test]
fn the_table_points_one_way_and_names_only_its_own_modules() {
    assert_eq!(cycle(ALLOWED, ONE_LAYER), None);
    let known: BTreeSet<&str> = ALLOWED.iter().map(|(m, _)| *m).collect();
    for (from, tos) in ALLOWED {
        for t in *tos {
            assert!(
                known.contains(t),
                "{from} may use {t}, which is not in the table"
            );
        }
    }
    // Every leaf stays a leaf, or "any layer may use it" stops being true.
    for leaf in ["sanitize", "harden"] {
        let uses = ALLOWED
            .iter()
            .find(|(m, _)| *m == leaf)
            .map(|(_, u)| u.len());
        assert_eq!(uses, Some(0), "{leaf}");
    }
}

#[test]
fn a_cycle_in_the_table_is_named() {
    let table: &[(&str, &[&str])] = &[
        ("config", &["dictionary"]),
        ("dictionary", &["servicenow"]),
        ("servicenow", &["config"]),
    ];
    assert_eq!(
        cycle(table, &[]).as_deref(),
        Some("config -> dictionary -> servicenow -> config")
    );
    let pair: &[(&str, &[&str])] = &[("cli", &["commands"]), ("commands", &["cli", "exit"])];
    assert_eq!(cycle(pair, ONE_LAYER), None);
    assert_eq!(cycle(pair, &[]).as_deref(), Some("cli -> commands -> cli"));
}

#[test]
fn the_scan_sees_plain_grouped_and_nested_paths_but_not_comments() {
    let text = "use crate::servicenow::Client;\n\
                use crate::{config::Endpoint, dictionary::{Field, FieldKind}, sanitize};\n\
                /// See crate::wizard for the UI.\n\
                let x = crate::diagnose::run(); // crate::commands\n\
                let s = \"a // b\"; crate::exit::Exit::Success;\n";
    let t: Vec<String> = targets(text).into_iter().collect();
    assert_eq!(
        t,
        [
            "config",
            "diagnose",
            "dictionary",
            "exit",
            "sanitize",
            "servicenow"
        ]
    );
}

#[test]
fn a_wrong_import_is_named_with_its_file() {
    let mut e = BTreeMap::new();
    e.insert(
        ("config".to_string(), "diagnose".to_string()),
        vec!["config/schema.rs".to_string()],
    );
    e.insert(
        ("config".to_string(), "dictionary".to_string()),
        vec!["config/schema.rs".to_string()],
    );
    let v = violations(&e);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].starts_with("forbidden edge config -> diagnose (in config/schema.rs)"),
        "{}",
        v[0]
    );
    assert!(
        v[0].contains("may use only: dictionary, servicenow, sanitize"),
        "{}",
        v[0]
    );
}

//! The module directions of DESIGN.md section 5, pinned by a test: `commands`/`wizard` →
//! `diagnose`/`incident` → `config` → `dictionary` → `servicenow`, no cycles.
//!
//! Every `crate::X` path in `src/**/*.rs` is an edge from the file's top-level module to `X`;
//! an edge missing from [`ALLOWED`] fails the test and names the file, so a newcomer who adds
//! `use crate::diagnose::…` to `config/` learns at once which way the layers point.

#![cfg(test)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which top-level modules each module may use. `sanitize` (text safety) is a leaf every
/// layer may use.
const ALLOWED: &[(&str, &[&str])] = &[
    ("sanitize", &[]),
    ("simulator", &[]),
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
    ("exit", &["servicenow"]),
    ("logging", &["config"]),
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
        &["commands", "exit", "logging", "simulator", "config"],
    ),
];

/// Edges that break the rule today, each with the change that removes it. The test also fails
/// when one of these is no longer used, so the list only shrinks.
const KNOWN_EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "diagnose",
        "incident",
        "the ladder creates the test incident (incident:create) and probes read its outcome; \
         inject the creation from commands/wizard",
    ),
    (
        "incident",
        "diagnose",
        "send_policy explains a refused insert with diagnose::fixes; return the verdict and let \
         commands/wizard attach the fix",
    ),
    (
        "diagnose",
        "exit",
        "library code returns verdicts; only commands/ maps them to Exit",
    ),
    (
        "incident",
        "exit",
        "library code returns verdicts; only commands/ maps them to Exit",
    ),
];

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
        let excepted = KNOWN_EXCEPTIONS
            .iter()
            .any(|(f, t, _)| f == from && t == to);
        if !ok && !excepted {
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
    let stale: Vec<String> = KNOWN_EXCEPTIONS
        .iter()
        .filter(|(f, t, _)| !edges.contains_key(&(f.to_string(), t.to_string())))
        .map(|(f, t, why)| format!("{f} -> {t} is gone ({why}): remove it from KNOWN_EXCEPTIONS"))
        .collect();
    assert!(stale.is_empty(), "{}", stale.join("\n"));
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

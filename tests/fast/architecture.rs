//! The stages import each other one way: no two top-level modules of `src/` (`cli`,
//! `commands`, `config`, `diag`, `output`, `render`, `report`, `schedule`) reach each
//! other through `crate::` paths in a loop, and inside each stage folder no two of its
//! modules do either (a folder's own `mod.rs` is its shared face and not counted there).
//!
//! The graph is read from the source text: every `crate::…` path (in `use` items and in
//! code, `crate::{a, b::c}` groups included) and every `super::…` path, resolved against
//! the file's module. Comments, doc comments and string literals are skipped, so an
//! intra-doc link or a message that names a module is no dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path of a file under `src/`: `render/monitoring/catalog.rs` → `render::monitoring::catalog`,
/// `render/mod.rs` → `render`, `lib.rs` → the crate root (empty).
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The source text with comments, string and char literals blanked out.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if let Some(len) = raw_string_len(&b[i..]) {
            i += len;
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && is_char_literal(&b[i..]) {
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            let c = text[i..].chars().next().expect("in the text");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Length of a raw string literal (`r"…"`, `r#"…"#`, `br"…"`) starting at `b`, if one does.
fn raw_string_len(b: &[u8]) -> Option<usize> {
    let start = if b.starts_with(b"br") {
        2
    } else if b.starts_with(b"r") {
        1
    } else {
        return None;
    };
    let hashes = b[start..].iter().take_while(|&&c| c == b'#').count();
    if b.get(start + hashes) != Some(&b'"') {
        return None;
    }
    let close: Vec<u8> = std::iter::once(b'"')
        .chain(std::iter::repeat_n(b'#', hashes))
        .collect();
    let body = start + hashes + 1;
    let end = b[body..]
        .windows(close.len())
        .position(|w| w == close.as_slice())?;
    Some(body + end + close.len())
}

/// Whether the `'` at `b[0]` opens a char literal (not a lifetime or label).
fn is_char_literal(b: &[u8]) -> bool {
    match b.get(1) {
        Some(b'\\') => true,
        Some(_) => {
            let c = std::str::from_utf8(&b[1..b.len().min(6)])
                .ok()
                .or_else(|| std::str::from_utf8(&b[1..b.len().min(5)]).ok())
                .and_then(|s| s.chars().next());
            c.is_some_and(|c| b.get(1 + c.len_utf8()) == Some(&b'\''))
        }
        None => false,
    }
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths after `prefix::` at `rest`: one path, or one per item of a `{…}` group.
fn paths_after(rest: &str) -> Vec<Vec<String>> {
    let rest = rest.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 1;
        let mut item = String::new();
        let mut items = Vec::new();
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 1 => items.push(std::mem::take(&mut item)),
                _ => {}
            }
            if depth == 0 {
                items.push(item);
                break;
            }
            if !(c == ',' && depth == 1) {
                item.push(c);
            }
        }
        return items.iter().flat_map(|i| paths_after(i)).collect();
    }
    let mut path = Vec::new();
    let mut s = rest;
    loop {
        let name: String = s.chars().take_while(|&c| is_ident(c)).collect();
        if name.is_empty() {
            break;
        }
        s = &s[name.len()..];
        path.push(name);
        match s.trim_start().strip_prefix("::") {
            Some(after) if !after.trim_start().starts_with('{') => s = after.trim_start(),
            Some(after) => {
                return paths_after(after)
                    .into_iter()
                    .map(|tail| path.iter().cloned().chain(tail).collect())
                    .collect()
            }
            None => break,
        }
    }
    if path.is_empty() {
        Vec::new()
    } else {
        vec![path]
    }
}

/// The inline modules (`mod tests { … }`) open at each byte of `code`, as the list of
/// their names at the positions where that list changes.
fn inline_modules(code: &str) -> Vec<(usize, Vec<String>)> {
    let mut changes = vec![(0, Vec::new())];
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut pending: Option<String> = None;
    let mut depth = 0;
    let mut words = code.char_indices().peekable();
    while let Some((i, c)) = words.next() {
        match c {
            '{' => {
                depth += 1;
                if let Some(name) = pending.take() {
                    open.push((name, depth));
                    changes.push((i, open.iter().map(|m| m.0.clone()).collect()));
                }
            }
            '}' => {
                if open.last().is_some_and(|m| m.1 == depth) {
                    open.pop();
                    changes.push((i, open.iter().map(|m| m.0.clone()).collect()));
                }
                depth -= 1;
            }
            ';' => pending = None,
            c if is_ident(c) && !code[..i].ends_with(|p: char| is_ident(p)) => {
                let word: String = code[i..].chars().take_while(|&c| is_ident(c)).collect();
                if word == "mod" {
                    let name: String = code[i + 3..]
                        .trim_start()
                        .chars()
                        .take_while(|&c| is_ident(c))
                        .collect();
                    pending = Some(name);
                }
                for _ in 1..word.chars().count() {
                    words.next();
                }
            }
            _ => {}
        }
    }
    changes
}

/// Every module path `code` (the text of module `here`) names through `crate::` or
/// `super::`.
fn references(code: &str, here: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| is_ident(c) || c == '$') {
            continue;
        }
        out.extend(paths_after(&code[at + "crate::".len()..]));
    }
    let inline = inline_modules(code);
    for (at, _) in code.match_indices("super::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue; // `super::super::` is handled from its first `super`
        }
        // `super` inside `mod tests { … }` is the file's own module.
        let enclosing = inline
            .iter()
            .take_while(|(pos, _)| *pos < at)
            .last()
            .map_or(&[][..], |(_, mods)| mods.as_slice());
        let mut base: Vec<String> = here.iter().chain(enclosing).cloned().collect();
        let mut rest = &code[at..];
        while let Some(after) = rest.strip_prefix("super::") {
            base.pop();
            rest = after;
        }
        for tail in paths_after(rest) {
            out.push(base.iter().cloned().chain(tail).collect());
        }
    }
    out
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Edges between top-level modules, and per stage folder between its modules.
fn graphs(src: &Path) -> (Graph, BTreeMap<String, Graph>) {
    let mut top = Graph::new();
    let mut inner: BTreeMap<String, Graph> = BTreeMap::new();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).expect("under src");
        if rel == Path::new("main.rs") {
            continue; // the binary: it uses the library from outside
        }
        let here = module_of(rel);
        let text = std::fs::read_to_string(&file).expect("read source");
        let Some(from_top) = here.first() else {
            continue; // lib.rs only declares the modules
        };
        top.entry(from_top.clone()).or_default();
        for target in references(&code_only(&text), &here) {
            let Some(to_top) = target.first() else {
                continue;
            };
            if to_top != from_top {
                top.entry(from_top.clone())
                    .or_default()
                    .insert(to_top.clone());
            } else if let (Some(a), Some(b)) = (here.get(1), target.get(1)) {
                if a != b {
                    inner
                        .entry(from_top.clone())
                        .or_default()
                        .entry(a.clone())
                        .or_default()
                        .insert(b.clone());
                }
            }
        }
    }
    (top, inner)
}

/// A cycle of `graph` as `a → b → … → a`, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        state: &mut BTreeMap<String, bool>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(true) => return None,
            Some(false) => {
                let start = stack.iter().position(|n| n == node).expect("on the stack");
                let mut cycle = stack[start..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            None => {}
        }
        state.insert(node.to_string(), false);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, state, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        state.insert(node.to_string(), true);
        None
    }
    let mut state = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut state, &mut Vec::new()))
}

fn show(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(from, to)| {
            format!(
                "  {from} → {}",
                to.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn stages_import_each_other_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (top, inner) = graphs(&src);
    assert!(
        top.len() >= 8,
        "expected the stage modules of src/, found:\n{}",
        show(&top)
    );
    if let Some(cycle) = find_cycle(&top) {
        panic!(
            "import cycle between top-level modules: {}\n{}",
            cycle.join(" → "),
            show(&top)
        );
    }
    for (folder, graph) in &inner {
        if let Some(cycle) = find_cycle(graph) {
            panic!(
                "import cycle inside {folder}/: {}\n{}",
                cycle.join(" → "),
                show(graph)
            );
        }
    }
}

#[test]
fn the_stages_sit_where_the_pipeline_says() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (top, _) = graphs(&src);
    // Lower stages never reach up: diag is a leaf, config sees only diag, schedule only
    // config (and diag), render and report never see commands or the command line.
    let allowed: &[(&str, &[&str])] = &[
        ("diag", &[]),
        ("cli", &[]),
        ("config", &["diag"]),
        ("schedule", &["config", "diag"]),
        ("render", &["schedule", "config", "diag"]),
        ("report", &["schedule", "config", "diag"]),
        ("output", &["render"]),
    ];
    for (module, may) in allowed {
        for to in top.get(*module).into_iter().flatten() {
            assert!(
                may.contains(&to.as_str()),
                "{module} imports {to}; the pipeline allows {module} → {may:?}\n{}",
                show(&top)
            );
        }
    }
}

#[test]
fn the_reader_sees_groups_super_and_skips_comments_and_strings() {
    let text = r#"
        use crate::{config::model::{Model, Entry}, diag};
        use super::super::engine::Renderer;
        // use crate::commands;
        /// [`crate::cli`]
        let s = "crate::report";
        let r = r"crate::output";
        let c = '"'; let l: &'static str = x; crate::schedule::compile(m);
        mod tests {
            use super::*;
            use super::Rule;
        }
        use super::promql;
    "#;
    let here = vec![
        "render".to_string(),
        "monitoring".to_string(),
        "catalog".to_string(),
    ];
    let found: BTreeSet<String> = references(&code_only(text), &here)
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    let expected: BTreeSet<String> = [
        "config::model::Model",
        "config::model::Entry",
        "diag",
        "render::engine::Renderer",
        "render::monitoring::catalog::Rule",
        "render::monitoring::promql",
        "schedule::compile",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(found, expected);
}

#[test]
fn a_cycle_is_found_and_named() {
    let mut graph = Graph::new();
    graph
        .entry("config".into())
        .or_default()
        .insert("diag".into());
    graph
        .entry("schedule".into())
        .or_default()
        .insert("config".into());
    assert_eq!(find_cycle(&graph), None);
    graph
        .entry("config".into())
        .or_default()
        .insert("schedule".into());
    assert_eq!(
        find_cycle(&graph).map(|c| c.join(" → ")),
        Some("config → schedule → config".to_string())
    );
}

//! No import loop between the files of this crate: reading `src/`, every path a file names into
//! another file of the crate (`use crate::..`, `super::..`, a child module's name, or such a path
//! written inline) is an edge, and the graph has no cycle. `mod` declarations are not edges: a
//! parent declaring its children is how Rust lays out modules. Handlers importing `AppState` from
//! the router was such a loop (13 files); `state.rs` ended it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`["routes", "flags"]`) to file, relative to `src/`.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap();
            let mut segments: Vec<String> = rel
                .with_extension("")
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            if segments.last().is_some_and(|s| s == "mod" || s == "lib") {
                segments.pop();
            }
            out.insert(segments, rel.to_path_buf());
        }
    }
    out
}

/// The code of a file without comments (doc comments name paths without importing them).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path written in the code: `a::b::c`, with `use` groups expanded (`a::{b, c::d}`).
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        if !ident(chars[i]) || (i > 0 && (ident(chars[i - 1]) || chars[i - 1] == ':')) {
            i += 1;
            continue;
        }
        let mut prefix = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < chars.len() && ident(chars[j]) {
                j += 1;
            }
            prefix.push(chars[start..j].iter().collect::<String>());
            if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
                j += 2;
                if chars.get(j) == Some(&'{') {
                    // A group: every comma-separated member at this depth extends the prefix.
                    let mut depth = 0;
                    let mut k = j;
                    loop {
                        match chars.get(k) {
                            Some('{') => depth += 1,
                            Some('}') => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            None => break,
                            _ => {}
                        }
                        k += 1;
                    }
                    let inner: String = chars[j + 1..k.min(chars.len())].iter().collect();
                    let mut depth = 0;
                    let mut member = String::new();
                    let mut members = Vec::new();
                    for c in inner.chars() {
                        match c {
                            '{' => depth += 1,
                            '}' => depth -= 1,
                            ',' if depth == 0 => {
                                members.push(std::mem::take(&mut member));
                                continue;
                            }
                            _ => {}
                        }
                        member.push(c);
                    }
                    members.push(member);
                    for member in members {
                        let member = member.trim();
                        let mut tails = paths(member);
                        // A single name (`admin`, `Server as S`, `self`) is a path of one.
                        if tails.is_empty()
                            && let Some(name) = member.split_whitespace().next()
                            && name.chars().all(ident)
                        {
                            tails.push(if name == "self" {
                                Vec::new()
                            } else {
                                vec![name.to_owned()]
                            });
                        }
                        for tail in tails {
                            let mut full = prefix.clone();
                            full.extend(tail);
                            out.push(full);
                        }
                    }
                    j = k + 1;
                    prefix.clear();
                    break;
                }
                if j < chars.len() && ident(chars[j]) {
                    continue;
                }
            }
            break;
        }
        if prefix.len() > 1 {
            out.push(prefix);
        }
        i = j.max(i + 1);
    }
    out
}

/// The module a path written in module `at` (with children `children`, and modules imported
/// by name `aliases`) lands in, if any: the
/// longest prefix that is a file of the crate; `Some([])` for an item of the crate root.
fn target(
    at: &[String],
    children: &BTreeSet<String>,
    aliases: &BTreeMap<String, Vec<String>>,
    path: &[String],
    modules: &BTreeMap<Vec<String>, PathBuf>,
) -> Option<Vec<String>> {
    let (mut base, rest): (Vec<String>, &[String]) = match path.first()?.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (at.to_vec(), &path[1..]),
        "super" => (at[..at.len().checked_sub(1)?].to_vec(), &path[1..]),
        first if children.contains(first) => (at.to_vec(), path),
        first if aliases.contains_key(first) => (aliases[first].clone(), &path[1..]),
        _ => return None,
    };
    let mut found = base.clone();
    for segment in rest {
        if segment == "super" {
            base.pop();
            found = base.clone();
            continue;
        }
        base.push(segment.clone());
        if modules.contains_key(&base) {
            found = base.clone();
        } else {
            break;
        }
    }
    Some(found)
}

#[test]
fn no_file_of_the_crate_imports_one_that_imports_it_back() {
    // Another tree can be checked by naming its `src/` (how the loop this test ended was found).
    let src = std::env::var_os("IMPORT_LOOPS_SRC").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        PathBuf::from,
    );
    let modules = modules(&src);
    // What the crate root re-exports (`pub use app::Server`): an item name to its module.
    let root = code(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let root_children: BTreeSet<String> = modules
        .keys()
        .filter(|m| m.len() == 1)
        .map(|m| m[0].clone())
        .collect();
    let mut reexports = BTreeMap::new();
    for path in paths(&root) {
        if let Some(to) = target(&[], &root_children, &BTreeMap::new(), &path, &modules)
            && !to.is_empty()
            && let Some(item) = path.last()
        {
            reexports.insert(item.clone(), to);
        }
    }
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, file) in &modules {
        let text = code(&std::fs::read_to_string(src.join(file)).unwrap());
        let children: BTreeSet<String> = modules
            .keys()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
            .map(|m| m[module.len()].clone())
            .collect();
        // Modules imported by name (`use crate::admin;`), which later paths start from.
        let written = paths(&text);
        let mut aliases = BTreeMap::new();
        for path in &written {
            if let Some(to) = target(module, &children, &BTreeMap::new(), path, &modules)
                && to.last() == path.last()
                && let Some(name) = path.last()
            {
                aliases.insert(name.clone(), to);
            }
        }
        let mut out = BTreeSet::new();
        for path in written {
            let Some(mut to) = target(module, &children, &aliases, &path, &modules) else {
                continue;
            };
            if to.is_empty() {
                // An item of the crate root: the module it re-exports.
                match path.get(1).and_then(|item| reexports.get(item)) {
                    Some(module) => to = module.clone(),
                    None => continue,
                }
            }
            if &to != module {
                out.insert(to);
            }
        }
        edges.insert(module.clone(), out);
    }
    // A file reaching itself through its imports is a loop.
    let name = |m: &Vec<String>| modules[m].display().to_string();
    let mut loops = Vec::new();
    for start in modules.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(Vec<String>, Vec<Vec<String>>)> = edges[start]
            .iter()
            .map(|n| (n.clone(), vec![start.clone(), n.clone()]))
            .collect();
        while let Some((node, trail)) = stack.pop() {
            if &node == start {
                loops.push(trail.iter().map(name).collect::<Vec<_>>().join(" -> "));
                break;
            }
            if !seen.insert(node.clone()) {
                continue;
            }
            for next in &edges[&node] {
                let mut trail = trail.clone();
                trail.push(next.clone());
                stack.push((next.clone(), trail));
            }
        }
    }
    let edge_count: usize = edges.values().map(BTreeSet::len).sum();
    assert!(edge_count > 20, "the scan found only {edge_count} edges");
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}

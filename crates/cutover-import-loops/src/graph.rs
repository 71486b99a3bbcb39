//! The crate's files as modules, the edges between them, and the loops.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::ScanError;
use crate::lex::code;
use crate::paths::{inline_modules, paths};

/// A module path (`["routes", "flags"]`; the root is `[]`).
type Module = Vec<String>;

/// What a scan of one crate found.
#[derive(Debug)]
pub struct Scan {
    /// The crate's files.
    pub files: usize,
    /// Edges between two different files.
    pub edges: usize,
    /// One line per file on a loop: `a.rs -> b.rs -> a.rs`.
    pub loops: Vec<String>,
    /// Every edge, `a.rs -> b.rs`, to see why a loop is one.
    pub edge_list: Vec<String>,
}

/// Scans the crate whose `src/` is `src`.
pub fn scan(src: &Path) -> Result<Scan, ScanError> {
    let modules = modules(src)?;
    if !modules.contains_key(&Vec::new()) {
        return Err(ScanError::NoRoot(src.to_path_buf()));
    }
    let mut texts = BTreeMap::new();
    for (module, file) in &modules {
        let path = src.join(file);
        let text = std::fs::read_to_string(&path).map_err(|source| ScanError::Read {
            path: path.clone(),
            source,
        })?;
        texts.insert(module.clone(), code(&text));
    }
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, text) in &texts {
        let mut out = BTreeSet::new();
        region(module, module, text, &modules, &mut out);
        out.remove(module);
        edges.insert(module.clone(), out);
    }
    let name = |m: &Module| modules[m].display().to_string();
    let mut loops = Vec::new();
    for start in modules.keys() {
        if let Some(trail) = path_back(start, &edges) {
            loops.push(trail.iter().map(name).collect::<Vec<_>>().join(" -> "));
        }
    }
    let edge_list = edges
        .iter()
        .flat_map(|(from, to)| to.iter().map(move |to| (from, to)))
        .map(|(from, to)| format!("{} -> {}", name(from), name(to)))
        .collect();
    Ok(Scan {
        edge_list,
        files: modules.len(),
        edges: edges.values().map(BTreeSet::len).sum(),
        loops,
    })
}

/// Module path to file, relative to `src/`.
fn modules(src: &Path) -> Result<BTreeMap<Module, PathBuf>, ScanError> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    let read_error = |path: &Path, source| ScanError::Read {
        path: path.to_path_buf(),
        source,
    };
    // With a library, `main.rs` and `bin/` are crates of their own that use it from outside.
    let library = src.join("lib.rs").is_file();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| read_error(&dir, e))? {
            let path = entry.map_err(|e| read_error(&dir, e))?.path();
            if path == src.join("bin") || (library && path == src.join("main.rs")) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let Ok(rel) = path.strip_prefix(src) else {
                continue;
            };
            let mut segments: Module = rel
                .with_extension("")
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            let last = segments.last().map(String::as_str);
            let top = segments.len() == 1;
            if last == Some("mod") || (top && matches!(last, Some("lib" | "main"))) {
                segments.pop();
            }
            out.insert(segments, rel.to_path_buf());
        }
    }
    Ok(out)
}

/// The edges of the code of module `at` (in the file of module `file`), its inline modules'
/// included.
fn region(
    file: &Module,
    at: &Module,
    text: &str,
    modules: &BTreeMap<Module, PathBuf>,
    out: &mut BTreeSet<Module>,
) {
    let inline = inline_modules(text);
    let mut outer = text.to_owned();
    for module in &inline {
        let mut inner = at.clone();
        inner.push(module.name.clone());
        region(file, &inner, &text[module.body.clone()], modules, out);
        outer.replace_range(module.body.clone(), &" ".repeat(module.body.len()));
    }
    let children = children(at, modules);
    let written = paths(&outer);
    // Modules imported by name (`use crate::admin;`), which later paths start from.
    let mut aliases = BTreeMap::new();
    for path in &written {
        if let Some((to, None)) = resolve(at, &children, &BTreeMap::new(), path, modules)
            && to.last() == path.last()
            && let Some(name) = path.last()
        {
            aliases.insert(name.clone(), to);
        }
    }
    for path in &written {
        // The file the path names, not the one defining the item: a `pub use` on the way is
        // the file the code depends on (it must compile, and a change to what it passes on
        // reaches the code through it).
        if let Some((to, _)) = resolve(at, &children, &aliases, path, modules)
            && &to != file
        {
            out.insert(to);
        }
    }
}

/// The names of the file modules directly under `at`.
fn children(at: &[String], modules: &BTreeMap<Module, PathBuf>) -> BTreeSet<String> {
    modules
        .keys()
        .filter(|m| m.len() == at.len() + 1 && m.starts_with(at))
        .map(|m| m[at.len()].clone())
        .collect()
}

/// The file module a path written in module `at` lands in, and the segment after it (the item,
/// when there is one): the longest prefix of the resolved path that is a file of the crate.
/// `None` when the path starts outside the crate (`std::..`, another crate, a local variable).
fn resolve(
    at: &[String],
    children: &BTreeSet<String>,
    aliases: &BTreeMap<String, Module>,
    path: &[String],
    modules: &BTreeMap<Module, PathBuf>,
) -> Option<(Module, Option<String>)> {
    let (mut full, rest): (Module, &[String]) = match path.first()?.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (at.to_vec(), &path[1..]),
        "super" => (at[..at.len().checked_sub(1)?].to_vec(), &path[1..]),
        first if children.contains(first) => (at.to_vec(), path),
        first if aliases.contains_key(first) => (aliases[first].clone(), &path[1..]),
        _ => return None,
    };
    for segment in rest {
        match segment.as_str() {
            "super" => {
                full.pop()?;
            }
            "self" => {}
            _ => full.push(segment.clone()),
        }
    }
    let mut len = full.len();
    while !modules.contains_key(&full[..len]) {
        len -= 1;
    }
    Some((full[..len].to_vec(), full.get(len).cloned()))
}

/// A way from `start` back to itself along the edges, if there is one.
fn path_back(start: &Module, edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<(Module, Vec<Module>)> = edges[start]
        .iter()
        .map(|n| (n.clone(), vec![start.clone(), n.clone()]))
        .collect();
    while let Some((node, trail)) = stack.pop() {
        if &node == start {
            return Some(trail);
        }
        if !seen.insert(node.clone()) {
            continue;
        }
        for next in edges.get(&node).into_iter().flatten() {
            let mut trail = trail.clone();
            trail.push(next.clone());
            stack.push((next.clone(), trail));
        }
    }
    None
}

//! No crate of the workspace has an import loop between its files (ARCHITECTURE.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// Crates whose loops are not broken yet; each entry is a debt, not a permission.
const NOT_YET: &[&str] = &[];

fn workspace_crates() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for group in ["crates", "bindings"] {
        for entry in std::fs::read_dir(root.join(group)).unwrap() {
            let dir = entry.unwrap().path();
            if dir.join("Cargo.toml").is_file() && dir.join("src").is_dir() {
                out.push(dir);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn no_crate_has_an_import_loop() {
    let crates = workspace_crates();
    assert!(crates.len() >= 8, "found only {crates:?}");
    let mut failures = Vec::new();
    for dir in crates {
        let name = format!(
            "{}/{}",
            dir.parent().unwrap().file_name().unwrap().to_string_lossy(),
            dir.file_name().unwrap().to_string_lossy()
        );
        let scan = cutover_import_loops::scan(&dir.join("src")).unwrap();
        assert!(scan.files == 1 || scan.edges > 0, "{name}: no edge found");
        if !scan.loops.is_empty() && !NOT_YET.contains(&name.as_str()) {
            failures.push(format!("{name}:\n  {}", scan.loops.join("\n  ")));
        }
        if scan.loops.is_empty() && NOT_YET.contains(&name.as_str()) {
            // Not a failure: the branch that ends a crate's loops may merge before the one that
            // takes it off the list.
            eprintln!("{name} has no loop left: take it off NOT_YET and add it to .ci/run");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_loop_through_a_parent_module_is_found() {
    let looped = loops_of(&[
        ("lib.rs", "mod a;\npub use a::Thing;\n"),
        (
            "a/mod.rs",
            "mod b;\npub use b::Thing;\npub struct Shared;\n",
        ),
        (
            "a/b.rs",
            "use super::Shared;\npub struct Thing(Shared);\n#[cfg(test)]\nmod tests { use super::*; }\n",
        ),
    ]);
    assert_eq!(
        looped,
        [
            "a/mod.rs -> a/b.rs -> a/mod.rs",
            "a/b.rs -> a/mod.rs -> a/b.rs"
        ]
    );
    // Naming the sibling's item where it is defined ends the loop.
    let looped = loops_of(&[
        ("lib.rs", "mod a;\npub use a::Thing;\n"),
        ("a/mod.rs", "mod b;\nmod shared;\npub use b::Thing;\n"),
        ("a/shared.rs", "pub struct Shared;\n"),
        (
            "a/b.rs",
            "use super::shared::Shared;\npub struct Thing(Shared);\n",
        ),
    ]);
    assert!(looped.is_empty(), "{looped:?}");
}

#[test]
fn an_item_passed_on_by_pub_use_lands_where_it_is_defined() {
    // `b` names `crate::Gate`, which the root passes on from `a/gate.rs`: `b` depends on the
    // gate, not on `a/mod.rs`, so `a/mod.rs` using `b` is no loop.
    let mut files = vec![
        ("lib.rs", "mod a;\nmod b;\npub use a::Gate;\n"),
        (
            "a/mod.rs",
            "mod gate;\npub use gate::Gate;\nfn f() { crate::b::run(); }\n",
        ),
        ("a/gate.rs", "pub struct Gate;\n"),
        (
            "b.rs",
            "use crate::Gate;\npub fn run() -> Option<Gate> { None }\n",
        ),
    ];
    assert!(loops_of(&files).is_empty());
    // Defined in `a/mod.rs` itself, it is one.
    files[1] = (
        "a/mod.rs",
        "pub struct Gate;\nfn f() { crate::b::run(); }\n",
    );
    files.remove(2);
    assert_eq!(
        loops_of(&files),
        ["a/mod.rs -> b.rs -> a/mod.rs", "b.rs -> a/mod.rs -> b.rs"]
    );
}

/// The loops of a crate made of `files` (path under `src/`, text).
fn loops_of(files: &[(&str, &str)]) -> Vec<String> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let src = std::env::temp_dir().join(format!("import-loops-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&src);
    for (path, text) in files {
        let path = src.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let scan = cutover_import_loops::scan(&src).unwrap();
    std::fs::remove_dir_all(&src).unwrap();
    scan.loops
}

//! The rule the scan applies, case by case: an edge goes to the file a path names (a `pub use`
//! on the way included), `mod` declarations are not edges, inline modules belong to their file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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
fn a_sibling_named_through_the_facade_that_re_exports_both_is_a_loop() {
    // `b` names `super::Other`, which `a/mod.rs` only passes on from `c`; `a/mod.rs` also
    // passes on `b`'s item: `b -> a/mod.rs -> b`.
    let looped = loops_of(&[
        ("lib.rs", "mod a;\npub use a::{Other, Thing};\n"),
        (
            "a/mod.rs",
            "mod b;\nmod c;\npub use b::Thing;\npub use c::Other;\n",
        ),
        ("a/b.rs", "use super::Other;\npub struct Thing(Other);\n"),
        ("a/c.rs", "pub struct Other;\n"),
    ]);
    assert_eq!(
        looped,
        [
            "a/mod.rs -> a/b.rs -> a/mod.rs",
            "a/b.rs -> a/mod.rs -> a/b.rs"
        ]
    );
}

#[test]
fn a_sibling_named_directly_is_no_loop() {
    let looped = loops_of(&[
        ("lib.rs", "mod a;\npub use a::{Other, Thing};\n"),
        (
            "a/mod.rs",
            "mod b;\nmod c;\npub use b::Thing;\npub use c::Other;\n",
        ),
        ("a/b.rs", "use super::c::Other;\npub struct Thing(Other);\n"),
        ("a/c.rs", "pub struct Other;\n"),
    ]);
    assert!(looped.is_empty(), "{looped:?}");
}

#[test]
fn mod_declarations_are_not_edges() {
    // The root and `a/mod.rs` declare their children, which name items the parents define:
    // each child depends on its parent, and no parent on its child.
    let looped = loops_of(&[
        ("lib.rs", "pub mod a;\nmod b;\npub struct Root;\n"),
        (
            "a/mod.rs",
            "pub(crate) mod inner;\npub struct Shared(crate::Root);\n",
        ),
        ("a/inner.rs", "use super::Shared;\nuse crate::Root;\n"),
        ("b.rs", "use crate::{Root, a::Shared};\n"),
    ]);
    assert!(looped.is_empty(), "{looped:?}");
}

#[test]
fn the_crate_root_passing_an_item_on_is_a_file_like_any_other() {
    // `b` names `crate::Gate`, which the root passes on from `a/mod.rs`, which passes it on from
    // `a/gate.rs` and calls `b`: `b -> lib.rs -> a/mod.rs -> b`.
    let mut files = vec![
        ("lib.rs", "mod a;\nmod b;\npub use a::Gate;\n"),
        (
            "a/mod.rs",
            "pub mod gate;\npub use gate::Gate;\nfn f() { crate::b::run(); }\n",
        ),
        ("a/gate.rs", "pub struct Gate;\n"),
        (
            "b.rs",
            "use crate::Gate;\npub fn run() -> Option<Gate> { None }\n",
        ),
    ];
    assert_eq!(
        loops_of(&files),
        [
            "lib.rs -> a/mod.rs -> b.rs -> lib.rs",
            "a/mod.rs -> b.rs -> lib.rs -> a/mod.rs",
            "b.rs -> lib.rs -> a/mod.rs -> b.rs"
        ]
    );
    // Naming the file that defines it ends the loop; the root's re-export stays for users.
    files[3] = (
        "b.rs",
        "use crate::a::gate::Gate;\npub fn run() -> Option<Gate> { None }\n",
    );
    assert!(loops_of(&files).is_empty());
}

#[test]
fn paths_in_an_inline_module_belong_to_its_file() {
    // `super::` in `mod tests` is the file itself; its other paths are the file's edges.
    let looped = loops_of(&[
        ("lib.rs", "mod a;\nmod b;\n"),
        (
            "a.rs",
            "pub fn f() {}\n#[cfg(test)]\nmod tests { use super::f; use crate::b::g; }\n",
        ),
        ("b.rs", "pub fn g() { crate::a::f(); }\n"),
    ]);
    assert_eq!(looped, ["a.rs -> b.rs -> a.rs", "b.rs -> a.rs -> b.rs"]);
}

/// The loops of a crate made of `files` (path under `src/`, text).
fn loops_of(files: &[(&str, &str)]) -> Vec<String> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let src = std::env::temp_dir().join(format!("import-loops-rule-{}-{n}", std::process::id()));
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

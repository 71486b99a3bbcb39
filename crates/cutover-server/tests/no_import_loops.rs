//! No import loop between the files of this crate (the scan is `cutover-import-loops`, which
//! checks every crate of the workspace the same way). Handlers importing `AppState` from the
//! router was such a loop (13 files); `state.rs` ended it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn no_file_of_the_crate_imports_one_that_imports_it_back() {
    let scan =
        cutover_import_loops::scan(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")).unwrap();
    assert!(scan.edges > 20, "the scan found only {} edges", scan.edges);
    assert!(
        scan.loops.is_empty(),
        "import loops:\n{}",
        scan.loops.join("\n")
    );
}

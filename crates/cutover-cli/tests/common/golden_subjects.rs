//! The golden example's subjects (the legacy and the new router of cutover-golden) and the
//! repository root its corpus paths are relative to.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub(crate) fn legacy() -> String {
    subject("golden-legacy-router")
}

pub(crate) fn new() -> String {
    subject("golden-new-router")
}

/// A subject binary of cutover-golden. Cargo builds them whenever that crate's tests are part of
/// the run (as in CI); alone, a test builds them once.
fn subject(name: &str) -> String {
    static BUILT: OnceLock<()> = OnceLock::new();
    let dir = Path::new(env!("CARGO_BIN_EXE_cutover")).parent().unwrap();
    let path = dir.join(name);
    if !path.exists() {
        BUILT.get_or_init(|| {
            let mut cargo = Command::new(env!("CARGO"));
            cargo.args(["build", "-p", "cutover-golden", "--bins"]);
            if dir.ends_with("release") {
                cargo.arg("--release");
            }
            let status = cargo.current_dir(repo()).status().unwrap();
            assert!(status.success(), "building the golden subjects failed");
        });
    }
    path.display().to_string()
}

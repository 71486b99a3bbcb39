//! Helpers shared by the integration tests: the subject binaries of this crate, scratch corpora,
//! and the example corpus of the repository.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::time::Duration;

use cutover_golden::{CaseStatus, ProcessSubject, Report};

pub(crate) const ECHO: &str = env!("CARGO_BIN_EXE_golden-echo");
pub(crate) const LEGACY: &str = env!("CARGO_BIN_EXE_golden-legacy-router");
pub(crate) const NEW: &str = env!("CARGO_BIN_EXE_golden-new-router");

/// The echo subject with extra arguments.
pub(crate) fn echo(args: &str) -> ProcessSubject {
    ProcessSubject::new(&format!("{ECHO} {args}"), Duration::from_secs(10)).unwrap()
}

pub(crate) fn subject(command: &str) -> ProcessSubject {
    ProcessSubject::new(command, Duration::from_secs(10)).unwrap()
}

/// `examples/golden/` at the root of the repository.
pub(crate) fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/golden")
        .join(name)
}

/// A scratch directory with one file written into it.
pub(crate) fn scratch(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// Status of each case by name.
pub(crate) fn statuses(report: &Report) -> Vec<(String, CaseStatus)> {
    report
        .cases
        .iter()
        .map(|c| (c.case.clone(), c.status))
        .collect()
}

pub(crate) fn status_of(report: &Report, case: &str) -> CaseStatus {
    report
        .cases
        .iter()
        .find(|c| c.case == case)
        .unwrap_or_else(|| panic!("no case {case} in {:?}", statuses(report)))
        .status
}

/// Names of files in a directory, sorted.
pub(crate) fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

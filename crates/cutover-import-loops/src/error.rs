//! The crate's one error.

use std::path::PathBuf;

/// Why a crate could not be scanned.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} has neither lib.rs nor main.rs: not a crate's src/")]
    NoRoot(PathBuf),
}

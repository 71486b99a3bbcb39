//! What can go wrong setting a client up. Evaluation itself never fails: an unknown flag is the
//! caller's default.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SdkError {
    #[error("invalid server URL {url:?}: {why}; expected something like http://cutover:7070")]
    InvalidUrl { url: String, why: String },

    #[error(
        "no flags from {url} within {seconds} s ({why}) and no cache file to start from; \
         check the URL and the token, or give the client a cache path"
    )]
    NoInitialSnapshot {
        url: String,
        seconds: u64,
        why: String,
    },

    #[error("cannot read the flag file {path}: {why}")]
    FlagFile { path: PathBuf, why: String },

    #[error("invalid environment override: {0}")]
    EnvOverride(String),

    #[error("the client needs a Tokio runtime to follow the stream: {0}")]
    NoRuntime(String),

    #[error("invalid counter name {name:?}: {why}")]
    InvalidCounter { name: String, why: &'static str },
}

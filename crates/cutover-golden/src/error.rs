//! The one error type of the crate: every variant names the offending value and what is accepted.
//!
//! A subject that crashes, hangs or prints garbage is not an error here: that is a fault of one
//! case, reported in the run's report (`Fault`). These errors stop a run before or instead of it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GoldenError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "{path}: {why}; a corpus is a scenario file (.json), a JSON-lines file (.jsonl, one case \
         per line), or a directory holding such files"
    )]
    NotACorpus { path: PathBuf, why: String },

    #[error("{path}:{line}: {why}")]
    InvalidCase {
        path: PathBuf,
        line: usize,
        why: String,
    },

    #[error("scenario {name:?} is defined twice: in {first} and in {second}")]
    DuplicateScenario {
        name: String,
        first: String,
        second: String,
    },

    #[error("no scenario named {name:?} in the corpus; it has: {known}")]
    UnknownScenario { name: String, known: String },

    #[error(
        "invalid filter {glob:?}: {why}; accepted: a glob over scenario names, such as 'explicit-*'"
    )]
    InvalidFilter { glob: String, why: String },

    #[error("the selection ({what}) matched no case of the corpus")]
    EmptySelection { what: String },

    #[error(
        "none of the {cases} selected cases has expectations (`expect`), so `test` has nothing \
         to check; use `verify` to compare with recorded outputs"
    )]
    NothingToTest { cases: usize },

    #[error("{path}: {why}")]
    InvalidSpec { path: String, why: String },

    #[error(
        "invalid threshold {text:?}: {why}; accepted: FIELD >= RATIO, such as 'selected_agent >= 0.80' or 'routing_policy >= 90%'"
    )]
    InvalidThreshold { text: String, why: String },

    #[error(
        "invalid invariant {text:?}: {why}; accepted: [when CONDITION:] CONDITION, such as 'when input.explicit_agent is set: legacy.selected_agent == new.selected_agent'"
    )]
    InvalidInvariant { text: String, why: String },

    #[error(
        "invalid budget {text:?}: {why}; accepted: QUANTILE=DURATION pairs separated by commas, such as 'p50=50ms,p95=100ms' (quantiles p1 to p99 or max; durations such as 250ms, 1.5s or 500us)"
    )]
    InvalidBudget { text: String, why: String },

    #[error(
        "invalid subject command {command:?}: {why}; accepted: a program and its arguments, quoted as in a shell"
    )]
    InvalidCommand { command: String, why: String },

    #[error("cannot start the subject `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },

    #[error("{path} is not a valid corpus file ({why}); it was left in place")]
    InvalidPending { path: PathBuf, why: String },
}

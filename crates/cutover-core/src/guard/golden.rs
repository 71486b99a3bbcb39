//! A golden-corpus run's verdict recorded against a flag: what the `golden` gate reads.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenResult {
    pub passed: bool,
    /// When the run finished.
    pub at: Timestamp,
    /// The corpus it ran (a path or a name).
    pub corpus: String,
    pub cases: u64,
    pub failed: u64,
    /// What failed, in a line, for the audit log and alerts.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
}

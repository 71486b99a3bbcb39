//! The role a token carries, apart from what each may do (`access.rs`), so that what needs only
//! the name of a role (stage prerequisites) does not reach the capability rules.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// The role a token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, tokens included.
    Admin,
    /// Day-to-day cutover work: rollout, stage, overrides, kill switch, presets.
    Operator,
    /// Reads flags and the audit log.
    Viewer,
    /// What an application needs: evaluation, the change stream, metric upload.
    Sdk,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Operator, Role::Viewer, Role::Sdk];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Viewer => "viewer",
            Role::Sdk => "sdk",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| CoreError::UnknownRole {
                value: s.to_owned(),
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

//! The two arms of a cutover: the legacy path and the new one.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// Which code path a context takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    Legacy,
    New,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Legacy => "legacy",
            Variant::New => "new",
        }
    }

    pub fn is_new(self) -> bool {
        self == Variant::New
    }
}

impl std::str::FromStr for Variant {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s {
            "legacy" => Ok(Variant::Legacy),
            "new" => Ok(Variant::New),
            _ => Err(CoreError::UnknownVariant {
                value: s.to_owned(),
            }),
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

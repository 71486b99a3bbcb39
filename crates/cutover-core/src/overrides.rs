//! Targeting overrides: force `new` or `legacy` for one value of one attribute.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::attribute::AttributeName;
use crate::variant::Variant;

/// Forces `variant` for every context whose `attribute` equals `value`, until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub attribute: AttributeName,
    pub value: String,
    pub variant: Variant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

impl Override {
    /// An override stops applying at its expiry instant, not after it.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }

    pub fn same_target(&self, attribute: &str, value: &str) -> bool {
        self.attribute.as_str() == attribute && self.value == value
    }
}

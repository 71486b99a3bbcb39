//! The flag document: the whole flag set as a file a team keeps in git (`import` / `export`).

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::flag::Flag;
use crate::preset::Preset;

/// Every flag and preset of a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FlagDocument {
    #[serde(default)]
    pub flags: Vec<Flag>,
    #[serde(default)]
    pub presets: Vec<Preset>,
}

impl FlagDocument {
    /// Checks the document as a whole, so an import is refused before anything is written:
    /// unique keys, valid flags, no environment variable read by two flags, presets that only
    /// name flags of the document.
    pub fn validate(&self) -> Result<(), CoreError> {
        let invalid = |why: String| CoreError::InvalidDocument { why };
        for (i, flag) in self.flags.iter().enumerate() {
            flag.validate()?;
            if self.flags[..i].iter().any(|f| f.key == flag.key) {
                return Err(invalid(format!("flag {} appears twice", flag.key)));
            }
            // The environment rule: no two flags read one variable, derived or declared.
            if let Some(conflict) = crate::env_claims::env_conflict(flag, &self.flags[..i]) {
                return Err(invalid(conflict.to_string()));
            }
        }
        for (i, preset) in self.presets.iter().enumerate() {
            preset.validate()?;
            if self.presets[..i].iter().any(|p| p.name == preset.name) {
                return Err(invalid(format!("preset {} appears twice", preset.name)));
            }
            for entry in &preset.entries {
                let key = &entry.flag;
                if !self.flags.iter().any(|f| &f.key == key) {
                    return Err(invalid(format!(
                        "preset {} names flag {key}, which the document does not define",
                        preset.name
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_two_keys_for_one_environment_variable() {
        let twins: FlagDocument =
            serde_json::from_str(r#"{"flags":[{"key":"a-b"},{"key":"c"},{"key":"a.b"}]}"#).unwrap();
        let err = twins.validate().unwrap_err().to_string();
        assert!(
            err.contains("a-b") && err.contains("a.b") && err.contains("CUTOVER_FLAG_A_B"),
            "{err}"
        );
    }

    #[test]
    fn refuses_two_flags_declaring_one_environment_variable() {
        let twins: FlagDocument = serde_json::from_str(
            r#"{"flags":[{"key":"routing","env":"USE_ONEX_ROUTING_NODES"},
                         {"key":"other","env_percent":"USE_ONEX_ROUTING_NODES"}]}"#,
        )
        .unwrap();
        let err = twins.validate().unwrap_err().to_string();
        assert!(
            err.contains("other")
                && err.contains("routing")
                && err.contains("USE_ONEX_ROUTING_NODES")
                && err.contains("as env_percent")
                && err.contains("as env)"),
            "{err}"
        );
    }

    #[test]
    fn refuses_duplicates_and_dangling_presets() {
        let dup: FlagDocument =
            serde_json::from_str(r#"{"flags":[{"key":"a"},{"key":"a"}]}"#).unwrap();
        assert!(
            dup.validate()
                .unwrap_err()
                .to_string()
                .contains("flag a appears twice")
        );
        let dangling: FlagDocument = serde_json::from_str(
            r#"{"flags":[{"key":"a"}],"presets":[{"name":"p","entries":[{"flag":"b","enabled":true}]}]}"#,
        )
        .unwrap();
        assert!(
            dangling
                .validate()
                .unwrap_err()
                .to_string()
                .contains("names flag b")
        );
    }
}

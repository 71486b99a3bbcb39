//! Phase presets: a named set of flag states applied together in one transaction
//! (`legacy`, `phase1`, `phase2`, ... of a multi-component migration).

use serde::{Deserialize, Serialize};

use crate::change::FlagChange;
use crate::error::CoreError;
use crate::key::FlagKey;
use crate::limits::{MAX_DESCRIPTION_BYTES, check_text};
use crate::rollout::Rollout;
use crate::stage::Stage;

/// A named set of flag states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// Same alphabet as flag keys.
    pub name: FlagKey,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub entries: Vec<PresetEntry>,
}

/// The state one flag takes when a preset is applied; unset fields are left as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetEntry {
    pub flag: FlagKey,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present::not_null"
    )]
    pub enabled: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present::not_null"
    )]
    pub stage: Option<Stage>,
    #[serde(
        default,
        rename = "rollout_percent",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present::not_null"
    )]
    pub rollout: Option<Rollout>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present::not_null"
    )]
    pub killed: Option<bool>,
}

impl PresetEntry {
    /// An entry for `flag` that changes nothing yet.
    pub fn unset(flag: FlagKey) -> Self {
        PresetEntry {
            flag,
            enabled: None,
            stage: None,
            rollout: None,
            killed: None,
        }
    }

    /// The changes this entry makes, in a fixed order: switch, stage, then a custom rollout
    /// (so `stage + rollout` means "this stage, at this share"), then the kill switch.
    pub fn changes(&self) -> Vec<FlagChange> {
        let mut out = Vec::new();
        if let Some(enabled) = self.enabled {
            out.push(FlagChange::SetEnabled { enabled });
        }
        if let Some(stage) = self.stage {
            out.push(FlagChange::SetStage { stage });
        }
        if let Some(rollout_percent) = self.rollout {
            out.push(FlagChange::SetRollout { rollout_percent });
        }
        match self.killed {
            Some(true) => out.push(FlagChange::Kill),
            Some(false) => out.push(FlagChange::Unkill),
            None => {}
        }
        out
    }

    /// Parses the CLI form `KEY=SETTING[,SETTING...]` where a setting is `on`, `off`, a stage
    /// name, a percentage ending in `%`, `kill` or `unkill`.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let invalid = |why: String| CoreError::InvalidPreset {
            name: text.to_owned(),
            why,
        };
        let (key, settings) = text.split_once('=').ok_or_else(|| {
            invalid("expected KEY=SETTING[,SETTING...], e.g. planner=on,production".into())
        })?;
        let mut entry = PresetEntry::unset(FlagKey::new(key.trim())?);
        for setting in settings.split(',').map(str::trim) {
            match setting {
                "on" => entry.enabled = Some(true),
                "off" => entry.enabled = Some(false),
                "kill" => entry.killed = Some(true),
                "unkill" => entry.killed = Some(false),
                s if s.ends_with('%') => entry.rollout = Some(Rollout::from_percent_str(s)?),
                s => {
                    entry.stage = Some(s.parse().map_err(|_| {
                        invalid(format!(
                            "setting {s:?} is not one of on, off, kill, unkill, a stage \
                             (disabled, canary, beta, production, legacy_disabled) or a percentage like 25%"
                        ))
                    })?)
                }
            }
        }
        Ok(entry)
    }
}

impl Preset {
    pub fn validate(&self) -> Result<(), CoreError> {
        let invalid = |why: String| CoreError::InvalidPreset {
            name: self.name.to_string(),
            why,
        };
        if self.entries.is_empty() {
            return Err(invalid("it sets no flag".into()));
        }
        for (i, entry) in self.entries.iter().enumerate() {
            let flag = &entry.flag;
            if entry.changes().is_empty() {
                return Err(invalid(format!("the entry for {flag} sets nothing")));
            }
            if self.entries[..i].iter().any(|e| &e.flag == flag) {
                return Err(invalid(format!(
                    "flag {flag} appears twice; merge its settings"
                )));
            }
        }
        Ok(())
    }

    /// Builds a preset from CLI entries, merging repeated mentions of the same flag.
    pub fn from_entries(
        name: FlagKey,
        description: String,
        parsed: Vec<PresetEntry>,
    ) -> Result<Self, CoreError> {
        let mut entries: Vec<PresetEntry> = Vec::new();
        for e in parsed {
            match entries.iter_mut().find(|x| x.flag == e.flag) {
                Some(x) => {
                    x.enabled = e.enabled.or(x.enabled);
                    x.stage = e.stage.or(x.stage);
                    x.rollout = e.rollout.or(x.rollout);
                    x.killed = e.killed.or(x.killed);
                }
                None => entries.push(e),
            }
        }
        let preset = Preset {
            name,
            description,
            entries,
        };
        preset.validate()?;
        Ok(preset)
    }
}

impl Preset {
    /// Checks the preset's texts against the limits (its name and entries are bounded by their
    /// types and by the flags they name).
    pub fn check_limits(&self) -> Result<(), CoreError> {
        check_text("description", &self.description, MAX_DESCRIPTION_BYTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cli_entries_and_merges_repeats() {
        let parsed = [
            "planner=on,production",
            "bundler=off",
            "planner=25%",
            "executor=kill",
        ]
        .iter()
        .map(|t| PresetEntry::parse(t).unwrap())
        .collect();
        let p =
            Preset::from_entries(FlagKey::new("phase1").unwrap(), String::new(), parsed).unwrap();
        assert_eq!(p.entries.len(), 3);
        let planner = &p.entries[0];
        assert_eq!(
            (
                planner.enabled,
                planner.stage,
                planner.rollout.map(Rollout::bps)
            ),
            (Some(true), Some(Stage::Production), Some(2500))
        );
        assert_eq!(planner.changes().len(), 3);
    }

    #[test]
    fn refuses_unknown_settings_naming_them() {
        let err = PresetEntry::parse("planner=prod").unwrap_err().to_string();
        assert!(err.contains("\"prod\""), "{err}");
        assert!(PresetEntry::parse("planner").is_err());
        assert!(PresetEntry::parse("planner=101%").is_err());
    }
}

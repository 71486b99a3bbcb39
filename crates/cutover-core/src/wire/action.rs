//! The action of an audit entry (`flag.kill`, `rollout.start`, `token.revoke`): what the store
//! writes, what `audit query --action` filters by, what the change stream forwards.

use std::fmt;
use std::str::FromStr;

use crate::error::CoreError;

/// Every action cutover writes into the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuditAction {
    FlagCreate,
    FlagDelete,
    FlagEnable,
    FlagDisable,
    FlagStage,
    FlagRollout,
    FlagKill,
    FlagUnkill,
    /// Description, owner, stickiness or salt; also a batch of different changes.
    FlagUpdate,
    FlagScope,
    /// A flag replaced by an import.
    FlagImport,
    OverrideAdd,
    OverrideRemove,
    OverrideClear,
    OverrideExpire,
    RolloutPlan,
    RolloutStart,
    RolloutPause,
    RolloutResume,
    RolloutPromote,
    RolloutAbort,
    RolloutHold,
    RolloutAdvance,
    RolloutComplete,
    RolloutRollback,
    RolloutStepDown,
    RolloutExtend,
    GoldenRecord,
    VerdictRecord,
    FlagRequire,
    PresetDefine,
    PresetDelete,
    PresetApply,
    TokenCreate,
    TokenRevoke,
    /// A row accepted as it is (`cutover serve --trust-state`).
    StateTrust,
    /// A failed seal accepted (`--trust-state` with an audit key).
    AuditSeal,
}

impl AuditAction {
    pub const ALL: [AuditAction; 37] = [
        AuditAction::FlagCreate,
        AuditAction::FlagDelete,
        AuditAction::FlagEnable,
        AuditAction::FlagDisable,
        AuditAction::FlagStage,
        AuditAction::FlagRollout,
        AuditAction::FlagKill,
        AuditAction::FlagUnkill,
        AuditAction::FlagUpdate,
        AuditAction::FlagScope,
        AuditAction::FlagImport,
        AuditAction::OverrideAdd,
        AuditAction::OverrideRemove,
        AuditAction::OverrideClear,
        AuditAction::OverrideExpire,
        AuditAction::RolloutPlan,
        AuditAction::RolloutStart,
        AuditAction::RolloutPause,
        AuditAction::RolloutResume,
        AuditAction::RolloutPromote,
        AuditAction::RolloutAbort,
        AuditAction::RolloutHold,
        AuditAction::RolloutAdvance,
        AuditAction::RolloutComplete,
        AuditAction::RolloutRollback,
        AuditAction::RolloutStepDown,
        AuditAction::RolloutExtend,
        AuditAction::GoldenRecord,
        AuditAction::VerdictRecord,
        AuditAction::FlagRequire,
        AuditAction::PresetDefine,
        AuditAction::PresetDelete,
        AuditAction::PresetApply,
        AuditAction::TokenCreate,
        AuditAction::TokenRevoke,
        AuditAction::StateTrust,
        AuditAction::AuditSeal,
    ];

    /// The name as the log stores it.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditAction::FlagCreate => "flag.create",
            AuditAction::FlagDelete => "flag.delete",
            AuditAction::FlagEnable => "flag.enable",
            AuditAction::FlagDisable => "flag.disable",
            AuditAction::FlagStage => "flag.stage",
            AuditAction::FlagRollout => "flag.rollout",
            AuditAction::FlagKill => "flag.kill",
            AuditAction::FlagUnkill => "flag.unkill",
            AuditAction::FlagUpdate => "flag.update",
            AuditAction::FlagScope => "flag.scope",
            AuditAction::FlagImport => "flag.import",
            AuditAction::OverrideAdd => "override.add",
            AuditAction::OverrideRemove => "override.remove",
            AuditAction::OverrideClear => "override.clear",
            AuditAction::OverrideExpire => "override.expire",
            AuditAction::RolloutPlan => "rollout.plan",
            AuditAction::RolloutStart => "rollout.start",
            AuditAction::RolloutPause => "rollout.pause",
            AuditAction::RolloutResume => "rollout.resume",
            AuditAction::RolloutPromote => "rollout.promote",
            AuditAction::RolloutAbort => "rollout.abort",
            AuditAction::RolloutHold => "rollout.hold",
            AuditAction::RolloutAdvance => "rollout.advance",
            AuditAction::RolloutComplete => "rollout.complete",
            AuditAction::RolloutRollback => "rollout.rollback",
            AuditAction::RolloutStepDown => "rollout.step_down",
            AuditAction::RolloutExtend => "rollout.extend",
            AuditAction::GoldenRecord => "golden.record",
            AuditAction::VerdictRecord => "verdict.record",
            AuditAction::FlagRequire => "flag.require",
            AuditAction::PresetDefine => "preset.define",
            AuditAction::PresetDelete => "preset.delete",
            AuditAction::PresetApply => "preset.apply",
            AuditAction::TokenCreate => "token.create",
            AuditAction::TokenRevoke => "token.revoke",
            AuditAction::StateTrust => "state.trust",
            AuditAction::AuditSeal => "audit.seal",
        }
    }
}

impl AuditAction {
    /// Every name, for a message saying what is accepted.
    pub fn names() -> String {
        AuditAction::ALL.map(AuditAction::as_str).join(", ")
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditAction {
    type Err = CoreError;

    fn from_str(text: &str) -> Result<Self, CoreError> {
        AuditAction::ALL
            .into_iter()
            .find(|a| a.as_str() == text)
            .ok_or_else(|| CoreError::UnknownAction {
                text: text.to_owned(),
                accepted: AuditAction::names(),
            })
    }
}

impl PartialEq<str> for AuditAction {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for AuditAction {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<AuditAction> for str {
    fn eq(&self, other: &AuditAction) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<AuditAction> for String {
    fn eq(&self, other: &AuditAction) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<AuditAction> for &str {
    fn eq(&self, other: &AuditAction) -> bool {
        *self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_action_round_trips_and_names_are_unique() {
        let mut names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>().unwrap(), action);
            assert_eq!(action.to_string(), action.as_str());
            // `audit query --action FAMILY.*` filters on the part before the dot.
            assert!(action.as_str().split_once('.').is_some(), "{action}");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
    }

    #[test]
    fn an_unknown_action_is_named() {
        let err = "flag.explode"
            .parse::<AuditAction>()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"flag.explode\"") && err.contains("flag.kill"),
            "{err}"
        );
    }

    proptest! {
        #[test]
        fn parsing_accepts_exactly_the_names(text in "[a-z_]{1,10}\\.[a-z_]{1,10}") {
            match text.parse::<AuditAction>() {
                Ok(action) => prop_assert_eq!(action.as_str(), text.as_str()),
                Err(_) => prop_assert!(AuditAction::ALL.iter().all(|a| a.as_str() != text)),
            }
        }
    }
}

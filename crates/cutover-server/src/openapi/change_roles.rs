//! Which capability each kind of flag change needs, asked of `cutover_core::Capability::
//! for_change` rather than restated: the generic change route checks each change against the
//! caller's role, and the document says so per `FlagChange` variant.

use cutover_core::guard::{GoldenResult, RunMove};
use cutover_core::{
    AttributeName, Capability, EnvMode, Flag, FlagChange, FlagKey, Override, Rollout, Stage,
    Timestamp, Variant, Verdict, VerdictName,
};

/// Every `change` tag, in the order the document lists them.
pub(crate) const TAGS: [&str; 24] = [
    "set_enabled",
    "set_stage",
    "set_rollout",
    "kill",
    "unkill",
    "set_description",
    "set_owner",
    "set_stickiness",
    "set_salt",
    "set_scope",
    "set_env",
    "set_env_percent",
    "set_env_stage",
    "add_override",
    "remove_override",
    "clear_overrides",
    "remove_expired_overrides",
    "replace",
    "set_plan",
    "rollout_move",
    "set_requirement",
    "record_verdict",
    "record_golden",
    "guard_action",
];

/// One value of the variant a tag names; its contents do not matter to the capability.
fn sample(tag: &str) -> Option<FlagChange> {
    let attribute = || AttributeName::new("user_id").ok();
    Some(match tag {
        "set_enabled" => FlagChange::SetEnabled { enabled: true },
        "set_stage" => FlagChange::SetStage { stage: Stage::Beta },
        "set_rollout" => FlagChange::SetRollout {
            rollout_percent: Rollout::NONE,
        },
        "kill" => FlagChange::Kill,
        "unkill" => FlagChange::Unkill,
        "set_description" => FlagChange::SetDescription {
            description: String::new(),
        },
        "set_owner" => FlagChange::SetOwner {
            owner: String::new(),
        },
        "set_stickiness" => FlagChange::SetStickiness {
            attribute: attribute()?,
        },
        "set_salt" => FlagChange::SetSalt { salt: None },
        "set_scope" => FlagChange::SetScope { scope: Vec::new() },
        "set_env" => FlagChange::SetEnv {
            env: None,
            env_mode: EnvMode::Force,
        },
        "set_env_percent" => FlagChange::SetEnvPercent { env_percent: None },
        "set_env_stage" => FlagChange::SetEnvStage { env_stage: None },
        "add_override" => FlagChange::AddOverride {
            rule: Override {
                attribute: attribute()?,
                value: String::new(),
                variant: Variant::New,
                expires_at: None,
            },
        },
        "remove_override" => FlagChange::RemoveOverride {
            attribute: attribute()?,
            value: String::new(),
        },
        "clear_overrides" => FlagChange::ClearOverrides,
        "remove_expired_overrides" => FlagChange::RemoveExpiredOverrides,
        "replace" => FlagChange::Replace {
            flag: Box::new(Flag::new(FlagKey::new("x").ok()?)),
        },
        "set_plan" => FlagChange::SetPlan { plan: None },
        "rollout_move" => FlagChange::RolloutMove {
            movement: RunMove::Pause,
        },
        "set_requirement" => FlagChange::SetRequirement {
            stage: Stage::Production,
            requirement: None,
        },
        // The older form of a golden verdict is read as a record_verdict.
        "record_verdict" | "record_golden" => FlagChange::RecordVerdict {
            name: VerdictName::golden(),
            verdict: Verdict::from_golden(GoldenResult {
                passed: true,
                at: Timestamp::UNIX_EPOCH,
                corpus: String::new(),
                cases: 0,
                failed: 0,
                summary: String::new(),
            }),
        },
        _ => return None,
    })
}

/// The capability a change of this tag needs; `None` for `guard_action`, which the API refuses
/// whatever the role (only the guard loop makes those).
pub(crate) fn capability_of(tag: &str) -> Option<Capability> {
    sample(tag).map(|change| Capability::for_change(&change))
}

/// The tags a caller may send that need more than `Operate`, the capability of the generic route.
pub(crate) fn beyond_operate() -> Vec<&'static str> {
    TAGS.into_iter()
        .filter(|tag| capability_of(tag).is_some_and(|c| c != Capability::Operate))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sample_is_the_variant_its_tag_names() {
        for tag in TAGS {
            match sample(tag) {
                Some(change) => {
                    let json = serde_json::to_value(&change).unwrap();
                    let written = if tag == "record_golden" {
                        "record_verdict"
                    } else {
                        tag
                    };
                    assert_eq!(json["change"], written, "{json}");
                }
                None => assert_eq!(tag, "guard_action"),
            }
        }
    }
}

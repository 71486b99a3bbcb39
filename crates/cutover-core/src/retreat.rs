//! Retreats: changes that only move a flag towards the legacy path (the kill switch, a lower
//! rollout, an abort). They are what an operator reaches for in an emergency, so the server never
//! refuses them for want of change budget; everything else pays.

use crate::flag::Flag;
use crate::stage::Stage;
use crate::variant::Variant;

/// Whether going from `before` to `after` sends nobody new to the `new` path and changes nothing
/// but exposure: no kill switch lifted, no rollout raised, no stage moved up, no override to `new`
/// added, and description, owner, stickiness, salt, scope, declared environment names and plan as
/// they were. A change that
/// alters nothing is a retreat too (repeating a kill must not fail for want of budget).
///
/// The run state may change with it: aborting or pausing a guarded rollout is a retreat.
pub fn is_retreat(before: &Flag, after: &Flag) -> bool {
    let same_shape = before.key == after.key
        && before.description == after.description
        && before.owner == after.owner
        && before.stickiness == after.stickiness
        && before.salt == after.salt
        && before.scope == after.scope
        && before.env == after.env
        && before.plan == after.plan
        && before.verdicts == after.verdicts
        && before.requires == after.requires;
    if !same_shape {
        return false;
    }
    if after.killed {
        // Everyone is on legacy now, whatever else moved with it.
        return true;
    }
    if before.killed {
        // Lifting the kill switch sends people back to `new`.
        return false;
    }
    let new_overrides_kept = after
        .overrides
        .iter()
        .filter(|o| o.variant == Variant::New)
        .all(|o| before.overrides.contains(o));
    (before.enabled || !after.enabled)
        && stage_rank(after.stage) <= stage_rank(before.stage)
        && after.rollout <= before.rollout
        && new_overrides_kept
}

/// The stage ladder in order of exposure.
fn stage_rank(stage: Stage) -> u8 {
    match stage {
        Stage::Disabled => 0,
        Stage::Canary => 1,
        Stage::Beta => 2,
        Stage::Production => 3,
        Stage::LegacyDisabled => 4,
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::attribute::AttributeName;
    use crate::change::FlagChange;
    use crate::guard::run_state::RunMove;
    use crate::key::FlagKey;
    use crate::overrides::Override;
    use crate::rollout::Rollout;

    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap()
    }

    fn at_half() -> Flag {
        let mut flag = Flag::new(FlagKey::new("checkout").unwrap());
        FlagChange::SetStage { stage: Stage::Beta }
            .apply(&mut flag, now())
            .unwrap();
        flag
    }

    fn check(changes: &[FlagChange], expected: bool) {
        let before = at_half();
        let after = FlagChange::apply_all(&before, changes, now())
            .unwrap()
            .unwrap_or_else(|| before.clone());
        assert_eq!(is_retreat(&before, &after), expected, "{changes:?}");
    }

    fn percent(p: &str) -> FlagChange {
        FlagChange::SetRollout {
            rollout_percent: Rollout::from_percent_str(p).unwrap(),
        }
    }

    fn rule(variant: Variant) -> FlagChange {
        FlagChange::AddOverride {
            rule: Override {
                attribute: AttributeName::new("user_id").unwrap(),
                value: "alice".into(),
                variant,
                expires_at: None,
            },
        }
    }

    #[test]
    fn emergencies_are_retreats() {
        check(&[FlagChange::Kill], true);
        check(&[percent("0")], true);
        check(&[percent("10")], true);
        check(
            &[FlagChange::SetStage {
                stage: Stage::Disabled,
            }],
            true,
        );
        check(&[FlagChange::SetEnabled { enabled: false }], true);
        check(&[rule(Variant::Legacy)], true);
        // Nothing changes: still no reason to refuse it.
        check(&[FlagChange::SetStage { stage: Stage::Beta }], true);
    }

    #[test]
    fn anything_that_exposes_more_or_reshapes_the_flag_is_not() {
        check(&[percent("60")], false);
        check(
            &[FlagChange::SetStage {
                stage: Stage::Production,
            }],
            false,
        );
        check(&[rule(Variant::New)], false);
        check(
            &[FlagChange::SetDescription {
                description: "spam".into(),
            }],
            false,
        );
        check(
            &[FlagChange::SetSalt {
                salt: Some("reshuffle".into()),
            }],
            false,
        );
        // A variable that can switch the flag on in some process is no retreat.
        check(
            &[FlagChange::SetEnv {
                env: Some(crate::env_names::EnvVarName::new("USE_NEW").unwrap()),
                env_mode: crate::env_names::EnvMode::Force,
            }],
            false,
        );
        // Lowering the rollout while reshuffling who is in it moves people to `new`.
        check(
            &[
                percent("10"),
                FlagChange::SetSalt {
                    salt: Some("reshuffle".into()),
                },
            ],
            false,
        );
    }

    #[test]
    fn lifting_a_kill_switch_is_not_a_retreat_but_killing_is_one_whatever_comes_with_it() {
        let mut killed = at_half();
        killed.killed = true;
        let mut unkilled = killed.clone();
        unkilled.killed = false;
        assert!(!is_retreat(&killed, &unkilled));
        let mut killed_and_raised = at_half();
        killed_and_raised.killed = true;
        killed_and_raised.rollout = Rollout::FULL;
        assert!(is_retreat(&at_half(), &killed_and_raised));
    }

    #[test]
    fn aborting_a_guarded_rollout_is_a_retreat() {
        let mut flag = Flag::new(FlagKey::new("checkout").unwrap());
        let plan = crate::guard::plan::RolloutPlan::parse_shorthand("10,50,100 every 5s").unwrap();
        FlagChange::SetPlan { plan: Some(plan) }
            .apply(&mut flag, now())
            .unwrap();
        FlagChange::RolloutMove {
            movement: RunMove::Start,
        }
        .apply(&mut flag, now())
        .unwrap();
        let aborted = FlagChange::apply_all(
            &flag,
            &[FlagChange::RolloutMove {
                movement: RunMove::Abort,
            }],
            now(),
        )
        .unwrap()
        .unwrap();
        assert!(is_retreat(&flag, &aborted));
        let resumed_elsewhere = FlagChange::apply_all(
            &flag,
            &[FlagChange::RolloutMove {
                movement: RunMove::PromoteFull,
            }],
            now(),
        )
        .unwrap()
        .unwrap();
        assert!(!is_retreat(&flag, &resumed_elsewhere));
    }
}

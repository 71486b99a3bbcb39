//! Changes to a flag, as data: the CLI, the HTTP API and the importer all describe what they
//! want as `FlagChange`s, and the store applies them with [`FlagChange::apply_all`] inside its
//! transaction, so every path validates and records a change the same way.

mod read;

use jiff::Timestamp;
use serde::Serialize;

use crate::attribute::AttributeName;
use crate::env_names::{EnvMode, EnvVarName};
use crate::error::CoreError;
use crate::flag::Flag;
use crate::guard;
use crate::guard::decide::Action;
use crate::guard::plan::RolloutPlan;
use crate::guard::run_state::RunMove;
use crate::overrides::Override;
use crate::prerequisite::StageRequirement;
use crate::rollout::Rollout;
use crate::scope::Constraint;
use crate::stage::Stage;
use crate::verdict::{Verdict, VerdictName, VerdictSource};
use crate::wire::action::AuditAction;

/// One edit of a flag's state. Written as `{"change": "set_rollout", "rollout_percent": 5}`;
/// read by hand (`read.rs`) so that a percentage inside is read from its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum FlagChange {
    SetEnabled {
        enabled: bool,
    },
    /// Enters a stage and sets the rollout the stage implies.
    SetStage {
        stage: Stage,
    },
    SetRollout {
        rollout_percent: Rollout,
    },
    Kill,
    Unkill,
    SetDescription {
        description: String,
    },
    SetOwner {
        owner: String,
    },
    SetStickiness {
        attribute: AttributeName,
    },
    SetSalt {
        salt: Option<String>,
    },
    SetScope {
        scope: Vec<Constraint>,
    },
    /// Sets (or with `None` clears) the switch variable the flag answers to by its own name,
    /// and what it does (`force` when left out).
    SetEnv {
        env: Option<EnvVarName>,
        env_mode: EnvMode,
    },
    /// Sets or clears the variable whose value is the flag's rollout percentage in a process.
    SetEnvPercent {
        env_percent: Option<EnvVarName>,
    },
    /// Sets or clears the variable whose value is the flag's stage in a process.
    SetEnvStage {
        env_stage: Option<EnvVarName>,
    },
    /// Adds an override, replacing one for the same attribute and value.
    AddOverride {
        #[serde(rename = "override")]
        rule: Override,
    },
    RemoveOverride {
        attribute: AttributeName,
        value: String,
    },
    ClearOverrides,
    /// Drops overrides whose expiry has passed (the audited sweep).
    RemoveExpiredOverrides,
    /// Replaces the whole state but the key, the version and the rollout run (import).
    Replace {
        flag: Box<Flag>,
    },
    /// Sets or removes the guarded rollout plan.
    SetPlan {
        plan: Option<RolloutPlan>,
    },
    /// A person's move on the guarded rollout: start, pause, resume, promote, abort.
    RolloutMove {
        #[serde(rename = "move")]
        movement: RunMove,
    },
    /// Records the latest verdict of a named check against the flag (replacing that name's
    /// previous one). The application layer stamps who recorded it and when. Also read from the
    /// older `{"change": "record_golden", "result": GoldenResult}`, as the verdict `golden`.
    RecordVerdict {
        name: VerdictName,
        verdict: Verdict,
    },
    /// Sets (or with `None` removes) what entering `stage` needs.
    SetRequirement {
        stage: Stage,
        requirement: Option<StageRequirement>,
    },
    /// The guard's decision on step `step` of a running rollout; `reason` is the verdict with
    /// its numbers. Only the guard loop makes these.
    GuardAction {
        decision: Action,
        step: usize,
        reason: String,
    },
}

impl FlagChange {
    /// The audit action recorded for this change.
    pub fn action(&self) -> AuditAction {
        match self {
            FlagChange::SetEnabled { enabled: true } => AuditAction::FlagEnable,
            FlagChange::SetEnabled { enabled: false } => AuditAction::FlagDisable,
            FlagChange::SetStage { .. } => AuditAction::FlagStage,
            FlagChange::SetRollout { .. } => AuditAction::FlagRollout,
            FlagChange::Kill => AuditAction::FlagKill,
            FlagChange::Unkill => AuditAction::FlagUnkill,
            FlagChange::SetDescription { .. }
            | FlagChange::SetOwner { .. }
            | FlagChange::SetStickiness { .. }
            | FlagChange::SetSalt { .. }
            | FlagChange::SetEnv { .. }
            | FlagChange::SetEnvPercent { .. }
            | FlagChange::SetEnvStage { .. } => AuditAction::FlagUpdate,
            FlagChange::SetScope { .. } => AuditAction::FlagScope,
            FlagChange::AddOverride { .. } => AuditAction::OverrideAdd,
            FlagChange::RemoveOverride { .. } => AuditAction::OverrideRemove,
            FlagChange::ClearOverrides => AuditAction::OverrideClear,
            FlagChange::RemoveExpiredOverrides => AuditAction::OverrideExpire,
            FlagChange::Replace { .. } => AuditAction::FlagImport,
            FlagChange::SetPlan { .. } => AuditAction::RolloutPlan,
            FlagChange::SetRequirement { .. } => AuditAction::FlagRequire,
            FlagChange::RecordVerdict { verdict, .. } => match verdict.source {
                VerdictSource::Golden => AuditAction::GoldenRecord,
                VerdictSource::Recorded => AuditAction::VerdictRecord,
            },
            FlagChange::RolloutMove { movement } => movement.action(),
            FlagChange::GuardAction { decision, .. } => match decision {
                Action::Hold => AuditAction::RolloutHold,
                Action::Advance { .. } => AuditAction::RolloutAdvance,
                Action::Complete => AuditAction::RolloutComplete,
                Action::Rollback => AuditAction::RolloutRollback,
                Action::StepDown { .. } => AuditAction::RolloutStepDown,
                Action::Extend => AuditAction::RolloutExtend,
                Action::Pause => AuditAction::RolloutPause,
            },
        }
    }

    /// The action for a batch: the shared action, or `flag.update` when they differ.
    pub fn action_of(changes: &[FlagChange]) -> AuditAction {
        // Starting with a plan is a start, not an update.
        if let Some(m) = changes.iter().find_map(|c| match c {
            FlagChange::RolloutMove { movement } => Some(movement.action()),
            _ => None,
        }) {
            return m;
        }
        match changes.split_first() {
            Some((first, rest)) if rest.iter().all(|c| c.action() == first.action()) => {
                first.action()
            }
            _ => AuditAction::FlagUpdate,
        }
    }

    /// Whether the change can add text to a flag: only those are held to the size of the whole
    /// flag, so an emergency move (kill, stage, rollout) is never refused for what a flag
    /// already holds.
    fn adds_text(&self) -> bool {
        matches!(
            self,
            FlagChange::SetDescription { .. }
                | FlagChange::SetOwner { .. }
                | FlagChange::SetSalt { .. }
                | FlagChange::SetScope { .. }
                | FlagChange::SetEnv { .. }
                | FlagChange::SetEnvPercent { .. }
                | FlagChange::SetEnvStage { .. }
                | FlagChange::AddOverride { .. }
                | FlagChange::Replace { .. }
                | FlagChange::SetPlan { .. }
                | FlagChange::RecordVerdict { .. }
                | FlagChange::SetRequirement { .. }
        )
    }

    /// Whether the change can alter the environment variables the flag reads: those are held
    /// to the rule that no two flags read one variable (`env_conflict`).
    pub fn touches_env(&self) -> bool {
        matches!(
            self,
            FlagChange::SetEnv { .. }
                | FlagChange::SetEnvPercent { .. }
                | FlagChange::SetEnvStage { .. }
                | FlagChange::Replace { .. }
        )
    }

    /// Checks the texts this change brings against the limits (`docs/limits.md`).
    fn check_limits(&self) -> Result<(), CoreError> {
        use crate::flag_limits;
        use crate::limits::{self, check_text};
        match self {
            FlagChange::SetDescription { description } => {
                check_text("description", description, limits::MAX_DESCRIPTION_BYTES)
            }
            FlagChange::SetOwner { owner } => check_text("owner", owner, limits::MAX_OWNER_BYTES),
            FlagChange::SetSalt { salt } => flag_limits::check_salt(salt.as_deref()),
            FlagChange::SetScope { scope } => flag_limits::check_scope(scope),
            FlagChange::AddOverride { rule } => flag_limits::check_override(rule),
            FlagChange::Replace { flag } => flag.check_limits(),
            FlagChange::SetPlan { plan } => flag_limits::check_plan(plan.as_ref()),
            FlagChange::RecordVerdict { verdict, .. } => flag_limits::check_verdict(verdict),
            FlagChange::SetRequirement { requirement, .. } => {
                flag_limits::check_requirement(requirement.as_ref())
            }
            FlagChange::GuardAction { reason, .. } => limits::check_reason(reason),
            FlagChange::SetEnabled { .. }
            | FlagChange::SetStage { .. }
            | FlagChange::SetRollout { .. }
            | FlagChange::Kill
            | FlagChange::Unkill
            | FlagChange::SetStickiness { .. }
            // A variable name is at most 128 bytes (`EnvVarName`).
            | FlagChange::SetEnv { .. }
            | FlagChange::SetEnvPercent { .. }
            | FlagChange::SetEnvStage { .. }
            | FlagChange::RemoveOverride { .. }
            | FlagChange::ClearOverrides
            | FlagChange::RemoveExpiredOverrides
            | FlagChange::RolloutMove { .. } => Ok(()),
        }
    }

    pub fn apply(&self, flag: &mut Flag, now: Timestamp) -> Result<(), CoreError> {
        self.check_limits()?;
        match self {
            FlagChange::SetEnabled { enabled } => {
                flag.enabled = *enabled;
                if !enabled {
                    guard::pause_for_hand_change(flag, "the global switch");
                }
            }
            FlagChange::SetStage { stage } => {
                flag.stage = *stage;
                flag.rollout = stage.rollout();
                guard::pause_for_hand_change(flag, "the stage");
            }
            FlagChange::SetRollout { rollout_percent } => {
                flag.rollout = *rollout_percent;
                guard::pause_for_hand_change(flag, "the rollout percentage");
            }
            FlagChange::Kill => {
                flag.killed = true;
                guard::pause_for_hand_change(flag, "the kill switch");
            }
            FlagChange::Unkill => flag.killed = false,
            FlagChange::SetDescription { description } => flag.description.clone_from(description),
            FlagChange::SetOwner { owner } => flag.owner.clone_from(owner),
            FlagChange::SetStickiness { attribute } => flag.stickiness = attribute.clone(),
            FlagChange::SetSalt { salt } => flag.salt.clone_from(salt),
            FlagChange::SetScope { scope } => flag.scope.clone_from(scope),
            FlagChange::SetEnv { env, env_mode } => {
                flag.env.switch.clone_from(env);
                flag.env.mode = *env_mode;
                flag.env.check(&flag.key)?;
            }
            FlagChange::SetEnvPercent { env_percent } => {
                flag.env.percent.clone_from(env_percent);
                flag.env.check(&flag.key)?;
            }
            FlagChange::SetEnvStage { env_stage } => {
                flag.env.stage.clone_from(env_stage);
                flag.env.check(&flag.key)?;
            }
            FlagChange::AddOverride { rule } => {
                if let Some(at) = rule.expires_at
                    && at <= now
                {
                    return Err(CoreError::OverrideAlreadyExpired {
                        expires_at: at,
                        now,
                    });
                }
                let target = (rule.attribute.as_str(), rule.value.as_str());
                match flag
                    .overrides
                    .iter_mut()
                    .find(|o| o.same_target(target.0, target.1))
                {
                    Some(existing) => *existing = rule.clone(),
                    None => flag.overrides.push(rule.clone()),
                }
            }
            FlagChange::RemoveOverride { attribute, value } => {
                let before = flag.overrides.len();
                flag.overrides
                    .retain(|o| !o.same_target(attribute.as_str(), value));
                if flag.overrides.len() == before {
                    return Err(CoreError::OverrideNotFound {
                        flag: flag.key.to_string(),
                        attribute: attribute.to_string(),
                        value: value.clone(),
                    });
                }
            }
            FlagChange::ClearOverrides => flag.overrides.clear(),
            FlagChange::RemoveExpiredOverrides => flag.overrides.retain(|o| o.is_active(now)),
            FlagChange::Replace { flag: replacement } => {
                if let Some(plan) = &replacement.plan {
                    plan.check_counters()?;
                }
                if replacement.key != flag.key {
                    return Err(CoreError::InvalidDocument {
                        why: format!(
                            "cannot replace flag {} with flag {}",
                            flag.key, replacement.key
                        ),
                    });
                }
                replacement.validate()?;
                guard::check_plan_edit(flag, replacement.plan.as_ref())?;
                let (version, run, since) = (flag.version, flag.run.take(), flag.stage_since);
                let verdicts = std::mem::take(&mut flag.verdicts);
                let rollout_before = flag.rollout;
                *flag = (**replacement).clone();
                flag.version = version;
                flag.run = run;
                flag.verdicts = verdicts;
                // When it entered its stage is the store's record, not the document's.
                flag.stage_since = since;
                if flag.rollout != rollout_before || flag.killed {
                    guard::pause_for_hand_change(flag, "the rollout (by import)");
                }
            }
            FlagChange::SetPlan { plan } => {
                if let Some(plan) = plan {
                    plan.check_counters()?;
                }
                guard::check_plan_edit(flag, plan.as_ref())?;
                flag.plan.clone_from(plan);
                guard::follow_plan_edit(flag);
            }
            FlagChange::RolloutMove { movement } => guard::apply_move(flag, *movement, now)?,
            FlagChange::RecordVerdict { name, verdict } => {
                let known = flag.verdicts.contains_key(name);
                if !known && flag.verdicts.len() >= crate::limits::MAX_VERDICTS {
                    return Err(CoreError::TooManyVerdicts {
                        key: flag.key.to_string(),
                        name: name.to_string(),
                        limit: crate::limits::MAX_VERDICTS,
                    });
                }
                flag.verdicts.insert(name.clone(), verdict.clone());
            }
            FlagChange::SetRequirement { stage, requirement } => match requirement {
                Some(r) if !r.is_empty() => {
                    r.check()?;
                    flag.requires.insert(*stage, r.clone());
                }
                _ => {
                    flag.requires.remove(stage);
                }
            },
            FlagChange::GuardAction {
                decision,
                step,
                reason,
            } => guard::apply_guard(flag, *decision, *step, reason, now)?,
        }
        Ok(())
    }

    /// Applies a batch to a copy of `flag`. Returns the new state with its version bumped, or
    /// `None` when the batch leaves the flag as it was (no version bump, nothing to audit).
    pub fn apply_all(
        flag: &Flag,
        changes: &[FlagChange],
        now: Timestamp,
    ) -> Result<Option<Flag>, CoreError> {
        let mut next = flag.clone();
        for change in changes {
            change.apply(&mut next, now)?;
        }
        if next == *flag {
            return Ok(None);
        }
        if next.stage != flag.stage {
            // To the millisecond, as a store keeps times, so the row and the audit log's copy of
            // the flag agree.
            next.stage_since = Timestamp::from_millisecond(now.as_millisecond()).ok();
        }
        if changes.iter().any(FlagChange::adds_text) {
            crate::flag_limits::check_flag_size(&next)?;
        }
        next.version = flag.version + 1;
        Ok(Some(next))
    }
}

#[cfg(test)]
mod rollout_tests;
#[cfg(test)]
mod tests;

//! A guarded rollout in progress: where it is on its plan, and the moves people and the guard
//! make on it. The run lives in the flag, so every move goes through the store's one audited,
//! versioned change path, and a node taking over the guard reads exactly where the last one was.

use jiff::Timestamp;

use super::decide::Action;
use super::plan::RolloutPlan;
use super::run_state::{RolloutRun, RunMove, RunStatus};
use crate::error::CoreError;
use crate::flag::Flag;
use crate::rollout::Rollout;
use crate::stage::Stage;

fn refused(flag: &Flag, why: impl Into<String>) -> CoreError {
    CoreError::RolloutState {
        flag: flag.key.to_string(),
        why: why.into(),
    }
}

fn plan_of(flag: &Flag) -> Result<&RolloutPlan, CoreError> {
    flag.plan.as_ref().ok_or_else(|| {
        refused(
            flag,
            "it has no rollout plan; give one, such as '5,25,50,100 every 10m'",
        )
    })
}

fn step_rollout(plan: &RolloutPlan, step: usize) -> Rollout {
    plan.steps.get(step).map_or(Rollout::FULL, |s| s.rollout)
}

/// Applies a person's move to the flag.
pub(crate) fn apply_move(
    flag: &mut Flag,
    movement: RunMove,
    now: Timestamp,
) -> Result<(), CoreError> {
    let status = flag.run.as_ref().map(|r| r.status);
    match movement {
        RunMove::Start => {
            if let Some(s) = status.filter(|s| !s.is_over()) {
                return Err(refused(
                    flag,
                    format!(
                        "a rollout is already {}; resume, promote or abort it instead",
                        s.as_str()
                    ),
                ));
            }
            if flag.killed {
                return Err(refused(flag, "it is killed; unkill it before starting"));
            }
            let first = step_rollout(plan_of(flag)?, 0);
            set_rollout(flag, first);
            flag.run = Some(RolloutRun {
                status: RunStatus::Running,
                step: 0,
                extensions: 0,
                started_at: now,
                evidence: vec![now],
                reason: None,
            });
        }
        RunMove::Pause => {
            let run = running(flag, &[RunStatus::Running], "pause")?;
            run.status = RunStatus::Paused;
            run.reason = Some("paused by hand".into());
        }
        RunMove::Resume => {
            let run = running(flag, &[RunStatus::Paused, RunStatus::Breached], "resume")?;
            run.status = RunStatus::Running;
            run.extensions = 0;
            run.evidence = vec![now];
            run.reason = None;
            let step = run.step;
            let rollout = step_rollout(plan_of(flag)?, step);
            set_rollout(flag, rollout);
        }
        RunMove::Promote | RunMove::PromoteFull => {
            let steps = plan_of(flag)?.steps.len();
            let plan = plan_of(flag)?.clone();
            let run = running(
                flag,
                &[RunStatus::Running, RunStatus::Paused, RunStatus::Breached],
                "promote",
            )?;
            let next = if movement == RunMove::PromoteFull {
                steps
            } else {
                run.step + 1
            };
            run.extensions = 0;
            run.reason = Some("promoted by hand".into());
            if next >= steps {
                run.step = steps - 1;
                run.status = RunStatus::Completed;
            } else {
                run.step = next;
                run.status = RunStatus::Running;
            }
            run.evidence.push(now);
            let step = run.step;
            set_rollout(flag, step_rollout(&plan, step));
        }
        RunMove::Abort => {
            let run = running(
                flag,
                &[RunStatus::Running, RunStatus::Paused, RunStatus::Breached],
                "abort",
            )?;
            run.status = RunStatus::Aborted;
            run.reason = Some("aborted by hand".into());
            set_rollout(flag, Rollout::NONE);
        }
    }
    Ok(())
}

fn running<'f>(
    flag: &'f mut Flag,
    allowed: &[RunStatus],
    what: &str,
) -> Result<&'f mut RolloutRun, CoreError> {
    let key = flag.key.to_string();
    let Some(run) = flag.run.as_mut() else {
        return Err(CoreError::RolloutState {
            flag: key,
            why: format!("no rollout to {what}; start one first"),
        });
    };
    if !allowed.contains(&run.status) {
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        return Err(CoreError::RolloutState {
            flag: key,
            why: format!(
                "cannot {what} a rollout that is {}; only one that is {}",
                run.status.as_str(),
                names.join(" or ")
            ),
        });
    }
    Ok(run)
}

/// Applies the guard's decision, taken on `step` of a running rollout. A decision taken on a
/// state that has since moved (a person paused, another node acted) is refused, not replayed.
pub(crate) fn apply_guard(
    flag: &mut Flag,
    action: Action,
    step: usize,
    reason: &str,
    now: Timestamp,
) -> Result<(), CoreError> {
    let plan = plan_of(flag)?.clone();
    let key = flag.key.to_string();
    let run = running(flag, &[RunStatus::Running], "act on")?;
    if run.step != step {
        return Err(CoreError::RolloutState {
            flag: key,
            why: format!(
                "the guard decided on step {step} but the rollout is on step {}",
                run.step
            ),
        });
    }
    let rollout = match action {
        Action::Hold => return Ok(()),
        Action::Extend => {
            run.extensions += 1;
            None
        }
        Action::Advance { .. } => {
            run.step += 1;
            run.extensions = 0;
            run.evidence.push(now);
            Some(step_rollout(&plan, run.step))
        }
        Action::Complete => {
            run.status = RunStatus::Completed;
            run.reason = Some(reason.to_owned());
            Some(Rollout::FULL)
        }
        Action::Rollback => {
            run.status = RunStatus::Breached;
            run.step = 0;
            run.reason = Some(reason.to_owned());
            Some(Rollout::NONE)
        }
        Action::StepDown { to } => {
            run.status = RunStatus::Breached;
            run.step = run.step.saturating_sub(1);
            run.reason = Some(reason.to_owned());
            Some(to)
        }
        Action::Pause => {
            run.status = RunStatus::Paused;
            run.reason = Some(reason.to_owned());
            None
        }
    };
    if let Some(r) = rollout {
        set_rollout(flag, r);
    }
    Ok(())
}

/// A guarded rollout moves the percentage and the stage with it, so the stage always says
/// where the flag is on the ladder (a plan started at canary ends at production). A flag whose
/// legacy path is gone stays `legacy_disabled`: only a person leaves that stage.
fn set_rollout(flag: &mut Flag, rollout: Rollout) {
    flag.rollout = rollout;
    if flag.stage != Stage::LegacyDisabled {
        flag.stage = Stage::for_rollout(rollout);
    }
}

/// A person who moves the rollout percentage, the stage, the kill switch or the global switch
/// of a flag under a running plan takes over: the plan pauses instead of fighting them.
pub(crate) fn pause_for_hand_change(flag: &mut Flag, action: &str) {
    if let Some(run) = flag.run.as_mut().filter(|r| r.status == RunStatus::Running) {
        run.status = RunStatus::Paused;
        run.reason = Some(format!("paused: {action} changed by hand"));
    }
}

/// A running rollout whose plan was edited takes the new plan's percentage for its step at
/// once, so what is exposed is always what the plan says (a paused or breached one stays where
/// it was held until it is resumed).
pub(crate) fn follow_plan_edit(flag: &mut Flag) {
    let (Some(plan), Some(run)) = (flag.plan.as_ref(), flag.run.as_ref()) else {
        return;
    };
    if run.status == RunStatus::Running {
        let rollout = step_rollout(plan, run.step);
        set_rollout(flag, rollout);
    }
}

/// Checks that a new plan fits a rollout in progress.
pub(crate) fn check_plan_edit(flag: &Flag, plan: Option<&RolloutPlan>) -> Result<(), CoreError> {
    let Some(run) = flag.run.as_ref().filter(|r| !r.status.is_over()) else {
        return Ok(());
    };
    match plan {
        None => Err(refused(
            flag,
            format!(
                "a rollout is {} under this plan; abort it before removing the plan",
                run.status.as_str()
            ),
        )),
        Some(p) if run.step >= p.steps.len() => Err(refused(
            flag,
            format!(
                "the rollout is on step {} and the new plan has {} steps; abort it first",
                run.step + 1,
                p.steps.len()
            ),
        )),
        Some(_) => Ok(()),
    }
}

//! A guarded rollout in progress: where it is on its plan, and the moves people and the guard
//! make on it. The run lives in the flag, so every move goes through the store's one audited,
//! versioned change path, and a node taking over the guard reads exactly where the last one was.

use serde::{Deserialize, Serialize};

use super::decide::Action;
use super::plan::RolloutPlan;
use crate::{AuditAction, CoreError, Flag, Rollout, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The guard looks every second and moves it.
    Running,
    /// Held by a person, or by the guard for lack of data: only a resume, a promote or an
    /// abort moves it.
    Paused,
    /// A gate failed and the guard rolled back or stepped down. Like a pause, but nothing,
    /// not even an edit of the plan, lets it advance without an explicit resume.
    Breached,
    Completed,
    Aborted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Paused => "paused",
            RunStatus::Breached => "breached",
            RunStatus::Completed => "completed",
            RunStatus::Aborted => "aborted",
        }
    }

    fn is_over(self) -> bool {
        matches!(self, RunStatus::Completed | RunStatus::Aborted)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolloutRun {
    pub status: RunStatus,
    /// The plan step the rollout is on.
    pub step: usize,
    /// Extra bakes the current step has taken.
    pub extensions: u32,
    pub started_at: Timestamp,
    /// When each step whose figures count as evidence began, oldest first; the last is the
    /// current step's start. A resume starts the list afresh: the person who resumed has
    /// judged the old evidence.
    pub evidence: Vec<Timestamp>,
    /// Why it is paused, breached or over, with the numbers when the guard decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl RolloutRun {
    pub fn step_started_at(&self) -> Timestamp {
        self.evidence.last().copied().unwrap_or(self.started_at)
    }

    /// The spans of constant exposure the evidence covers, oldest first; the last ends `now`.
    pub fn evidence_spans(&self, now: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        let mut spans = Vec::with_capacity(self.evidence.len());
        for (i, start) in self.evidence.iter().enumerate() {
            let end = self.evidence.get(i + 1).copied().unwrap_or(now);
            spans.push((*start, end));
        }
        spans
    }
}

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

/// A person's move on a guarded rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMove {
    Start,
    Pause,
    Resume,
    /// The next step now, without waiting for the bake.
    Promote,
    /// Straight to 100 %: the rollout is complete.
    PromoteFull,
    /// Back to 0 % and stop.
    Abort,
}

impl RunMove {
    pub fn action(self) -> AuditAction {
        match self {
            RunMove::Start => AuditAction::RolloutStart,
            RunMove::Pause => AuditAction::RolloutPause,
            RunMove::Resume => AuditAction::RolloutResume,
            RunMove::Promote | RunMove::PromoteFull => AuditAction::RolloutPromote,
            RunMove::Abort => AuditAction::RolloutAbort,
        }
    }
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
            flag.rollout = first;
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
            flag.rollout = step_rollout(plan_of(flag)?, step);
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
            flag.rollout = step_rollout(&plan, step);
        }
        RunMove::Abort => {
            let run = running(
                flag,
                &[RunStatus::Running, RunStatus::Paused, RunStatus::Breached],
                "abort",
            )?;
            run.status = RunStatus::Aborted;
            run.reason = Some("aborted by hand".into());
            flag.rollout = Rollout::NONE;
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
        flag.rollout = r;
    }
    Ok(())
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
        flag.rollout = step_rollout(plan, run.step);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FlagChange, FlagKey};

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn flag() -> Flag {
        let mut f = Flag::new(FlagKey::new("checkout").unwrap());
        f.plan = Some(RolloutPlan::parse_shorthand("5,25,50,100 every 10m").unwrap());
        f
    }

    fn apply(f: &mut Flag, change: FlagChange, t: i64) -> Result<(), CoreError> {
        change.apply(f, at(t))
    }

    fn moved(m: RunMove) -> FlagChange {
        FlagChange::RolloutMove { movement: m }
    }

    fn guard(decision: Action, step: usize) -> FlagChange {
        FlagChange::GuardAction {
            decision,
            step,
            reason: "numbers".into(),
        }
    }

    fn status(f: &Flag) -> (RunStatus, usize, u16) {
        let run = f.run.as_ref().unwrap();
        (run.status, run.step, f.rollout.bps())
    }

    #[test]
    fn people_and_the_guard_move_a_rollout_through_its_plan() {
        let mut f = flag();
        apply(&mut f, moved(RunMove::Start), 0).unwrap();
        assert_eq!(status(&f), (RunStatus::Running, 0, 500));
        let to = Rollout::from_percent_str("25").unwrap();
        apply(&mut f, guard(Action::Advance { to }, 0), 600).unwrap();
        assert_eq!(status(&f), (RunStatus::Running, 1, 2500));
        assert_eq!(f.run.as_ref().unwrap().evidence, [at(0), at(600)]);
        apply(&mut f, moved(RunMove::Pause), 700).unwrap();
        // The guard's look from before the pause is refused.
        let err = apply(&mut f, guard(Action::Advance { to }, 1), 701).unwrap_err();
        assert!(err.to_string().contains("paused"), "{err}");
        apply(&mut f, moved(RunMove::Resume), 800).unwrap();
        assert_eq!(status(&f), (RunStatus::Running, 1, 2500));
        assert_eq!(f.run.as_ref().unwrap().evidence, [at(800)]);
        apply(&mut f, moved(RunMove::Promote), 900).unwrap();
        assert_eq!(status(&f), (RunStatus::Running, 2, 5000));
        apply(&mut f, moved(RunMove::Abort), 950).unwrap();
        assert_eq!(status(&f), (RunStatus::Aborted, 2, 0));
        // Over: a new one may start.
        apply(&mut f, moved(RunMove::Start), 1000).unwrap();
        apply(&mut f, moved(RunMove::PromoteFull), 1001).unwrap();
        assert_eq!(status(&f), (RunStatus::Completed, 3, 10_000));
    }

    #[test]
    fn a_breached_rollout_waits_for_a_resume_whatever_is_edited() {
        let mut f = flag();
        apply(&mut f, moved(RunMove::Start), 0).unwrap();
        apply(&mut f, guard(Action::Rollback, 0), 30).unwrap();
        assert_eq!(status(&f), (RunStatus::Breached, 0, 0));
        let looser = RolloutPlan {
            gates: vec![super::super::GateExpr::new("new.error_rate <= 50%").unwrap()],
            ..f.plan.clone().unwrap()
        };
        apply(&mut f, FlagChange::SetPlan { plan: Some(looser) }, 40).unwrap();
        assert_eq!(status(&f).0, RunStatus::Breached);
        let to = Rollout::from_percent_str("25").unwrap();
        assert!(apply(&mut f, guard(Action::Advance { to }, 0), 50).is_err());
        assert!(apply(&mut f, moved(RunMove::Start), 50).is_err());
        apply(&mut f, moved(RunMove::Resume), 60).unwrap();
        assert_eq!(status(&f), (RunStatus::Running, 0, 500));
    }

    #[test]
    fn a_hand_on_the_percentage_pauses_the_plan() {
        let mut f = flag();
        apply(&mut f, moved(RunMove::Start), 0).unwrap();
        let r = Rollout::from_percent_str("40").unwrap();
        apply(&mut f, FlagChange::SetRollout { rollout_percent: r }, 10).unwrap();
        assert_eq!(status(&f), (RunStatus::Paused, 0, 4000));
        let reason = f.run.as_ref().unwrap().reason.clone().unwrap();
        assert!(reason.contains("rollout percentage"), "{reason}");
    }

    #[test]
    fn moves_that_do_not_fit_say_why() {
        let mut f = Flag::new(FlagKey::new("bare").unwrap());
        let err = apply(&mut f, moved(RunMove::Start), 0).unwrap_err();
        assert!(err.to_string().contains("no rollout plan"), "{err}");
        let err = apply(&mut f, moved(RunMove::Pause), 0).unwrap_err();
        assert!(err.to_string().contains("start one first"), "{err}");
        let mut f = flag();
        apply(&mut f, moved(RunMove::Start), 0).unwrap();
        let err = apply(&mut f, moved(RunMove::Start), 1).unwrap_err();
        assert!(err.to_string().contains("already running"), "{err}");
        let err = apply(&mut f, FlagChange::SetPlan { plan: None }, 2).unwrap_err();
        assert!(err.to_string().contains("abort it"), "{err}");
        let to = Rollout::from_percent_str("25").unwrap();
        let err = apply(&mut f, guard(Action::Advance { to }, 2), 3).unwrap_err();
        assert!(err.to_string().contains("step 2"), "{err}");
    }

    #[test]
    fn plans_read_from_a_config_file() {
        let f: Flag = serde_json::from_str(
            r#"{"key":"a","plan":{"steps":"5,50,100 every 5s","gates":
               ["new.error_rate <= legacy.error_rate","new.p95 <= legacy.p95 * 1.2"],
               "on_breach":"step_down"}}"#,
        )
        .unwrap();
        let plan = f.plan.unwrap();
        assert_eq!(plan.to_string(), "5,50,100 every 5s");
        assert_eq!(plan.gates.len(), 2);
        let f: Flag = serde_json::from_str(r#"{"key":"a","plan":"5,25,50,100 every 2h"}"#).unwrap();
        assert_eq!(f.plan.unwrap().steps.len(), 4);
        let bad = serde_json::from_str::<Flag>(
            r#"{"key":"a","plan":{"steps":"5,100 every 1m","gates":["new.p97 <= 1ms"]}}"#,
        );
        assert!(bad.is_err());
    }
}

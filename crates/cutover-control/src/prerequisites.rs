//! Stage prerequisites at the moment of a move: a change that takes a flag into another stage is
//! judged against what that stage requires (the rule is the core's, `cutover_core::missing`);
//! refused with what is missing, or, forced with a reason, let through with the reason saying
//! it was forced and past what. The guard's own moves are judged too: a plan that would carry a
//! flag into a stage it may not enter pauses there instead.

use std::borrow::Cow;

use cutover_api::{ControlError, ErrorKind};
use cutover_core::guard::Action;
use cutover_core::limits::{MAX_REASON_BYTES, clip};
use cutover_core::{ChangeMeta, Flag, FlagChange, Missing, Stage, Timestamp, missing, refusal};

/// What a change takes `flag` into and what that stage still lacks, when it changes the stage.
fn lacking(
    flag: &Flag,
    changes: &[FlagChange],
    now: Timestamp,
    meta: &ChangeMeta,
) -> Option<(Stage, Vec<Missing>)> {
    // A change the rules refuse is left to the store, which refuses it in its own words.
    let next = FlagChange::apply_all(flag, changes, now).ok()??;
    let target = rung(&next);
    if target <= rung(flag) {
        return None;
    }
    let lacks = missing(flag, target, now, meta.role);
    (!lacks.is_empty()).then_some((target, lacks))
}

/// How far up the ladder a flag is: its stage, or higher when its rollout is (a stage keeps a
/// custom rollout, so `rollout set 100` at beta exposes everyone as production does, and is
/// judged by production's prerequisites).
fn rung(flag: &Flag) -> Stage {
    flag.stage.max(Stage::for_rollout(flag.rollout))
}

/// The audit metadata a change of `flag` goes ahead with: `meta` itself, or with `force` the
/// reason prefixed with what was forced past. Refused when the new stage lacks something and
/// the change is not forced, or forced without a reason.
pub(crate) fn admit<'m>(
    flag: &Flag,
    changes: &[FlagChange],
    now: Timestamp,
    meta: &'m ChangeMeta,
) -> Result<Cow<'m, ChangeMeta>, ControlError> {
    let Some((target, lacks)) = lacking(flag, changes, now, meta) else {
        return Ok(Cow::Borrowed(meta));
    };
    if !meta.force {
        return Err(ControlError::new(
            ErrorKind::Conflict,
            "prerequisites",
            refusal(flag.key.as_str(), target, &lacks),
        ));
    }
    let Some(reason) = meta.reason.as_deref().filter(|r| !r.trim().is_empty()) else {
        return Err(ControlError::invalid(
            "reason",
            format!(
                "forcing flag {} into {target} past its prerequisites needs a reason \
                 (--reason, or the X-Cutover-Reason header)",
                flag.key
            ),
        ));
    };
    let past: Vec<String> = lacks.iter().map(ToString::to_string).collect();
    let forced = format!("forced into {target} past: {}; {reason}", past.join("; "));
    Ok(Cow::Owned(ChangeMeta {
        reason: Some(clip(&forced, MAX_REASON_BYTES)),
        ..meta.clone()
    }))
}

/// The guard's decision, or a pause when it would carry the flag into a stage that lacks
/// something (the guard never forces).
pub(crate) fn guard_decision(
    flag: &Flag,
    decision: Action,
    step: usize,
    reason: String,
    now: Timestamp,
) -> (Action, String) {
    let change = FlagChange::GuardAction {
        decision,
        step,
        reason: reason.clone(),
    };
    let guard = ChangeMeta {
        actor: cutover_core::GUARD_ACTOR.to_owned(),
        reason: None,
        at: now,
        role: None,
        force: false,
    };
    match lacking(flag, std::slice::from_ref(&change), now, &guard) {
        None => (decision, reason),
        Some((target, lacks)) => (
            Action::Pause,
            clip(
                &format!(
                    "paused before {}",
                    refusal(flag.key.as_str(), target, &lacks)
                ),
                MAX_REASON_BYTES,
            ),
        ),
    }
}

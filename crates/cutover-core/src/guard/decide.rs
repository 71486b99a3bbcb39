//! The decision rule: a verdict on the current step from its evidence, and what the rollout
//! does next. Pure, so the server's guard loop, the CLI's simulator and the tests run the same
//! code.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::plan::{OnBreach, OnInconclusive, RolloutPlan};
use super::rate::{ArmEvents, RateEvidence};
use crate::rollout::Rollout;

/// A gate's verdict. "No data" is inconclusive: never a pass, never a silent fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    Inconclusive,
}

/// The error-rate gate's verdict with the numbers behind it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateVerdict {
    pub verdict: Verdict,
    /// log of the mixture statistic; the gate fails at `threshold`.
    pub log_statistic: f64,
    pub threshold: f64,
    pub events: ArmEvents,
}

/// What the rollout does after a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Keep baking.
    Hold,
    /// Go to the next step.
    Advance {
        #[serde(deserialize_with = "Rollout::deserialize_buffered")]
        to: Rollout,
    },
    /// The last step passed: the rollout is done.
    Complete,
    /// Breach: back to 0 %.
    Rollback,
    /// Breach: back to the previous step's percentage, paused.
    StepDown {
        #[serde(deserialize_with = "Rollout::deserialize_buffered")]
        to: Rollout,
    },
    /// Not enough data at the end of the bake: bake once more.
    Extend,
    /// Not enough data after every extension: stop and wait for a person.
    Pause,
}

/// The verdict of the error-rate gate on a step so far. `alpha` bounds the chance of a false
/// failure over the whole rollout, however often this is called.
pub fn rate_verdict(
    evidence: &RateEvidence,
    current: &ArmEvents,
    min_samples: u64,
    full_exposure: bool,
    alpha: f64,
) -> RateVerdict {
    let log_statistic = evidence.log_statistic(current);
    let threshold = (1.0 / alpha).ln();
    // At 100 % there is no legacy arm left to compare with: only the new arm's volume counts.
    let enough =
        current.new_calls >= min_samples && (full_exposure || current.legacy_calls >= min_samples);
    let verdict = if log_statistic >= threshold {
        Verdict::Fail
    } else if enough {
        Verdict::Pass
    } else {
        Verdict::Inconclusive
    };
    RateVerdict {
        verdict,
        log_statistic,
        threshold,
        events: *current,
    }
}

/// What to do at `elapsed` into step `step` (after `extensions` extensions) given its verdict.
pub fn decide(
    plan: &RolloutPlan,
    step: usize,
    extensions: u32,
    verdict: Verdict,
    elapsed: Duration,
) -> Action {
    let Some(current) = plan.steps.get(step) else {
        return Action::Complete;
    };
    if verdict == Verdict::Fail {
        return match (plan.on_breach, step.checked_sub(1)) {
            (OnBreach::StepDown, Some(previous)) => Action::StepDown {
                to: plan.steps[previous].rollout,
            },
            _ => Action::Rollback,
        };
    }
    let baked = current.bake * (1 + extensions);
    if elapsed < baked {
        return Action::Hold;
    }
    match verdict {
        Verdict::Pass => match plan.steps.get(step + 1) {
            Some(next) => Action::Advance { to: next.rollout },
            None => Action::Complete,
        },
        _ if extensions < plan.max_extensions => Action::Extend,
        _ => match plan.on_inconclusive {
            OnInconclusive::ExtendThenPause => Action::Pause,
            OnInconclusive::ExtendThenRollback => Action::Rollback,
        },
    }
}

//! One look at one rollout: the figures of every step of its evidence, read from the store,
//! judged by the core's `assess`, and the core's `decide` on what to do. The guard loop, the
//! rollout status API and `cutover slo status` all look through here.

use std::time::Duration;

use cutover_api::{Look, NextStage, RolloutStatus};
use cutover_core::guard::{Action, Judging, RunStatus, StepFigures, assess, decide};
use cutover_core::{Flag, Timestamp, VerdictName, missing};
use cutover_store::{Store, StoreError};

/// How the guard judges: its false-failure bound, and how long after a step starts figures
/// begin to count (SDKs need a moment to hear of the new percentage and to upload).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judgement {
    pub alpha: f64,
    pub settle: Duration,
}

impl Default for Judgement {
    fn default() -> Self {
        Judgement {
            alpha: 0.01,
            settle: Duration::from_secs(1),
        }
    }
}

/// Looks at `flag`'s rollout at `now`; `None` when it has no plan or never started.
pub(crate) async fn look(
    store: &dyn Store,
    flag: &Flag,
    now: Timestamp,
    judgement: Judgement,
) -> Result<Option<Look>, StoreError> {
    let (Some(plan), Some(run)) = (flag.plan.as_ref(), flag.run.as_ref()) else {
        return Ok(None);
    };
    let settle = jiff::SignedDuration::try_from(judgement.settle).unwrap_or_default();
    let mut steps = Vec::new();
    for (start, end) in run.evidence_spans(now) {
        let since = start.checked_add(settle).unwrap_or(start);
        if since >= end {
            steps.push(StepFigures::default());
            continue;
        }
        let arms = store.arm_metrics(&flag.key, since, end).await?;
        let shadow = store.shadow_counts(&flag.key, since, end).await?;
        steps.push(StepFigures {
            legacy: arms.legacy,
            new: arms.new,
            shadow,
        });
    }
    // `baseline.` gates read the legacy path's figures from before the start, when the flag
    // sent everyone there.
    let baseline = if plan.gates.iter().any(|g| g.gate().uses_baseline()) {
        let window = jiff::SignedDuration::try_from(plan.baseline_window).unwrap_or_default();
        let since = run.started_at.checked_sub(window).unwrap_or(run.started_at);
        Some(
            store
                .arm_metrics(&flag.key, since, run.started_at)
                .await?
                .legacy,
        )
    } else {
        None
    };
    let current = plan.steps.get(run.step);
    let judging = Judging {
        min_samples: current.map_or(0, |s| s.min_samples),
        full_exposure: flag.rollout.bps() == 10_000,
        alpha: judgement.alpha,
        verdicts: &flag.verdicts,
        now,
        baseline: baseline.as_ref(),
    };
    let assessment = assess(&plan.gates, &steps, judging);
    let elapsed = run.baked(now);
    let decision = if run.status == RunStatus::Running {
        decide(plan, run.step, run.extensions, assessment.verdict, elapsed)
    } else {
        Action::Hold
    };
    Ok(Some(Look {
        step: run.step,
        extensions: run.extensions,
        elapsed_s: elapsed.as_secs(),
        assessment,
        decision,
    }))
}

/// Where `flag`'s rollout stands at `now`, with the look at it.
pub(crate) async fn status(
    store: &dyn Store,
    flag: Flag,
    now: Timestamp,
    judgement: Judgement,
) -> Result<RolloutStatus, StoreError> {
    let found = look(store, &flag, now, judgement).await?;
    let next_stage = flag.stage.above().map(|stage| NextStage {
        stage,
        requires: flag.requires.get(&stage).cloned(),
        missing: missing(&flag, stage, now, None)
            .iter()
            .map(ToString::to_string)
            .collect(),
    });
    Ok(RolloutStatus {
        flag: flag.key,
        version: flag.version,
        rollout_percent: flag.rollout,
        plan: flag.plan,
        run: flag.run,
        golden: flag
            .verdicts
            .get(&VerdictName::golden())
            .and_then(|v| v.golden.clone()),
        next_stage,
        verdicts: flag.verdicts,
        look: found,
        at: now,
    })
}

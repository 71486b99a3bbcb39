//! A guarded rollout moved through the change path: people's moves and the guard's decisions on
//! a flag's run (the rules are in `guard/run.rs`; these tests were beside them until the change
//! path they drive was seen to make an import loop with them).

use crate::guard::{Action, RolloutPlan, RunMove, RunStatus};
use crate::{CoreError, Flag, FlagChange, FlagKey, Rollout, Timestamp};

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
        gates: vec![crate::guard::GateExpr::new("new.error_rate <= 50%").unwrap()],
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

#[test]
fn the_stage_follows_the_ladder_as_a_plan_moves_the_percentage() {
    use crate::Stage;
    let mut f = flag();
    let stages = |f: &Flag| (f.stage, f.rollout.bps());
    assert_eq!(stages(&f), (Stage::Disabled, 0));
    apply(&mut f, moved(RunMove::Start), 0).unwrap();
    assert_eq!(stages(&f), (Stage::Canary, 500));
    for (step, (to, stage)) in [
        ("25", Stage::Canary),
        ("50", Stage::Beta),
        ("100", Stage::Production),
    ]
    .into_iter()
    .enumerate()
    {
        let to = Rollout::from_percent_str(to).unwrap();
        apply(
            &mut f,
            guard(Action::Advance { to }, step),
            600 * (step as i64 + 1),
        )
        .unwrap();
        assert_eq!(f.stage, stage, "after advancing to {to}");
    }
    apply(&mut f, guard(Action::Complete, 3), 2_400).unwrap();
    assert_eq!(stages(&f), (Stage::Production, 10_000));
    // A new run that breaches goes back to 0 %, and so does the stage.
    apply(&mut f, moved(RunMove::Start), 3_000).unwrap();
    apply(&mut f, guard(Action::Rollback, 0), 3_100).unwrap();
    assert_eq!(stages(&f), (Stage::Disabled, 0));
    // Resuming at its step puts it back on its rung; an abort takes it off the ladder again.
    apply(&mut f, moved(RunMove::Resume), 3_200).unwrap();
    assert_eq!(stages(&f), (Stage::Canary, 500));
    apply(&mut f, moved(RunMove::Abort), 3_300).unwrap();
    assert_eq!(stages(&f), (Stage::Disabled, 0));
}

mod schedule {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;
    use crate::guard::{Verdict, decide};

    /// An instant `ms` milliseconds after the start, which is not on a whole second: a step
    /// start rounded to the second would show as a bake that ends early.
    fn at_ms(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_800_000_000_137 + ms).unwrap()
    }

    /// A plan of one step per bake (the last at 100 %), which may extend `max_extensions` times.
    fn plan_of(bakes: &[u64], max_extensions: u32) -> RolloutPlan {
        let mut percents: Vec<String> = (1..bakes.len()).map(|i| (i * 10).to_string()).collect();
        percents.push("100".into());
        let mut plan =
            RolloutPlan::parse_shorthand(&format!("{} every 1s", percents.join(","))).unwrap();
        for (step, secs) in plan.steps.iter_mut().zip(bakes) {
            step.bake = Duration::from_secs(*secs);
        }
        plan.max_extensions = max_extensions;
        plan
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The guard looks whenever it gets to (a loaded node looks late, two looks may come
        /// close together) at a flag read back from JSON as a node reads it from the store:
        /// still no look ends a bake (advance, extend, complete, pause) before the step has
        /// baked its whole time since it began, extensions included, and a rollout completes
        /// no sooner than the sum of its bakes after its start.
        #[test]
        fn no_bake_ends_early_whenever_the_guard_looks(
            bakes in prop::collection::vec(1u64..20, 1..5),
            max_extensions in 0u32..3,
            looks in prop::collection::vec((0i64..2_500, any::<bool>()), 1..300),
        ) {
            let plan = plan_of(&bakes, max_extensions);
            let mut f = Flag::new(FlagKey::new("checkout").unwrap());
            f.plan = Some(plan.clone());
            moved(RunMove::Start).apply(&mut f, at_ms(0)).unwrap();
            // When the current step began, by the test's own reckoning.
            let mut step_began = 0;
            let mut t = 0;
            for (gap, passes) in looks {
                t += gap;
                f = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
                let run = f.run.clone().unwrap();
                if run.status != RunStatus::Running {
                    break;
                }
                let verdict = if passes { Verdict::Pass } else { Verdict::Inconclusive };
                let action = decide(&plan, run.step, run.extensions, verdict, run.baked(at_ms(t)));
                if action == Action::Hold {
                    continue;
                }
                let bake = plan.steps[run.step].bake * (1 + run.extensions);
                let baked = t - step_began;
                prop_assert!(
                    baked >= bake.as_millis() as i64,
                    "{action:?} on step {} after {baked} ms of a {bake:?} bake", run.step
                );
                guard(action, run.step).apply(&mut f, at_ms(t)).unwrap();
                match action {
                    Action::Advance { .. } => step_began = t,
                    Action::Complete => {
                        let total: u64 = bakes.iter().sum();
                        prop_assert!(t >= total as i64 * 1000, "completed after {t} ms");
                    }
                    _ => {}
                }
            }
        }
    }
}

//! Invariants of the guard's decision rule, over arbitrary figures: a pass needs data, a
//! failing or undecided step never advances, and evidence against the new arm never makes a
//! verdict kinder; a warning gate, breached or not, never changes what the guard does.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::Duration;

use cutover_core::guard::{
    Action, GateExpr, Judging, RolloutPlan, StepFigures, Verdict, assess, decide,
};
use cutover_core::{ArmCounts, LatencySketch, latency_bucket};
use proptest::prelude::*;

fn arm(calls: u64, errors: u64, latency_us: u64) -> ArmCounts {
    ArmCounts {
        calls,
        errors: errors.min(calls),
        latency: LatencySketch::from_counts([(latency_bucket(latency_us), calls)]),
        ..ArmCounts::default()
    }
}

fn gates() -> Vec<GateExpr> {
    [
        "new.error_rate <= legacy.error_rate",
        "new.p95 <= legacy.p95 * 1.2",
        "new.error_rate <= 5%",
    ]
    .iter()
    .map(|g| GateExpr::new(g).unwrap())
    .collect()
}

static NO_VERDICTS: cutover_core::Verdicts = cutover_core::Verdicts::new();

fn judging(min_samples: u64) -> Judging<'static> {
    Judging {
        min_samples,
        full_exposure: false,
        alpha: 0.01,
        verdicts: &NO_VERDICTS,
        now: cutover_core::Timestamp::UNIX_EPOCH,
        baseline: None,
    }
}

prop_compose! {
    fn figures()(legacy_calls in 0u64..20_000, legacy_errors in 0u64..2_000,
                 new_calls in 0u64..5_000, new_errors in 0u64..1_000,
                 legacy_us in 1u64..200_000, new_us in 1u64..200_000) -> StepFigures {
        StepFigures {
            legacy: arm(legacy_calls, legacy_errors, legacy_us),
            new: arm(new_calls, new_errors, new_us),
            ..StepFigures::default()
        }
    }
}

proptest! {
    #[test]
    fn a_pass_needs_the_minimum_of_calls_on_both_arms(step in figures(), min in 1u64..3_000) {
        let a = assess(&gates(), std::slice::from_ref(&step), judging(min));
        if a.verdict == Verdict::Pass {
            prop_assert!(step.new.calls >= min && step.legacy.calls >= min, "{}", a.summary());
        }
        if step.new.calls == 0 {
            prop_assert_ne!(a.verdict, Verdict::Pass);
        }
    }

    #[test]
    fn more_errors_on_the_new_arm_never_make_the_verdict_kinder(
        step in figures(), extra in 1u64..500,
    ) {
        let worse = StepFigures {
            new: arm(step.new.calls, step.new.errors + extra, 1),
            ..step.clone()
        };
        let same_latency = StepFigures {
            new: arm(step.new.calls, step.new.errors, 1),
            ..step
        };
        let g: Vec<GateExpr> = gates().into_iter().take(1).collect();
        let before = assess(&g, std::slice::from_ref(&same_latency), judging(100));
        let after = assess(&g, std::slice::from_ref(&worse), judging(100));
        prop_assert!(after.gates[0].log_statistic >= before.gates[0].log_statistic - 1e-9);
        if before.verdict == Verdict::Fail {
            prop_assert_eq!(after.verdict, Verdict::Fail);
        }
    }

    #[test]
    fn only_a_pass_after_the_bake_moves_a_rollout_up(
        step in 0usize..4, extensions in 0u32..3, elapsed_s in 0u64..3_000,
        verdict in prop_oneof![Just(Verdict::Pass), Just(Verdict::Fail), Just(Verdict::Inconclusive)],
    ) {
        let plan = RolloutPlan::parse_shorthand("5,25,50,100 every 10m").unwrap();
        let action = decide(&plan, step, extensions, verdict, Duration::from_secs(elapsed_s));
        let baked = elapsed_s >= 600 * (1 + u64::from(extensions));
        match action {
            Action::Advance { .. } | Action::Complete => {
                prop_assert_eq!(verdict, Verdict::Pass);
                prop_assert!(baked);
            }
            Action::Rollback | Action::StepDown { .. } => {
                // A breach, or too little data after every extension with a rollback policy.
                prop_assert!(verdict == Verdict::Fail || baked);
            }
            _ => prop_assert_ne!(verdict, Verdict::Fail),
        }
    }

    #[test]
    fn no_warning_gate_ever_changes_what_the_guard_does(
        steps in proptest::collection::vec(figures(), 1..4),
        min in 1u64..3_000, extensions in 0u32..3, elapsed_s in 0u64..3_000,
        warnings in proptest::sample::subsequence(vec![
            "warning: new.error_rate <= legacy.error_rate",
            "warning: new.error_rate <= 0.1%",
            "warning: new.p95 <= 1ms",
            "warning: new.p50 <= legacy.p50",
            "warning: golden",
        ], 1..=5),
    ) {
        let plan = RolloutPlan::parse_shorthand("5,25,50,100 every 10m").unwrap();
        let step = steps.len() - 1;
        let critical = gates();
        let mut with_warnings = critical.clone();
        with_warnings.extend(warnings.iter().map(|g| GateExpr::new(g).unwrap()));
        let without = assess(&critical, &steps, judging(min));
        let with = assess(&with_warnings, &steps, judging(min));
        prop_assert_eq!(with.verdict, without.verdict, "{}", with.summary());
        let elapsed = Duration::from_secs(elapsed_s);
        prop_assert_eq!(
            decide(&plan, step, extensions, with.verdict, elapsed),
            decide(&plan, step, extensions, without.verdict, elapsed)
        );
        // The critical gates read exactly as they did alone.
        prop_assert_eq!(&with.gates[..critical.len()], &without.gates[..]);
    }
}

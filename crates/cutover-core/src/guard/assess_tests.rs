//! Tests of `assess`: verdicts per gate kind, evidence across steps, severities.

use super::*;
use crate::arm_metrics::{LatencySketch, latency_bucket};

fn arm(calls: u64, errors: u64, latency_us: u64) -> ArmCounts {
    ArmCounts {
        calls,
        errors,
        latency: LatencySketch::from_counts([(latency_bucket(latency_us), calls)]),
        ..ArmCounts::default()
    }
}

static NO_VERDICTS: Verdicts = Verdicts::new();

fn judging(min_samples: u64) -> Judging<'static> {
    Judging {
        min_samples,
        full_exposure: false,
        alpha: 0.01,
        verdicts: &NO_VERDICTS,
        now: Timestamp::UNIX_EPOCH,
        baseline: None,
    }
}

fn gates(texts: &[&str]) -> Vec<GateExpr> {
    texts.iter().map(|t| GateExpr::new(t).unwrap()).collect()
}

#[test]
fn no_data_is_inconclusive_never_a_pass() {
    let a = assess(&gates(&[]), &[], judging(200));
    assert_eq!(a.verdict, Verdict::Inconclusive);
    assert_eq!(a.gates[0].gate, "new.error_rate <= legacy.error_rate");
    let a = assess(&gates(&["golden"]), &[StepFigures::default()], judging(0));
    assert_eq!(a.verdict, Verdict::Inconclusive);
}

#[test]
fn equal_arms_pass_and_a_fivefold_error_rate_fails() {
    let same = StepFigures {
        legacy: arm(19_000, 190, 20_000),
        new: arm(1_000, 10, 20_000),
        ..StepFigures::default()
    };
    let g = gates(&[
        "new.error_rate <= legacy.error_rate",
        "new.p95 <= legacy.p95 * 1.2",
    ]);
    assert_eq!(
        assess(&g, std::slice::from_ref(&same), judging(200)).verdict,
        Verdict::Pass
    );
    let worse = StepFigures {
        new: arm(1_000, 50, 20_000),
        ..same
    };
    let a = assess(&g, &[worse], judging(200));
    assert_eq!(a.verdict, Verdict::Fail);
    assert_eq!(a.gates[0].verdict, Verdict::Fail);
    assert_eq!(a.gates[1].verdict, Verdict::Pass);
    assert!(a.summary().contains("5.00 %"), "{}", a.summary());
}

#[test]
fn a_slower_new_arm_fails_its_latency_gates() {
    let slow = StepFigures {
        legacy: arm(5_000, 0, 20_000),
        new: arm(500, 0, 30_000),
        ..StepFigures::default()
    };
    for g in [
        "new.p95 <= legacy.p95 * 1.2",
        "new.p95 <= 25ms",
        "new.p50 <= legacy.p50 + 5ms",
    ] {
        let a = assess(&gates(&[g]), std::slice::from_ref(&slow), judging(200));
        assert_eq!(a.verdict, Verdict::Fail, "{g}: {}", a.summary());
    }
    let a = assess(&gates(&["new.p95 <= 40ms"]), &[slow], judging(200));
    assert_eq!(a.verdict, Verdict::Pass, "{}", a.summary());
}

#[test]
fn agreement_below_its_floor_fails_and_needs_data_to_pass() {
    let mut shadow = ShadowCounts::default();
    shadow.tally.fields.insert(
        "selected_agent".into(),
        crate::compare::tally::FieldTally {
            compared: 400,
            agreed: 240,
            disagreed: 160,
            ..Default::default()
        },
    );
    let step = StepFigures {
        shadow,
        ..StepFigures::default()
    };
    let g = gates(&["agreement(selected_agent) >= 0.80"]);
    assert_eq!(
        assess(&g, std::slice::from_ref(&step), judging(200)).verdict,
        Verdict::Fail
    );
    let g = gates(&["agreement(routing_policy) >= 0.80"]);
    assert_eq!(
        assess(&g, &[step], judging(200)).verdict,
        Verdict::Inconclusive
    );
}

#[test]
fn evidence_adds_up_across_steps() {
    // Each step alone is short of proof; together they fail.
    let step = StepFigures {
        legacy: arm(9_500, 95, 20_000),
        new: arm(500, 13, 20_000),
        ..StepFigures::default()
    };
    let g = gates(&[]);
    let one = assess(&g, std::slice::from_ref(&step), judging(200));
    assert_ne!(one.verdict, Verdict::Fail, "{}", one.summary());
    let three = assess(&g, &[step.clone(), step.clone(), step], judging(200));
    assert_eq!(three.verdict, Verdict::Fail, "{}", three.summary());
}

#[test]
fn baseline_gates_need_a_baseline_and_judge_against_it() {
    let step = StepFigures {
        legacy: arm(1_000, 10, 20_000),
        new: arm(1_000, 25, 30_000),
        ..StepFigures::default()
    };
    let g = gates(&[
        "new.error_rate <= baseline.error_rate",
        "new.p95 <= baseline.p95 * 1.2",
    ]);
    let none = assess(&g, std::slice::from_ref(&step), judging(200));
    assert_eq!(none.verdict, Verdict::Inconclusive, "{}", none.summary());
    let before = arm(100_000, 1_000, 20_000);
    let j = Judging {
        baseline: Some(&before),
        ..judging(200)
    };
    let a = assess(&g, std::slice::from_ref(&step), j);
    assert_eq!(a.gates[0].verdict, Verdict::Fail, "{}", a.summary());
    assert_eq!(a.gates[0].threshold, Some(0.01));
    assert_eq!(a.gates[1].verdict, Verdict::Fail, "{}", a.summary());
}

#[test]
fn a_custom_counter_is_a_rate_like_the_others() {
    let with = |calls: u64, n: u64| ArmCounts {
        calls,
        custom: [("invalid_json".to_owned(), n)].into(),
        ..ArmCounts::default()
    };
    let step = StepFigures {
        legacy: with(9_000, 90),
        new: with(1_000, 50),
        ..StepFigures::default()
    };
    let g = gates(&["new.invalid_json_rate <= legacy.invalid_json_rate"]);
    let a = assess(&g, std::slice::from_ref(&step), judging(200));
    assert_eq!(a.verdict, Verdict::Fail, "{}", a.summary());
    assert_eq!(a.gates[0].new, Some(0.05));
    assert!(a.gates[0].suggested_action.contains("invalid_json"));
    let fine = StepFigures {
        new: with(1_000, 10),
        ..step
    };
    let a = assess(&g, std::slice::from_ref(&fine), judging(200));
    assert_eq!(a.verdict, Verdict::Pass, "{}", a.summary());
}

#[test]
fn outcome_gates_follow_the_named_verdicts_and_wait_for_missing_or_expired_ones() {
    use crate::verdict::{Verdict as Named, VerdictName};
    let now: Timestamp = "2026-12-02T00:00:00Z".parse().unwrap();
    let named = |passed, source, expires: Option<&str>| Named {
        passed,
        source,
        at: "2026-12-01T00:00:00Z".parse().unwrap(),
        by: "ci".into(),
        expires_at: expires.map(|t| t.parse().unwrap()),
        url: None,
        details: None,
        golden: None,
    };
    let mut book = Verdicts::new();
    book.insert(
        VerdictName::new("verify").unwrap(),
        named(true, VerdictSource::Golden, None),
    );
    book.insert(
        VerdictName::new("integration").unwrap(),
        named(true, VerdictSource::Recorded, Some("2026-12-01T06:00:00Z")),
    );
    let judge = |book: &Verdicts, gate: &str| {
        let j = Judging {
            verdicts: book,
            now,
            ..judging(0)
        };
        assess(&gates(&[gate]), &[], j).verdict
    };
    assert_eq!(judge(&book, "golden"), Verdict::Pass);
    assert_eq!(judge(&book, "verdict(verify)"), Verdict::Pass);
    assert_eq!(
        judge(&book, "verdict(integration)"),
        Verdict::Inconclusive,
        "expired"
    );
    assert_eq!(
        judge(&book, "verdict(load-test)"),
        Verdict::Inconclusive,
        "missing"
    );
    assert_eq!(judge(&book, "verdicts(all)"), Verdict::Inconclusive);
    // A red cross-validation is not masked by the green verify beside it.
    book.insert(
        VerdictName::new("cross-validation").unwrap(),
        named(false, VerdictSource::Golden, None),
    );
    assert_eq!(judge(&book, "golden"), Verdict::Fail);
    assert_eq!(judge(&book, "verdicts(all)"), Verdict::Fail);
    assert_eq!(judge(&book, "verdict(verify)"), Verdict::Pass);
    assert_eq!(judge(&Verdicts::new(), "golden"), Verdict::Inconclusive);
}

#[test]
fn a_failing_warning_gate_is_recorded_and_never_decides_the_step() {
    let step = StepFigures {
        legacy: arm(19_000, 190, 20_000),
        new: arm(1_000, 50, 20_000),
        ..StepFigures::default()
    };
    let g = gates(&[
        "new.p95 <= 40ms",
        "warning: new.error_rate <= legacy.error_rate",
    ]);
    let a = assess(&g, std::slice::from_ref(&step), judging(200));
    assert_eq!(a.verdict, Verdict::Pass, "{}", a.summary());
    let warning = &a.gates[1];
    assert_eq!(warning.severity, Severity::Warning);
    assert_eq!(warning.verdict, Verdict::Fail);
    assert_eq!(warning.gate, "new.error_rate <= legacy.error_rate");
    assert_eq!(a.breached_warnings().count(), 1);
    assert!(!a.summary().contains("error_rate"), "{}", a.summary());
    assert!(warning.summary().starts_with("warning: new.error_rate"));
    // The same gate, critical, fails the step.
    let g = gates(&[
        "new.p95 <= 40ms",
        "critical: new.error_rate <= legacy.error_rate",
    ]);
    let a = assess(&g, &[step], judging(200));
    assert_eq!(a.verdict, Verdict::Fail, "{}", a.summary());
    assert_eq!(a.breached_warnings().count(), 0);
}

#[test]
fn an_undecided_warning_gate_does_not_hold_a_step_back() {
    let step = StepFigures {
        legacy: arm(19_000, 190, 20_000),
        new: arm(1_000, 10, 20_000),
        ..StepFigures::default()
    };
    let g = gates(&[
        "new.p95 <= 40ms",
        "warning: agreement(selected_agent) >= 0.9",
    ]);
    let a = assess(&g, &[step], judging(200));
    assert_eq!(a.gates[1].verdict, Verdict::Inconclusive);
    assert_eq!(a.verdict, Verdict::Pass, "{}", a.summary());
}

#[test]
fn a_plan_of_warnings_only_keeps_the_default_critical_gate() {
    let worse = StepFigures {
        legacy: arm(19_000, 190, 20_000),
        new: arm(1_000, 50, 20_000),
        ..StepFigures::default()
    };
    let a = assess(
        &gates(&["warning: new.p95 <= 40ms"]),
        &[worse],
        judging(200),
    );
    assert_eq!(a.gates.len(), 2);
    assert_eq!(a.gates[0].gate, crate::guard::DEFAULT_GATE);
    assert_eq!(a.gates[0].severity, Severity::Critical);
    assert_eq!(a.verdict, Verdict::Fail, "{}", a.summary());
}

#[test]
fn warning_gates_do_not_change_the_critical_gates_bound() {
    let step = StepFigures {
        legacy: arm(9_500, 95, 20_000),
        new: arm(500, 13, 20_000),
        ..StepFigures::default()
    };
    let alone = assess(&gates(&[]), std::slice::from_ref(&step), judging(200));
    let with = assess(
        &gates(&[
            "new.error_rate <= legacy.error_rate",
            "warning: new.p95 <= 10ms",
            "warning: new.retry_rate <= 1%",
        ]),
        &[step],
        judging(200),
    );
    assert_eq!(with.gates[0].fail_at, alone.gates[0].fail_at);
    assert_eq!(with.gates[0].verdict, alone.gates[0].verdict);
    assert_eq!(with.gates[1].fail_at, (2.0f64 / 0.01).ln());
}

#[test]
fn a_reading_recorded_before_severities_existed_reads_as_critical() {
    let stored = r#"{"gate": "new.error_rate <= legacy.error_rate", "verdict": "fail",
        "unit": "ratio", "new": 0.05, "legacy": 0.01, "threshold": 0.01, "samples": 1000,
        "legacy_samples": 19000, "log_statistic": 9.1, "fail_at": 4.6,
        "suggested_action": "look"}"#;
    let reading: GateReading = serde_json::from_str(stored).unwrap();
    assert_eq!(reading.severity, Severity::Critical);
    let written = serde_json::to_value(&reading).unwrap();
    assert_eq!(written["severity"], "critical");
}

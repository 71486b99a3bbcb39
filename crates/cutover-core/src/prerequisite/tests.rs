#![allow(clippy::unwrap_used)]

use super::*;
use crate::change::FlagChange;
use crate::flag::Flag;
use crate::guard::golden::GoldenResult;
use crate::key::FlagKey;
use crate::prerequisite::judge::{missing, refusal};
use crate::role::Role;
use crate::verdict::{Verdict, VerdictName};
use jiff::Timestamp;

fn at(s: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + s).unwrap()
}

fn run(name: &str, passed: bool, t: i64) -> FlagChange {
    FlagChange::RecordVerdict {
        name: VerdictName::new(name).unwrap(),
        verdict: Verdict::from_golden(GoldenResult {
            passed,
            at: at(t),
            corpus: name.into(),
            cases: 10,
            failed: u64::from(!passed),
            summary: String::new(),
        }),
    }
}

fn require(stage: Stage, text: &str) -> FlagChange {
    FlagChange::SetRequirement {
        stage,
        requirement: Some(serde_json::from_str(text).unwrap()),
    }
}

fn apply(flag: &Flag, change: FlagChange, t: i64) -> Flag {
    FlagChange::apply_all(flag, &[change], at(t))
        .unwrap()
        .unwrap_or_else(|| flag.clone())
}

/// Requirement 000: four named verdicts gate production; two weeks (here: 60 s) at production
/// gate retiring legacy.
#[test]
fn production_waits_for_every_named_verdict_and_legacy_disabled_for_its_time() {
    let mut f = Flag::new(FlagKey::new("routing").unwrap());
    f = apply(
        &f,
        require(
            Stage::Production,
            r#"{"gates": ["verdict(golden-verify)", "verdict(budget)",
                          "verdict(cross-validation)", "verdict(integration-tests)"]}"#,
        ),
        0,
    );
    f = apply(
        &f,
        require(
            Stage::LegacyDisabled,
            r#"{"after_s": 60, "gates": ["golden"]}"#,
        ),
        0,
    );
    f = apply(&f, FlagChange::SetStage { stage: Stage::Beta }, 1);
    assert_eq!(f.stage_since, Some(at(1)));

    for (name, passed) in [
        ("golden-verify", true),
        ("budget", true),
        ("cross-validation", false),
    ] {
        f = apply(&f, run(name, passed, 2), 2);
    }
    f = apply(&f, run("integration-tests", true, 3), 3);
    // A later green verify does not mask the red cross-validation.
    f = apply(&f, run("golden-verify", true, 4), 4);
    let left = missing(&f, Stage::Production, at(5), None);
    assert_eq!(
        left,
        [Missing::Gate {
            gate: "verdict(cross-validation)".into(),
            standing: Standing::Failed
        }]
    );
    assert!(
        refusal("routing", Stage::Production, &left)
            .contains("verdict(cross-validation) is failed")
    );
    f = apply(&f, run("cross-validation", true, 6), 6);
    assert!(missing(&f, Stage::Production, at(7), None).is_empty());

    // Straight from beta to legacy_disabled: not at production at all.
    let skip = missing(&f, Stage::LegacyDisabled, at(7), None);
    assert!(
        matches!(
            skip[..],
            [Missing::NotBelow {
                below: Stage::Production,
                ..
            }]
        ),
        "{skip:?}"
    );
    f = apply(
        &f,
        FlagChange::SetStage {
            stage: Stage::Production,
        },
        10,
    );
    let soon = missing(&f, Stage::LegacyDisabled, at(40), None);
    assert_eq!(
        soon,
        [Missing::TooSoon {
            below: Stage::Production,
            after_s: 60,
            held_s: Some(30)
        }]
    );
    assert!(
        soon[0]
            .to_string()
            .contains("1m at production (it has been there 30s)"),
        "{}",
        soon[0]
    );
    assert!(missing(&f, Stage::LegacyDisabled, at(70), None).is_empty());
}

#[test]
fn a_role_prerequisite_holds_back_a_lesser_role_but_not_the_store_s_own_user() {
    let f = apply(
        &Flag::new(FlagKey::new("f").unwrap()),
        require(Stage::Production, r#"{"role": "admin"}"#),
        0,
    );
    let by_operator = missing(&f, Stage::Production, at(1), Some(Role::Operator));
    assert_eq!(
        by_operator,
        [Missing::Role {
            needed: Role::Admin,
            caller: Role::Operator
        }]
    );
    assert!(missing(&f, Stage::Production, at(1), Some(Role::Admin)).is_empty());
    assert!(missing(&f, Stage::Production, at(1), None).is_empty());
    assert!(
        missing(&f, Stage::Beta, at(1), Some(Role::Viewer)).is_empty(),
        "no prerequisites"
    );
}

#[test]
fn a_prerequisite_is_a_verdict_gate_and_an_empty_one_is_removed() {
    let f = Flag::new(FlagKey::new("f").unwrap());
    let figures = FlagChange::SetRequirement {
        stage: Stage::Production,
        requirement: Some(StageRequirement {
            gates: vec![GateExpr::new("new.error_rate <= 1%").unwrap()],
            ..StageRequirement::default()
        }),
    };
    let err = FlagChange::apply_all(&f, &[figures], at(0))
        .unwrap_err()
        .to_string();
    assert!(err.contains("verdict gate"), "{err}");
    let f = apply(&f, require(Stage::Beta, r#"{"after_s": 5}"#), 0);
    assert_eq!(f.requires.len(), 1);
    let cleared = apply(
        &f,
        FlagChange::SetRequirement {
            stage: Stage::Beta,
            requirement: None,
        },
        1,
    );
    assert!(cleared.requires.is_empty());
    // A flag document with a figure gate as a prerequisite is refused when read.
    let text = r#"{"key": "g", "requires": {"production": {"gates": ["new.p95 <= 1ms"]}}}"#;
    assert!(serde_json::from_str::<Flag>(text).is_err());
}

#[test]
fn the_stage_start_is_kept_to_the_millisecond_as_stores_keep_it() {
    let f = Flag::new(FlagKey::new("f").unwrap());
    let now = at(5)
        .checked_add(jiff::SignedDuration::from_nanos(1_234_567))
        .unwrap();
    let moved = FlagChange::apply_all(&f, &[FlagChange::SetStage { stage: Stage::Beta }], now)
        .unwrap()
        .unwrap();
    assert_eq!(
        moved.stage_since,
        Some(Timestamp::from_millisecond(at(5).as_millisecond() + 1).unwrap())
    );
}

//! The numeric tolerance through the whole corpus path: numbers read from a corpus file, sent to
//! a real subject process and read back from its stdout, compared with the recording under
//! `within`. |d| = eps passes, eps + 1e-9 fails, and nothing is rounded on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{echo, scratch, status_of};
use cutover_golden::{CaseStatus, Corpus, GoldenSpec, Problem, Runner};

/// Each case's input is what the echo subject answers, so `recorded` against `input` is the pair
/// under test.
const CASES: &str = r#"
{"name": "at-eps-up", "input": {"confidence": 0.85}, "recorded": {"confidence": 0.80}}
{"name": "at-eps-down", "input": {"confidence": 0.75}, "recorded": {"confidence": 0.80}}
{"name": "at-eps-from-one", "input": {"confidence": 1.05}, "recorded": {"confidence": 1.0}}
{"name": "at-eps-negative", "input": {"confidence": -0.05}, "recorded": {"confidence": 0}}
{"name": "eps-plus-1e-9-up", "input": {"confidence": 0.850000001}, "recorded": {"confidence": 0.80}}
{"name": "eps-plus-1e-9-down", "input": {"confidence": 0.749999999}, "recorded": {"confidence": 0.80}}
{"name": "eps-plus-1e-9-from-one", "input": {"confidence": 1.050000001}, "recorded": {"confidence": 1.0}}
{"name": "float-trap", "input": {"confidence": 0.3}, "recorded": {"confidence": 0.25}}
{"name": "exact-field", "input": {"confidence": 0.8, "agent": "b"}, "recorded": {"confidence": 0.8, "agent": "a"}}
"#;

fn verify(eps: &str) -> cutover_golden::Report {
    let (_dir, path) = scratch("tolerance.jsonl", CASES);
    let corpus = Corpus::load(&path).unwrap();
    let spec = GoldenSpec::parse(
        &format!(r#"{{"fields": {{"confidence": {{"rule": "within", "eps": {eps}}}}}}}"#),
        "spec",
    )
    .unwrap();
    Runner::new(&corpus)
        .spec(spec)
        .verify(&mut echo(""))
        .unwrap()
}

#[test]
fn a_difference_of_exactly_eps_passes_and_eps_plus_a_billionth_fails() {
    let report = verify("0.05");
    for case in [
        "at-eps-up",
        "at-eps-down",
        "at-eps-from-one",
        "at-eps-negative",
        "float-trap",
    ] {
        assert_eq!(status_of(&report, case), CaseStatus::Passed, "{case}");
    }
    for case in [
        "eps-plus-1e-9-up",
        "eps-plus-1e-9-down",
        "eps-plus-1e-9-from-one",
    ] {
        assert_eq!(status_of(&report, case), CaseStatus::Failed, "{case}");
    }
    // Other fields stay exact.
    let exact = report
        .cases
        .iter()
        .find(|c| c.case == "exact-field")
        .unwrap();
    assert_eq!(exact.status, CaseStatus::Failed);
    assert!(matches!(&exact.problems[..], [Problem::Differs { path, .. }] if path == "agent"));
    let confidence = &report.summary.agreement["confidence"];
    assert_eq!((confidence.compared, confidence.agreed), (9, 6));
    assert!(!report.summary.passed);
}

#[test]
fn a_tolerance_of_a_billionth_is_held_exactly_too() {
    let (_dir, path) = scratch(
        "tight.jsonl",
        r#"{"name": "at", "input": 0.300000001, "recorded": 0.3}
{"name": "past", "input": 0.3000000010001, "recorded": 0.3}
"#,
    );
    let corpus = Corpus::load(&path).unwrap();
    // `$` is the whole output, as reports name it.
    let spec =
        GoldenSpec::parse(r#"{"fields": {"$": {"rule": "within", "eps": 1e-9}}}"#, "s").unwrap();
    let report = Runner::new(&corpus)
        .spec(spec)
        .verify(&mut echo(""))
        .unwrap();
    assert_eq!(status_of(&report, "at"), CaseStatus::Passed);
    assert_eq!(status_of(&report, "past"), CaseStatus::Failed);
}

#[test]
fn expectations_use_the_same_exact_tolerance() {
    let (_dir, path) = scratch(
        "expect.jsonl",
        r#"{"name": "at", "input": {"c": 0.85}, "expect": {"c": {"within": {"value": 0.8, "eps": 0.05}}}}
{"name": "past", "input": {"c": 0.850000001}, "expect": {"c": {"within": {"value": 0.8, "eps": 0.05}}}}
"#,
    );
    let corpus = Corpus::load(&path).unwrap();
    let report = Runner::new(&corpus).test(&mut echo("")).unwrap();
    assert_eq!(status_of(&report, "at"), CaseStatus::Passed);
    assert_eq!(status_of(&report, "past"), CaseStatus::Failed);
}

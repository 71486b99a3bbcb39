//! The example corpus of the repository (`examples/golden/`) with its two routers: the legacy
//! one matches its recordings and expectations, and the cross-validation finds the new one's
//! deliberate divergences, passes both thresholds and catches the broken invariant.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeSet;

use common::{LEGACY, NEW, example, status_of, subject};
use cutover_golden::{
    CaseStatus, Corpus, GoldenSpec, Problem, RunSummary, Runner, Selection, Threshold,
};

fn spec() -> GoldenSpec {
    GoldenSpec::load(&example("spec.json")).unwrap()
}

#[test]
fn the_corpus_has_requirement_000s_104_cases_and_001s_scenarios() {
    let corpus = Corpus::load(example("corpus")).unwrap();
    assert_eq!(corpus.scenario_count(), 106);
    assert_eq!(corpus.case_count(), 110);
    let routing = Corpus::load(example("corpus/routing.jsonl")).unwrap();
    assert_eq!(routing.case_count(), 104);
}

#[test]
fn the_legacy_router_verifies_and_tests_clean() {
    let corpus = Corpus::load(example("corpus")).unwrap();
    let runner = Runner::new(&corpus).spec(spec());
    let verified = runner.verify(&mut subject(LEGACY)).unwrap();
    assert!(
        verified.summary.passed,
        "{}",
        cutover_golden::render(&verified, false)
    );
    assert!(verified.summary.budget.as_ref().unwrap().passed);
    let tested = runner.test(&mut subject(LEGACY)).unwrap();
    assert!(
        tested.summary.passed,
        "{}",
        cutover_golden::render(&tested, false)
    );
}

#[test]
fn the_new_router_fails_verify_exactly_where_it_diverges() {
    let corpus = Corpus::load(example("corpus")).unwrap();
    let report = Runner::new(&corpus)
        .spec(spec())
        .verify(&mut subject(NEW))
        .unwrap();
    let failed: BTreeSet<&str> = report
        .summary
        .failed_cases
        .iter()
        .map(String::as_str)
        .collect();
    let mut expected: BTreeSet<String> = ["explicit-mixed-case-01", "trigger-debug-08"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    for i in 1..=4 {
        expected.insert(format!("fuzzy-{i:02}"));
    }
    for i in 1..=7 {
        expected.insert(format!("tie-{i:02}"));
    }
    for i in 1..=5 {
        expected.insert(format!("high-confidence-{i:02}"));
    }
    assert_eq!(failed, expected.iter().map(String::as_str).collect());
    // On the boundary: 0.65 against a recorded 0.6 is within 0.05, so tie-02 fails on the agent
    // alone.
    let tie = report.cases.iter().find(|c| c.case == "tie-02").unwrap();
    assert!(
        matches!(&tie.problems[..], [Problem::Differs { path, .. }] if path == "selected_agent"),
        "{:?}",
        tie.problems
    );
}

#[test]
fn cross_validation_reports_agreement_divergences_and_the_broken_invariant() {
    let corpus = Corpus::load(example("corpus/routing.jsonl")).unwrap();
    let report = Runner::new(&corpus)
        .spec(spec())
        .compare(&mut subject(LEGACY), &mut subject(NEW))
        .unwrap();
    let s = &report.summary;
    let agent = &s.agreement["selected_agent"];
    let policy = &s.agreement["routing_policy"];
    assert_eq!((agent.agreed, agent.compared), (92, 104));
    assert_eq!((policy.agreed, policy.compared), (99, 104));
    let [lo, hi] = agent.interval95.unwrap();
    assert!(
        (lo - 0.8091).abs() < 1e-4 && (hi - 0.9328).abs() < 1e-4,
        "{lo} {hi}"
    );
    assert!(s.thresholds.iter().all(|t| t.passed), "{:?}", s.thresholds);
    assert_eq!(s.invariants.len(), 1);
    assert_eq!(
        (s.invariants[0].applied, s.invariants[0].violations),
        (23, 1)
    );
    assert_eq!(s.invariants[0].violated_cases, ["explicit-mixed-case-01"]);
    assert_eq!(
        status_of(&report, "explicit-mixed-case-01"),
        CaseStatus::Failed
    );
    assert_eq!(s.counts[&CaseStatus::Divergent], 17);
    assert_eq!(s.counts[&CaseStatus::Passed], 86);
    assert!(!s.passed, "the invariant decides");
    assert_eq!(s.budget.as_ref().unwrap().subject, "new");
    // The summary is what a rollout gate stores: it reads back.
    let stored = serde_json::to_string(s).unwrap();
    let back: RunSummary = serde_json::from_str(&stored).unwrap();
    assert_eq!((back.passed, back.cases, back.failures), (false, 104, 1));
    assert_eq!(back.counts, s.counts);
    assert_eq!(back.agreement["selected_agent"].agreed, 92);

    let text = cutover_golden::render(&report, false);
    for needle in [
        "DIVERGENT  tie-01",
        "selected_agent: legacy \"debug-specialist\" | new \"test-writer\"",
        "invariant broken: when input.explicit_agent is set",
        "legacy.selected_agent = \"security-auditor\", new.selected_agent = \"devops-engineer\"",
        "selected_agent       92/104   88.5 %  [80.9 %, 93.3 %]    >= 80.0 %  ok",
        "FAILED compare: 104 cases (86 pass, 1 fail, 17 divergent)",
    ] {
        assert!(text.contains(needle), "{needle:?} not in\n{text}");
    }
    assert!(!text.contains('\u{1b}'), "no colour unless asked");
    assert!(cutover_golden::render(&report, true).contains('\u{1b}'));

    let xml = cutover_golden::junit(&report);
    assert!(
        xml.contains("tests=\"109\" failures=\"2\" errors=\"0\""),
        "104 cases, 2 thresholds, 1 invariant, 2 budget limits"
    );
    assert_eq!(xml.matches("<testcase ").count(), 109);
    assert!(xml.contains("<system-out>selected_agent: legacy &quot;debug-specialist&quot;"));
}

#[test]
fn a_stricter_threshold_fails_and_says_so() {
    let corpus = Corpus::load(example("corpus/routing.jsonl")).unwrap();
    let spec = spec().with_threshold(Threshold::parse("selected_agent >= 90%").unwrap());
    let report = Runner::new(&corpus)
        .spec(spec)
        .select(Selection::all().filter("{tie,trigger}-*").unwrap())
        .compare(&mut subject(LEGACY), &mut subject(NEW))
        .unwrap();
    let t = report
        .summary
        .thresholds
        .iter()
        .find(|t| t.field == "selected_agent")
        .unwrap();
    assert!(!t.passed && t.min == 0.9, "{t:?}");
    assert_eq!(report.summary.cases, 62);
}

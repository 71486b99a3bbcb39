use serde_json::json;

use super::tally::Tally;
use super::*;

fn spec(json: Value) -> ComparisonSpec {
    let spec: ComparisonSpec = serde_json::from_value(json).unwrap();
    spec.validate().unwrap();
    spec
}

fn within(eps: &str) -> ComparisonSpec {
    spec(
        json!({"fields": {"confidence": {"rule": "within", "eps": serde_json::from_str::<Value>(eps).unwrap()}}}),
    )
}

fn agrees(spec: &ComparisonSpec, legacy: Value, new: Value) -> bool {
    spec.compare(&legacy, &new).agreed()
}

#[test]
fn tolerance_holds_at_the_boundary_and_not_a_hair_past_it() {
    let s = within("0.05");
    assert!(agrees(
        &s,
        json!({"confidence": 0.80}),
        json!({"confidence": 0.85})
    ));
    assert!(agrees(
        &s,
        json!({"confidence": 1.0}),
        json!({"confidence": 1.05})
    ));
    assert!(agrees(
        &s,
        json!({"confidence": 0.85}),
        json!({"confidence": 0.80})
    ));
    assert!(!agrees(
        &s,
        json!({"confidence": 0.80}),
        json!({"confidence": 0.8501})
    ));
    assert!(!agrees(
        &s,
        json!({"confidence": 0.80}),
        json!({"confidence": 0.850000001})
    ));
    let tight = within("1e-9");
    assert!(agrees(
        &tight,
        json!({"confidence": 0.3}),
        json!({"confidence": 0.300000001})
    ));
    assert!(!agrees(
        &tight,
        json!({"confidence": 0.3}),
        json!({"confidence": 0.3000000010001})
    ));
}

#[test]
fn rounding_tricks_do_not_pass() {
    // Each pair differs by more than 0.05 even though rounding either side to one decimal
    // would make them look close.
    let s = within("0.05");
    for (a, b) in [(0.84, 0.9), (0.949, 1.0), (0.1, 0.1501)] {
        assert!(
            !agrees(&s, json!({"confidence": a}), json!({"confidence": b})),
            "{a} {b}"
        );
    }
    // A string that looks like a number is not a number.
    assert!(!agrees(
        &s,
        json!({"confidence": 0.8}),
        json!({"confidence": "0.8"})
    ));
}

#[test]
fn exact_compares_numbers_as_decimals_and_recurses() {
    let s = ComparisonSpec::default();
    assert!(agrees(
        &s,
        json!({"n": 1, "m": [1, 2]}),
        json!({"n": 1.0, "m": [1.0, 2]})
    ));
    let c = s.compare(
        &json!({"agent": "billing", "policy": {"route": "a", "retries": 2}}),
        &json!({"agent": "support", "policy": {"route": "a"}, "debug": true}),
    );
    let by_path: BTreeMap<&str, &FieldResult> = c
        .fields
        .iter()
        .map(|f| (f.path.as_str(), &f.result))
        .collect();
    assert!(matches!(by_path["agent"], FieldResult::Disagreed { .. }));
    assert_eq!(by_path["policy.route"], &FieldResult::Agreed);
    assert!(matches!(
        by_path["policy.retries"],
        FieldResult::Missing { .. }
    ));
    assert!(matches!(by_path["debug"], FieldResult::Extra { .. }));
}

#[test]
fn ignored_fields_are_never_compared() {
    let s =
        spec(json!({"fields": {"trace_id": {"rule": "ignore"}, "items[].at": {"rule": "ignore"}}}));
    let c = s.compare(
        &json!({"trace_id": "a", "items": [{"id": 1, "at": "x"}]}),
        &json!({"trace_id": "b", "items": [{"id": 1, "at": "y"}]}),
    );
    assert!(c.agreed());
    assert!(
        c.fields
            .iter()
            .all(|f| f.path != "trace_id" && f.path != "items[].at")
    );
}

#[test]
fn unordered_and_must_include() {
    let s = spec(json!({"fields": {
        "tags": {"rule": "unordered"},
        "choices": {"rule": "must_include"},
        "summary": {"rule": "must_include"},
    }}));
    assert!(agrees(
        &s,
        json!({"tags": ["a", "b", "b"]}),
        json!({"tags": ["b", "a", "b"]})
    ));
    assert!(!agrees(
        &s,
        json!({"tags": ["a", "b", "b"]}),
        json!({"tags": ["a", "a", "b"]})
    ));
    assert!(!agrees(
        &s,
        json!({"tags": ["a"]}),
        json!({"tags": ["a", "b"]})
    ));
    assert!(agrees(
        &s,
        json!({"choices": ["x", "y"]}),
        json!({"choices": ["y", "z", "x"]})
    ));
    assert!(!agrees(
        &s,
        json!({"choices": ["x", "x"]}),
        json!({"choices": ["x", "y"]})
    ));
    assert!(agrees(
        &s,
        json!({"summary": "refund"}),
        json!({"summary": "issued a refund"})
    ));
    assert!(!agrees(
        &s,
        json!({"summary": "refund"}),
        json!({"summary": "refused"})
    ));
}

#[test]
fn agreement_ratios_and_intervals() {
    let s = ComparisonSpec::default();
    let mut tally = Tally::default();
    for i in 0..100 {
        let new = if i < 90 { "a" } else { "b" };
        tally.add(&s.compare(
            &json!({"agent": "a", "policy": 1}),
            &json!({"agent": new, "policy": 1}),
        ));
    }
    let agent = tally.fields["agent"];
    assert_eq!(
        (agent.compared, agent.agreed, agent.disagreed),
        (100, 90, 10)
    );
    assert_eq!(agent.ratio(), Some(0.9));
    let (low, high) = agent.interval95().unwrap();
    // Wilson 95 % interval for 90/100: [0.8256, 0.9448].
    assert!(
        (low - 0.8256).abs() < 1e-3 && (high - 0.9448).abs() < 1e-3,
        "{low} {high}"
    );
    assert_eq!(tally.fields["policy"].ratio(), Some(1.0));
    assert_eq!((tally.cases, tally.cases_agreed), (100, 90));
    let mut merged = Tally::default();
    merged.merge(&tally);
    merged.merge(&tally);
    assert_eq!(merged.fields["agent"].compared, 200);
}

#[test]
fn a_negative_or_unreadable_tolerance_is_refused() {
    for eps in [json!(-0.1), json!(1e-40)] {
        let s: ComparisonSpec =
            serde_json::from_value(json!({"fields": {"x": {"rule": "within", "eps": eps}}}))
                .unwrap();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("\"x\"") || err.contains('x'), "{err}");
    }
    let unknown =
        serde_json::from_value::<ComparisonSpec>(json!({"fields": {"x": {"rule": "close"}}}));
    assert!(unknown.is_err());
}

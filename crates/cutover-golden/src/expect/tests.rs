#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;

/// The reasons `output` fails `expect`, or the parse error.
fn check(expect: Value, output: Value) -> Result<Vec<String>, String> {
    let e = Expectations::parse(&expect)?;
    Ok(e.unmet(&output)
        .into_iter()
        .map(|u| format!("{} {}: {}", u.path, u.check, u.why))
        .collect())
}

fn holds(expect: Value, output: Value) {
    let unmet = check(expect.clone(), output.clone()).unwrap();
    assert!(unmet.is_empty(), "{expect} on {output}: {unmet:?}");
}

fn fails(expect: Value, output: Value, needle: &str) {
    let unmet = check(expect.clone(), output.clone()).unwrap();
    assert!(
        unmet.iter().any(|u| u.contains(needle)),
        "{expect} on {output}: expected a failure containing {needle:?}, got {unmet:?}"
    );
}

#[test]
fn a_requirement_001_turn() {
    // {"mustInclude": ["glade", "eyes"], "choicesAtMost": 5, "sceneChange": true}, written with
    // field paths.
    let expect = json!({
        "text": {"mustInclude": ["glade", "eyes"]},
        "choices": {"atMost": 5},
        "scene_change": true,
    });
    let good =
        json!({"text": "In the glade, two eyes.", "choices": ["a", "b"], "scene_change": true});
    holds(expect.clone(), good);
    let bad = json!({"text": "A glade.", "choices": [1, 2, 3, 4, 5, 6], "scene_change": false});
    fails(expect.clone(), bad.clone(), "does not include \"eyes\"");
    fails(expect.clone(), bad.clone(), "has length 6");
    fails(expect, bad, "scene_change equals true: not equal");
}

#[test]
fn a_requirement_001_turn_written_as_the_document_writes_it() {
    // Exactly as requirement 001 writes it: checks straight under `expect`.
    let expect = json!({"mustInclude": ["glade", "eyes"], "choicesAtMost": 5, "sceneChange": true});
    let good = json!({
        "text": "You step into the glade; two eyes glint.",
        "choices": ["wave", "hide"],
        "sceneChange": true,
    });
    holds(expect.clone(), good);
    let bad = json!({"text": "A glade.", "choices": [1, 2, 3, 4, 5, 6], "sceneChange": false});
    fails(
        expect.clone(),
        bad.clone(),
        "$ must_include [\"glade\",\"eyes\"]: does not include \"eyes\"",
    );
    fails(
        expect.clone(),
        bad.clone(),
        "choices at_most 5: has length 6",
    );
    fails(expect, bad, "sceneChange equals true: not equal");
    // The same forms on a plain text output, and the other operators as suffixes.
    holds(json!({"mustInclude": "glade"}), json!("the glade"));
    holds(
        json!({"scoreAtLeast": 0.5, "nameMatches": "^k", "confidenceWithin": {"value": 0.8, "eps": 0.05}}),
        json!({"score": 0.5, "name": "kiera", "confidence": 0.84}),
    );
    fails(
        json!({"choicesAtLeast": 3}),
        json!({}),
        "choices at_least 3: the field is missing",
    );
}

#[test]
fn bounds_on_numbers_lengths_and_strings() {
    holds(json!({"n": {"at_most": 5, "at_least": 5}}), json!({"n": 5}));
    holds(json!({"n": {"at_least": 0.5}}), json!({"n": 0.5}));
    fails(
        json!({"n": {"at_least": 0.5}}),
        json!({"n": 0.49999}),
        "is 0.49999",
    );
    fails(json!({"n": {"at_most": -1}}), json!({"n": 0}), "is 0");
    holds(json!({"s": {"at_most": 3}}), json!({"s": "été"}));
    fails(
        json!({"s": {"at_least": 4}}),
        json!({"s": "été"}),
        "has length 3",
    );
    fails(
        json!({"o": {"at_most": 1}}),
        json!({"o": {}}),
        "applies to a number",
    );
    // Large integers compare as integers, not as rounded floats.
    fails(
        json!({"n": {"at_most": 9_007_199_254_740_992_u64}}),
        json!({"n": 9_007_199_254_740_993_u64}),
        "is 9007199254740993",
    );
}

#[test]
fn within_uses_exact_decimals() {
    let e = json!({"confidence": {"within": {"value": 0.80, "eps": 0.05}}});
    holds(e.clone(), json!({"confidence": 0.85}));
    holds(e.clone(), json!({"confidence": 0.75}));
    fails(
        e.clone(),
        json!({"confidence": 0.850000001}),
        "within 0.05 of 0.8",
    );
    fails(e, json!({"confidence": "0.8"}), "not a number within");
}

#[test]
fn matches_equals_and_missing_fields() {
    holds(
        json!({"agent": {"matches": "^[a-z-]+$"}}),
        json!({"agent": "debug-specialist"}),
    );
    fails(
        json!({"agent": {"matches": "^[a-z-]+$"}}),
        json!({"agent": "Debug"}),
        "does not match",
    );
    fails(
        json!({"agent": {"matches": "x"}}),
        json!({"agent": 3}),
        "applies to a string",
    );
    holds(json!({"n": 1}), json!({"n": 1.0}));
    holds(json!({"$": {"must_include": "glade"}}), json!("the glade"));
    holds(json!({"list.1": "b"}), json!({"list": ["a", "b"]}));
    fails(json!({"gone": 1}), json!({}), "the field is missing");
    // An object that is not made of operators is a literal to compare with.
    holds(json!({"o": {"a": 1}}), json!({"o": {"a": 1}}));
    holds(
        json!({"o": {"equals": {"at_most": 1}}}),
        json!({"o": {"at_most": 1}}),
    );
}

#[test]
fn must_include_counts_repeats() {
    holds(
        json!({"c": {"must_include": ["x", "y"]}}),
        json!({"c": ["y", "z", "x"]}),
    );
    fails(
        json!({"c": {"must_include": ["x", "q"]}}),
        json!({"c": ["x"]}),
        "does not include \"q\"",
    );
    fails(
        json!({"c": {"must_include": ["x", "x"]}}),
        json!({"c": ["x"]}),
        "\"x\", \"x\"",
    );
    fails(
        json!({"c": {"must_include": ["x"]}}),
        json!({"c": 1}),
        "a string, an array or an object",
    );
}

#[test]
fn bad_expectations_are_refused_with_the_reason() {
    for (expect, needle) in [
        (json!(["x"]), "must be an object"),
        (json!({"a..b": 1}), "not a field path"),
        (json!({"n": {"at_most": "5"}}), "takes a number"),
        (
            json!({"s": {"matches": "("}}),
            "not a valid regular expression",
        ),
        (json!({"n": {"within": 0.05}}), "takes {\"value\""),
        (
            json!({"n": {"within": {"value": 1, "eps": -0.1}}}),
            "tolerance -0.1",
        ),
    ] {
        let err = check(expect.clone(), json!({})).unwrap_err();
        assert!(err.contains(needle), "{expect}: {err}");
    }
}

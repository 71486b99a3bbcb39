#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

fn lines(text: &str) -> Result<CorpusFile, GoldenError> {
    parse_file(Path::new("c.jsonl"), text)
}

#[test]
fn json_lines_hold_cases_and_scenarios() {
    let f = lines(
        r#"{"name": "a", "input": {"prompt": "fix the bug"}, "expect": {"agent": "debug"}}

{"name": "b", "seed": 7, "steps": [{"input": 1}, {"input": 2, "recorded": null}]}
"#,
    )
    .unwrap();
    assert_eq!(f.scenarios.len(), 2);
    let a = &f.scenarios[0];
    assert_eq!((a.shape, a.line, a.explicit_seed), (Shape::Case, 1, None));
    assert_eq!(
        a.seed,
        xxhash_rust::xxh3::xxh3_64(b"a"),
        "a derived seed is stable"
    );
    assert_eq!(a.steps[0].input, json!({"prompt": "fix the bug"}));
    assert_eq!(a.steps[0].expect.len(), 1);
    let b = &f.scenarios[1];
    assert_eq!((b.shape, b.line, b.seed), (Shape::Steps, 3, 7));
    assert_eq!(b.steps[0].recorded, None);
    assert_eq!(
        b.steps[1].recorded,
        Some(Value::Null),
        "a recorded null is a recording"
    );
}

#[test]
fn a_requirement_001_scenario_file_reads_as_is() {
    let text = r#"{
  "name": "first-meet-kiera",
  "description": "First encounter with Kiera in the forest glade",
  "sessionSeed": 424242,
  "turns": [
    {
      "input": "I step into the glade and look toward the eyes.",
      "expect": {
        "text": {"mustInclude": ["glade", "eyes"]},
        "choices": {"atMost": 5},
        "sceneChange": true
      }
    }
  ]
}
"#;
    let f = parse_file(Path::new("kiera.json"), text).unwrap();
    let s = &f.scenarios[0];
    assert_eq!((s.seed, s.steps.len()), (424_242, 1));
    assert_eq!(s.steps[0].expect.len(), 3);
}

#[test]
fn requirement_001_s_own_example_reads_as_written() {
    // The scenario exactly as the requirement document prints it.
    let text = r#"{
  "name": "first-meet-kiera",
  "description": "First encounter with Kiera in the forest glade",
  "sessionSeed": 424242,
  "turns": [
    {
      "input": "I step into the glade and look toward the eyes.",
      "expect": {
        "mustInclude": ["glade", "eyes"],
        "choicesAtMost": 5,
        "sceneChange": true
      }
    }
  ]
}
"#;
    let f = parse_file(Path::new("first-meet-kiera.json"), text).unwrap();
    let step = &f.scenarios[0].steps[0];
    assert_eq!(step.expect.len(), 3);
    let turn = serde_json::json!({
        "text": "You step into the glade and meet a pair of eyes.",
        "choices": ["greet her", "step back"],
        "sceneChange": true,
    });
    assert!(
        step.expect.unmet(&turn).is_empty(),
        "{:?}",
        step.expect.unmet(&turn)
    );
}

#[test]
fn mistakes_name_the_line_and_what_is_wrong() {
    for (text, needle) in [
        (
            r#"{"name": "a", "input": 1, "expects": {}}"#,
            "unknown field `expects`",
        ),
        (r#"{"name": "a"}"#, "neither `input` nor `steps`"),
        (r#"{"name": "", "input": 1}"#, "name is empty"),
        (
            r#"{"name": "a", "input": 1, "steps": []}"#,
            "both `input` and `steps`",
        ),
        (r#"{"name": "a", "steps": []}"#, "has no steps"),
        (
            r#"{"name": "a", "steps": [{"input": 1}], "expect": {}}"#,
            "belong in each step",
        ),
        (
            r#"{"name": "a", "steps": [{"input": 1}, {"input": 2, "expect": 3}]}"#,
            "step 2",
        ),
        (r#"{"name": "a", "input": 1, "seed": -4}"#, "invalid value"),
        ("not json", "expected"),
    ] {
        let err = lines(&format!("\n{text}")).unwrap_err().to_string();
        assert!(err.starts_with("c.jsonl:2: "), "{err}");
        assert!(err.contains(needle), "{text}: {err}");
    }
}

#[test]
fn a_name_used_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.jsonl"),
        "{\"name\": \"x\", \"input\": 1}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("b.json"), "{\"name\": \"x\", \"input\": 2}").unwrap();
    let err = Corpus::load(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("\"x\" is defined twice") && err.contains("a.jsonl:1"),
        "{err}"
    );
}

#[test]
fn directories_are_read_in_order_skipping_hidden_and_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(
        dir.path().join("z.jsonl"),
        "{\"name\": \"z\", \"input\": 1}\n",
    )
    .unwrap();
    std::fs::write(sub.join("a.json"), "{\"name\": \"a\", \"input\": 1}").unwrap();
    std::fs::write(dir.path().join(".hidden.json"), "garbage").unwrap();
    std::fs::write(dir.path().join("z.jsonl.new"), "garbage").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "garbage").unwrap();
    let c = Corpus::load(dir.path()).unwrap();
    assert_eq!(c.scenario_names().collect::<Vec<_>>(), ["a", "z"]);
    let empty = tempfile::tempdir().unwrap();
    let err = Corpus::load(empty.path()).unwrap_err().to_string();
    assert!(err.contains("holds no case"), "{err}");
    let err = Corpus::load(dir.path().join("notes.txt"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("neither in .json nor in .jsonl"), "{err}");
}

#[test]
fn recording_rewrites_only_what_changed() {
    let text = "{\"name\": \"a\",  \"input\": {\"z\": 1, \"a\": 1.50}}\n\
                {\"name\":\"b\",\"input\":{\"z\":1,\"a\":2},\"expect\":{\"k\": 1e2}}\n";
    let f = lines(text).unwrap();
    let updates = BTreeMap::from([(
        StepRef {
            file: 0,
            scenario: 1,
            step: 0,
        },
        json!({"k": 100}),
    )]);
    let out = store::render(0, &f, &updates).unwrap();
    let mut out_lines = out.lines();
    assert_eq!(
        out_lines.next(),
        Some("{\"name\": \"a\",  \"input\": {\"z\": 1, \"a\": 1.50}}"),
        "an untouched case keeps its exact text"
    );
    assert_eq!(
        out_lines.next(),
        Some(
            "{\"name\": \"b\", \"input\": {\"z\":1,\"a\":2}, \"expect\": {\"k\": 1e2}, \"recorded\": {\"k\": 100}}"
        ),
        "input and expect keep their text; the recording is added"
    );
    // What was written reads back with the recording.
    let again = lines(&out).unwrap();
    assert_eq!(
        again.scenarios[1].steps[0].recorded,
        Some(json!({"k": 100}))
    );
}

#[test]
fn pending_paths_sit_beside_the_file() {
    assert_eq!(
        store::pending_path(Path::new("g/routing.jsonl")),
        Path::new("g/routing.jsonl.new")
    );
}

#[test]
fn requirement_style_spellings_survive_a_recording() {
    let text = r#"{"name": "s", "sessionSeed": 4, "turns": [{"input": "hi"}]}"#;
    let f = parse_file(Path::new("s.json"), text).unwrap();
    let s = &f.scenarios[0];
    assert_eq!(
        (s.seed, s.spelling.turns, s.spelling.session_seed),
        (4, true, true)
    );
    let updates = BTreeMap::from([(
        StepRef {
            file: 0,
            scenario: 0,
            step: 0,
        },
        json!("hello"),
    )]);
    let out = store::render(0, &f, &updates).unwrap();
    assert_eq!(
        out,
        "{\n  \"name\": \"s\",\n  \"sessionSeed\": 4,\n  \"turns\": [\n    {\n      \"input\": \"hi\",\n      \"recorded\": \"hello\"\n    }\n  ]\n}\n"
    );
    // A prompt that merely mentions "turns" is not the key.
    let plain = lines(r#"{"name": "p", "input": {"text": "\"turns\""}}"#).unwrap();
    assert!(!plain.scenarios[0].spelling.turns);
}

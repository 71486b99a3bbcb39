//! Running part of a corpus (`--scenario`, `--filter`), and the seeds subjects are handed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{echo, scratch};
use cutover_golden::{Corpus, Runner, Selection};

const CORPUS: &str = r#"{"name": "explicit-1", "input": 1}
{"name": "explicit-2", "input": 2}
{"name": "trigger-1", "seed": 99, "input": 3}
{"name": "session", "seed": 5, "steps": [{"input": "a"}, {"input": "b"}]}
"#;

fn names(selection: Selection) -> Vec<String> {
    let (_dir, path) = scratch("c.jsonl", CORPUS);
    let corpus = Corpus::load(&path).unwrap();
    let report = Runner::new(&corpus)
        .select(selection)
        .record(&mut echo(""), cutover_golden::RecordOptions::default())
        .unwrap();
    report.cases.iter().map(|c| c.case.clone()).collect()
}

#[test]
fn by_name_by_glob_and_both() {
    assert_eq!(names(Selection::all()).len(), 5);
    assert_eq!(names(Selection::all().scenario("trigger-1")), ["trigger-1"]);
    assert_eq!(
        names(Selection::all().filter("explicit-*").unwrap()),
        ["explicit-1", "explicit-2"]
    );
    assert_eq!(
        names(Selection::all().filter("{trigger,session}*").unwrap()),
        ["trigger-1", "session:1", "session:2"]
    );
    assert_eq!(
        names(
            Selection::all()
                .scenario("explicit-2")
                .filter("explicit-?")
                .unwrap()
        ),
        ["explicit-2"]
    );
}

#[test]
fn selections_that_cannot_match_are_errors() {
    let (_dir, path) = scratch("c.jsonl", CORPUS);
    let corpus = Corpus::load(&path).unwrap();
    let run = |s: Selection| {
        Runner::new(&corpus)
            .select(s)
            .verify(&mut echo(""))
            .unwrap_err()
            .to_string()
    };
    let err = run(Selection::all().scenario("nope"));
    assert!(
        err.contains("no scenario named \"nope\"")
            && err.contains("explicit-1, explicit-2, trigger-1, session"),
        "{err}"
    );
    let err = run(Selection::all().filter("zzz*").unwrap());
    assert!(err.contains("(--filter zzz*) matched no case"), "{err}");
    let err = run(Selection::all()
        .scenario("trigger-1")
        .filter("explicit-*")
        .unwrap());
    assert!(err.contains("matched no case"), "{err}");
    let err = Selection::all()
        .filter("explicit-[")
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid filter \"explicit-[\""), "{err}");
}

#[test]
fn subjects_get_the_scenario_seed_and_step() {
    let (_dir, path) = scratch("c.jsonl", CORPUS);
    let corpus = Corpus::load(&path).unwrap();
    let report = Runner::new(&corpus)
        .record(
            &mut echo("--with-seed"),
            cutover_golden::RecordOptions::default(),
        )
        .unwrap();
    assert!(report.summary.passed);
    let again = Corpus::load(&path).unwrap();
    let mut seen = Vec::new();
    let mut subject = cutover_golden::from_fn("spy", |req| {
        seen.push((req.scenario().to_owned(), req.step(), req.seed()));
        Ok(serde_json::json!({"input": req.input(), "seed": req.seed(), "step": req.step()}))
    });
    // The in-process subject answers exactly what the process got: same seeds, same steps.
    let verified = Runner::new(&again).verify(&mut subject).unwrap();
    assert!(
        verified.summary.passed,
        "{}",
        cutover_golden::render(&verified, false)
    );
    drop(subject);
    let derived = xxhash_free_seed("explicit-1");
    assert_eq!(
        seen,
        [
            ("explicit-1".to_owned(), 0, derived),
            ("explicit-2".to_owned(), 0, xxhash_free_seed("explicit-2")),
            ("trigger-1".to_owned(), 0, 99),
            ("session".to_owned(), 0, 5),
            ("session".to_owned(), 1, 5),
        ]
    );
}

/// The derived seed of a scenario without one, read back from what the echo subject recorded.
fn xxhash_free_seed(name: &str) -> u64 {
    let (_dir, path) = scratch(
        "one.jsonl",
        &format!("{{\"name\": \"{name}\", \"input\": 0}}\n"),
    );
    let corpus = Corpus::load(&path).unwrap();
    Runner::new(&corpus)
        .record(
            &mut echo("--with-seed"),
            cutover_golden::RecordOptions::default(),
        )
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    line["recorded"]["seed"].as_u64().unwrap()
}

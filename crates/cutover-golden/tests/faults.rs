//! Subjects that misbehave: each fault is reported on its own case, the run goes on with a fresh
//! process, or stops cleanly after several lost processes in a row, and recordings are never
//! half-written.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::{Duration, Instant};

use common::{ECHO, echo, files_in, scratch, status_of};
use cutover_golden::{
    CaseStatus, Corpus, Fault, GoldenError, Problem, ProcessSubject, RecordOptions, Report, Runner,
    STOP_AFTER_LOST, from_fn,
};
use serde_json::json;

/// Six cases whose recordings are what the echo subject answers.
const SIX: &str = r#"{"name": "a", "input": {"n": 1}, "recorded": {"n": 1}}
{"name": "b", "input": {"n": 2}, "recorded": {"n": 2}}
{"name": "c", "input": {"n": 3}, "recorded": {"n": 3}}
{"name": "d", "input": {"n": 4}, "recorded": {"n": 4}}
{"name": "e", "input": {"n": 5}, "recorded": {"n": 5}}
{"name": "f", "input": {"n": 6}, "recorded": {"n": 6}}
"#;

fn verify_six(subject: &mut ProcessSubject) -> Report {
    let (_dir, path) = scratch("six.jsonl", SIX);
    let corpus = Corpus::load(&path).unwrap();
    Runner::new(&corpus).verify(subject).unwrap()
}

fn fault_of(report: &Report, case: &str) -> Fault {
    let c = report.cases.iter().find(|c| c.case == case).unwrap();
    match &c.problems[..] {
        [Problem::Fault { fault, .. }] => fault.clone(),
        other => panic!("{case}: expected one fault, got {other:?}"),
    }
}

fn only_failure(report: &Report, case: &str) {
    for c in &report.cases {
        let want = if c.case == case {
            CaseStatus::Error
        } else {
            CaseStatus::Passed
        };
        assert_eq!(c.status, want, "{}: {:?}", c.case, c.problems);
    }
    assert!(!report.summary.passed);
    assert_eq!(report.summary.failed_cases, [case]);
    assert_eq!(report.summary.stopped, None);
}

#[test]
fn a_crash_is_reported_on_its_case_with_the_stderr_and_the_run_goes_on() {
    let report = verify_six(&mut echo("--crash-on c"));
    only_failure(&report, "c");
    match fault_of(&report, "c") {
        Fault::Crashed { status, stderr } => {
            assert!(status.contains("SIGABRT"), "{status}");
            assert!(stderr.contains("crashing on c as asked"), "{stderr}");
        }
        other => panic!("{other:?}"),
    }
    let text = cutover_golden::render(&report, false);
    assert!(text.contains("the subject crashed"), "{text}");
}

#[test]
fn a_hang_is_cut_by_the_per_case_timeout() {
    let started = Instant::now();
    let mut subject =
        ProcessSubject::new(&format!("{ECHO} --hang-on b"), Duration::from_millis(300)).unwrap();
    let report = verify_six(&mut subject);
    only_failure(&report, "b");
    assert_eq!(fault_of(&report, "b"), Fault::TimedOut { after_ms: 300 });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the hung process was killed, not waited for: {:?}",
        started.elapsed()
    );
}

#[test]
fn garbage_fails_its_case_and_the_same_process_answers_the_next() {
    let report = verify_six(&mut echo("--garbage-on d"));
    only_failure(&report, "d");
    assert_eq!(
        fault_of(&report, "d"),
        Fault::Garbage {
            line: "this is not json".to_owned()
        }
    );
}

#[test]
fn extra_lines_are_seen_with_the_request_that_caused_them() {
    let report = verify_six(&mut echo("--extra-on b"));
    only_failure(&report, "b");
    assert!(
        matches!(fault_of(&report, "b"), Fault::ExtraOutput { lines } if lines.len() == 2),
        "{:?}",
        report.cases[1]
    );
}

#[test]
fn an_early_exit_fails_one_case_and_a_new_process_takes_over() {
    // The subject answers two requests per life: a, b; then c finds it gone; d, e; f.
    let report = verify_six(&mut echo("--exit-after 2"));
    let errors: Vec<&str> = report
        .cases
        .iter()
        .filter(|c| c.status == CaseStatus::Error)
        .map(|c| c.case.as_str())
        .collect();
    assert_eq!(errors, ["c", "f"], "{report:#?}");
    assert!(
        matches!(fault_of(&report, "c"), Fault::Exited { status, .. } if status == "exit status: 0")
    );
    assert_eq!(report.summary.stopped, None);
}

#[test]
fn a_subject_that_keeps_dying_stops_the_run_cleanly() {
    let (_dir, path) = scratch("six.jsonl", SIX);
    let corpus = Corpus::load(&path).unwrap();
    let report = Runner::new(&corpus)
        .verify(&mut ProcessSubject::new("sh -c 'exit 7'", Duration::from_secs(5)).unwrap())
        .unwrap();
    assert_eq!(STOP_AFTER_LOST, 3);
    for (i, c) in report.cases.iter().enumerate() {
        let want = if i < 3 {
            CaseStatus::Error
        } else {
            CaseStatus::Skipped
        };
        assert_eq!(c.status, want, "{}", c.case);
    }
    assert!(
        matches!(fault_of(&report, "a"), Fault::Crashed { status, .. } if status == "exit status: 7")
    );
    let why = report.summary.stopped.clone().unwrap();
    assert!(
        why.contains("stopped after c") && why.contains("3 case(s) in a row"),
        "{why}"
    );
    assert!(!report.summary.passed);
    let text = cutover_golden::render(&report, false);
    assert!(
        text.contains("3 case(s) not run") && text.contains("stopped:"),
        "{text}"
    );
}

#[test]
fn a_subject_that_cannot_start_is_an_error_before_any_case() {
    let (_dir, path) = scratch("six.jsonl", SIX);
    let corpus = Corpus::load(&path).unwrap();
    let mut subject =
        ProcessSubject::new("/nonexistent/router --fast", Duration::from_secs(1)).unwrap();
    let err = Runner::new(&corpus).verify(&mut subject).unwrap_err();
    assert!(matches!(err, GoldenError::Spawn { .. }), "{err}");
    assert!(
        err.to_string().contains("`/nonexistent/router --fast`"),
        "{err}"
    );
    for (bad, needle) in [
        ("", "it is empty"),
        ("router 'unclosed", "unbalanced quotes"),
    ] {
        let err = ProcessSubject::new(bad, Duration::from_secs(1))
            .err()
            .unwrap();
        assert!(err.to_string().contains(needle), "{err}");
    }
}

#[test]
fn a_crash_during_record_loses_no_recording_and_writes_no_half_file() {
    let (dir, path) = scratch(
        "half.jsonl",
        r#"{"name": "a", "input": {"n": 1}}
{"name": "b", "input": {"n": 2}, "recorded": {"n": 2}}
{"name": "c", "input": {"n": 3}}
"#,
    );
    let corpus = Corpus::load(&path).unwrap();
    // The subject crashes on b, which is already recorded: that recording must survive, and a
    // and c must still be recorded.
    let report = Runner::new(&corpus)
        .record(&mut echo("--crash-on b"), RecordOptions::default())
        .unwrap();
    assert_eq!(status_of(&report, "a"), CaseStatus::Recorded);
    assert_eq!(status_of(&report, "b"), CaseStatus::Error);
    assert_eq!(status_of(&report, "c"), CaseStatus::Recorded);
    let again = Corpus::load(&path).unwrap();
    let check = Runner::new(&again).verify(&mut echo("")).unwrap();
    assert!(
        check.summary.passed,
        "{}",
        cutover_golden::render(&check, false)
    );
    assert_eq!(
        files_in(dir.path()),
        ["half.jsonl"],
        "no temporary file is left behind"
    );
}

#[test]
fn an_in_process_subject_that_panics_or_fails_is_reported_per_case() {
    let (_dir, path) = scratch("six.jsonl", SIX);
    let corpus = Corpus::load(&path).unwrap();
    let mut subject = from_fn("router", |req| match req.scenario() {
        "b" => panic!("no route for b"),
        "e" => Err("the model is offline".to_owned()),
        _ => Ok(req.input().clone()),
    });
    let report = Runner::new(&corpus).verify(&mut subject).unwrap();
    assert_eq!(
        fault_of(&report, "b"),
        Fault::Panicked {
            message: "no route for b".to_owned()
        }
    );
    assert_eq!(
        fault_of(&report, "e"),
        Fault::Failed {
            message: "the model is offline".to_owned()
        }
    );
    assert_eq!(status_of(&report, "f"), CaseStatus::Passed);
    assert_eq!(report.summary.subjects["subject"], "router");
    let _ = json!(null);
}

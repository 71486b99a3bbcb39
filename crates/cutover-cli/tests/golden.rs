//! `cutover golden`: the example corpus of the repository through the real binary (record,
//! verify, test, compare with its JSON report pinned as a snapshot), pending files in CI, and
//! usage errors. No store is involved.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::path::Path;

use common::golden_subjects::{legacy, new, repo};
use common::{Cutover, Run};
use serde_json::Value;

/// Runs `cutover golden ...` from the repository root, so corpus paths in reports are relative.
fn golden(c: &Cutover, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut full = vec!["golden"];
    full.extend_from_slice(args);
    let mut cmd = c.command(&full);
    cmd.current_dir(repo());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::from(cmd.output().unwrap())
}

/// The parts of a JSON report that change from run to run or machine to machine.
fn scrub(report: &mut Value) {
    let summary = &mut report["summary"];
    for (_, stats) in summary["latency"].as_object_mut().unwrap() {
        for (_, v) in stats.as_object_mut().unwrap() {
            if v.is_f64() {
                *v = Value::from("[ms]");
            }
        }
    }
    for limit in summary["budget"]["limits"].as_array_mut().unwrap() {
        limit["measured_ms"] = Value::from("[ms]");
    }
    for (_, command) in summary["subjects"].as_object_mut().unwrap() {
        let name = Path::new(command.as_str().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        *command = Value::from(name);
    }
}

#[test]
fn compare_on_the_example_corpus() {
    let c = Cutover::new();
    let (legacy, new) = (legacy(), new());
    let run = golden(
        &c,
        &[
            "compare",
            "--corpus",
            "examples/golden/corpus/routing.jsonl",
            "--spec",
            "examples/golden/spec.json",
            "--legacy",
            &legacy,
            "--new",
            &new,
            "--json",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "the invariant is broken: {}", run.stderr);
    let mut report: Value = serde_json::from_str(&run.stdout).unwrap();
    let s = &report["summary"];
    assert_eq!(s["cases"], 104);
    assert_eq!(s["agreement"]["selected_agent"]["agreed"], 92);
    assert_eq!(s["agreement"]["routing_policy"]["agreed"], 99);
    assert_eq!(s["thresholds"][0]["passed"], true);
    assert_eq!(s["thresholds"][1]["passed"], true);
    assert_eq!(
        s["invariants"][0]["violated_cases"],
        serde_json::json!(["explicit-mixed-case-01"])
    );
    assert_eq!(s["budget"]["passed"], true);
    assert_eq!(s["passed"], false);
    scrub(&mut report);
    insta::assert_json_snapshot!("compare_example", report);
    assert!(!c.db.exists(), "golden needs no store");

    // Thresholds from the command line replace the spec's, and the report says which failed.
    let strict = golden(
        &c,
        &[
            "compare",
            "--corpus",
            "examples/golden/corpus/routing.jsonl",
            "--spec",
            "examples/golden/spec.json",
            "--legacy",
            &legacy,
            "--new",
            &new,
            "--min-agreement",
            "selected_agent=0.9",
            "--filter",
            "tie-*",
        ],
        &[],
    );
    assert_eq!(strict.code, 1);
    assert!(
        strict.stdout.contains("selected_agent") && strict.stdout.contains(">= 90.0 %  FAIL"),
        "{}",
        strict.stdout
    );
    assert!(
        strict.stdout.contains("FAILED compare: 7 cases"),
        "{}",
        strict.stdout
    );
}

#[test]
fn verify_and_test_the_example_corpus_with_both_routers() {
    let c = Cutover::new();
    let (legacy, new) = (legacy(), new());
    let junit = c.path("verify.xml");
    let verify = |subject: &str| {
        golden(
            &c,
            &[
                "verify",
                "--corpus",
                "examples/golden/corpus",
                "--spec",
                "examples/golden/spec.json",
                "--subject",
                subject,
                "--junit",
                junit.to_str().unwrap(),
                "--budget",
                "p50=50ms,p95=100ms",
            ],
            &[],
        )
    };
    let ok = verify(&legacy);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout.contains("PASSED verify: 110 cases"),
        "{}",
        ok.stdout
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("tests=\"112\" failures=\"0\""),
        "110 cases and 2 budget limits: {xml}"
    );

    let diverged = verify(&new);
    assert_eq!(diverged.code, 1);
    assert!(
        diverged.stdout.contains(
            "selected_agent: recorded \"general-assistant\" | actual \"devops-engineer\""
        ),
        "{}",
        diverged.stdout
    );

    let test = |subject: &str, extra: &[&str]| {
        let mut args = vec![
            "test",
            "--corpus",
            "examples/golden/corpus",
            "--subject",
            subject,
        ];
        args.extend_from_slice(extra);
        golden(&c, &args, &[])
    };
    assert_eq!(test(&legacy, &[]).code, 0);
    let failed = test(&new, &[]);
    assert_eq!(failed.code, 1);
    assert!(
        failed.stdout.contains("FAIL       explicit-mixed-case-01")
            && failed
                .stdout
                .contains("FAILED test: 110 cases (109 pass, 1 fail)"),
        "{}",
        failed.stdout
    );
    // One scenario by name, as requirement 001 runs it.
    let one = test(&new, &["--scenario", "triage-session"]);
    assert_eq!(one.code, 0, "{}", one.stdout);
    assert!(
        one.stdout.contains("PASSED test: 3 cases"),
        "{}",
        one.stdout
    );
}

#[test]
fn record_in_ci_waits_for_accept_and_never_overwrites_without_force() {
    let c = Cutover::new();
    let corpus = c.write(
        "routing.jsonl",
        "{\"name\": \"a\", \"input\": {\"prompt\": \"the api is slow\"}}\n\
         {\"name\": \"b\", \"input\": {\"prompt\": \"hello\", \"explicit_agent\": \"docs-writer\"}}\n",
    );
    let corpus = corpus.to_str().unwrap().to_owned();
    let (legacy, new) = (legacy(), new());
    let record = |subject: &str, extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["record", "--corpus", &corpus, "--subject", subject];
        args.extend_from_slice(extra);
        golden(&c, &args, env)
    };
    let before = std::fs::read_to_string(&corpus).unwrap();
    let ci = record(&legacy, &[], &[("CI", "true")]);
    assert_eq!(ci.code, 1, "pending results fail in CI: {}", ci.stdout);
    assert!(
        ci.stdout.contains("pending") && ci.stdout.contains("routing.jsonl.new"),
        "{}",
        ci.stdout
    );
    assert_eq!(std::fs::read_to_string(&corpus).unwrap(), before);
    let accepted = golden(&c, &["accept", "--corpus", &corpus], &[]);
    assert_eq!(accepted.code, 0);
    assert!(accepted.stdout.contains("accepted"), "{}", accepted.stdout);
    assert!(!Path::new(&format!("{corpus}.new")).exists());

    // The new router differs on `a` (confidence 0.62 against 0.6, exact without a spec).
    let refused = record(&new, &[], &[]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stdout.contains("CONFLICT   a"),
        "{}",
        refused.stdout
    );
    let kept = std::fs::read_to_string(&corpus).unwrap();
    assert!(kept.contains("\"confidence\": 0.6,"), "{kept}");
    // CI=false is not CI: --force writes the corpus itself.
    let forced = record(&new, &["--force"], &[("CI", "false")]);
    assert_eq!(forced.code, 0, "{}", forced.stdout);
    assert!(
        std::fs::read_to_string(&corpus)
            .unwrap()
            .contains("\"confidence\": 0.62,")
    );

    // Nothing is pending any more.
    let rejected = golden(&c, &["reject", "--corpus", &corpus, "--json"], &[]);
    assert_eq!(
        rejected.stdout.trim(),
        "{\n  \"accepted\": [],\n  \"rejected\": []\n}"
    );
}

#[test]
fn usage_errors_name_the_value_and_what_is_accepted() {
    let c = Cutover::new();
    let base = [
        "verify",
        "--corpus",
        "examples/golden/corpus",
        "--subject",
        "true",
    ];
    for (flag, value, needle) in [
        ("--budget", "p50<50ms", "invalid budget \"p50<50ms\""),
        ("--timeout", "soon", "invalid duration \"soon\""),
    ] {
        let mut args = base.to_vec();
        args.extend_from_slice(&[flag, value]);
        let run = golden(&c, &args, &[]);
        assert_eq!(run.code, 2, "{flag}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{flag}: {}", run.stderr);
    }
    let run = golden(
        &c,
        &[
            "compare",
            "--corpus",
            "x.jsonl",
            "--legacy",
            "a",
            "--new",
            "b",
            "--min-agreement",
            "selected_agent=1.5",
        ],
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("from 0 to 1"), "{}", run.stderr);
    for (args, needle) in [
        (
            vec!["verify", "--corpus", "missing.jsonl", "--subject", "true"],
            "cannot read missing.jsonl",
        ),
        (
            vec![
                "test",
                "--corpus",
                "examples/golden/corpus",
                "--subject",
                "true",
                "--filter",
                "nothing-*",
            ],
            "matched no case",
        ),
        (
            vec![
                "verify",
                "--corpus",
                "examples/golden/corpus",
                "--subject",
                "/no/such/router",
            ],
            "cannot start the subject `/no/such/router`",
        ),
    ] {
        let run = golden(&c, &args, &[]);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
}

/// A run's verdict recorded against a flag is audited and becomes the `golden` gate of its
/// rollout: the compare run fails (the example's invariant breaks), the legacy verify passes.
#[test]
fn a_verdict_recorded_against_a_flag_is_its_golden_gate() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    c.ok(&[
        "rollout",
        "plan",
        "checkout",
        "--plan",
        "5,100 every 1h",
        "--gate",
        "golden",
    ]);
    let spec = "examples/golden/spec.json";
    let (l, n) = (legacy(), new());
    let failed = golden(
        &c,
        &[
            "compare",
            "--corpus",
            "examples/golden/corpus/routing.jsonl",
            "--spec",
            spec,
            "--legacy",
            &l,
            "--new",
            &n,
            "--flag",
            "checkout",
        ],
        &[],
    );
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(
        failed.stderr.contains("recorded against flag checkout"),
        "{}",
        failed.stderr
    );
    let status: Value =
        serde_json::from_str(&c.ok(&["--json", "rollout", "status", "checkout"])).unwrap();
    assert_eq!(status["golden"]["passed"], false, "{status}");
    let audit = c.ok(&["--json", "audit", "query", "--action", "golden.record"]);
    assert!(audit.contains("violated"), "{audit}");

    let passed = golden(
        &c,
        &[
            "verify",
            "--corpus",
            "examples/golden/corpus/routing.jsonl",
            "--spec",
            spec,
            "--subject",
            &l,
            "--flag",
            "checkout",
        ],
        &[],
    );
    assert_eq!(passed.code, 0, "{}", passed.stderr);
    c.ok(&["rollout", "start", "checkout"]);
    let status: Value =
        serde_json::from_str(&c.ok(&["--json", "rollout", "status", "checkout"])).unwrap();
    assert_eq!(status["golden"]["passed"], true, "{status}");
    assert_eq!(status["look"]["assessment"]["gates"][0]["gate"], "golden");
    assert_eq!(status["look"]["assessment"]["gates"][0]["verdict"], "pass");

    let refused = golden(
        &c,
        &[
            "record",
            "--corpus",
            "examples/golden/corpus/routing.jsonl",
            "--subject",
            &l,
            "--flag",
            "checkout",
        ],
        &[],
    );
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("not one"), "{}", refused.stderr);
}

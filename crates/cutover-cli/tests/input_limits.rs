//! What the CLI takes in is held to the core's rules exactly as the API holds it: percentages in
//! import files are read from their text (never rounded), a mistyped gate inside a file's plan
//! names the gate, and every stored text has a size limit, refused before anything is written.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::Cutover;

/// Runs `args`, expects exit code `code` and every needle in stderr, and that nothing changed.
fn refused(c: &Cutover, args: &[&str], code: i32, needles: &[&str]) {
    let before = c.state();
    let run = c.run(args);
    assert_eq!(
        run.code, code,
        "cutover {args:?}\nstdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "cutover {args:?}: stderr lacks {needle:?}:\n{}",
            run.stderr
        );
    }
    assert_eq!(c.state(), before, "cutover {args:?} changed the store");
}

#[test]
fn import_files_refuse_percentages_they_would_have_to_round() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    for p in ["99.99999999999999999999", "0.000000000000000000001"] {
        let yaml = c.write(
            "flags.yaml",
            &format!("flags:\n  - key: checkout\n    rollout_percent: {p}\n"),
        );
        refused(
            &c,
            &["import", yaml.to_str().unwrap()],
            1,
            &[p, "more than two decimals"],
        );
        let json = c.write(
            "flags.json",
            &format!(r#"{{"flags": [{{"key": "checkout", "rollout_percent": {p}}}]}}"#),
        );
        refused(
            &c,
            &["import", json.to_str().unwrap()],
            1,
            &[p, "more than two decimals"],
        );
        let preset = c.write(
            "preset.yaml",
            &format!(
                "flags:\n  - key: checkout\npresets:\n  - name: p1\n    entries:\n      - flag: checkout\n        rollout_percent: {p}\n"
            ),
        );
        refused(&c, &["import", preset.to_str().unwrap()], 1, &[p]);
    }
    // Exact values, as numbers or strings, in both formats.
    let yaml = c.write(
        "ok.yaml",
        "flags:\n  - key: checkout\n    rollout_percent: 12.34\n  - key: other\n    rollout_percent: \"0.5%\"\n",
    );
    c.ok(&["import", yaml.to_str().unwrap()]);
    let flag: serde_json::Value =
        serde_json::from_str(&c.ok(&["--json", "flag", "get", "other"])).unwrap();
    assert_eq!(flag["rollout_percent"], 0.5, "{flag}");
    let flag: serde_json::Value =
        serde_json::from_str(&c.ok(&["--json", "flag", "get", "checkout"])).unwrap();
    assert_eq!(flag["rollout_percent"], 12.34, "{flag}");
}

#[test]
fn a_mistyped_gate_in_an_imported_plan_names_the_gate() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let cli = c.run(&[
        "rollout",
        "plan",
        "checkout",
        "--plan",
        "5,100 every 1h",
        "--gate",
        "new.p97 <= 100ms",
    ]);
    assert_eq!(cli.code, 2, "{}", cli.stderr);
    assert!(
        cli.stderr.contains("unknown metric \"p97\""),
        "{}",
        cli.stderr
    );
    let yaml = c.write(
        "flags.yaml",
        "flags:\n  - key: checkout\n    plan:\n      steps: 5,100 every 1h\n      gates: [\"new.p97 <= 100ms\"]\n",
    );
    refused(
        &c,
        &["import", yaml.to_str().unwrap()],
        1,
        &[
            "new.p97 <= 100ms",
            "unknown metric \"p97\"",
            "accepted: error_rate",
        ],
    );
    let json = c.write(
        "flags.json",
        r#"{"flags": [{"key": "checkout", "plan": {"steps": "5,100 every 1h", "gates": ["new.p97 <= 100ms"]}}]}"#,
    );
    refused(
        &c,
        &["import", json.to_str().unwrap()],
        1,
        &["new.p97 <= 100ms", "unknown metric \"p97\""],
    );
}

#[test]
fn texts_over_their_limit_are_usage_errors_quoting_only_their_start() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let long = |n: usize| "x".repeat(n);
    let reason = long(100_000);
    let description = long(4097);
    let owner = long(257);
    let value = long(100_000);
    let salt = long(257);
    for (args, limit) in [
        (
            vec!["--reason", reason.as_str(), "kill", "checkout"],
            "1024 bytes",
        ),
        (
            vec![
                "flag",
                "create",
                "other",
                "--description",
                description.as_str(),
            ],
            "4096 bytes",
        ),
        (
            vec!["flag", "set", "checkout", "--owner", owner.as_str()],
            "256 bytes",
        ),
        (
            vec!["flag", "set", "checkout", "--salt", salt.as_str()],
            "256 bytes",
        ),
        (
            vec![
                "override",
                "add",
                "checkout",
                "--attr",
                "user_id",
                "--value",
                value.as_str(),
                "--variant",
                "new",
            ],
            "1024 bytes",
        ),
        (
            vec![
                "preset",
                "define",
                "p1",
                "--flag",
                "checkout=kill",
                "--description",
                description.as_str(),
            ],
            "4096 bytes",
        ),
    ] {
        let before = c.state();
        let run = c.run(&args);
        assert_eq!(run.code, 2, "{}: {}", args[0], run.stderr);
        assert!(run.stderr.contains(limit), "{}", run.stderr);
        assert!(
            run.stderr.len() < 1000,
            "quotes a preview: {} bytes",
            run.stderr.len()
        );
        assert_eq!(c.state(), before);
    }
    // The actor, from the environment too.
    let run = c.run_env(&["kill", "checkout"], &[("CUTOVER_ACTOR", &long(300))]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("256 bytes"), "{}", run.stderr);
    // At the limit is fine.
    c.ok(&[
        "--reason",
        &long(1024),
        "flag",
        "set",
        "checkout",
        "--description",
        &long(4096),
    ]);
}

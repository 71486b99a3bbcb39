//! The everyday path through the CLI, snapshotted: what people and scripts see.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::Cutover;

/// Times, hashes and bucket-independent noise are replaced so snapshots are stable.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]");
    s.add_filter(r"[0-9a-f]{64}", "[HASH]");
    s
}

#[test]
fn a_cutover_from_creation_to_audit() {
    let c = Cutover::new();
    let mut transcript = String::new();
    let mut step = |args: &[&str]| {
        transcript.push_str(&format!("$ cutover {}\n", args.join(" ")));
        transcript.push_str(&c.ok(args));
        transcript.push('\n');
    };
    step(&[
        "flag",
        "create",
        "checkout-v2",
        "--owner",
        "payments",
        "--description",
        "new checkout",
    ]);
    step(&["flag", "create", "search-v2"]);
    step(&["stage", "set", "checkout-v2", "canary"]);
    step(&[
        "rollout",
        "set",
        "checkout-v2",
        "--percent",
        "12.5",
        "--reason",
        "widen canary",
    ]);
    step(&[
        "override",
        "add",
        "checkout-v2",
        "--attr",
        "user_id",
        "--value",
        "user-42",
        "--variant",
        "new",
    ]);
    step(&[
        "override",
        "add",
        "checkout-v2",
        "--attr",
        "tenant",
        "--value",
        "globex",
        "--variant",
        "legacy",
        "--expires",
        "7d",
    ]);
    step(&[
        "flag",
        "set",
        "checkout-v2",
        "--scope",
        "region in eu-west,us-east",
    ]);
    step(&["eval", "checkout-v2", "--ctx", "user_id=user-42"]);
    step(&[
        "eval",
        "checkout-v2",
        "--ctx",
        "user_id=user-42",
        "--ctx",
        "tenant=globex",
    ]);
    step(&[
        "eval",
        "checkout-v2",
        "--ctx",
        "user_id=user-1",
        "--ctx",
        "region=eu-west",
    ]);
    step(&[
        "eval",
        "checkout-v2",
        "--ctx",
        "user_id=user-1",
        "--ctx",
        "region=ap-south",
    ]);
    step(&["eval", "no-such-flag", "--ctx", "user_id=user-1"]);
    step(&["kill", "checkout-v2", "--reason", "p99 spike"]);
    step(&["kill", "checkout-v2"]);
    step(&["eval", "checkout-v2", "--ctx", "user_id=user-42"]);
    step(&["unkill", "checkout-v2"]);
    step(&["flag", "list"]);
    step(&["flag", "get", "checkout-v2"]);
    step(&["override", "list"]);
    step(&[
        "preset",
        "define",
        "phase1",
        "--flag",
        "checkout-v2=beta",
        "--flag",
        "search-v2=on,25%",
    ]);
    step(&["preset", "apply", "phase1"]);
    step(&["preset", "list"]);
    step(&[
        "audit",
        "query",
        "--flag",
        "checkout-v2",
        "--action",
        "override.*",
    ]);
    step(&["audit", "recent", "-n", "5"]);
    step(&["audit", "verify"]);
    settings().bind(|| insta::assert_snapshot!(transcript));
}

#[test]
fn json_output_for_scripts() {
    let c = Cutover::new();
    let mut transcript = String::new();
    let mut step = |args: &[&str]| {
        transcript.push_str(&format!("$ cutover --json {}\n", args.join(" ")));
        let mut with_json = vec!["--json"];
        with_json.extend_from_slice(args);
        let out = c.ok(&with_json);
        serde_json::from_str::<serde_json::Value>(&out).expect("--json prints JSON");
        transcript.push_str(&out);
    };
    step(&["flag", "create", "checkout-v2"]);
    step(&["rollout", "set", "checkout-v2", "--percent", "50"]);
    step(&["eval", "checkout-v2", "--ctx", "user_id=user-1"]);
    step(&["eval", "checkout-v2", "--ctx", "session_id=s-9"]);
    step(&["audit", "query", "--actor", "tester", "--limit", "1"]);
    step(&["audit", "verify"]);
    settings().bind(|| insta::assert_snapshot!(transcript));
}

#[test]
fn export_then_import_reproduces_the_flag_set() {
    let a = Cutover::new();
    a.ok(&["flag", "create", "checkout-v2", "--owner", "payments"]);
    a.ok(&["rollout", "set", "checkout-v2", "--percent", "0.07"]);
    a.ok(&[
        "override",
        "add",
        "checkout-v2",
        "--attr",
        "session_id",
        "--value",
        "s1",
        "--variant",
        "new",
    ]);
    a.ok(&[
        "flag",
        "set",
        "checkout-v2",
        "--scope",
        "tenant not_in initech",
        "--scope",
        "plan exists",
    ]);
    a.ok(&["flag", "create", "other"]);
    a.ok(&[
        "preset",
        "define",
        "all-new",
        "--flag",
        "checkout-v2=production",
        "--flag",
        "other=production",
    ]);
    for format in ["json", "yaml"] {
        let file = a.path(&format!("flags.{format}"));
        a.ok(&[
            "export",
            "--format",
            format,
            "--out",
            file.to_str().unwrap(),
        ]);
        let b = Cutover::new();
        b.ok(&["import", file.to_str().unwrap()]);
        let strip_versions = |s: String| {
            s.lines()
                .filter(|l| !l.contains("\"version\""))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(
            strip_versions(b.ok(&["export"])),
            strip_versions(a.ok(&["export"])),
            "{format}"
        );
        let again = b.ok(&["import", file.to_str().unwrap()]);
        assert!(again.contains("unchanged: checkout-v2, other"), "{again}");
    }
}

#[test]
fn an_exported_audit_log_verifies_on_its_own_and_edits_to_it_are_caught() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "f"]);
    for p in ["1", "2", "3"] {
        c.ok(&["rollout", "set", "f", "--percent", p]);
    }
    let export = c.path("audit.jsonl");
    c.ok(&["audit", "export", "--out", export.to_str().unwrap()]);
    let out = c.ok(&["audit", "verify", "--file", export.to_str().unwrap()]);
    assert!(out.starts_with("audit log intact: 4 entries"), "{out}");

    let text = std::fs::read_to_string(&export)
        .unwrap()
        .replace("\"actor\":\"tester\"", "\"actor\":\"mallory\"");
    std::fs::write(&export, text).unwrap();
    let run = c.run(&["audit", "verify", "--file", export.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("entry 1 does not match its hash"),
        "{}",
        run.stdout
    );
}

#[test]
fn environment_overrides_apply_to_eval_and_bad_values_are_errors() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "use-onex.routing"]);
    let on = c.run_env(
        &["eval", "use-onex.routing", "--ctx", "user_id=u"],
        &[("CUTOVER_FLAG_USE_ONEX_ROUTING", "YES")],
    );
    assert!(
        on.stdout.starts_with(
            "use-onex.routing = new  (environment override CUTOVER_FLAG_USE_ONEX_ROUTING"
        ),
        "{}",
        on.stdout
    );
    let bad = c.run_env(
        &["eval", "use-onex.routing"],
        &[("CUTOVER_FLAG_USE_ONEX_ROUTING", "maybe")],
    );
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("\"maybe\" in CUTOVER_FLAG_USE_ONEX_ROUTING"),
        "{}",
        bad.stderr
    );
    assert!(
        bad.stderr.contains("true, 1, yes, on, false, 0, no, off"),
        "{}",
        bad.stderr
    );
    let typo = c.run_env(
        &["eval", "use-onex.routing"],
        &[("CUTOVER_FLAG_USE_ONEX_ROUTNG", "1")],
    );
    assert!(
        typo.stderr
            .contains("CUTOVER_FLAG_USE_ONEX_ROUTNG is set but names no flag"),
        "{}",
        typo.stderr
    );
}

/// A guarded rollout moved by hand, as an operator sees it: the plan, every gate with its
/// numbers (none yet: inconclusive), each move, and the audit trail.
#[test]
fn a_guarded_rollout_by_hand() {
    let c = Cutover::new();
    let mut transcript = String::new();
    let mut step = |args: &[&str]| {
        transcript.push_str(&format!("$ cutover {}\n", args.join(" ")));
        let run = c.run(args);
        transcript.push_str(&run.stdout);
        if run.code != 0 {
            transcript.push_str(&format!("[exit {}] {}", run.code, run.stderr));
        }
        transcript.push('\n');
    };
    step(&["flag", "create", "checkout-v2"]);
    step(&[
        "rollout",
        "plan",
        "checkout-v2",
        "--plan",
        "5,25,50,100 every 2h",
        "--gate",
        "new.error_rate <= legacy.error_rate",
        "--gate",
        "new.p95 <= legacy.p95 * 1.2",
        "--gate",
        "new.invalid_json_rate <= 1%",
        "--gate",
        "warning: new.p95 <= 200ms",
        "--counter",
        "invalid_json",
        "--on-breach",
        "step_down",
    ]);
    // The same plan with the counter misspelt in its gate is refused, naming the near miss.
    step(&[
        "rollout",
        "plan",
        "checkout-v2",
        "--plan",
        "5,25,50,100 every 2h",
        "--gate",
        "new.eror_rate <= 2%",
    ]);
    step(&["rollout", "start", "checkout-v2", "--reason", "phase 2"]);
    step(&["rollout", "status", "checkout-v2"]);
    step(&["rollout", "pause", "checkout-v2"]);
    step(&["rollout", "pause", "checkout-v2"]);
    step(&["rollout", "resume", "checkout-v2"]);
    step(&["rollout", "promote", "checkout-v2"]);
    step(&["slo", "status"]);
    step(&["rollout", "abort", "checkout-v2"]);
    step(&["rollout", "history", "checkout-v2"]);
    step(&["audit", "query", "--flag", "checkout-v2"]);
    let mut s = settings();
    s.add_filter(r"\d+[smhd] into", "[ELAPSED] into");
    s.bind(|| insta::assert_snapshot!(transcript));
}

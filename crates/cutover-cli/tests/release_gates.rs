//! Requirement 000 played through the real binary: four named verdicts gate production (golden
//! verify, a latency budget, cross-validation, an integration-test verdict from a script); a
//! red cross-validation keeps production refused even after a later green verify; all green
//! lets it through (for an admin only, through a server); retiring legacy waits for its time at
//! production; a forced move is audited as forced.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::golden_subjects;
use common::{Cutover, Run};
use serde_json::Value;

const CORPUS: &str = "examples/golden/corpus/routing.jsonl";
const SPEC: &str = "examples/golden/spec.json";

/// `cutover golden ARGS` from the repository root (the corpus paths are relative to it).
fn golden(c: &Cutover, args: &[&str]) -> Run {
    let mut all = vec!["golden"];
    all.extend_from_slice(args);
    let mut cmd = c.command(&all);
    cmd.current_dir(golden_subjects::repo());
    Run::from(cmd.output().unwrap())
}

/// The refusal of `cutover --json ARGS` (exit 1): its error object.
fn refused(c: &Cutover, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let run = c.run(&all);
    assert_eq!(run.code, 1, "{args:?}: {}{}", run.stdout, run.stderr);
    serde_json::from_str(run.stderr.trim()).unwrap_or_else(|e| panic!("{e}: {}", run.stderr))
}

/// A token of `role`, created through the CLI; its secret.
fn token(c: &Cutover, name: &str, role: &str) -> String {
    let made: Value =
        serde_json::from_str(&c.ok(&["--json", "token", "create", name, "--role", role])).unwrap();
    made["token"].as_str().unwrap().to_owned()
}

#[test]
fn production_waits_for_four_green_verdicts_and_legacy_for_its_time_at_production() {
    let (legacy, new) = (golden_subjects::legacy(), golden_subjects::new());
    let c = Cutover::new();
    let served = c.serve(&["--no-guard"]);
    let admin = served.admin_token.clone().unwrap();
    let operator = token(&c, "ops", "operator");
    c.ok(&["flag", "create", "routing"]);
    c.ok(&[
        "flag",
        "require",
        "routing",
        "production",
        "--gate",
        "verdict(golden-verify)",
        "--gate",
        "verdict(budget)",
        "--gate",
        "verdict(cross-validation)",
        "--gate",
        "verdict(integration-tests)",
        "--role",
        "admin",
    ]);
    c.ok(&[
        "flag",
        "require",
        "routing",
        "legacy_disabled",
        "--after",
        "3s",
        "--gate",
        "verdicts(all)",
    ]);
    c.ok(&["stage", "set", "routing", "beta"]);

    // Gate 1 and 2: the corpus verifies against the legacy subject, within a budget.
    let verify = [
        "verify",
        "--corpus",
        CORPUS,
        "--spec",
        SPEC,
        "--subject",
        &legacy,
        "--flag",
        "routing",
        "--verdict",
    ];
    assert_eq!(
        golden(&c, &[&verify[..], &["golden-verify"]].concat()).code,
        0
    );
    let budget = [&verify[..], &["budget", "--budget", "p99=10s"]].concat();
    assert_eq!(golden(&c, &budget).code, 0);
    // Gate 3: cross-validation of the two subjects disagrees: red.
    let compare = [
        "compare",
        "--corpus",
        CORPUS,
        "--spec",
        SPEC,
        "--legacy",
        &legacy,
        "--new",
        &new,
        "--flag",
        "routing",
        "--verdict",
        "cross-validation",
    ];
    assert_eq!(golden(&c, &compare).code, 1);
    // Gate 4: an integration-test run reports from a script.
    c.ok(&[
        "verdict",
        "record",
        "routing",
        "integration-tests",
        "--pass",
        "--url",
        "https://ci.example/run/41",
    ]);
    // A later green verify does not mask the red cross-validation.
    assert_eq!(
        golden(&c, &[&verify[..], &["golden-verify"]].concat()).code,
        0
    );
    let no = refused(&c, &["stage", "set", "routing", "production"]);
    assert_eq!(no["error"], "prerequisites", "{no}");
    let says = no["message"].as_str().unwrap();
    assert!(
        says.contains("verdict(cross-validation) is failed"),
        "{says}"
    );
    assert!(!says.contains("golden-verify"), "{says}");
    // Nor does a rollout to 100 % get round it.
    let no = refused(&c, &["rollout", "set", "routing", "--percent", "100"]);
    assert_eq!(no["error"], "prerequisites", "{no}");
    let status: Value =
        serde_json::from_str(&c.ok(&["--json", "rollout", "status", "routing"])).unwrap();
    assert_eq!(status["next_stage"]["stage"], "production", "{status}");
    assert_eq!(
        status["next_stage"]["missing"].as_array().unwrap().len(),
        1,
        "{status}"
    );

    // Cross-validated again, now of the legacy subject with itself: all four green.
    let agree = [
        "compare",
        "--corpus",
        CORPUS,
        "--spec",
        SPEC,
        "--legacy",
        &legacy,
        "--new",
        &legacy,
        "--flag",
        "routing",
        "--verdict",
        "cross-validation",
    ];
    assert_eq!(golden(&c, &agree).code, 0);
    // Through the server an operator may not make the move; an admin may.
    let through = |secret: &str, args: &[&str]| {
        let mut all = vec!["--json", "--server", served.url.as_str(), "--token", secret];
        all.extend_from_slice(args);
        c.run(&all)
    };
    let by_operator = through(&operator, &["stage", "set", "routing", "production"]);
    assert_eq!(by_operator.code, 1, "{}", by_operator.stderr);
    assert!(
        by_operator.stderr.contains("only an admin"),
        "{}",
        by_operator.stderr
    );
    let by_admin = through(&admin, &["stage", "set", "routing", "production"]);
    assert_eq!(by_admin.code, 0, "{}", by_admin.stderr);

    // Retiring legacy waits for 3 s at production.
    let soon = refused(&c, &["stage", "set", "routing", "legacy_disabled"]);
    assert!(
        soon["message"].as_str().unwrap().contains("at production"),
        "{soon}"
    );
    std::thread::sleep(std::time::Duration::from_millis(3_200));
    c.ok(&["stage", "set", "routing", "legacy_disabled"]);

    // Forced past missing prerequisites: only with a reason, and the audit says so.
    c.ok(&["flag", "create", "search"]);
    c.ok(&["flag", "require", "search", "beta", "--gate", "golden"]);
    let bare = refused(&c, &["stage", "set", "search", "beta", "--force"]);
    assert_eq!(bare["error"], "invalid", "{bare}");
    let forced = through(
        &admin,
        &[
            "stage",
            "set",
            "search",
            "beta",
            "--force",
            "--reason",
            "signed off by phone",
        ],
    );
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    let audit: Value = serde_json::from_str(&c.ok(&[
        "--json",
        "audit",
        "query",
        "--flag",
        "search",
        "--action",
        "flag.stage",
    ]))
    .unwrap();
    let reason = audit[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("forced into beta past: golden is missing; signed off by phone"),
        "{reason}"
    );
    // The store's log agrees with its rows after all of it.
    c.ok(&["audit", "verify"]);
}

//! Environment variables by their own names through the binary and the API (issue 15, part 6):
//! a flag declares `--env USE_ONEX_ROUTING_NODES` and that variable decides for it in `cutover
//! eval`; a second flag claiming it, or keys `a-b` and `a_b`, are refused naming both flags;
//! `flag get` shows the names and `flag set` changes and clears them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::Cutover;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_variable_decides_and_belongs_to_one_flag() {
    let c = Cutover::new();
    c.ok(&[
        "flag",
        "create",
        "routing",
        "--env",
        "USE_ONEX_ROUTING_NODES",
    ]);
    let get = c.ok(&["flag", "get", "routing"]);
    assert!(get.contains("USE_ONEX_ROUTING_NODES (force)"), "{get}");

    let eval = ["eval", "routing", "--ctx", "user_id=u1"];
    let on = c.run_env(&eval, &[("USE_ONEX_ROUTING_NODES", "yes")]);
    assert!(
        on.stdout.contains("routing = new") && on.stdout.contains("USE_ONEX_ROUTING_NODES"),
        "{}{}",
        on.stdout,
        on.stderr
    );
    let unset = c.ok(&eval);
    assert!(unset.contains("routing = legacy"), "{unset}");
    // A malformed value is left out, with a warning naming the variable and the value.
    let bad = c.run_env(&eval, &[("USE_ONEX_ROUTING_NODES", "ture")]);
    assert!(bad.stdout.contains("routing = legacy"), "{}", bad.stdout);
    assert!(
        bad.stderr.contains("USE_ONEX_ROUTING_NODES") && bad.stderr.contains("\"ture\""),
        "{}",
        bad.stderr
    );

    // A second flag claiming it is refused, naming both, by create and by set.
    let run = c.run(&[
        "flag",
        "create",
        "routing-v2",
        "--env-stage",
        "USE_ONEX_ROUTING_NODES",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("routing-v2")
            && run.stderr.contains("flag routing ")
            && run.stderr.contains("USE_ONEX_ROUTING_NODES"),
        "{}",
        run.stderr
    );
    c.ok(&["flag", "create", "planner"]);
    let run = c.run(&[
        "flag",
        "set",
        "planner",
        "--env-percent",
        "USE_ONEX_ROUTING_NODES",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("planner") && run.stderr.contains("flag routing "),
        "{}",
        run.stderr
    );
    // Keys that share CUTOVER_FLAG_A_B: both named.
    c.ok(&["flag", "create", "a-b"]);
    let run = c.run(&["flag", "create", "a_b"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("a_b")
            && run.stderr.contains("a-b")
            && run.stderr.contains("CUTOVER_FLAG_A_B"),
        "{}",
        run.stderr
    );
    // A name that is not a variable name is a usage error saying what is accepted.
    let run = c.run(&["flag", "set", "planner", "--env", "use-onex"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("\"use-onex\"") && run.stderr.contains("A-Z"),
        "{}",
        run.stderr
    );

    // Requirement 001: the switch enables, the percentage still applies.
    c.ok(&[
        "flag",
        "set",
        "planner",
        "--env",
        "AWF_BUNDLE_ON",
        "--env-mode",
        "enable",
        "--env-percent",
        "AWF_PERCENT_ROLLOUT",
    ]);
    let get = c.ok(&["flag", "get", "planner"]);
    assert!(
        get.contains("AWF_BUNDLE_ON (enable)") && get.contains("AWF_PERCENT_ROLLOUT"),
        "{get}"
    );
    let full = c.run_env(
        &["eval", "planner", "--ctx", "user_id=u1"],
        &[("AWF_BUNDLE_ON", "true"), ("AWF_PERCENT_ROLLOUT", "100")],
    );
    assert!(
        full.stdout.contains("planner = new") && full.stdout.contains("100%"),
        "{}",
        full.stdout
    );
    let off = c.run_env(
        &["eval", "planner", "--ctx", "user_id=u1"],
        &[("AWF_BUNDLE_ON", "false"), ("AWF_PERCENT_ROLLOUT", "100")],
    );
    assert!(off.stdout.contains("planner = legacy"), "{}", off.stdout);
    c.ok(&[
        "flag",
        "set",
        "planner",
        "--clear-env",
        "--clear-env-percent",
    ]);
    let get = c.ok(&["--json", "flag", "get", "planner"]);
    assert!(!get.contains("AWF_"), "{get}");
    // The change was audited, and the log replays into the rows, names included.
    let log = c.ok(&["audit", "query", "--flag", "planner"]);
    assert!(log.contains("flag.update"), "{log}");
    c.ok(&["audit", "verify"]);

    // Over the API: a PATCH claiming a taken name is a 409 naming both flags.
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    let r = reqwest::Client::new()
        .patch(format!("{}/api/v1/flags/planner", served.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"env": "USE_ONEX_ROUTING_NODES"}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains("identity_taken")
            && body.contains("planner")
            && body.contains("flag routing "),
        "{body}"
    );
    let r = reqwest::Client::new()
        .patch(format!("{}/api/v1/flags/planner", served.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"env_stage": "PLANNER_STAGE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let flag: serde_json::Value = r.json().await.unwrap();
    assert_eq!(flag["env_stage"], "PLANNER_STAGE", "{flag}");
}

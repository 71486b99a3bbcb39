//! Emergencies through the CLI and a server whose change budget for the token is spent: the kill
//! switch, a rollout to 0 % and an abort go through at once; any other change waits out the
//! server's `Retry-After` and is sent again.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::Cutover;

#[test]
fn kill_rollout_to_zero_and_abort_succeed_with_the_change_budget_spent() {
    let c = Cutover::new();
    let served = c.serve(&["--change-rate", "1", "--change-burst", "2"]);
    let token = served.admin_token.clone().unwrap();
    let via = |args: &[&str]| {
        let mut all = vec!["--server", served.url.as_str(), "--token", token.as_str()];
        all.extend_from_slice(args);
        c.run(&all)
    };
    // Two changes spend the burst.
    assert_eq!(via(&["flag", "create", "checkout"]).code, 0);
    let started = via(&[
        "rollout",
        "start",
        "checkout",
        "--plan",
        "10,50,100 every 1h",
    ]);
    assert_eq!(started.code, 0, "{}", started.stderr);

    for emergency in [
        &["rollout", "abort", "checkout"][..],
        &["rollout", "set", "checkout", "--percent", "0"],
        &["kill", "checkout", "--reason", "p99 over budget"],
        &["kill", "checkout"],
    ] {
        let run = via(emergency);
        assert_eq!(run.code, 0, "{emergency:?}: {}", run.stderr);
    }
    let flag: serde_json::Value =
        serde_json::from_str(&via(&["--json", "flag", "get", "checkout"]).stdout).unwrap();
    assert_eq!(flag["killed"], true);
    assert_eq!(flag["run"]["status"], "aborted");
}

#[test]
fn other_changes_wait_out_the_rate_limit_and_are_sent_again() {
    let c = Cutover::new();
    let served = c.serve(&["--change-rate", "1", "--change-burst", "1"]);
    let token = served.admin_token.clone().unwrap();
    let via = |args: &[&str]| {
        let mut all = vec!["--server", served.url.as_str(), "--token", token.as_str()];
        all.extend_from_slice(args);
        c.run(&all)
    };
    assert_eq!(via(&["flag", "create", "checkout"]).code, 0);
    // Over budget: refused once with Retry-After, then sent again and applied.
    let raised = via(&["rollout", "set", "checkout", "--percent", "50"]);
    assert_eq!(raised.code, 0, "{}", raised.stderr);
    let again = via(&["rollout", "set", "checkout", "--percent", "60"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let flag: serde_json::Value =
        serde_json::from_str(&via(&["--json", "flag", "get", "checkout"]).stdout).unwrap();
    assert_eq!(flag["rollout_percent"], 60);
}

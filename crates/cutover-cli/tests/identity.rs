//! Identity through the binary and the API: flag keys that share a `CUTOVER_FLAG_*` variable,
//! the last admin token, names cutover writes on its own behalf, the first admin token of a
//! store, and `cutover token recover` for a store nobody can administer any more.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::Cutover;
use common::served::Served;

fn via(c: &Cutover, served: &Served, token: &str, args: &[&str]) -> common::Run {
    let mut all = vec!["--server", served.url.as_str(), "--token", token];
    all.extend_from_slice(args);
    c.run(&all)
}

async fn post(served: &Served, token: &str, path: &str, body: serde_json::Value) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1{path}", served.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_key_for_the_same_environment_variable_is_refused_by_cli_and_api() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "x-y"]);
    let run = c.run(&["flag", "create", "x_y"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("x-y") && run.stderr.contains("CUTOVER_FLAG_X_Y"),
        "{}",
        run.stderr
    );
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    let (status, body) = post(&served, &token, "/flags", serde_json::json!({"key": "x.y"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains("identity_taken") && body.contains("x-y"),
        "{body}"
    );
    assert_eq!(
        c.ok(&["--json", "flag", "list"]).matches("\"key\"").count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_cutover_acts_under_are_refused_as_token_names() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    for name in ["guard", "cutover-serve", "cutover"] {
        let run = c.run(&["token", "create", name, "--role", "admin"]);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains("reserved") && run.stderr.contains("guard, cutover-serve, cutover"),
            "{name}: {}",
            run.stderr
        );
    }
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    let (status, body) = post(
        &served,
        &token,
        "/tokens",
        serde_json::json!({"name": "guard", "role": "operator"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("reserved"), "{body}");
    assert_eq!(
        c.ok(&["--json", "token", "list"])
            .matches("\"name\"")
            .count(),
        1
    );
}

#[test]
fn the_last_admin_token_cannot_be_revoked_locally_or_through_the_server() {
    let c = Cutover::new();
    let served = c.serve(&[]);
    let admin = served.admin_token.clone().unwrap();
    let run = via(&c, &served, &admin, &["token", "revoke", "admin"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("last admin token"), "{}", run.stderr);
    let run = c.run(&["token", "revoke", "admin"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("last admin token"), "{}", run.stderr);
    // The token still works.
    assert_eq!(via(&c, &served, &admin, &["token", "list"]).code, 0);
}

#[test]
fn a_restart_never_mints_an_admin_token_on_a_store_that_had_tokens() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    c.ok(&["token", "create", "dashboards", "--role", "viewer"]);
    c.ok(&["token", "revoke", "dashboards"]);
    let served = c.serve(&[]);
    assert!(
        served.admin_token.is_none(),
        "serve minted an admin token on a store whose tokens were revoked"
    );
    drop(served);
    assert_eq!(c.ok(&["--json", "token", "list"]).trim(), "[]");
}

#[test]
fn token_recover_makes_an_audited_admin_token_only_with_direct_access() {
    let c = Cutover::new();
    let missing = c.run(&["token", "recover", "ops"]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("no cutover store"),
        "{}",
        missing.stderr
    );

    c.ok(&["flag", "create", "checkout"]);
    let out = c.ok(&[
        "token",
        "recover",
        "ops",
        "--reason",
        "lost the admin token",
    ]);
    let secret = out
        .lines()
        .find(|l| l.starts_with("cut_"))
        .unwrap_or_else(|| panic!("no secret printed: {out}"))
        .to_owned();
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(&c.ok(&["--json", "audit", "query", "--action", "token.*"])).unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["entity"], "token:ops");
    assert_eq!(entries[0]["actor"], "tester");
    let reason = entries[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("recover") && reason.contains("lost the admin token"),
        "{reason}"
    );

    let served = c.serve(&[]);
    assert!(served.admin_token.is_none());
    let as_ops = via(
        &c,
        &served,
        &secret,
        &["token", "create", "ci", "--role", "sdk"],
    );
    assert_eq!(
        as_ops.code, 0,
        "the recovered token is an admin: {}",
        as_ops.stderr
    );
    let remote = via(&c, &served, &secret, &["token", "recover", "again"]);
    assert_ne!(remote.code, 0);
    assert!(
        remote.stderr.contains("--db") && remote.stderr.contains("--server"),
        "{}",
        remote.stderr
    );
    let reserved = c.run(&["token", "recover", "guard"]);
    assert_eq!(reserved.code, 2, "{}", reserved.stderr);
}

#[test]
fn a_token_may_expire_and_an_expiry_in_the_past_is_refused() {
    let c = Cutover::new();
    c.ok(&["init"]);
    c.ok(&["token", "create", "ci", "--role", "sdk", "--expires", "2h"]);
    let tokens: serde_json::Value =
        serde_json::from_str(&c.ok(&["token", "list", "--json"])).unwrap();
    let at: jiff::Timestamp = tokens[0]["expires_at"].as_str().unwrap().parse().unwrap();
    let left = at.duration_since(jiff::Timestamp::now());
    assert!(
        left > jiff::SignedDuration::from_mins(119) && left <= jiff::SignedDuration::from_mins(120),
        "{left:?}"
    );
    let late = c.run(&[
        "token",
        "create",
        "late",
        "--role",
        "sdk",
        "--expires",
        "2001-01-01",
    ]);
    assert_eq!(late.code, 1, "{}", late.stderr);
    assert!(
        late.stderr
            .contains("token expiry 2001-01-01T00:00:00Z is not after"),
        "{}",
        late.stderr
    );
    let tokens: serde_json::Value =
        serde_json::from_str(&c.ok(&["token", "list", "--json"])).unwrap();
    assert_eq!(tokens.as_array().unwrap().len(), 1, "nothing was created");
}

//! `cutover serve` as a process, and the CLI through it: the first admin token is printed once,
//! admin commands with `--server` go through the API (the token's role is enforced and its name
//! is the audit actor), and SIGTERM stops the server cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::Cutover;
use common::served::Served;

fn term(mut served: Served) -> i32 {
    let pid = served.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    served.child.wait().unwrap().code().unwrap_or(-1)
}

#[test]
fn the_cli_goes_through_the_server_with_the_token_s_role_and_name() {
    let c = Cutover::new();
    let served = c.serve(&[]);
    let admin = served
        .admin_token
        .clone()
        .expect("a new store prints its first admin token");
    let via = |token: &str, args: &[&str]| {
        let mut all = vec!["--server", served.url.as_str(), "--token", token];
        all.extend_from_slice(args);
        c.run(&all)
    };
    let created = via(
        &admin,
        &["flag", "create", "checkout", "--owner", "payments"],
    );
    assert_eq!(created.code, 0, "{}", created.stderr);
    let rolled = via(
        &admin,
        &[
            "rollout",
            "set",
            "checkout",
            "--percent",
            "12.5",
            "--expect-version",
            "1",
        ],
    );
    assert_eq!(rolled.code, 0, "{}", rolled.stderr);
    let stale = via(
        &admin,
        &[
            "rollout",
            "set",
            "checkout",
            "--percent",
            "50",
            "--expect-version",
            "1",
        ],
    );
    assert_eq!(stale.code, 1);
    assert!(stale.stderr.contains("version 2"), "{}", stale.stderr);

    let viewer = via(
        &admin,
        &[
            "token",
            "create",
            "dashboards",
            "--role",
            "viewer",
            "--json",
        ],
    );
    assert_eq!(viewer.code, 0, "{}", viewer.stderr);
    let viewer: serde_json::Value = serde_json::from_str(&viewer.stdout).unwrap();
    let viewer_token = viewer["token"].as_str().unwrap();
    let refused = via(viewer_token, &["kill", "checkout"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("403") && refused.stderr.contains("viewer"),
        "{}",
        refused.stderr
    );
    let read = via(viewer_token, &["flag", "get", "checkout", "--json"]);
    assert_eq!(read.code, 0, "{}", read.stderr);
    assert!(read.stdout.contains("12.5"));

    let audit = via(&admin, &["audit", "query", "--flag", "checkout", "--json"]);
    let entries: serde_json::Value = serde_json::from_str(&audit.stdout).unwrap();
    let actors: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(
        actors,
        ["admin", "admin"],
        "the token's name, never CUTOVER_ACTOR"
    );
    let verified = via(&admin, &["audit", "verify"]);
    assert_eq!(verified.code, 0, "{}", verified.stderr);

    let no_token = c.run(&["--server", served.url.as_str(), "flag", "list"]);
    assert_eq!(no_token.code, 1);
    assert!(no_token.stderr.contains("--token"), "{}", no_token.stderr);

    assert_eq!(term(served), 0, "SIGTERM is a clean shutdown");
    // The store file is usable locally afterwards and holds what went through the server.
    let local = c.ok(&["flag", "get", "checkout", "--json"]);
    assert!(local.contains("12.5"));
}

#[test]
fn a_second_start_on_the_same_store_prints_no_new_token() {
    let c = Cutover::new();
    let first = c.serve(&[]);
    assert!(first.admin_token.is_some());
    assert_eq!(term(first), 0);
    let second = c.serve(&[]);
    assert!(second.admin_token.is_none());
    assert_eq!(term(second), 0);
    let tokens = c.ok(&["token", "list", "--json"]);
    let tokens: serde_json::Value = serde_json::from_str(&tokens).unwrap();
    assert_eq!(tokens.as_array().unwrap().len(), 1);
    assert_eq!(tokens[0]["role"], "admin");
}

#[test]
fn a_config_file_sets_what_options_and_variables_leave_unset() {
    let c = Cutover::new();
    let config = c.write(
        "cutover.toml",
        "listen = \"127.0.0.1:0\"\nchange_rate_per_second = 1\nchange_burst = 1\n",
    );
    let served = c.serve(&["--config", config.to_str().unwrap()]);
    let (url, token) = (served.url.clone(), served.admin_token.clone().unwrap());
    let via = |args: &[&str]| {
        let mut all = vec!["--server", url.as_str(), "--token", token.as_str()];
        all.extend_from_slice(args);
        c.run(&all)
    };
    assert_eq!(via(&["flag", "create", "a"]).code, 0);
    // A burst of one: the next change within the second is refused, and the CLI waits out the
    // server's Retry-After before sending it again.
    let limited = via(&["flag", "create", "b"]);
    assert_eq!(limited.code, 0, "{}", limited.stderr);
    assert!(
        limited.stderr.contains("limits this token's change rate"),
        "{}",
        limited.stderr
    );
    served.kill_9();

    let bad = c.write("bad.toml", "listen = \"127.0.0.1:0\"\nrate = 5\n");
    let run = c.run(&["serve", "--config", bad.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("accepted keys"), "{}", run.stderr);
}

#[test]
fn the_example_config_in_deploy_is_accepted_and_names_every_key() {
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/cutover.toml");
    let c = Cutover::new();
    let served = c.serve(&["--config", example.to_str().unwrap()]);
    assert_eq!(
        term(served),
        0,
        "serve starts and stops with the example config"
    );
    // The refusal of an unknown key lists every accepted one: the example documents them all.
    let bad = c.write("bad.toml", "no_such_key = 1\n");
    let run = c.run(&["serve", "--config", bad.to_str().unwrap()]);
    let accepted = run
        .stderr
        .split("accepted keys:")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("{}", run.stderr));
    let text = std::fs::read_to_string(&example).unwrap();
    for key in accepted.split(|c: char| c == ',' || c.is_whitespace()) {
        let key = key.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
        if key.is_empty() {
            continue;
        }
        assert!(
            text.contains(&format!("{key} =")),
            "deploy/cutover.toml does not show {key}"
        );
    }
}

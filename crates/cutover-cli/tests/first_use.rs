//! The rough edges a new user meets first: output into a closed pipe, secrets in help text,
//! errors under `--json`, a server URL without its scheme, load on a flag that does not exist,
//! an import that would undo newer changes, shell completions.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::Cutover;

#[test]
fn output_into_a_closed_pipe_ends_quietly_not_with_a_panic() {
    let c = Cutover::new();
    // Enough flags that the listing outgrows the pipe's buffer.
    let flags: Vec<serde_json::Value> = (0..3000)
        .map(|i| serde_json::json!({"key": format!("flag-{i:04}"), "description": "x".repeat(40)}))
        .collect();
    let doc = c.write(
        "flags.json",
        &serde_json::json!({"flags": flags}).to_string(),
    );
    c.ok(&["import", doc.to_str().unwrap()]);
    let mut child = c
        .command(&["flag", "list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -1`: read one line, then go away.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

#[test]
fn help_never_shows_the_values_of_secret_variables() {
    let c = Cutover::new();
    let help = c.run_env(
        &["--help"],
        &[
            ("CUTOVER_POSTGRES", "postgres://u:hunter2@db/cutover"),
            ("CUTOVER_SERVER", "https://ops:sesame@cutover.example"),
            ("CUTOVER_TOKEN", "cut_notforyoureyes"),
        ],
    );
    assert_eq!(help.code, 0);
    for secret in ["hunter2", "sesame", "notforyoureyes"] {
        assert!(
            !help.stdout.contains(secret),
            "help shows {secret}:\n{}",
            help.stdout
        );
    }
    assert!(
        help.stdout.contains("CUTOVER_POSTGRES"),
        "the variable is still named"
    );
}

#[test]
fn under_json_an_error_is_a_json_object_with_a_stable_code() {
    let c = Cutover::new();
    c.ok(&["init"]);
    let run = c.run(&["--json", "flag", "get", "nope"]);
    assert_eq!(run.code, 1);
    let error: serde_json::Value = serde_json::from_str(run.stderr.trim())
        .unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {}", run.stderr));
    assert_eq!(error["error"], "not_found");
    assert!(error["message"].as_str().unwrap().contains("nope"));
}

#[test]
fn a_server_url_without_its_scheme_is_a_usage_error_that_says_so() {
    let c = Cutover::new();
    let run = c.run(&["--server", "localhost:7070", "--token", "t", "flag", "list"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("has no scheme"), "{}", run.stderr);
    assert!(
        run.stderr.contains("http://localhost:7070"),
        "{}",
        run.stderr
    );
}

#[test]
fn loadgen_refuses_a_flag_the_server_does_not_have() {
    let c = Cutover::new();
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    let run = c.run(&[
        "--server",
        &served.url,
        "--token",
        &token,
        "loadgen",
        "--flag",
        "chekout",
        "--rps",
        "10",
        "--duration",
        "1s",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("flag chekout does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_import_older_than_the_store_is_refused_unless_forced_and_a_dry_run_shows_the_diff() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    c.ok(&["stage", "set", "checkout", "canary"]);
    let exported = c.path("flags.json");
    c.ok(&["export", "--out", exported.to_str().unwrap()]);
    // Someone moves the flag on after the export...
    c.ok(&["rollout", "set", "checkout", "--percent", "40"]);
    // ...and the old file, edited, would undo it.
    let text = std::fs::read_to_string(&exported).unwrap();
    let edited = c.write(
        "edited.json",
        &text.replacen(
            "\"key\": \"checkout\"",
            "\"key\": \"checkout\",\n      \"owner\": \"payments\"",
            1,
        ),
    );
    let refused = c.run(&["import", edited.to_str().unwrap()]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("checkout (document v2, store v3)"),
        "{}",
        refused.stderr
    );
    let dry = c.ok(&["import", edited.to_str().unwrap(), "--force", "--dry-run"]);
    assert!(dry.contains("dry run: nothing was written"), "{dry}");
    assert!(
        dry.contains("rollout_percent") && dry.contains("40") && dry.contains("5"),
        "{dry}"
    );
    assert!(dry.contains("owner") && dry.contains("payments"), "{dry}");
    let flag: serde_json::Value =
        serde_json::from_str(&c.ok(&["--json", "flag", "get", "checkout"])).unwrap();
    assert_eq!(flag["rollout_percent"], 40, "a dry run writes nothing");
    c.ok(&["import", edited.to_str().unwrap(), "--force"]);
    let flag: serde_json::Value =
        serde_json::from_str(&c.ok(&["--json", "flag", "get", "checkout"])).unwrap();
    assert_eq!(
        (flag["rollout_percent"].as_u64(), flag["owner"].as_str()),
        (Some(5), Some("payments"))
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    let c = Cutover::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef cutover"),
        ("fish", "complete -c cutover"),
    ] {
        let out = c.ok(&["completions", shell]);
        assert!(
            out.contains(marker),
            "{shell}: {}",
            &out[..out.len().min(200)]
        );
        assert!(out.contains("rollout"), "{shell} completes subcommands");
    }
    let bad = c.run(&["completions", "tcsh"]);
    assert_eq!(bad.code, 2);
}

#[test]
fn the_rollout_group_says_what_it_holds() {
    let c = Cutover::new();
    let help = c.ok(&["--help"]);
    let line = help
        .lines()
        .find(|l| l.trim_start().starts_with("rollout"))
        .unwrap();
    assert!(!line.contains("Set a custom rollout percentage"), "{line}");
    assert!(line.contains("guarded rollout"), "{line}");
}

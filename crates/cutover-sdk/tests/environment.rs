//! The client reads `CUTOVER_FLAG_*` from the process environment: a variable it does not read is
//! ignored whatever its bytes, and a `CUTOVER_FLAG_*` value that is not UTF-8 is the documented
//! error naming the variable, never a panic. It reads the variables flags declare by their own
//! names too (`env: USE_ONEX_ROUTING_NODES`). The environment of a test process is its own only
//! when it is a new process, so each case runs this test binary again as a child.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
#![cfg(unix)] // non-UTF-8 environment values are built from raw bytes

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

use cutover_sdk::Client;

/// Set in the child: the path of the flag file to open offline.
const CHILD: &str = "CUTOVER_SDK_TEST_FLAG_FILE";

/// In the child: opens a client offline and prints the outcome. In the parent: nothing.
#[test]
fn child_opens_a_client_offline() {
    let Some(path) = std::env::var_os(CHILD) else {
        return;
    };
    let ctx = cutover_sdk::Context::new().with("user_id", "u1");
    match Client::offline(path) {
        Ok(client) => println!(
            "OUTCOME ok {} {}",
            client.is_new("checkout", &ctx),
            client.env_problems().join("; ")
        ),
        Err(e) => println!("OUTCOME error {e}"),
    }
}

/// Runs `child_opens_a_client_offline` in a new process with one more variable.
fn offline_with(name: &str, value: &OsStr) -> (bool, String) {
    offline_with_flags(r#"{"flags": [{"key": "checkout"}]}"#, name, value)
}

/// The same, with the flag file `flags`.
fn offline_with_flags(flags: &str, name: &str, value: &OsStr) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    std::fs::write(&path, flags).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_opens_a_client_offline", "--nocapture"])
        .env(CHILD, &path)
        .env(name, value)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let outcome = stdout
        .lines()
        .find_map(|l| l.strip_prefix("OUTCOME ").map(str::to_owned))
        .unwrap_or_else(|| {
            panic!(
                "the child gave no outcome: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    (out.status.success(), outcome)
}

#[test]
fn a_variable_the_client_does_not_read_is_ignored_whatever_its_bytes() {
    let (ok, outcome) = offline_with("UNRELATED", OsStr::from_bytes(b"caf\xe9"));
    assert!(ok && outcome.trim_end() == "ok false", "{outcome}");
}

#[test]
fn a_flag_variable_that_is_not_utf8_is_an_error_naming_it() {
    let (_, outcome) = offline_with("CUTOVER_FLAG_CHECKOUT", OsStr::from_bytes(b"caf\xe9"));
    assert!(
        outcome.starts_with("error")
            && outcome.contains("CUTOVER_FLAG_CHECKOUT")
            && outcome.contains("true, 1, yes, on"),
        "{outcome}"
    );
}

/// Requirement 000: the team's own switch, declared on the flag, decides in the process.
const ROUTING: &str = r#"{"flags": [{"key": "checkout", "env": "USE_ONEX_ROUTING_NODES"}]}"#;

#[test]
fn a_declared_switch_decides_for_its_flag() {
    let (ok, outcome) = offline_with_flags(ROUTING, "USE_ONEX_ROUTING_NODES", OsStr::new("yes"));
    assert!(ok && outcome.trim_end() == "ok true", "{outcome}");
    let (ok, outcome) = offline_with_flags(ROUTING, "USE_ONEX_ROUTING_NODES", OsStr::new("0"));
    assert!(ok && outcome.trim_end() == "ok false", "{outcome}");
    // Undeclared, the same variable does nothing.
    let (ok, outcome) = offline_with("USE_ONEX_ROUTING_NODES", OsStr::new("yes"));
    assert!(ok && outcome.trim_end() == "ok false", "{outcome}");
}

#[test]
fn a_declared_variable_with_a_bad_value_is_left_out_and_reported() {
    let (ok, outcome) = offline_with_flags(ROUTING, "USE_ONEX_ROUTING_NODES", OsStr::new("ture"));
    assert!(
        ok && outcome.starts_with("ok false ")
            && outcome.contains("USE_ONEX_ROUTING_NODES")
            && outcome.contains("\"ture\""),
        "{outcome}"
    );
    let (ok, outcome) = offline_with_flags(
        ROUTING,
        "USE_ONEX_ROUTING_NODES",
        OsStr::from_bytes(b"caf\xe9"),
    );
    assert!(
        ok && outcome.starts_with("ok false ") && outcome.contains("not valid UTF-8"),
        "{outcome}"
    );
}

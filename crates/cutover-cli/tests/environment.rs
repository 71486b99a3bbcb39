//! The process environment is read and validated before any store is opened or created: a
//! variable cutover does not read is ignored whatever bytes it holds, a bad `CUTOVER_FLAG_*`
//! value (not UTF-8 included) is the documented error naming the variable, and so is a value of
//! a `CUTOVER_*` option that is not UTF-8.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
#![cfg(unix)] // non-UTF-8 environment values are built from raw bytes

mod common;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::os::unix::ffi::OsStrExt;
use std::process::Stdio;

use common::{Cutover, Run};

const NOT_UTF8: &[u8] = b"caf\xe9";

fn run_with(c: &Cutover, args: &[&str], env: &[(&str, &OsStr)]) -> Run {
    let mut cmd = c.command(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::from(cmd.output().unwrap())
}

#[test]
fn serve_ignores_a_variable_it_does_not_read_whatever_its_bytes() {
    let c = Cutover::new();
    let mut child = c
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .env("UNRELATED", OsStr::from_bytes(NOT_UTF8))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = lines
        .map_while(Result::ok)
        .any(|line| line.starts_with("cutover listening on "));
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(
        started,
        "serve did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_flag_variable_that_is_not_utf8_is_an_error_naming_it_and_creates_no_store() {
    let c = Cutover::new();
    let bad = [("CUTOVER_FLAG_CHECKOUT", OsStr::from_bytes(NOT_UTF8))];
    let run = run_with(&c, &["serve", "--listen", "127.0.0.1:0"], &bad);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("CUTOVER_FLAG_CHECKOUT")
            && run.stderr.contains("true, 1, yes, on, false, 0, no, off"),
        "{}",
        run.stderr
    );
    assert!(
        !c.db.exists(),
        "serve created the store before reading its environment"
    );

    c.ok(&["flag", "create", "checkout"]);
    let run = run_with(&c, &["eval", "checkout", "--ctx", "user_id=u1"], &bad);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("CUTOVER_FLAG_CHECKOUT"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_bad_flag_variable_is_refused_before_the_store_is_created() {
    let c = Cutover::new();
    let maybe = [("CUTOVER_FLAG_CHECKOUT", OsStr::new("maybe"))];
    for args in [
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["eval", "checkout"][..],
    ] {
        let run = run_with(&c, args, &maybe);
        assert_eq!(run.code, 1, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("CUTOVER_FLAG_CHECKOUT") && run.stderr.contains("\"maybe\""),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!c.db.exists(), "{args:?} created the store");
    }
}

#[test]
fn an_option_variable_that_is_not_utf8_is_a_usage_error_naming_it() {
    let c = Cutover::new();
    for (var, args) in [
        ("CUTOVER_ACTOR", &["flag", "create", "checkout"][..]),
        ("CUTOVER_LISTEN", &["serve"][..]),
        ("CUTOVER_POSTGRES", &["flag", "list"][..]),
    ] {
        let run = run_with(&c, args, &[(var, OsStr::from_bytes(NOT_UTF8))]);
        assert_eq!(run.code, 2, "{var}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(var) && run.stderr.contains("UTF-8"),
            "{var}: {}",
            run.stderr
        );
        assert!(!c.db.exists(), "{var}: a store was created");
    }
}

#[test]
fn an_actor_that_cannot_be_named_is_refused_before_the_store_is_created() {
    let c = Cutover::new();
    let mut cmd = c.command(&["flag", "create", "checkout"]);
    cmd.env_remove("CUTOVER_ACTOR")
        .env("USER", OsStr::from_bytes(NOT_UTF8));
    let run = Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("USER") && run.stderr.contains("--actor"),
        "{}",
        run.stderr
    );
    assert!(
        !c.db.exists(),
        "flag create made a store it could not write to"
    );
}

//! Bad input never corrupts the store: each case exits with a clear error naming the value, and
//! the flag set and the audit log are exactly as before.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{Cutover, file_bytes};

fn seeded() -> Cutover {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    c.ok(&["rollout", "set", "checkout", "--percent", "5"]);
    c.ok(&[
        "override",
        "add",
        "checkout",
        "--attr",
        "user_id",
        "--value",
        "u1",
        "--variant",
        "new",
    ]);
    c
}

/// Runs `args`, expects `code` and every needle in stderr, and checks nothing changed.
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
fn invalid_values_are_usage_errors_naming_the_value() {
    let c = seeded();
    refused(
        &c,
        &["flag", "create", "Bad Key"],
        2,
        &["\"Bad Key\"", "a-z, 0-9"],
    );
    refused(&c, &["flag", "create", "-x"], 2, &[]);
    refused(
        &c,
        &["rollout", "set", "checkout", "--percent", "101"],
        2,
        &["\"101\"", "above 100", "0 to 100"],
    );
    refused(
        &c,
        &["rollout", "set", "checkout", "--percent", "-1"],
        2,
        &["\"-1\"", "negative"],
    );
    refused(
        &c,
        &["rollout", "set", "checkout", "--percent", "5.555"],
        2,
        &["\"5.555\"", "two decimals"],
    );
    refused(
        &c,
        &["stage", "set", "checkout", "prod"],
        2,
        &["\"prod\"", "canary, beta, production, legacy_disabled"],
    );
    refused(
        &c,
        &[
            "override",
            "add",
            "checkout",
            "--attr",
            "user_id",
            "--value",
            "u2",
            "--variant",
            "new",
            "--expires",
            "tomorrowish",
        ],
        2,
        &["\"tomorrowish\"", "RFC 3339", "7d"],
    );
    refused(
        &c,
        &[
            "override",
            "add",
            "checkout",
            "--attr",
            "user_id",
            "--value",
            "u2",
            "--variant",
            "maybe",
        ],
        2,
        &["\"maybe\"", "legacy, new"],
    );
    refused(
        &c,
        &["flag", "set", "checkout", "--scope", "tenant like acme"],
        2,
        &["\"tenant like acme\"", "not_in"],
    );
    refused(
        &c,
        &["eval", "checkout", "--ctx", "user_id"],
        2,
        &["\"user_id\"", "ATTR=VALUE"],
    );
}

#[test]
fn failures_of_the_operation_exit_1_and_change_nothing() {
    let c = seeded();
    refused(
        &c,
        &[
            "rollout",
            "set",
            "checkout",
            "--percent",
            "9",
            "--expect-version",
            "1",
        ],
        1,
        &["version 3", "expected version 1"],
    );
    refused(
        &c,
        &["rollout", "set", "nope", "--percent", "9"],
        1,
        &["flag nope does not exist"],
    );
    refused(
        &c,
        &["flag", "create", "checkout"],
        1,
        &["flag checkout already exists"],
    );
    refused(
        &c,
        &[
            "override", "remove", "checkout", "--attr", "user_id", "--value", "ghost",
        ],
        1,
        &["user_id=ghost"],
    );
    refused(
        &c,
        &[
            "override",
            "add",
            "checkout",
            "--attr",
            "user_id",
            "--value",
            "u2",
            "--variant",
            "new",
            "--expires",
            "2001-01-01",
        ],
        1,
        &["2001-01-01", "not after"],
    );
    refused(
        &c,
        &["preset", "apply", "nope"],
        1,
        &["preset nope does not exist"],
    );
    refused(
        &c,
        &["preset", "define", "p", "--flag", "ghost=on"],
        1,
        &["flag ghost does not exist"],
    );
    refused(&c, &["flag", "set", "checkout"], 1, &["nothing to change"]);
    let ok = c.run(&[
        "rollout",
        "set",
        "checkout",
        "--percent",
        "9",
        "--expect-version",
        "3",
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
}

#[test]
fn a_malformed_import_imports_nothing() {
    let c = seeded();
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "syntax.json",
            r#"{"flags": [{"key": "a"}"#,
            &["syntax.json", "EOF"],
        ),
        (
            "key.json",
            r#"{"flags": [{"key": "fine"}, {"key": "Not OK"}]}"#,
            &["\"Not OK\""],
        ),
        (
            "percent.json",
            r#"{"flags": [{"key": "fine", "rollout_percent": 150}]}"#,
            &["above 100"],
        ),
        (
            "typo.json",
            r#"{"flags": [{"key": "fine", "rollout": 5}]}"#,
            &["unknown field `rollout`"],
        ),
        (
            "dup.json",
            r#"{"flags": [{"key": "fine"}, {"key": "fine"}]}"#,
            &["flag fine appears twice"],
        ),
        (
            "dangling.json",
            r#"{"flags": [{"key": "fine"}], "presets": [{"name": "p", "entries": [{"flag": "ghost", "enabled": true}]}]}"#,
            &["ghost"],
        ),
        (
            "stage.yaml",
            "flags:\n  - key: fine\n    stage: prod\n",
            &["prod", "legacy_disabled", "line 3"],
        ),
        ("binary.json", "\u{0}\u{1}\u{2}", &["binary.json"]),
    ];
    for (name, text, needles) in cases {
        let path = c.write(name, text);
        let mut all = vec!["nothing was imported"];
        all.extend_from_slice(needles);
        refused(&c, &["import", path.to_str().unwrap(), "--prune"], 1, &all);
    }
}

#[test]
fn a_damaged_db_file_is_refused_and_left_as_it_was() {
    let c = seeded();
    let good = file_bytes(&c.db);
    let garbage: Vec<u8> = (0..9000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let truncated = good[..good.len() / 2].to_vec();
    let mut flipped = good.clone();
    flipped[18] ^= 0xff;
    let without_tokens = {
        let copy = c.path("copy.db");
        std::fs::write(&copy, &good).unwrap();
        let dropped = std::process::Command::new("sqlite3")
            .arg(&copy)
            .arg("DROP TABLE tokens")
            .status()
            .expect("the sqlite3 shell is needed by this test (Debian package sqlite3)");
        assert!(dropped.success());
        file_bytes(&copy)
    };
    for (what, bytes, needle) in [
        ("garbage", garbage, "is not a cutover store"),
        ("truncated", truncated, "truncated"),
        ("header byte 18 flipped", flipped, "is damaged"),
        ("tokens table dropped", without_tokens, "lacks table tokens"),
    ] {
        std::fs::write(&c.db, &bytes).unwrap();
        for args in [
            &["flag", "list"][..],
            &["rollout", "set", "checkout", "--percent", "1"][..],
            &["audit", "verify"][..],
        ] {
            let run = c.run(args);
            assert_eq!(run.code, 1, "{what} {args:?}: {}", run.stderr);
            assert!(
                run.stderr.contains(needle) && run.stderr.contains("cutover.db"),
                "{what}: {}",
                run.stderr
            );
            if what != "garbage" {
                assert!(
                    run.stderr.contains("nothing was changed"),
                    "{what}: {}",
                    run.stderr
                );
            }
            assert_eq!(
                file_bytes(&c.db),
                bytes,
                "{what} {args:?} modified the file"
            );
        }
    }
}

#[test]
fn the_actor_comes_from_the_environment_when_not_given() {
    let c = Cutover::new();
    let mut cmd = c.command(&["flag", "create", "f"]);
    cmd.env_remove("CUTOVER_ACTOR").env("USER", "os-user");
    assert!(cmd.status().unwrap().success());
    c.ok(&["--actor", "explicit", "kill", "f"]);
    let log = c.ok(&["--json", "audit", "query"]);
    let actors: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&log)
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actors,
        ["os-user", "explicit"],
        "CUTOVER_ACTOR must not filter audit reads"
    );
    let typed = c.ok(&["--json", "audit", "query", "--actor", "explicit"]);
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&typed)
            .unwrap()
            .len(),
        1
    );

    // No --actor, CUTOVER_ACTOR, USER or LOGNAME (a container, CI, a systemd service): the
    // account name of the process's user, as the user database has it.
    let mut nobody = c.command(&["unkill", "f"]);
    nobody.env_remove("CUTOVER_ACTOR");
    let out = nobody.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = c.ok(&["--json", "audit", "query"]);
    let last = serde_json::from_str::<Vec<serde_json::Value>>(&log).unwrap();
    assert_eq!(
        last.last().unwrap()["actor"],
        whoami::username().unwrap().as_str()
    );
}

#[test]
fn a_url_that_is_not_postgresql_is_named_without_its_password() {
    let c = Cutover::new();
    for url in [
        "mysql://admin:s3cret@db/cutover",
        "postgres://admin:s3cret@db:port/x",
    ] {
        let run = c.run(&["--postgres", url, "flag", "list"]);
        assert_eq!(run.code, 1, "{url}: {}", run.stderr);
        assert!(
            run.stderr.contains("is not a PostgreSQL URL"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("--postgres"), "{}", run.stderr);
        assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    }
}

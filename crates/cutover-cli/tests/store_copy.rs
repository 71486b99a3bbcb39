//! `cutover store copy` and `cutover store backup` through the real binary: a store copied
//! SQLite -> PostgreSQL -> SQLite verifies on each side with the same head, and a token made on
//! the source authenticates against `serve` on each copy; a target holding anything is refused
//! and left as it was; a copy that fails midway leaves the target empty; a backup taken while a
//! server applies about 100 changes a second opens, verifies, and holds a prefix of the log.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::Cutover;
use common::postgres::database;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Flags with an override, a guarded rollout running, a preset applied, a token revoked and
/// one kept (its secret returned), several changes in the log.
fn fill(c: &Cutover) -> String {
    for key in ["checkout", "search"] {
        c.ok(&["flag", "create", key]);
    }
    c.ok(&["rollout", "set", "checkout", "--percent", "12.5"]);
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
    c.ok(&[
        "rollout",
        "start",
        "search",
        "--plan",
        "5,50,100 every 10m",
        "--gate",
        "new.error_rate <= legacy.error_rate",
    ]);
    c.ok(&[
        "preset",
        "define",
        "phase1",
        "--flag",
        "checkout=production",
    ]);
    c.ok(&["preset", "apply", "phase1"]);
    c.ok(&["token", "create", "old", "--role", "viewer"]);
    c.ok(&["token", "revoke", "old"]);
    let created = json(&c.ok(&["token", "create", "ci", "--role", "operator", "--json"]));
    created["token"].as_str().unwrap().to_owned()
}

/// `audit verify --json` of the store `c` works on: it must be intact; its head hash.
fn verified_head(c: &Cutover, extra: &[&str]) -> (u64, String) {
    let mut args = extra.to_vec();
    args.extend(["audit", "verify", "--json"]);
    let report = json(&c.ok(&args));
    assert_eq!(report["intact"], true, "{report}");
    (
        report["head_id"].as_u64().unwrap(),
        report["head_hash"].as_str().unwrap().to_owned(),
    )
}

/// `serve` on the store `c` works on accepts `token` (an operator's change goes through).
fn token_works(c: &Cutover, extra: &[&str], token: &str) {
    let mut args = extra.to_vec();
    args.extend(["--listen", "127.0.0.1:0"]);
    let served = c.serve(&args);
    let via = c.run(&[
        "--server",
        served.url.as_str(),
        "--token",
        token,
        "rollout",
        "set",
        "checkout",
        "--percent",
        "20",
    ]);
    assert_eq!(via.code, 0, "{}{}", via.stdout, via.stderr);
    drop(served);
}

/// Everything the CLI shows of a store: flags and presets, the log, the tokens.
fn everything(c: &Cutover, extra: &[&str]) -> (String, String, String) {
    let with = |tail: &[&str]| {
        let mut args = extra.to_vec();
        args.extend_from_slice(tail);
        c.ok(&args)
    };
    (
        with(&["export"]),
        with(&["audit", "export"]),
        with(&["token", "list", "--json"]),
    )
}

#[test]
fn a_store_copied_into_a_new_file_verifies_with_the_same_head_and_its_tokens_work() {
    let c = Cutover::new();
    let secret = fill(&c);
    let head = verified_head(&c, &[]);
    let copy = c.path("copy.db");
    let copy_db = copy.to_str().unwrap();

    let report = json(&c.ok(&["store", "copy", "--to", copy_db, "--json"]));
    assert_eq!(report["head_id"].as_u64().unwrap(), head.0);
    assert_eq!(report["head_hash"].as_str().unwrap(), head.1);
    let rows = |table: &str| {
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == table)
            .unwrap()["rows"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        (
            rows("flags"),
            rows("overrides"),
            rows("presets"),
            rows("tokens")
        ),
        (2, 1, 1, 1)
    );
    assert_eq!(rows("audit_log"), head.0);

    let on_copy = ["--db", copy_db];
    assert_eq!(verified_head(&c, &on_copy), head);
    assert_eq!(everything(&c, &on_copy), everything(&c, &[]));
    token_works(&c, &on_copy, &secret);

    // Text output names every kind and the head on both sides.
    let again = c.path("again.db");
    let text = c.ok(&["store", "copy", "--to", again.to_str().unwrap()]);
    for part in [
        "2 flags",
        "1 override",
        "1 preset",
        "1 token",
        &head.1,
        "intact",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
}

#[test]
fn sqlite_to_postgres_to_sqlite_verifies_on_each_side_and_tokens_work() {
    let Some(db) = database("sqlite_to_postgres_to_sqlite") else {
        return;
    };
    let c = Cutover::new();
    let secret = fill(&c);
    let head = verified_head(&c, &[]);
    let original = everything(&c, &[]);

    let text = c.ok(&["store", "copy", "--to", &db.url]);
    assert!(text.contains(&head.1), "{text}");
    assert!(!text.contains(&db.url), "a URL is never printed: {text}");
    let on_pg = ["--postgres", db.url.as_str()];
    assert_eq!(verified_head(&c, &on_pg), head);
    assert_eq!(everything(&c, &on_pg), original);

    let back = c.path("back.db");
    let back_db = back.to_str().unwrap();
    c.ok(&["--postgres", &db.url, "store", "copy", "--to", back_db]);
    let on_back = ["--db", back_db];
    assert_eq!(verified_head(&c, &on_back), head);
    assert_eq!(everything(&c, &on_back), original);

    token_works(&c, &on_pg, &secret);
    token_works(&c, &on_back, &secret);
    // Each copy went on by itself from the same head.
    assert_eq!(verified_head(&c, &on_pg).0, head.0 + 1);
    assert_eq!(verified_head(&c, &on_back).0, head.0 + 1);
}

#[test]
fn a_target_that_holds_anything_is_refused_and_left_as_it_was() {
    let c = Cutover::new();
    fill(&c);
    let target = c.path("target.db");
    let target_db = target.to_str().unwrap();
    c.ok(&["--db", target_db, "flag", "create", "mine"]);
    let before = everything(&c, &["--db", target_db]);

    let refused = c.run(&["store", "copy", "--to", target_db]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    for part in ["1 flag", "1 audit entry", "nothing was copied"] {
        assert!(
            refused.stderr.contains(part),
            "{part} in {}",
            refused.stderr
        );
    }
    assert_eq!(everything(&c, &["--db", target_db]), before);
}

/// The target refuses the audit head (a trigger, as a full disk would) after the flags, presets,
/// tokens and the whole log were written: all of it is rolled back.
#[test]
fn a_copy_that_fails_midway_leaves_the_target_empty() {
    let c = Cutover::new();
    fill(&c);
    let target = c.path("target.db");
    let target_db = target.to_str().unwrap();
    c.ok(&["--db", target_db, "init"]);
    let sqlite3 = |sql: &str| {
        let out = std::process::Command::new("sqlite3")
            .arg(&target)
            .arg(sql)
            .output()
            .expect("the sqlite3 shell is needed by this test (Debian package sqlite3)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // The head is written after the whole log (the copy replaces the genesis row).
    sqlite3(
        "CREATE TRIGGER refuse BEFORE INSERT ON audit_head \
         BEGIN SELECT RAISE(ABORT, 'no room left'); END;",
    );

    let failed = c.run(&["store", "copy", "--to", target_db]);
    assert_eq!(failed.code, 1, "{}", failed.stdout);
    assert!(failed.stderr.contains("no room left"), "{}", failed.stderr);
    let report = json(&c.ok(&["--db", target_db, "audit", "verify", "--json"]));
    assert_eq!(report["entries"], 0, "{report}");
    assert_eq!(
        c.ok(&["--db", target_db, "flag", "list", "--json"]).trim(),
        "[]"
    );
    assert_eq!(
        c.ok(&["--db", target_db, "token", "list", "--json"]).trim(),
        "[]"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_100_changes_a_second_verifies_and_holds_a_prefix() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let served = c.serve(&["--change-rate", "1000", "--change-burst", "1000"]);
    let token = served.admin_token.clone().unwrap();
    let url = served.url.clone();

    let writer = tokio::spawn(async move {
        let http = reqwest::Client::new();
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        for i in 0..400u32 {
            tick.tick().await;
            // Alternating values, so every request is a change.
            let percent = if i % 2 == 0 { 10 } else { 20 };
            let answer = http
                .put(format!("{url}/api/v1/flags/checkout/rollout"))
                .bearer_auth(&token)
                .json(&serde_json::json!({ "percent": percent }))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
        }
    });
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let backup = c.path("backup.db");
    let taken = {
        let mut cmd = c.command(&["store", "backup", backup.to_str().unwrap(), "--json"]);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    };
    assert!(
        taken.status.success(),
        "{}",
        String::from_utf8_lossy(&taken.stderr)
    );
    let report = json(&String::from_utf8_lossy(&taken.stdout));
    assert_eq!(report["intact"], true, "{report}");
    writer.await.unwrap();
    drop(served);

    let on_backup = ["--db", backup.to_str().unwrap()];
    let (backup_head, _) = verified_head(&c, &on_backup);
    assert_eq!(backup_head, report["head_id"].as_u64().unwrap());
    let live = c.ok(&["audit", "export"]);
    let kept = c.ok(&["--db", backup.to_str().unwrap(), "audit", "export"]);
    let (live, kept): (Vec<&str>, Vec<&str>) = (live.lines().collect(), kept.lines().collect());
    println!("the backup holds {} of {} entries", kept.len(), live.len());
    // Taken in the middle: some changes before it, some after.
    assert!(
        kept.len() > 10 && kept.len() < live.len(),
        "{} of {}",
        kept.len(),
        live.len()
    );
    assert_eq!(
        kept,
        live[..kept.len()],
        "the backup holds a prefix of the log"
    );
}

//! Trusting the audit log, through the real binary: `audit verify` replays the log into the rows
//! and names what was changed behind cutover's back; `audit head` anchors the log and
//! `verify --expect-head` tells a rewrite from a rollback; an audit key seals the head so only
//! its holders can write; `serve` refuses a store that disagrees with its log until started
//! with `--trust-state`, which is audited. The attacker edits with the sqlite3 shell and psql.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Cutover, Run};

/// The SHA-256 of a secret the attacker knows (`echo -n cut_mallory | sha256sum`).
const KNOWN_HASH: &str = "b6043c9ef89a599af6e23b9cf286c08cebb2e71bdb2b503907112502c4060569";

fn sqlite3(c: &Cutover, sql: &str) {
    let out = Command::new("sqlite3")
        .arg(&c.db)
        .arg(sql)
        .output()
        .expect("the sqlite3 shell is needed by this test (Debian package sqlite3)");
    assert!(
        out.status.success(),
        "sqlite3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `cutover serve` that must exit by itself: killed and reported after `limit`.
fn serve_expecting_exit(c: &Cutover, extra: &[&str], limit: Duration) -> Run {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let mut child = c
        .command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "serve kept running on a store that disagrees with its log:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Run::from(child.wait_with_output().unwrap())
}

fn sigterm(mut served: common::served::Served) {
    let pid = served.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    served.child.wait().unwrap();
}

#[test]
fn verify_names_a_flag_row_edited_by_hand() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    c.ok(&["rollout", "set", "checkout", "--percent", "5"]);
    c.ok(&["audit", "verify"]);

    sqlite3(
        &c,
        "UPDATE flags SET rollout_bps = 10000 WHERE key = 'checkout'",
    );
    let run = c.run(&["audit", "verify"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("flag checkout: the row differs from the log")
            && run
                .stdout
                .contains("rollout_percent is 100 in the row, 5 in the log"),
        "{}",
        run.stdout
    );
    let report = json(&c.run(&["--json", "audit", "verify"]).stdout);
    assert_eq!(report["intact"], false, "{report}");
    assert_eq!(
        report["fault"],
        serde_json::Value::Null,
        "the chain is intact"
    );
    assert_eq!(report["state"]["findings"][0]["entity"], "flag:checkout");
    assert_eq!(report["state"]["findings"][0]["finding"], "row_differs");
}

#[test]
fn verify_names_a_token_row_inserted_with_a_known_hash() {
    let c = Cutover::new();
    c.ok(&["init"]);
    c.ok(&["token", "create", "ci", "--role", "operator"]);
    c.ok(&["audit", "verify"]);
    sqlite3(
        &c,
        &format!(
            "INSERT INTO tokens (name, role, hash, created_at, created_by) \
             VALUES ('backup', 'admin', '{KNOWN_HASH}', 1800000000000, 'tester')"
        ),
    );
    let run = c.run(&["audit", "verify"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("token backup: a row no audit entry created: inserted outside cutover"),
        "{}",
        run.stdout
    );

    // Swapping the hash of a token the log created is caught by its binding.
    let c = Cutover::new();
    c.ok(&["init"]);
    c.ok(&["token", "create", "ci", "--role", "operator"]);
    sqlite3(
        &c,
        &format!("UPDATE tokens SET hash = '{KNOWN_HASH}' WHERE name = 'ci'"),
    );
    let run = c.run(&["audit", "verify"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("token ci: the row differs"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("hash_binding"), "{}", run.stdout);
}

#[test]
fn the_head_anchors_the_log_against_a_rollback_and_a_rewrite() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let backup = c.path("backup.db");
    std::fs::copy(&c.db, &backup).unwrap();
    c.ok(&["rollout", "set", "checkout", "--percent", "5"]);

    let head = json(&c.ok(&["--json", "audit", "head"]));
    assert_eq!(head["id"], 2, "{head}");
    let hash = head["hash"].as_str().unwrap().to_owned();
    let anchor = format!("2:{hash}");
    let text = c.ok(&["audit", "head"]);
    assert!(text.contains("entry 2") && text.contains(&anchor), "{text}");

    let held = c.ok(&["audit", "verify", "--expect-head", &anchor]);
    assert!(
        held.contains("the anchored head (entry 2) is on the chain"),
        "{held}"
    );
    c.ok(&["audit", "verify", "--expect-head", &hash]);

    // Someone puts back yesterday's copy of the store: the chain verifies on its own.
    std::fs::copy(&backup, &c.db).unwrap();
    c.ok(&["audit", "verify"]);
    let rolled = c.run(&["audit", "verify", "--expect-head", &anchor]);
    assert_eq!(rolled.code, 1, "{}", rolled.stdout);
    assert!(
        rolled
            .stdout
            .contains("the log was ROLLED BACK: it ends at entry 1, before the anchored entry 2"),
        "{}",
        rolled.stdout
    );

    // Someone rebuilds the log with other actors and recomputed hashes.
    let forger = Cutover::new();
    forger.ok(&["--actor", "mallory", "flag", "create", "checkout"]);
    forger.ok(&[
        "--actor",
        "mallory",
        "rollout",
        "set",
        "checkout",
        "--percent",
        "5",
    ]);
    std::fs::copy(&forger.db, &c.db).unwrap();
    c.ok(&["audit", "verify"]);
    let rewritten = c.run(&["audit", "verify", "--expect-head", &anchor]);
    assert_eq!(rewritten.code, 1, "{}", rewritten.stdout);
    assert!(
        rewritten
            .stdout
            .contains("the log was REWRITTEN: entry 2 now has hash"),
        "{}",
        rewritten.stdout
    );
    let hash_only = c.run(&["--json", "audit", "verify", "--expect-head", &hash]);
    assert_eq!(hash_only.code, 1);
    assert_eq!(json(&hash_only.stdout)["anchor"]["anchor"], "not_on_chain");

    let bad = c.run(&["audit", "verify", "--expect-head", "12:xyz"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("64 hex digits"), "{}", bad.stderr);
}

#[test]
fn an_audit_key_seals_the_head_and_only_its_holders_may_write() {
    let c = Cutover::new();
    let key = c.write("audit.key", &format!("{}\n", "k".repeat(40)));
    let key = key.to_str().unwrap();
    let wrong = c.write("wrong.key", &"w".repeat(40));
    let wrong = wrong.to_str().unwrap();
    let with_key = |args: &[&str]| {
        let mut all = vec!["--audit-key-file", key];
        all.extend_from_slice(args);
        c.ok(&all)
    };
    with_key(&["flag", "create", "checkout"]);
    let by_env = c.run_env(
        &["rollout", "set", "checkout", "--percent", "5"],
        &[("CUTOVER_AUDIT_KEY_FILE", key)],
    );
    assert_eq!(by_env.code, 0, "{}", by_env.stderr);

    let sealed = with_key(&["audit", "verify"]);
    assert!(
        sealed.contains("the seal verifies under the key"),
        "{sealed}"
    );
    let unchecked = c.ok(&["audit", "verify"]);
    assert!(unchecked.contains("the MAC was not checked"), "{unchecked}");
    let other = c.run(&["--audit-key-file", wrong, "audit", "verify"]);
    assert_eq!(other.code, 1, "{}", other.stdout);
    assert!(
        other.stdout.contains("does not verify under this key"),
        "{}",
        other.stdout
    );

    // A process without the key may not write to a sealed store.
    let keyless = c.run(&["flag", "create", "backdoor"]);
    assert_eq!(keyless.code, 1);
    assert!(
        keyless.stderr.contains("--audit-key-file"),
        "{}",
        keyless.stderr
    );

    // The attacker strips the seal and writes with a cutover of their own: the chain and the
    // rows agree, only the key can tell.
    sqlite3(&c, "UPDATE audit_head SET seal_id = NULL, seal_mac = NULL");
    c.ok(&["flag", "create", "backdoor"]);
    c.ok(&["audit", "verify"]);
    let stripped = c.run(&["--audit-key-file", key, "audit", "verify"]);
    assert_eq!(stripped.code, 1, "{}", stripped.stdout);
    assert!(
        stripped.stdout.contains("carries no seal"),
        "{}",
        stripped.stdout
    );

    let weak = c.write("weak.key", "short");
    let refused = c.run(&[
        "--audit-key-file",
        weak.to_str().unwrap(),
        "audit",
        "verify",
    ]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("at least 32 bytes"),
        "{}",
        refused.stderr
    );
}

#[test]
fn serve_refuses_a_store_that_disagrees_with_its_log_until_told_to_trust_it() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    c.ok(&["rollout", "set", "checkout", "--percent", "5"]);
    sqlite3(
        &c,
        "UPDATE flags SET rollout_bps = 10000 WHERE key = 'checkout'",
    );

    let refused = serve_expecting_exit(&c, &[], Duration::from_secs(30));
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("flag checkout: the row differs from the log")
            && refused.stderr.contains("--trust-state"),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stdout.contains("cut_"),
        "no token is minted on a refused start"
    );

    let served = c.serve(&["--trust-state"]);
    sigterm(served);
    let trusted = json(&c.ok(&["--json", "audit", "query", "--action", "state.trust"]));
    assert_eq!(trusted.as_array().unwrap().len(), 1, "{trusted}");
    assert_eq!(trusted[0]["entity"], "flag:checkout");
    assert_eq!(trusted[0]["actor"], "tester");
    assert!(
        trusted[0]["reason"]
            .as_str()
            .unwrap()
            .contains("rollout_percent is 100 in the row"),
        "{trusted}"
    );
    c.ok(&["audit", "verify"]);
    // Trusted once, the store starts without the option.
    sigterm(c.serve(&[]));
}

#[test]
fn serve_on_postgres_refuses_a_store_that_disagrees_with_its_log() {
    let Some(db) = common::postgres::database("serve_on_postgres_refuses") else {
        return;
    };
    let c = Cutover::on_postgres(&db.url);
    c.ok(&["flag", "create", "checkout"]);
    c.ok(&["token", "create", "ci", "--role", "operator"]);
    db.sql(&format!(
        "UPDATE tokens SET hash = '{KNOWN_HASH}', role = 'admin' WHERE name = 'ci'"
    ));
    let refused = serve_expecting_exit(&c, &[], Duration::from_secs(30));
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("token ci: the row differs"),
        "{}",
        refused.stderr
    );
    let served = c.serve(&["--trust-state"]);
    sigterm(served);
    c.ok(&["audit", "verify"]);
}

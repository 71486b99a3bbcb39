//! `GET /api/v1/audit/verify` replays the log into the rows and reports what was changed behind
//! the server's back (edited with the sqlite3 shell, as an attacker would), and holds the log
//! to an anchor given as `expect_head`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::process::Command;

use common::fixture;
use cutover_core::Role;
use cutover_server::ServerConfig;

fn sqlite3(path: &std::path::Path, sql: &str) {
    let out = Command::new("sqlite3")
        .arg(path)
        .arg(sql)
        .output()
        .expect("the sqlite3 shell is needed by this test (Debian package sqlite3)");
    assert!(
        out.status.success(),
        "sqlite3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn verify_names_a_row_edited_behind_the_server_s_back() {
    let f = fixture(ServerConfig::default()).await;
    let clean = f
        .call("GET", "/api/v1/audit/verify", Some(Role::Viewer), None)
        .await;
    assert_eq!(clean.status, 200, "{}", clean.text);
    assert_eq!(clean.body["intact"], true, "{}", clean.text);

    sqlite3(
        &f.db_path(),
        "UPDATE flags SET rollout_bps = 10000 WHERE key = 'other'",
    );
    let tampered = f
        .call("GET", "/api/v1/audit/verify", Some(Role::Viewer), None)
        .await;
    assert_eq!(tampered.status, 200, "{}", tampered.text);
    assert_eq!(tampered.body["intact"], false, "{}", tampered.text);
    assert_eq!(tampered.body["fault"], serde_json::Value::Null);
    let finding = &tampered.body["state"]["findings"][0];
    assert_eq!(finding["finding"], "row_differs", "{}", tampered.text);
    assert_eq!(finding["entity"], "flag:other");
    assert_eq!(finding["fields"][0]["field"], "rollout_percent");
    assert!(
        tampered.body["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("flag other: the row differs from the log"),
        "{}",
        tampered.text
    );
}

#[tokio::test]
async fn verify_holds_the_log_to_an_anchor_given_as_expect_head() {
    let f = fixture(ServerConfig::default()).await;
    let clean = f
        .call("GET", "/api/v1/audit/verify", Some(Role::Viewer), None)
        .await;
    let head = format!(
        "{}:{}",
        clean.body["head_id"],
        clean.body["head_hash"].as_str().unwrap()
    );
    let held = f
        .call(
            "GET",
            &format!("/api/v1/audit/verify?expect_head={head}"),
            Some(Role::Viewer),
            None,
        )
        .await;
    assert_eq!(held.body["anchor"]["anchor"], "held", "{}", held.text);
    assert_eq!(held.body["intact"], true);

    let elsewhere = "ab".repeat(32);
    let missing = f
        .call(
            "GET",
            &format!("/api/v1/audit/verify?expect_head={elsewhere}"),
            Some(Role::Viewer),
            None,
        )
        .await;
    assert_eq!(missing.status, 200, "{}", missing.text);
    assert_eq!(
        missing.body["anchor"]["anchor"], "not_on_chain",
        "{}",
        missing.text
    );
    assert_eq!(missing.body["intact"], false);

    let bad = f
        .call(
            "GET",
            "/api/v1/audit/verify?expect_head=nothex",
            Some(Role::Viewer),
            None,
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("expect_head"), "{}", bad.text);
}

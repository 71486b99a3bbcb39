//! `verify` names the entry after any edit, deletion or insertion made with the sqlite3 shell.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::Path;
use std::process::Command;

use cutover_core::{ChainFault, Flag, FlagChange, FlagKey, Rollout, Timestamp};
use cutover_store::prelude::*;
use cutover_store::{ChangeMeta, SqliteStore};

const ENTRIES: u64 = 8;

async fn build(path: &Path) {
    let store = SqliteStore::open(path).await.unwrap();
    let key = FlagKey::new("checkout").unwrap();
    let meta = |s: i64| ChangeMeta {
        role: None,
        force: false,
        actor: "alice".into(),
        reason: Some("step".into()),
        at: Timestamp::from_second(1_800_000_000 + s).unwrap(),
    };
    store
        .create_flag(Flag::new(key.clone()), &meta(0))
        .await
        .unwrap();
    for i in 1..ENTRIES {
        let change = FlagChange::SetRollout {
            rollout_percent: Rollout::from_bps(i as i64 * 100).unwrap(),
        };
        store
            .change_flag(&key, None, &[change], &meta(i as i64))
            .await
            .unwrap();
    }
    assert!(store.verify_audit().await.unwrap().is_intact());
    store.close().await;
}

fn sqlite3(path: &Path, sql: &str) {
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

async fn fault_after(sql: &str) -> ChainFault {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cutover.db");
    build(&path).await;
    sqlite3(&path, sql);
    let store = SqliteStore::open(&path).await.unwrap();
    let report = store.verify_audit().await.unwrap();
    report
        .fault
        .unwrap_or_else(|| panic!("tampering went unnoticed: {sql}"))
}

#[tokio::test]
async fn every_kind_of_tampering_is_named() {
    let cases: &[(&str, ChainFault)] = &[
        (
            "UPDATE audit_log SET actor = 'mallory' WHERE id = 3",
            ChainFault::Edited { id: 3 },
        ),
        (
            "UPDATE audit_log SET reason = NULL WHERE id = 1",
            ChainFault::Edited { id: 1 },
        ),
        (
            "UPDATE audit_log SET after = replace(after, '\"rollout_percent\":5', '\"rollout_percent\":50') WHERE id = 6",
            ChainFault::Edited { id: 6 },
        ),
        (
            "UPDATE audit_log SET at = at + 1 WHERE id = 8",
            ChainFault::Edited { id: 8 },
        ),
        (
            "DELETE FROM audit_log WHERE id = 4",
            ChainFault::Missing {
                expected: 4,
                found: Some(5),
            },
        ),
        (
            "DELETE FROM audit_log WHERE id = 1",
            ChainFault::Missing {
                expected: 1,
                found: Some(2),
            },
        ),
        (
            "DELETE FROM audit_log WHERE id = 8",
            ChainFault::Missing {
                expected: 8,
                found: None,
            },
        ),
        (
            "DELETE FROM audit_log",
            ChainFault::Missing {
                expected: 1,
                found: None,
            },
        ),
        (
            "DELETE FROM audit_log WHERE id >= 6",
            ChainFault::Missing {
                expected: 6,
                found: None,
            },
        ),
        (
            "INSERT INTO audit_log SELECT 9, at, actor, action, entity, before, after, reason, hash, hash, txn FROM audit_log WHERE id = 8",
            ChainFault::Edited { id: 9 },
        ),
        (
            "UPDATE audit_log SET id = 100 WHERE id = 5",
            ChainFault::Missing {
                expected: 5,
                found: Some(6),
            },
        ),
    ];
    for (sql, expected) in cases {
        assert_eq!(&fault_after(sql).await, expected, "after: {sql}");
    }
}

#[tokio::test]
async fn the_report_names_the_entry_in_words() {
    let fault = fault_after("UPDATE audit_log SET actor = 'mallory' WHERE id = 2").await;
    assert_eq!(
        fault.to_string(),
        "entry 2 does not match its hash: it was edited or forged"
    );
}

//! A `--db` path that holds something other than a healthy cutover store is refused with a
//! clear error, and the file is left exactly as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::Path;
use std::process::Command;

use cutover_core::{Flag, FlagChange, FlagKey, Rollout, Timestamp};
use cutover_store::prelude::*;
use cutover_store::{ChangeMeta, SqliteStore, StoreError};

fn meta(second: i64) -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: "t".into(),
        reason: None,
        at: Timestamp::from_second(1_800_000_000 + second).unwrap(),
    }
}

async fn healthy_store(path: &Path, flags: usize) {
    let store = SqliteStore::open(path).await.unwrap();
    for i in 0..flags {
        let key = FlagKey::new(&format!("flag-{i}")).unwrap();
        store
            .create_flag(Flag::new(key.clone()), &meta(i as i64))
            .await
            .unwrap();
        let change = FlagChange::SetRollout {
            rollout_percent: Rollout::from_bps((i % 100) as i64).unwrap(),
        };
        store
            .change_flag(&key, None, &[change], &meta(i as i64))
            .await
            .unwrap();
    }
    store.close().await;
}

/// Opens `path` expecting a refusal; returns the message and checks the bytes did not change.
async fn refused(path: &Path) -> StoreError {
    let before = std::fs::read(path).unwrap();
    let err = SqliteStore::open(path)
        .await
        .expect_err("a damaged file must be refused");
    assert_eq!(std::fs::read(path).unwrap(), before, "the file changed");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "error must name the file: {err}"
    );
    err
}

#[tokio::test]
async fn garbage_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    std::fs::write(
        &path,
        (0..8192u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let err = refused(&path).await;
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    assert!(err.to_string().contains("SQLite file header"), "{err}");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "this is not a database\n").unwrap();
    assert!(matches!(refused(&text).await, StoreError::NotAStore { .. }));
}

#[tokio::test]
async fn a_truncated_store_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cutover.db");
    healthy_store(&path, 200).await;
    let full = std::fs::read(&path).unwrap();
    assert!(full.len() > 16_384, "the store should span several pages");
    for keep in [50, full.len() / 2, full.len() - 1] {
        std::fs::write(&path, &full[..keep]).unwrap();
        let err = refused(&path).await;
        assert!(
            matches!(err, StoreError::Corrupt { .. }),
            "truncated to {keep}: {err}"
        );
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}

#[tokio::test]
async fn a_page_of_garbage_inside_a_store_is_reported_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cutover.db");
    healthy_store(&path, 200).await;
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    for b in &mut bytes[page..page * 3] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    // Opening may or may not touch the damaged pages; using them must fail cleanly either way.
    match SqliteStore::open(&path).await {
        Err(err) => assert!(
            matches!(
                err,
                StoreError::Corrupt { .. } | StoreError::NotAStore { .. }
            ),
            "{err}"
        ),
        Ok(store) => {
            let err = store
                .flags()
                .await
                .expect_err("reading damaged pages must fail");
            assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        }
    }
}

#[tokio::test]
async fn another_programs_database_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let status = Command::new("sqlite3")
        .arg(&path)
        .arg("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'x');")
        .status()
        .expect("the sqlite3 shell is needed by this test (Debian package sqlite3)");
    assert!(status.success());
    let err = refused(&path).await;
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    assert!(err.to_string().contains("another program"), "{err}");
}

/// A 0-byte file is as likely a store truncated by a full disk or a bad copy as a placeholder:
/// it is never turned into a new store (this test said the opposite before store opening was
/// tightened), and a path with nothing there is created only when asked to.
#[tokio::test]
async fn an_empty_file_is_refused_not_made_a_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    for err in [
        SqliteStore::open(&path).await.unwrap_err(),
        SqliteStore::open_existing(&path).await.unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::EmptyFile { .. }), "{err}");
        assert!(err.to_string().contains("nothing was changed"), "{err}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), b"");

    let missing = dir.path().join("typo.db");
    let err = SqliteStore::open_existing(&missing).await.unwrap_err();
    assert!(matches!(err, StoreError::NoStore { .. }), "{err}");
    assert!(!missing.exists(), "opening an existing store created one");
    SqliteStore::open(&missing).await.unwrap().close().await;
    SqliteStore::open_existing(&missing)
        .await
        .unwrap()
        .close()
        .await;
}

/// Whatever a damaged file does, what reaches the user is one of the store's own answers, never a
/// raw database error: refused at opening (file unchanged), or every read and write either works
/// or says the file is damaged with "nothing was changed".
async fn never_a_raw_database_error(path: &Path, what: &str) {
    let before = std::fs::read(path).unwrap();
    let store = match SqliteStore::open(path).await {
        Err(err) => {
            assert!(
                matches!(
                    err,
                    StoreError::Corrupt { .. }
                        | StoreError::NotAStore { .. }
                        | StoreError::NewerSchema { .. }
                ),
                "{what}: refused with a raw error: {err}"
            );
            assert_eq!(
                std::fs::read(path).unwrap(),
                before,
                "{what}: the file changed"
            );
            return;
        }
        Ok(store) => store,
    };
    let reads = [
        store.flags().await.map(drop),
        store.tokens().await.map(drop),
        store.presets().await.map(drop),
        store.verify_audit().await.map(drop),
    ];
    let write = store
        .create_flag(
            Flag::new(FlagKey::new("after-damage").unwrap()),
            &meta(9_999),
        )
        .await
        .map(drop);
    store.close().await;
    for result in reads.into_iter().chain([write]) {
        if let Err(err) = result {
            assert!(
                matches!(err, StoreError::Corrupt { .. } | StoreError::BadRow { .. }),
                "{what}: a raw error reached the caller: {err}"
            );
            if matches!(err, StoreError::Corrupt { .. }) {
                assert!(err.to_string().contains("nothing was changed"), "{err}");
            }
        }
    }
}

#[tokio::test]
async fn a_flipped_write_version_byte_is_damage_not_a_readonly_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cutover.db");
    healthy_store(&path, 20).await;
    let good = std::fs::read(&path).unwrap();
    let mut bytes = good.clone();
    bytes[18] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let err = refused(&path).await;
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("nothing was changed"), "{err}");
}

#[tokio::test]
async fn every_flipped_header_byte_is_refused_or_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let healthy = dir.path().join("healthy.db");
    healthy_store(&healthy, 20).await;
    let good = std::fs::read(&healthy).unwrap();
    for i in 0..100 {
        let path = dir.path().join(format!("flipped-{i}.db"));
        let mut bytes = good.clone();
        bytes[i] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        never_a_raw_database_error(&path, &format!("header byte {i} flipped")).await;
    }
}

#[tokio::test]
async fn a_dropped_table_or_index_is_damage_not_a_missing_table_error() {
    let dir = tempfile::tempdir().unwrap();
    let healthy = dir.path().join("healthy.db");
    healthy_store(&healthy, 5).await;
    let tables: Vec<String> = String::from_utf8(
        Command::new("sqlite3")
            .arg(&healthy)
            .arg("SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%'")
            .output()
            .expect("the sqlite3 shell is needed by this test (Debian package sqlite3)")
            .stdout,
    )
    .unwrap()
    .lines()
    .map(str::to_owned)
    .collect();
    assert!(tables.iter().any(|t| t == "table tokens"), "{tables:?}");
    for object in &tables {
        let (kind, table) = object.split_once(' ').unwrap();
        let path = dir.path().join(format!("without-{table}.db"));
        std::fs::copy(&healthy, &path).unwrap();
        let status = Command::new("sqlite3")
            .arg(&path)
            .arg(format!("DROP {kind} {table}"))
            .status()
            .unwrap();
        assert!(status.success());
        let err = refused(&path).await;
        assert!(matches!(err, StoreError::Corrupt { .. }), "{table}: {err}");
        assert!(
            err.to_string().contains(table) && err.to_string().contains("nothing was changed"),
            "{table}: {err}"
        );
    }
}

/// A process killed right after creating a store leaves the schema in the write-ahead log and
/// zeros in the main file's header fields: that is a healthy store, not damage.
#[tokio::test]
async fn a_store_whose_schema_is_still_in_its_write_ahead_log_opens() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    let store = SqliteStore::open(&live).await.unwrap();
    let crashed = dir.path().join("crashed.db");
    // Copying the files while the store is open is what a crash leaves behind.
    for suffix in ["", "-wal"] {
        let from = format!("{}{suffix}", live.display());
        if Path::new(&from).exists() {
            std::fs::copy(&from, format!("{}{suffix}", crashed.display())).unwrap();
        }
    }
    store.close().await;
    let reopened = SqliteStore::open_existing(&crashed).await.unwrap();
    assert!(reopened.flags().await.unwrap().is_empty());
}

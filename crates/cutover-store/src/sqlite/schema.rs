//! Creating and upgrading the SQLite schema.
//!
//! Versions live in `PRAGMA user_version` and are applied inside one `BEGIN IMMEDIATE`
//! transaction, so two processes opening a new file at once cannot both apply a migration.
//! `PRAGMA application_id` marks the file as cutover's, so a SQLite database of another program
//! is refused instead of having tables added to it.

use std::time::Duration;

use sqlx::{AssertSqlSafe, Connection, SqliteConnection};

use super::classify;
use crate::StoreError;

/// "CUTO" in ASCII.
pub(super) const APPLICATION_ID: i64 = 0x4355_544f;

/// Migrations in order; version N is the N-th entry.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_tokens.sql"),
    include_str!("../../migrations/sqlite/0003_arm_metrics.sql"),
    include_str!("../../migrations/sqlite/0004_shadow_metrics.sql"),
    include_str!("../../migrations/sqlite/0005_guarded_rollouts.sql"),
    include_str!("../../migrations/sqlite/0006_custom_counters.sql"),
    // Number 8: number 7 (the audit txn column) comes from another branch and goes before it.
    include_str!("../../migrations/sqlite/0008_audit_seal.sql"),
];

pub(super) fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

async fn pragma(
    conn: &mut SqliteConnection,
    statement: &'static str,
    path: &str,
) -> Result<i64, StoreError> {
    sqlx::query_scalar::<_, i64>(statement)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| classify(e, path))
}

/// Makes sure the file is a cutover store at the latest schema, creating it if it is new.
pub(super) async fn prepare(conn: &mut SqliteConnection, path: &str) -> Result<(), StoreError> {
    let app = pragma(conn, "PRAGMA application_id", path).await?;
    let objects = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sqlite_master")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| classify(e, path))?;
    if app != APPLICATION_ID && !(app == 0 && objects == 0) {
        return Err(StoreError::NotAStore {
            path: path.to_owned(),
            why: format!(
                "it is a SQLite database of another program (application_id {app}, {objects} schema objects)"
            ),
        });
    }
    let version = pragma(conn, "PRAGMA user_version", path).await?;
    if version > latest() {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found: version,
            known: latest(),
        });
    }
    if version == latest() {
        return Ok(());
    }
    enable_wal(conn, path).await?;
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|e| classify(e, path))?;
    // Re-read under the write lock: another process may have migrated meanwhile.
    let version = pragma(&mut tx, "PRAGMA user_version", path).await?;
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        sqlx::raw_sql(*sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| classify(e, path))?;
        sqlx::query(AssertSqlSafe(format!("PRAGMA user_version = {}", i + 1)))
            .execute(&mut *tx)
            .await
            .map_err(|e| classify(e, path))?;
    }
    sqlx::query(AssertSqlSafe(format!(
        "PRAGMA application_id = {APPLICATION_ID}"
    )))
    .execute(&mut *tx)
    .await
    .map_err(|e| classify(e, path))?;
    tx.commit().await.map_err(|e| classify(e, path))
}

/// WAL lets readers (evaluation, `audit verify`) run beside a writer. Switching needs a lock the
/// busy timeout does not wait for, so a racing opener retries briefly.
async fn enable_wal(conn: &mut SqliteConnection, path: &str) -> Result<(), StoreError> {
    let mut attempts = 0;
    loop {
        match sqlx::query_scalar::<_, String>("PRAGMA journal_mode = WAL")
            .fetch_one(&mut *conn)
            .await
        {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(mode) => {
                return Err(StoreError::Corrupt {
                    path: path.to_owned(),
                    detail: format!("it refused WAL mode (journal mode {mode})"),
                });
            }
            Err(e) if attempts < 100 => {
                let _ = e;
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(classify(e, path)),
        }
    }
}

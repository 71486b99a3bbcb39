//! Creating and upgrading the SQLite schema.
//!
//! Versions live in `PRAGMA user_version` and are applied inside one `BEGIN IMMEDIATE`
//! transaction, so two processes opening a new file at once cannot both apply a migration.
//! `PRAGMA application_id` marks the file as cutover's, so a SQLite database of another program
//! is refused instead of having tables added to it.

use std::time::Duration;

use std::collections::BTreeSet;

use sqlx::{AssertSqlSafe, Connection, SqliteConnection};

use super::classify::classify;
use crate::error::StoreError;

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
    include_str!("../../migrations/sqlite/0007_audit_txn.sql"),
    include_str!("../../migrations/sqlite/0008_audit_seal.sql"),
    include_str!("../../migrations/sqlite/0009_token_expiry.sql"),
    include_str!("../../migrations/sqlite/0010_named_verdicts.sql"),
    include_str!("../../migrations/sqlite/0011_env_names.sql"),
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

/// Makes sure the file is a cutover store at the latest schema, creating it if it is new and
/// `create` allows it.
pub(super) async fn prepare(
    conn: &mut SqliteConnection,
    path: &str,
    create: bool,
) -> Result<(), StoreError> {
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
    if app == 0 && !create {
        return Err(StoreError::NotAStore {
            path: path.to_owned(),
            why: "it is a SQLite database with nothing in it yet; create a store with \
                  `cutover init`"
                .into(),
        });
    }
    let version = pragma(conn, "PRAGMA user_version", path).await?;
    if version < 0 {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: format!("its schema version (PRAGMA user_version) is {version}, below 0"),
        });
    }
    if version > latest() {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found: version,
            known: latest(),
        });
    }
    if app == APPLICATION_ID {
        check_objects(conn, path, version).await?;
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

/// Every table, index, trigger and view of a schema, and every column of its tables, as
/// "table tokens", "column tokens.role", "index audit_by_flag".
const SCHEMA_OBJECTS: &str = "\
    SELECT type || ' ' || name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' \
    UNION ALL \
    SELECT 'column ' || m.name || '.' || p.name \
    FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p \
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'";

async fn schema_objects(
    conn: &mut SqliteConnection,
    path: &str,
) -> Result<BTreeSet<String>, StoreError> {
    let names = sqlx::query_scalar::<_, String>(SCHEMA_OBJECTS)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| classify(e, path))?;
    Ok(names.into_iter().collect())
}

/// The objects the first `version` migrations create, found by running them on an in-memory
/// database, so the check follows every new migration without a list to keep up to date.
pub(super) async fn expected_objects(version: i64) -> Result<BTreeSet<String>, StoreError> {
    let memory = "the in-memory reference schema";
    let mut conn = SqliteConnection::connect("sqlite::memory:")
        .await
        .map_err(|e| classify(e, memory))?;
    for sql in MIGRATIONS
        .iter()
        .take(usize::try_from(version).unwrap_or(0))
    {
        sqlx::raw_sql(*sql)
            .execute(&mut conn)
            .await
            .map_err(|e| classify(e, memory))?;
    }
    let objects = schema_objects(&mut conn, memory).await;
    let _ = conn.close().await;
    objects
}

/// A cutover file whose schema lacks something its version has (a dropped table, a dropped
/// column) would fail later with "no such table" half-way through a command; one holding objects
/// its version does not have yet would fail in the middle of a migration. Both are damage, said
/// before anything is written.
async fn check_objects(
    conn: &mut SqliteConnection,
    path: &str,
    version: i64,
) -> Result<(), StoreError> {
    let expected = expected_objects(version).await?;
    let found = schema_objects(conn, path).await?;
    let missing: Vec<&String> = expected.difference(&found).collect();
    if !missing.is_empty() {
        // A dropped table takes its columns with it: name the table alone then.
        let tables: Vec<&String> = missing
            .iter()
            .copied()
            .filter(|m| m.starts_with("table "))
            .collect();
        let shown = if tables.is_empty() { missing } else { tables };
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: format!(
                "it lacks {}, which its schema version {version} has (dropped or edited outside \
                 cutover)",
                list(&shown)
            ),
        });
    }
    if version < latest() {
        let early: Vec<&String> = found.difference(&expected).collect();
        if !early.is_empty() {
            return Err(StoreError::Corrupt {
                path: path.to_owned(),
                detail: format!(
                    "it holds {}, which its schema version {version} does not have yet (its \
                     version was edited outside cutover)",
                    list(&early)
                ),
            });
        }
    }
    Ok(())
}

/// The first few names of a list, for a message a person reads.
fn list(names: &[&String]) -> String {
    const SHOWN: usize = 5;
    let mut text = names
        .iter()
        .take(SHOWN)
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::copy::tables::TABLES;

    /// A migration that adds a table or a column must add it to the copy too.
    #[tokio::test]
    async fn every_table_and_column_the_migrations_create_is_copied() {
        let schema = super::expected_objects(super::latest()).await.unwrap();
        let made: BTreeSet<String> = schema
            .into_iter()
            .filter(|o| o.starts_with("table ") || o.starts_with("column "))
            .collect();
        let copied: BTreeSet<String> = TABLES
            .iter()
            .flat_map(|t| {
                std::iter::once(format!("table {}", t.name)).chain(
                    t.columns
                        .iter()
                        .map(move |c| format!("column {}.{}", t.name, c.name)),
                )
            })
            .collect();
        assert_eq!(copied, made);
    }
}

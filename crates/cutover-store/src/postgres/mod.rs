//! The PostgreSQL backend: the same transaction scripts as SQLite over PostgreSQL primitives, a
//! write lock per change, and `NOTIFY` on every commit so every node of a cluster follows.

mod classify;
mod lease;
mod schema;
#[macro_use]
mod signals;

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::backend::SqlStore;
use crate::backend::{Backend, Mode, TallySql};
use crate::copy::{Column, Kind};
use crate::sql::{Args, param};
use crate::{BackupReport, ChangeSignals, GuardLease, StoreError};
use classify::{classify, without_password};

/// The advisory lock every write transaction takes first ("CUTW" in ASCII): writes are
/// serialised, as in SQLite, so the scripts' read-check-write is never raced.
const WRITE_LOCK: i64 = 0x4355_5457;

/// How long a call waits for a connection before saying the database cannot be reached.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A cutover store in a PostgreSQL database.
pub type PgStore = SqlStore<PgBackend>;

/// The PostgreSQL side of a [`PgStore`]: its connections.
#[derive(Debug)]
pub struct PgBackend {
    pool: PgPool,
}

impl SqlStore<PgBackend> {
    /// Connects to the database at `url` and brings its schema up to date, creating it in a
    /// database that has none: for the commands that create a store.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_as(url, true).await
    }

    /// Connects to a database that already holds a cutover store: one without cutover's schema
    /// is [`StoreError::NoSchema`], and no table is created in it.
    pub async fn connect_existing(url: &str) -> Result<Self, StoreError> {
        Self::connect_as(url, false).await
    }

    async fn connect_as(url: &str, create: bool) -> Result<Self, StoreError> {
        let not_a_url = |why: String| StoreError::BadUrl {
            url: without_password(url),
            why,
        };
        // sqlx ignores the scheme, so a mysql:// or sqlite:// URL would otherwise be tried as
        // PostgreSQL and fail later with a confusing login error.
        let scheme = url.split_once("://").map(|(scheme, _)| scheme);
        if !matches!(scheme, Some("postgres" | "postgresql")) {
            return Err(not_a_url(
                "it must start with postgres:// or postgresql://".into(),
            ));
        }
        let options = url
            .parse::<PgConnectOptions>()
            .map_err(|e| not_a_url(e.to_string()))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(classify)?;
        let mut conn = pool.acquire().await.map_err(classify)?;
        if !create && !schema::exists(&mut conn).await? {
            return Err(StoreError::NoSchema {
                url: without_password(url),
            });
        }
        schema::prepare(&mut conn).await?;
        drop(conn);
        Ok(SqlStore::new(PgBackend { pool }))
    }
}

#[async_trait]
impl Backend for PgBackend {
    type Db = Postgres;

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn place(&self) -> String {
        "the PostgreSQL database".to_owned()
    }

    fn classify(&self, err: sqlx::Error) -> StoreError {
        classify(err)
    }

    /// A change takes the store's advisory write lock first (the equivalent of SQLite's
    /// `BEGIN IMMEDIATE`); a read is one `REPEATABLE READ` snapshot; a tally locks the rows it
    /// merges (`FOR UPDATE`) and needs no store-wide lock.
    async fn begin(&self, mode: Mode) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(classify)?;
        let first = match mode {
            Mode::Write => Some(
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await,
            ),
            Mode::Read => Some(
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .execute(&mut *tx)
                    .await,
            ),
            Mode::Tally => None,
        };
        if let Some(done) = first {
            done.map_err(classify)?;
        }
        Ok(tx)
    }

    const ANNOUNCE: Option<&'static str> =
        Some(concat!("SELECT pg_notify('", channel!(), "', $1)"));

    fn action_prefix(sql: &mut String, args: &mut Args<Postgres>, prefix: String) {
        sql.push_str(" AND starts_with(action, ");
        param(sql, args, prefix);
        sql.push(')');
    }

    /// Each (flag, arm, window) row is created if missing, then locked, merged and written
    /// back, so concurrent uploads from many nodes add up.
    const ARM_TALLY: TallySql = TallySql {
        seed: Some(
            "INSERT INTO arm_metrics (flag, arm, window_start, calls, errors, fallbacks, retries, \
             latency) VALUES ($1, $2, $3, 0, 0, 0, 0, '{\"buckets\":[]}') ON CONFLICT DO NOTHING",
        ),
        read: "SELECT calls, errors, fallbacks, retries, latency, custom FROM arm_metrics \
               WHERE flag = $1 AND arm = $2 AND window_start = $3 FOR UPDATE",
        write: "UPDATE arm_metrics SET calls = $4, errors = $5, fallbacks = $6, retries = $7, \
                latency = $8, custom = $9 WHERE flag = $1 AND arm = $2 AND window_start = $3",
    };

    const SHADOW_TALLY: TallySql = TallySql {
        seed: Some(
            "INSERT INTO shadow_metrics (flag, window_start, counts) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        ),
        read: "SELECT counts FROM shadow_metrics WHERE flag = $1 AND window_start = $2 FOR UPDATE",
        write: "UPDATE shadow_metrics SET counts = $3 WHERE flag = $1 AND window_start = $2",
    };

    /// Integers as BIGINT (the audit head's `singleton` is INTEGER), so every integer decodes
    /// as an i64.
    fn copy_column(column: &Column) -> String {
        match column.kind {
            Kind::Int => format!("CAST({0} AS BIGINT) AS {0}", column.name),
            Kind::Bool | Kind::Text => column.name.to_owned(),
        }
    }

    /// The guard's history takes its ids from a sequence, which inserting ids does not move.
    /// `setval` is not transactional: a copy that rolls back leaves the sequence moved on,
    /// which only skips ids.
    const SETTLE: Option<&'static str> = Some(
        "SELECT setval(pg_get_serial_sequence('guard_history', 'id'), \
         COALESCE((SELECT max(id) FROM guard_history), 0) + 1, false)",
    );

    async fn change_signals(&self) -> Result<ChangeSignals, StoreError> {
        Ok(signals::listen(self.pool.clone()))
    }

    async fn guard_lease(&self) -> Result<Option<Box<dyn GuardLease>>, StoreError> {
        lease::try_lease(&self.pool).await
    }

    /// PostgreSQL has no file to copy: the backup is a store copy into a new SQLite file, from
    /// one snapshot. `pg_dump` is the database's own way (see docs/operations.md).
    async fn backup(store: &PgStore, path: &Path) -> Result<BackupReport, StoreError> {
        crate::sqlite::backup_store(store, store.key.clone(), path).await
    }
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn a_password_never_appears_in_a_shown_url() {
        for (url, shown) in [
            (
                "postgres://admin:s3cret@db:5432/cutover",
                "postgres://admin:***@db:5432/cutover",
            ),
            (
                "postgres://admin:p@ss@db/cutover?sslmode=require",
                "postgres://admin:***@db/cutover?sslmode=require",
            ),
            ("postgres://admin@db/cutover", "postgres://admin@db/cutover"),
            ("postgres://db", "postgres://db"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(without_password(url), shown, "{url}");
        }
    }

    #[tokio::test]
    async fn a_url_of_another_database_is_refused_before_connecting() {
        for url in [
            "mysql://admin:s3cret@localhost/cutover",
            "postgres://admin:s3cret@db:notaport/cutover",
            "localhost/cutover",
        ] {
            let err = super::PgStore::connect(url).await.unwrap_err().to_string();
            assert!(err.contains("postgres://user@host/db"), "{err}");
            assert!(!err.contains("s3cret"), "{err}");
        }
    }
}

//! What PostgreSQL does differently from SQLite, as the [`Backend`] the shared code runs on.

use std::path::Path;

use async_trait::async_trait;
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Transaction};

use super::classify::classify;
use super::connect::{PgBackend, PgStore};
use super::lease;
use super::signals::{self, channel};
use crate::backend::{Backend, Mode, TallySql};
use crate::copy::tables::{Column, Kind};
use crate::sql::args::{Args, param};
use crate::sqlite::backup::backup_store;
use crate::{BackupReport, ChangeSignals, GuardLease, StoreError};

/// The advisory lock every write transaction takes first ("CUTW" in ASCII): writes are
/// serialised, as in SQLite, so the scripts' read-check-write is never raced.
const WRITE_LOCK: i64 = 0x4355_5457;

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
        backup_store(store, store.key.clone(), path).await
    }
}

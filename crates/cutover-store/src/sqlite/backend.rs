//! What SQLite does differently from PostgreSQL, as the [`Backend`] the shared code runs on.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::SqlitePool;
use sqlx::{Sqlite, Transaction};

use super::backup::{BackupSource, backup};
use super::classify::classify;
use super::open::{SqliteBackend, SqliteStore};
use crate::backend::{Backend, Mode, TallySql};
use crate::copy::tables::Column;
use crate::sql::args::{Args, param};
use crate::{BackupReport, ChangeSignals, GuardLease, StoreError};

/// How often a follower of a SQLite file looks for commits made by other processes (the CLI
/// beside a running server). Commits made through this store wake followers at once.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

#[async_trait]
impl Backend for SqliteBackend {
    type Db = Sqlite;

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn place(&self) -> String {
        self.path.clone()
    }

    fn classify(&self, err: sqlx::Error) -> StoreError {
        classify(err, &self.path)
    }

    /// A change and a tally take the write lock at `BEGIN IMMEDIATE`; a read is one snapshot
    /// of the file (WAL), which writers do not wait for.
    async fn begin(&self, mode: Mode) -> Result<Transaction<'static, Sqlite>, StoreError> {
        match mode {
            Mode::Write | Mode::Tally => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Mode::Read => self.pool.begin().await,
        }
        .map_err(|e| classify(e, &self.path))
    }

    /// One process per file: nothing to tell.
    const ANNOUNCE: Option<&'static str> = None;

    fn action_prefix(sql: &mut String, args: &mut Args<Sqlite>, prefix: String) {
        sql.push_str(" AND substr(action, 1, ");
        param(sql, args, prefix.len() as i64);
        sql.push_str(") = ");
        param(sql, args, prefix);
    }

    /// Under `BEGIN IMMEDIATE` nothing else writes: read the row, then replace it.
    const ARM_TALLY: TallySql = TallySql {
        seed: None,
        read: "SELECT calls, errors, fallbacks, retries, latency, custom FROM arm_metrics \
               WHERE flag = $1 AND arm = $2 AND window_start = $3",
        write: "INSERT OR REPLACE INTO arm_metrics \
                (flag, arm, window_start, calls, errors, fallbacks, retries, latency, custom) \
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    };

    const SHADOW_TALLY: TallySql = TallySql {
        seed: None,
        read: "SELECT counts FROM shadow_metrics WHERE flag = $1 AND window_start = $2",
        write: "INSERT OR REPLACE INTO shadow_metrics (flag, window_start, counts) \
                VALUES ($1, $2, $3)",
    };

    fn copy_column(column: &Column) -> String {
        column.name.to_owned()
    }

    /// `guard_history` is AUTOINCREMENT: SQLite moves its sequence past every id inserted.
    const SETTLE: Option<&'static str> = None;

    /// SQLite has no notifications across processes, so the follower is woken whenever the
    /// audit head moved since the last look; errors (a busy file) just wait for the next tick.
    async fn change_signals(&self) -> Result<ChangeSignals, StoreError> {
        let pool = self.pool.clone();
        let head = move || {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>("SELECT last_id FROM audit_head WHERE singleton = 1")
                    .fetch_one(&pool)
                    .await
                    .ok()
            }
        };
        let start = head().await;
        let ticks = futures_util::stream::unfold((start, head), |(mut last, head)| async move {
            loop {
                tokio::time::sleep(POLL_INTERVAL).await;
                let now = head().await;
                if now.is_some() && now != last {
                    last = now;
                    return Some(((), (last, head)));
                }
            }
        });
        Ok(Box::pin(ticks))
    }

    /// One process per SQLite file, so the lease is always held (two `serve`s on one file
    /// would only race to make the same version-checked change, and one of them would be
    /// refused).
    async fn guard_lease(&self) -> Result<Option<Box<dyn GuardLease>>, StoreError> {
        Ok(Some(Box::new(SoleLease)))
    }

    async fn backup(store: &SqliteStore, path: &Path) -> Result<BackupReport, StoreError> {
        backup(BackupSource::Sqlite(store), path).await
    }
}

struct SoleLease;

#[async_trait]
impl GuardLease for SoleLease {
    async fn still_held(&mut self) -> bool {
        true
    }
}

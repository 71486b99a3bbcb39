//! The embedded backend: one SQLite file, created by the commands that create a store, nothing
//! to install.

mod backup;
mod copy;
mod file_check;
mod guard;
mod metrics;
mod schema;
mod tx;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cutover_core::{
    AuditEntry, AuditKey, Flag, FlagChange, FlagDocument, FlagKey, Preset, ShadowCounts, Timestamp,
    TokenName,
};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite};

use self::tx::SqliteTx;
use crate::row::millis;
use crate::{
    ArmFigures, ArmWindow, AuditQuery, ChangeMeta, ChangeSignals, Committed, GuardLease,
    GuardRecord, ImportReport, ShadowWindow, StoreError, StoreState, TokenRecord, script,
};

/// How often a follower of a SQLite file looks for commits made by other processes (the CLI
/// beside a running server). Commits made through this store wake followers at once.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A cutover store in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: String,
    /// Seals the audit head on every append and checks the seal on verify.
    key: Option<Arc<AuditKey>>,
}

/// A backup of a store of another backend: a store copy into a new SQLite file at `path`,
/// sealed with `key` when the store is.
pub(crate) async fn backup_store(
    source: &dyn crate::Store,
    key: Option<Arc<AuditKey>>,
    path: &Path,
) -> Result<crate::BackupReport, StoreError> {
    backup::backup(backup::BackupSource::Copy(source, key), path).await
}

/// Maps SQLite's errors to what they mean for the user: a damaged file, a busy lock, or a plain
/// database error.
pub(crate) fn classify(err: sqlx::Error, path: &str) -> StoreError {
    let code = match &err {
        sqlx::Error::Database(db) => db.code().and_then(|c| c.parse::<i64>().ok()),
        _ => None,
    };
    match code.map(|c| c & 0xff) {
        // SQLITE_CORRUPT, SQLITE_NOTADB
        Some(11 | 26) => StoreError::Corrupt {
            path: path.to_owned(),
            detail: err.to_string(),
        },
        // SQLITE_BUSY, SQLITE_LOCKED
        Some(5 | 6) => StoreError::Busy {
            seconds: BUSY_TIMEOUT.as_secs(),
        },
        _ => StoreError::Database(err),
    }
}

impl SqliteStore {
    /// Opens the store at `path`, creating it if nothing is there: for the commands that create
    /// a store (`init`, `serve`, `flag create`, `import`). A file that is not a cutover store, an
    /// empty one, a damaged one, or one from a newer cutover is refused without being modified.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_as(path.as_ref(), true).await
    }

    /// Opens the store at `path`, which must already be one: a missing path is
    /// [`StoreError::NoStore`] and nothing is created, so a typo in `--db` is not a new store.
    pub async fn open_existing(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_as(path.as_ref(), false).await
    }

    async fn open_as(path: &Path, create: bool) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        match file_check::inspect(path)? {
            file_check::FileState::Missing if !create => {
                return Err(StoreError::NoStore { path: shown });
            }
            file_check::FileState::Empty => return Err(StoreError::EmptyFile { path: shown }),
            file_check::FileState::Missing | file_check::FileState::Sqlite => {}
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(BUSY_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| classify(e, &shown))?;
        let mut conn = pool.acquire().await.map_err(|e| classify(e, &shown))?;
        schema::prepare(&mut conn, &shown, create).await?;
        drop(conn);
        Ok(SqliteStore {
            pool,
            path: shown,
            key: None,
        })
    }

    /// Seals the audit head with `key` on every append, and checks the seal on verify.
    pub fn with_audit_key(mut self, key: AuditKey) -> Self {
        self.key = Some(Arc::new(key));
        self
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Closes every connection, letting SQLite fold the write-ahead log back into the file.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin(&self) -> Result<SqliteTx, StoreError> {
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| classify(e, &self.path))?;
        Ok(SqliteTx {
            tx,
            path: self.path.clone(),
            first_entry: None,
            key: self.key.clone(),
        })
    }

    /// A read-only transaction: one consistent snapshot of the file for several queries.
    async fn begin_read(&self) -> Result<SqliteTx, StoreError> {
        let tx = self
            .pool
            .begin()
            .await
            .map_err(|e| classify(e, &self.path))?;
        Ok(SqliteTx {
            tx,
            path: self.path.clone(),
            first_entry: None,
            key: self.key.clone(),
        })
    }

    /// Commits on success; on failure the transaction is dropped, which rolls it back.
    async fn finish<T>(
        &self,
        tx: SqliteTx,
        result: Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let value = result?;
        tx.tx.commit().await.map_err(|e| classify(e, &self.path))?;
        Ok(value)
    }
}

crate::scripted::scripted_store! {
    SqliteStore {
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT id, at, actor, action, entity, before, after, reason, prev_hash, hash, txn FROM audit_log WHERE 1 = 1",
        );
        if let Some(after) = query.after_id {
            qb.push(" AND id > ")
                .push_bind(i64::try_from(after).unwrap_or(i64::MAX));
        }
        if let Some(before) = query.before_id {
            qb.push(" AND id < ")
                .push_bind(i64::try_from(before).unwrap_or(i64::MAX));
        }
        if let Some(actor) = &query.actor {
            qb.push(" AND actor = ").push_bind(actor.clone());
        }
        if let Some(flag) = &query.flag {
            qb.push(" AND entity = ").push_bind(cutover_core::AuditEntity::Flag(flag.clone()).to_string());
        }
        match query.action.as_deref().map(|a| (a, a.strip_suffix(".*"))) {
            Some((_, Some(family))) => {
                qb.push(" AND substr(action, 1, ")
                    .push_bind(family.len() as i64 + 1)
                    .push(") = ")
                    .push_bind(format!("{family}."));
            }
            Some((exact, None)) => {
                qb.push(" AND action = ").push_bind(exact.to_owned());
            }
            None => {}
        }
        if let Some(since) = query.since {
            qb.push(" AND at >= ").push_bind(millis(since));
        }
        if let Some(until) = query.until {
            qb.push(" AND at < ").push_bind(millis(until));
        }
        qb.push(if query.newest_first {
            " ORDER BY id DESC"
        } else {
            " ORDER BY id"
        });
        if let Some(limit) = query.limit {
            qb.push(" LIMIT ").push_bind(i64::from(limit));
        }
        qb.build()
            .fetch_all(&self.pool)
            .await
            .map_err(|e| classify(e, &self.path))?
            .iter()
            .map(tx::audit_from_row)
            .collect()
    }
    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        sqlx::query("SELECT name, role, hash, created_at, created_by, expires_at FROM tokens ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| classify(e, &self.path))?
            .iter()
            .map(tx::token_from_row)
            .collect()
    }
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        sqlx::query("SELECT name, role, hash, created_at, created_by, expires_at FROM tokens WHERE hash = ?1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| classify(e, &self.path))?
            .as_ref()
            .map(tx::token_from_row)
            .transpose()
    }
    async fn close(&self) {
        self.pool.close().await;
    }
    async fn copy_source(&self) -> Result<crate::CopySource, StoreError> {
        Ok(crate::CopySource(Box::new(copy::SqliteRead(self.begin_read().await?))))
    }
    async fn copy_target(&self) -> Result<crate::CopyTarget, StoreError> {
        Ok(crate::CopyTarget(Box::new(copy::SqliteWrite(self.begin().await?))))
    }
    async fn backup(&self, path: &Path) -> Result<crate::BackupReport, StoreError> {
        backup::backup(backup::BackupSource::Sqlite(self), path).await
    }
    async fn add_guard_record(&self, record: &GuardRecord) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let out = guard::add(&mut tx, record).await;
        self.finish(tx, out).await
    }
    async fn guard_history(
        &self,
        flag: &FlagKey,
        limit: u32,
    ) -> Result<Vec<GuardRecord>, StoreError> {
        let mut tx = self.begin_read().await?;
        guard::history(&mut tx, flag, limit).await
    }
    async fn guard_lease(&self) -> Result<Option<Box<dyn GuardLease>>, StoreError> {
        Ok(Some(Box::new(guard::SoleLease)))
    }
    async fn add_arm_metrics(&self, windows: &[ArmWindow]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let out = metrics::add(&mut tx, windows).await;
        self.finish(tx, out).await
    }
    async fn arm_metrics(
        &self,
        flag: &FlagKey,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<ArmFigures, StoreError> {
        let mut tx = self.begin_read().await?;
        metrics::sum(&mut tx, flag, since, until).await
    }
    async fn add_shadow_counts(&self, windows: &[ShadowWindow]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let out = metrics::add_shadow(&mut tx, windows).await;
        self.finish(tx, out).await
    }
    async fn shadow_counts(
        &self,
        flag: &FlagKey,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<ShadowCounts, StoreError> {
        let mut tx = self.begin_read().await?;
        metrics::sum_shadow(&mut tx, flag, since, until).await
    }
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
    }
}

//! The PostgreSQL backend: the same transaction scripts as SQLite over PostgreSQL primitives, a
//! write lock per change, and `NOTIFY` on every commit so every node of a cluster follows.

mod copy;
mod guard;
mod metrics;
mod schema;
mod signals;
mod tx;

use std::sync::Arc;
use std::time::Duration;

use cutover_core::{
    AuditEntry, AuditKey, Flag, FlagChange, FlagDocument, FlagKey, Preset, ShadowCounts, Timestamp,
    TokenName,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, QueryBuilder};

use self::tx::PgTx;
use crate::row::millis;
use crate::{
    ArmFigures, ArmWindow, AuditQuery, ChangeMeta, ChangeSignals, Committed, GuardLease,
    GuardRecord, ImportReport, ShadowWindow, StoreError, StoreState, TokenRecord, script,
};

/// The channel commits are announced on; the payload is the new audit id.
pub(crate) const CHANNEL: &str = "cutover_change";

/// The advisory lock every write transaction takes first ("CUTW" in ASCII): writes are
/// serialised, as in SQLite, so the scripts' read-check-write is never raced.
const WRITE_LOCK: i64 = 0x4355_5457;

/// How long a call waits for a connection before saying the database cannot be reached.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A cutover store in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Seals the audit head on every append and checks the seal on verify.
    key: Option<Arc<AuditKey>>,
}

/// Maps PostgreSQL's errors to what they mean for the user: the database cannot be reached
/// (retry later), or a plain database error.
pub(crate) fn classify(err: sqlx::Error) -> StoreError {
    let unavailable = match &err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exceptions; 57P0x: the server is shutting down or terminated us;
            // 55000: the database does not accept connections right now.
            code.starts_with("08") || code.starts_with("57P") || code == "55000"
        }),
        _ => false,
    };
    if unavailable {
        StoreError::Unavailable {
            what: format!("PostgreSQL: {err}"),
        }
    } else {
        StoreError::Database(err)
    }
}

/// The URL as it may be shown in an error: a password in it would otherwise end up on a
/// terminal or in a log.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl PgStore {
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
        Ok(PgStore { pool, key: None })
    }

    /// Seals the audit head with `key` on every append, and checks the seal on verify. Every
    /// node of a cluster needs the same key.
    pub fn with_audit_key(mut self, key: AuditKey) -> Self {
        self.key = Some(Arc::new(key));
        self
    }

    async fn begin(&self) -> Result<PgTx, StoreError> {
        let mut tx = self.pool.begin().await.map_err(classify)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        Ok(PgTx {
            tx,
            first_entry: None,
            key: self.key.clone(),
        })
    }

    /// A read-only transaction with one snapshot for all its queries.
    async fn begin_read(&self) -> Result<PgTx, StoreError> {
        let mut tx = self.pool.begin().await.map_err(classify)?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        Ok(PgTx {
            tx,
            first_entry: None,
            key: self.key.clone(),
        })
    }

    async fn finish<T>(&self, tx: PgTx, result: Result<T, StoreError>) -> Result<T, StoreError> {
        let value = result?;
        tx.tx.commit().await.map_err(classify)?;
        Ok(value)
    }
}

crate::scripted::scripted_store! {
    PgStore {
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "SELECT id, at, actor, action, entity, before, after, reason, prev_hash, hash, txn FROM audit_log WHERE TRUE",
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
                qb.push(" AND starts_with(action, ")
                    .push_bind(format!("{family}."))
                    .push(")");
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
            .map_err(classify)?
            .iter()
            .map(tx::audit_from_row)
            .collect()
    }
    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        sqlx::query("SELECT name, role, hash, created_at, created_by, expires_at FROM tokens ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(classify)?
            .iter()
            .map(tx::token_from_row)
            .collect()
    }
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        sqlx::query("SELECT name, role, hash, created_at, created_by, expires_at FROM tokens WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?
            .as_ref()
            .map(tx::token_from_row)
            .transpose()
    }
    async fn change_signals(&self) -> Result<ChangeSignals, StoreError> {
        Ok(signals::listen(self.pool.clone()))
    }
    async fn add_guard_record(&self, record: &GuardRecord) -> Result<(), StoreError> {
        guard::add(&self.pool, record).await
    }
    async fn guard_history(
        &self,
        flag: &FlagKey,
        limit: u32,
    ) -> Result<Vec<GuardRecord>, StoreError> {
        guard::history(&self.pool, flag, limit).await
    }
    async fn guard_lease(&self) -> Result<Option<Box<dyn GuardLease>>, StoreError> {
        guard::try_lease(&self.pool).await
    }
    async fn add_arm_metrics(&self, windows: &[ArmWindow]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(classify)?;
        let out = metrics::add(&mut tx, windows).await;
        let value = out?;
        tx.commit().await.map_err(classify)?;
        Ok(value)
    }
    async fn arm_metrics(
        &self,
        flag: &FlagKey,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<ArmFigures, StoreError> {
        metrics::sum(&self.pool, flag, since, until).await
    }
    async fn add_shadow_counts(&self, windows: &[ShadowWindow]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(classify)?;
        metrics::add_shadow(&mut tx, windows).await?;
        tx.commit().await.map_err(classify)
    }
    async fn shadow_counts(
        &self,
        flag: &FlagKey,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<ShadowCounts, StoreError> {
        metrics::sum_shadow(&self.pool, flag, since, until).await
    }
    async fn close(&self) {
        self.pool.close().await;
    }
    async fn copy_source(&self) -> Result<crate::CopySource, StoreError> {
        Ok(crate::CopySource(Box::new(copy::PgRead(self.begin_read().await?))))
    }
    async fn copy_target(&self) -> Result<crate::CopyTarget, StoreError> {
        Ok(crate::CopyTarget(Box::new(copy::PgWrite(self.begin().await?))))
    }
    /// PostgreSQL has no file to copy: the backup is a store copy into a new SQLite file, from
    /// one snapshot. `pg_dump` is the database's own way (see docs/operations.md).
    async fn backup(&self, path: &std::path::Path) -> Result<crate::BackupReport, StoreError> {
        crate::sqlite::backup_store(self, self.key.clone(), path).await
    }
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

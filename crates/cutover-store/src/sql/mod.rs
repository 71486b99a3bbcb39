//! The SQL both backends run, written once over sqlx's driver traits: the transaction
//! primitives (`tx.rs`), the audit and token reads, measurements, the guard's history and the
//! copy's table access. What a backend says differently lives in its [`Backend`] impl.
//!
//! Statements number their parameters `$1`, `$2`, ...: PostgreSQL's syntax, which SQLite reads
//! as the same numbered parameters.
//!
//! [`Backend`]: crate::backend::Backend

pub(crate) mod copy;
mod driver;
pub(crate) mod guard;
pub(crate) mod lookups;
pub(crate) mod metrics;
pub(crate) mod tx;

use sqlx::Database;

pub(crate) use driver::{Affected, Args, Columns, Dialect, param};
pub(crate) use tx::SqlTx;

use crate::StoreError;
use crate::backend::Backend;

/// Runs one statement on a pooled connection, outside any transaction of ours.
pub(crate) async fn execute<B: Backend>(
    backend: &B,
    sql: impl sqlx::SqlSafeStr,
    args: Args<B::Db>,
) -> Result<u64, StoreError> {
    let done = args
        .query(sql)?
        .execute(B::Db::on_pool(backend.pool()))
        .await
        .map_err(|e| backend.classify(e))?;
    Ok(done.rows())
}

/// Runs one query on a pooled connection, outside any transaction of ours.
pub(crate) async fn fetch_all<B: Backend>(
    backend: &B,
    sql: impl sqlx::SqlSafeStr,
    args: Args<B::Db>,
) -> Result<Vec<<B::Db as Database>::Row>, StoreError> {
    args.query(sql)?
        .fetch_all(B::Db::on_pool(backend.pool()))
        .await
        .map_err(|e| backend.classify(e))
}

/// Runs one query for at most one row on a pooled connection, outside any transaction of ours.
pub(crate) async fn fetch_optional<B: Backend>(
    backend: &B,
    sql: impl sqlx::SqlSafeStr,
    args: Args<B::Db>,
) -> Result<Option<<B::Db as Database>::Row>, StoreError> {
    args.query(sql)?
        .fetch_optional(B::Db::on_pool(backend.pool()))
        .await
        .map_err(|e| backend.classify(e))
}

//! Statements run on a pooled connection, outside any transaction of ours.

use sqlx::Database;

use super::args::Args;
use super::dialect::{Affected, Dialect};
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

//! Reads outside a transaction of ours, one statement each: a page of the audit log for a
//! query, and tokens for the API's authentication.

use cutover_core::AuditEntry;

use super::args::{Args, param};
use super::pooled::{fetch_all, fetch_optional};
use crate::backend::Backend;
use crate::row::{AUDIT_COLUMNS, TOKEN_COLUMNS, audit_entry, millis, token};
use crate::{AuditQuery, StoreError, TokenRecord};

pub(crate) async fn query<B: Backend>(
    backend: &B,
    query: &AuditQuery,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE 1 = 1");
    let mut args = Args::new();
    let id = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    if let Some(after) = query.after_id {
        sql.push_str(" AND id > ");
        param(&mut sql, &mut args, id(after));
    }
    if let Some(before) = query.before_id {
        sql.push_str(" AND id < ");
        param(&mut sql, &mut args, id(before));
    }
    if let Some(actor) = &query.actor {
        sql.push_str(" AND actor = ");
        param(&mut sql, &mut args, actor);
    }
    if let Some(flag) = &query.flag {
        sql.push_str(" AND entity = ");
        param(
            &mut sql,
            &mut args,
            cutover_core::AuditEntity::Flag(flag.clone()).to_string(),
        );
    }
    match query.action.as_deref().map(|a| (a, a.strip_suffix(".*"))) {
        Some((_, Some(family))) => B::action_prefix(&mut sql, &mut args, format!("{family}.")),
        Some((exact, None)) => {
            sql.push_str(" AND action = ");
            param(&mut sql, &mut args, exact);
        }
        None => {}
    }
    if let Some(since) = query.since {
        sql.push_str(" AND at >= ");
        param(&mut sql, &mut args, millis(since));
    }
    if let Some(until) = query.until {
        sql.push_str(" AND at < ");
        param(&mut sql, &mut args, millis(until));
    }
    sql.push_str(if query.newest_first {
        " ORDER BY id DESC"
    } else {
        " ORDER BY id"
    });
    if let Some(limit) = query.limit {
        sql.push_str(" LIMIT ");
        param(&mut sql, &mut args, i64::from(limit));
    }
    fetch_all(backend, sqlx::AssertSqlSafe(sql), args)
        .await?
        .iter()
        .map(audit_entry)
        .collect()
}

pub(crate) async fn tokens<B: Backend>(backend: &B) -> Result<Vec<TokenRecord>, StoreError> {
    fetch_all(
        backend,
        sqlx::AssertSqlSafe(format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY name")),
        Args::new(),
    )
    .await?
    .iter()
    .map(token)
    .collect()
}

pub(crate) async fn token_by_hash<B: Backend>(
    backend: &B,
    hash: &str,
) -> Result<Option<TokenRecord>, StoreError> {
    fetch_optional(
        backend,
        sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = $1"
        )),
        Args::new().with(hash),
    )
    .await?
    .as_ref()
    .map(token)
    .transpose()
}

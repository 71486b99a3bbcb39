//! Creating and upgrading the PostgreSQL schema.
//!
//! Versions live in `cutover_schema`; migrations run in one transaction under an advisory lock,
//! so nodes starting together on a new database do not both migrate.

use sqlx::{Connection, PgConnection};

use super::classify::classify;
use crate::error::StoreError;

/// The advisory lock key migrations hold ("CUTS" in ASCII).
const MIGRATION_LOCK: i64 = 0x4355_5453;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_tokens.sql"),
    include_str!("../../migrations/postgres/0003_arm_metrics.sql"),
    include_str!("../../migrations/postgres/0004_shadow_metrics.sql"),
    include_str!("../../migrations/postgres/0005_guarded_rollouts.sql"),
    include_str!("../../migrations/postgres/0006_custom_counters.sql"),
    include_str!("../../migrations/postgres/0007_audit_txn.sql"),
    include_str!("../../migrations/postgres/0008_audit_seal.sql"),
    include_str!("../../migrations/postgres/0009_token_expiry.sql"),
    include_str!("../../migrations/postgres/0010_named_verdicts.sql"),
    include_str!("../../migrations/postgres/0011_env_names.sql"),
];

/// Whether the database holds cutover's schema (its version table), looked up without creating
/// anything.
pub(super) async fn exists(conn: &mut PgConnection) -> Result<bool, StoreError> {
    sqlx::query_scalar::<_, bool>("SELECT to_regclass('cutover_schema') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(classify)
}

pub(super) async fn prepare(conn: &mut PgConnection) -> Result<(), StoreError> {
    let mut tx = conn.begin().await.map_err(classify)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS cutover_schema (version BIGINT NOT NULL)")
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
    let version: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM cutover_schema")
        .fetch_one(&mut *tx)
        .await
        .map_err(classify)?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::NewerSchema {
            path: "the PostgreSQL database".into(),
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        sqlx::raw_sql(*sql)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        sqlx::query("INSERT INTO cutover_schema (version) VALUES ($1)")
            .bind(i as i64 + 1)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
    }
    tx.commit().await.map_err(classify)
}

//! The guard's history in PostgreSQL, and its lease: a session advisory lock on a connection of
//! its own. When the node holding it dies, PostgreSQL ends its session and frees the lock, and
//! the next node that asks gets it.

use std::time::Duration;

use cutover_core::FlagKey;
use sqlx::{Connection, PgConnection, PgPool, Row};

use super::classify;
use crate::row::millis;
use crate::{GuardLease, GuardRecord, StoreError};

/// The advisory lock key of the guard loop ("CUTOGRD" in ASCII).
const GUARD_LOCK: i64 = 0x0043_5554_4f47_5244;

/// How long a liveness probe of the lease's connection may take before the lease is given up.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) async fn add(pool: &PgPool, r: &GuardRecord) -> Result<(), StoreError> {
    let assessment = serde_json::to_string(&r.assessment).map_err(StoreError::bad_row)?;
    sqlx::query(
        "INSERT INTO guard_history (flag, at, step, rollout_bps, action, verdict, assessment) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.flag.as_str())
    .bind(millis(r.at))
    .bind(i64::try_from(r.step).unwrap_or(i64::MAX))
    .bind(i64::from(r.rollout.bps()))
    .bind(&r.action)
    .bind(crate::row::verdict_name(r.assessment.verdict))
    .bind(assessment)
    .execute(pool)
    .await
    .map_err(classify)?;
    Ok(())
}

pub(super) async fn history(
    pool: &PgPool,
    flag: &FlagKey,
    limit: u32,
) -> Result<Vec<GuardRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT flag, at, step, rollout_bps, action, assessment FROM guard_history \
         WHERE flag = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(flag.as_str())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(classify)?;
    rows.iter()
        .map(|row| {
            crate::row::guard_record(
                row.try_get("flag").map_err(classify)?,
                row.try_get("at").map_err(classify)?,
                row.try_get("step").map_err(classify)?,
                row.try_get("rollout_bps").map_err(classify)?,
                row.try_get("action").map_err(classify)?,
                row.try_get("assessment").map_err(classify)?,
            )
        })
        .collect()
}

struct AdvisoryLease {
    conn: Option<PgConnection>,
}

pub(super) async fn try_lease(pool: &PgPool) -> Result<Option<Box<dyn GuardLease>>, StoreError> {
    // A connection of its own: the lock lives as long as this session, not a pooled one.
    let mut conn = pool.acquire().await.map_err(classify)?.detach();
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(GUARD_LOCK)
        .fetch_one(&mut conn)
        .await
        .map_err(classify)?;
    if got {
        Ok(Some(Box::new(AdvisoryLease { conn: Some(conn) })))
    } else {
        let _ = conn.close().await;
        Ok(None)
    }
}

#[async_trait::async_trait]
impl GuardLease for AdvisoryLease {
    async fn still_held(&mut self) -> bool {
        let Some(conn) = self.conn.as_mut() else {
            return false;
        };
        // The lock is the session's: while the session answers, it holds the lock.
        let alive = tokio::time::timeout(PROBE_TIMEOUT, conn.ping())
            .await
            .is_ok_and(|r| r.is_ok());
        if !alive {
            // Drop the session so the server frees the lock if it still holds it.
            self.conn = None;
        }
        alive
    }
}

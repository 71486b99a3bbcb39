//! The guard's history in SQLite, and its lease: one process per SQLite file, so the lease is
//! always held (two `serve`s on one file would only race to make the same version-checked
//! change, and one of them would be refused).

use cutover_core::FlagKey;
use sqlx::Row;

use super::tx::SqliteTx;
use crate::row::millis;
use crate::{GuardLease, GuardRecord, StoreError};

pub(super) async fn add(tx: &mut SqliteTx, r: &GuardRecord) -> Result<(), StoreError> {
    let assessment = serde_json::to_string(&r.assessment).map_err(StoreError::bad_row)?;
    sqlx::query(
        "INSERT INTO guard_history (flag, at, step, rollout_bps, action, verdict, assessment) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(r.flag.as_str())
    .bind(millis(r.at))
    .bind(i64::try_from(r.step).unwrap_or(i64::MAX))
    .bind(i64::from(r.rollout.bps()))
    .bind(&r.action)
    .bind(crate::row::verdict_name(r.assessment.verdict))
    .bind(assessment)
    .execute(&mut *tx.tx)
    .await
    .map_err(|e| tx.err(e))?;
    Ok(())
}

pub(super) async fn history(
    tx: &mut SqliteTx,
    flag: &FlagKey,
    limit: u32,
) -> Result<Vec<GuardRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT flag, at, step, rollout_bps, action, assessment FROM guard_history \
         WHERE flag = ?1 ORDER BY id DESC LIMIT ?2",
    )
    .bind(flag.as_str())
    .bind(i64::from(limit))
    .fetch_all(&mut *tx.tx)
    .await
    .map_err(|e| tx.err(e))?;
    rows.iter()
        .map(|row| {
            crate::row::guard_record(
                row.try_get("flag").map_err(|e| tx.err(e))?,
                row.try_get("at").map_err(|e| tx.err(e))?,
                row.try_get("step").map_err(|e| tx.err(e))?,
                row.try_get("rollout_bps").map_err(|e| tx.err(e))?,
                row.try_get("action").map_err(|e| tx.err(e))?,
                row.try_get("assessment").map_err(|e| tx.err(e))?,
            )
        })
        .collect()
}

pub(super) struct SoleLease;

#[async_trait::async_trait]
impl GuardLease for SoleLease {
    async fn still_held(&mut self) -> bool {
        true
    }
}

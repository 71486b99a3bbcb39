//! The rollout guard's history: one row per look of the guard at a rollout.

use cutover_core::FlagKey;

use super::args::Args;
use super::pooled::{execute, fetch_all};
use crate::backend::Backend;
use crate::row::{guard_record, millis, verdict_name};
use crate::{GuardRecord, StoreError};

pub(crate) async fn add<B: Backend>(backend: &B, r: &GuardRecord) -> Result<(), StoreError> {
    let assessment = serde_json::to_string(&r.assessment).map_err(StoreError::bad_row)?;
    execute(
        backend,
        "INSERT INTO guard_history (flag, at, step, rollout_bps, action, verdict, assessment) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        Args::new()
            .with(r.flag.as_str())
            .with(millis(r.at))
            .with(i64::try_from(r.step).unwrap_or(i64::MAX))
            .with(i64::from(r.rollout.bps()))
            .with(&r.action)
            .with(verdict_name(r.assessment.verdict))
            .with(assessment),
    )
    .await?;
    Ok(())
}

pub(crate) async fn history<B: Backend>(
    backend: &B,
    flag: &FlagKey,
    limit: u32,
) -> Result<Vec<GuardRecord>, StoreError> {
    fetch_all(
        backend,
        "SELECT flag, at, step, rollout_bps, action, assessment FROM guard_history \
         WHERE flag = $1 ORDER BY id DESC LIMIT $2",
        Args::new().with(flag.as_str()).with(i64::from(limit)),
    )
    .await?
    .iter()
    .map(guard_record)
    .collect()
}

//! Arm metrics in SQLite: read-modify-write of per-minute rows inside the write transaction, so
//! concurrent uploads add up instead of overwriting each other.

use cutover_core::{ArmCounts, FlagKey, LatencySketch, ShadowCounts, Timestamp, Variant};
use sqlx::Row;

use super::tx::SqliteTx;
use crate::row::millis;
use crate::{ArmFigures, ArmWindow, ShadowWindow, StoreError};

fn custom(json: &str) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::bad_row(format!("arm_metrics.custom: {e}")))
}

fn sketch(json: &str) -> Result<LatencySketch, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::bad_row(format!("arm_metrics.latency: {e}")))
}

pub(super) async fn add(tx: &mut SqliteTx, windows: &[ArmWindow]) -> Result<(), StoreError> {
    for w in windows {
        let arm = w.arm.as_str();
        let existing = sqlx::query(
            "SELECT calls, errors, fallbacks, retries, latency, custom FROM arm_metrics \
             WHERE flag = ?1 AND arm = ?2 AND window_start = ?3",
        )
        .bind(w.flag.as_str())
        .bind(arm)
        .bind(millis(w.start))
        .fetch_optional(&mut *tx.tx)
        .await
        .map_err(|e| tx.err(e))?;
        let mut counts = w.counts.clone();
        if let Some(row) = existing {
            let get = |c: &str| {
                row.try_get::<i64, _>(c)
                    .map(|v| u64::try_from(v).unwrap_or(0))
            };
            let latency: String = row.try_get("latency").map_err(|e| tx.err(e))?;
            let named: String = row.try_get("custom").map_err(|e| tx.err(e))?;
            counts.merge(&ArmCounts {
                calls: get("calls").map_err(|e| tx.err(e))?,
                errors: get("errors").map_err(|e| tx.err(e))?,
                fallbacks: get("fallbacks").map_err(|e| tx.err(e))?,
                retries: get("retries").map_err(|e| tx.err(e))?,
                latency: sketch(&latency)?,
                custom: custom(&named)?,
            });
        }
        let latency = serde_json::to_string(&counts.latency).map_err(StoreError::bad_row)?;
        let named = serde_json::to_string(&counts.custom).map_err(StoreError::bad_row)?;
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT OR REPLACE INTO arm_metrics \
             (flag, arm, window_start, calls, errors, fallbacks, retries, latency, custom) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(w.flag.as_str())
        .bind(arm)
        .bind(millis(w.start))
        .bind(n(counts.calls))
        .bind(n(counts.errors))
        .bind(n(counts.fallbacks))
        .bind(n(counts.retries))
        .bind(latency)
        .bind(named)
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| tx.err(e))?;
    }
    Ok(())
}

pub(super) async fn sum(
    tx: &mut SqliteTx,
    flag: &FlagKey,
    since: Timestamp,
    until: Timestamp,
) -> Result<ArmFigures, StoreError> {
    let rows = sqlx::query(
        "SELECT arm, calls, errors, fallbacks, retries, latency, custom FROM arm_metrics \
         WHERE flag = ?1 AND window_start >= ?2 AND window_start < ?3",
    )
    .bind(flag.as_str())
    .bind(millis(since))
    .bind(millis(until))
    .fetch_all(&mut *tx.tx)
    .await
    .map_err(|e| tx.err(e))?;
    let mut figures = ArmFigures::default();
    for row in rows {
        let get = |c: &str| {
            row.try_get::<i64, _>(c)
                .map(|v| u64::try_from(v).unwrap_or(0))
        };
        let arm: String = row.try_get("arm").map_err(|e| tx.err(e))?;
        let latency: String = row.try_get("latency").map_err(|e| tx.err(e))?;
        let named: String = row.try_get("custom").map_err(|e| tx.err(e))?;
        let counts = ArmCounts {
            calls: get("calls").map_err(|e| tx.err(e))?,
            errors: get("errors").map_err(|e| tx.err(e))?,
            fallbacks: get("fallbacks").map_err(|e| tx.err(e))?,
            retries: get("retries").map_err(|e| tx.err(e))?,
            latency: sketch(&latency)?,
            custom: custom(&named)?,
        };
        match arm.parse::<Variant>() {
            Ok(Variant::Legacy) => figures.legacy.merge(&counts),
            Ok(Variant::New) => figures.new.merge(&counts),
            Err(e) => return Err(StoreError::bad_row(format!("arm_metrics.arm: {e}"))),
        }
        figures.windows += 1;
    }
    Ok(figures)
}

fn shadow(json: &str) -> Result<ShadowCounts, StoreError> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::bad_row(format!("shadow_metrics.counts: {e}")))
}

pub(super) async fn add_shadow(
    tx: &mut SqliteTx,
    windows: &[ShadowWindow],
) -> Result<(), StoreError> {
    for w in windows {
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT counts FROM shadow_metrics WHERE flag = ?1 AND window_start = ?2",
        )
        .bind(w.flag.as_str())
        .bind(millis(w.start))
        .fetch_optional(&mut *tx.tx)
        .await
        .map_err(|e| tx.err(e))?;
        let mut counts = match existing {
            Some(json) => shadow(&json)?,
            None => ShadowCounts::default(),
        };
        counts.merge(&w.counts);
        let json = serde_json::to_string(&counts).map_err(StoreError::bad_row)?;
        sqlx::query(
            "INSERT OR REPLACE INTO shadow_metrics (flag, window_start, counts) VALUES (?1, ?2, ?3)",
        )
        .bind(w.flag.as_str())
        .bind(millis(w.start))
        .bind(json)
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| tx.err(e))?;
    }
    Ok(())
}

pub(super) async fn sum_shadow(
    tx: &mut SqliteTx,
    flag: &FlagKey,
    since: Timestamp,
    until: Timestamp,
) -> Result<ShadowCounts, StoreError> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT counts FROM shadow_metrics WHERE flag = ?1 AND window_start >= ?2 \
         AND window_start < ?3 ORDER BY window_start",
    )
    .bind(flag.as_str())
    .bind(millis(since))
    .bind(millis(until))
    .fetch_all(&mut *tx.tx)
    .await
    .map_err(|e| tx.err(e))?;
    let mut total = ShadowCounts::default();
    for json in rows {
        total.merge(&shadow(&json)?);
    }
    Ok(total)
}

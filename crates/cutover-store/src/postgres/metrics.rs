//! Arm metrics in PostgreSQL: each (flag, arm, minute) row is created if missing, then locked,
//! merged and written back, so concurrent uploads from many nodes add up.

use cutover_core::{ArmCounts, FlagKey, LatencySketch, ShadowCounts, Timestamp, Variant};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, Row, Transaction};

use super::classify;
use crate::row::millis;
use crate::{ArmFigures, ArmWindow, ShadowWindow, StoreError};

fn counts(row: &PgRow) -> Result<ArmCounts, StoreError> {
    let get = |c: &str| {
        row.try_get::<i64, _>(c)
            .map(|v| u64::try_from(v).unwrap_or(0))
            .map_err(classify)
    };
    let latency: String = row.try_get("latency").map_err(classify)?;
    let named: String = row.try_get("custom").map_err(classify)?;
    Ok(ArmCounts {
        custom: serde_json::from_str(&named)
            .map_err(|e| StoreError::bad_row(format!("arm_metrics.custom: {e}")))?,
        calls: get("calls")?,
        errors: get("errors")?,
        fallbacks: get("fallbacks")?,
        retries: get("retries")?,
        latency: serde_json::from_str::<LatencySketch>(&latency)
            .map_err(|e| StoreError::bad_row(format!("arm_metrics.latency: {e}")))?,
    })
}

pub(super) async fn add(
    tx: &mut Transaction<'static, Postgres>,
    windows: &[ArmWindow],
) -> Result<(), StoreError> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    for w in windows {
        sqlx::query(
            "INSERT INTO arm_metrics (flag, arm, window_start, calls, errors, fallbacks, retries, latency) \
             VALUES ($1, $2, $3, 0, 0, 0, 0, '{\"buckets\":[]}') ON CONFLICT DO NOTHING",
        )
        .bind(w.flag.as_str())
        .bind(w.arm.as_str())
        .bind(millis(w.start))
        .execute(&mut **tx)
        .await
        .map_err(classify)?;
        let row = sqlx::query(
            "SELECT calls, errors, fallbacks, retries, latency, custom FROM arm_metrics \
             WHERE flag = $1 AND arm = $2 AND window_start = $3 FOR UPDATE",
        )
        .bind(w.flag.as_str())
        .bind(w.arm.as_str())
        .bind(millis(w.start))
        .fetch_one(&mut **tx)
        .await
        .map_err(classify)?;
        let mut merged = counts(&row)?;
        merged.merge(&w.counts);
        let latency = serde_json::to_string(&merged.latency).map_err(StoreError::bad_row)?;
        let named = serde_json::to_string(&merged.custom).map_err(StoreError::bad_row)?;
        sqlx::query(
            "UPDATE arm_metrics SET calls = $4, errors = $5, fallbacks = $6, retries = $7, \
             latency = $8, custom = $9 WHERE flag = $1 AND arm = $2 AND window_start = $3",
        )
        .bind(w.flag.as_str())
        .bind(w.arm.as_str())
        .bind(millis(w.start))
        .bind(n(merged.calls))
        .bind(n(merged.errors))
        .bind(n(merged.fallbacks))
        .bind(n(merged.retries))
        .bind(latency)
        .bind(named)
        .execute(&mut **tx)
        .await
        .map_err(classify)?;
    }
    Ok(())
}

pub(super) async fn sum(
    pool: &PgPool,
    flag: &FlagKey,
    since: Timestamp,
    until: Timestamp,
) -> Result<ArmFigures, StoreError> {
    let rows = sqlx::query(
        "SELECT arm, calls, errors, fallbacks, retries, latency, custom FROM arm_metrics \
         WHERE flag = $1 AND window_start >= $2 AND window_start < $3",
    )
    .bind(flag.as_str())
    .bind(millis(since))
    .bind(millis(until))
    .fetch_all(pool)
    .await
    .map_err(classify)?;
    let mut figures = ArmFigures::default();
    for row in &rows {
        let arm: String = row.try_get("arm").map_err(classify)?;
        let c = counts(row)?;
        match arm.parse::<Variant>() {
            Ok(Variant::Legacy) => figures.legacy.merge(&c),
            Ok(Variant::New) => figures.new.merge(&c),
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
    tx: &mut Transaction<'static, Postgres>,
    windows: &[ShadowWindow],
) -> Result<(), StoreError> {
    // A new window starts from no findings (not from `{}`, which is not a ShadowCounts).
    let nothing = serde_json::to_string(&ShadowCounts::default()).map_err(StoreError::bad_row)?;
    for w in windows {
        sqlx::query(
            "INSERT INTO shadow_metrics (flag, window_start, counts) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(w.flag.as_str())
        .bind(millis(w.start))
        .bind(&nothing)
        .execute(&mut **tx)
        .await
        .map_err(classify)?;
        let json: String = sqlx::query_scalar(
            "SELECT counts FROM shadow_metrics WHERE flag = $1 AND window_start = $2 FOR UPDATE",
        )
        .bind(w.flag.as_str())
        .bind(millis(w.start))
        .fetch_one(&mut **tx)
        .await
        .map_err(classify)?;
        let mut counts = shadow(&json)?;
        counts.merge(&w.counts);
        let json = serde_json::to_string(&counts).map_err(StoreError::bad_row)?;
        sqlx::query("UPDATE shadow_metrics SET counts = $3 WHERE flag = $1 AND window_start = $2")
            .bind(w.flag.as_str())
            .bind(millis(w.start))
            .bind(json)
            .execute(&mut **tx)
            .await
            .map_err(classify)?;
    }
    Ok(())
}

pub(super) async fn sum_shadow(
    pool: &PgPool,
    flag: &FlagKey,
    since: Timestamp,
    until: Timestamp,
) -> Result<ShadowCounts, StoreError> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT counts FROM shadow_metrics WHERE flag = $1 AND window_start >= $2 \
         AND window_start < $3 ORDER BY window_start",
    )
    .bind(flag.as_str())
    .bind(millis(since))
    .bind(millis(until))
    .fetch_all(pool)
    .await
    .map_err(classify)?;
    let mut total = ShadowCounts::default();
    for json in rows {
        total.merge(&shadow(&json)?);
    }
    Ok(total)
}

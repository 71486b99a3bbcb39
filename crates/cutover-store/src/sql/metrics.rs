//! Arm metrics and shadow findings: each (flag, arm, window) row is read, merged with the
//! upload and written back inside one transaction, so concurrent uploads add up instead of
//! overwriting each other. How the row is made sure to exist, locked and written is the
//! backend's ([`TallySql`](crate::backend::TallySql)).

use cutover_core::{ArmCounts, FlagKey, ShadowCounts, Timestamp, Variant};

use super::args::Args;
use super::dialect::Columns;
use super::pooled::fetch_all;
use super::tx::SqlTx;
use crate::backend::{Backend, TallySql};
use crate::row::millis;
use crate::{ArmFigures, ArmWindow, ShadowWindow, StoreError};

fn counts(row: &impl Columns) -> Result<ArmCounts, StoreError> {
    let get = |c: &str| row.int(c).map(|v| u64::try_from(v).unwrap_or(0));
    Ok(ArmCounts {
        calls: get("calls")?,
        errors: get("errors")?,
        fallbacks: get("fallbacks")?,
        retries: get("retries")?,
        latency: serde_json::from_str(&row.text("latency")?)
            .map_err(|e| StoreError::bad_row(format!("arm_metrics.latency: {e}")))?,
        custom: serde_json::from_str(&row.text("custom")?)
            .map_err(|e| StoreError::bad_row(format!("arm_metrics.custom: {e}")))?,
    })
}

fn shadow(json: &str) -> Result<ShadowCounts, StoreError> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::bad_row(format!("shadow_metrics.counts: {e}")))
}

/// The row of a window as it is now, made sure to exist (by `seed`, bound to the window's key
/// and then `empty`, when the backend seeds rows) and locked where the backend locks rows.
async fn current<B: Backend>(
    tx: &mut SqlTx<B>,
    sql: &TallySql,
    key: impl Fn() -> Args<B::Db>,
    empty: Option<&str>,
) -> Result<Option<<B::Db as sqlx::Database>::Row>, StoreError> {
    if let Some(seed) = sql.seed {
        let args = match empty {
            Some(empty) => key().with(empty),
            None => key(),
        };
        tx.execute(seed, args).await?;
    }
    tx.fetch_optional(sql.read, key()).await
}

pub(crate) async fn add<B: Backend>(
    tx: &mut SqlTx<B>,
    windows: &[ArmWindow],
) -> Result<(), StoreError> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    for w in windows {
        let key = || {
            Args::new()
                .with(w.flag.as_str())
                .with(w.arm.as_str())
                .with(millis(w.start))
        };
        let merged = match current(tx, &B::ARM_TALLY, key, None).await? {
            Some(row) => {
                let mut merged = counts(&row)?;
                merged.merge(&w.counts);
                merged
            }
            None => w.counts.clone(),
        };
        let latency = serde_json::to_string(&merged.latency).map_err(StoreError::bad_row)?;
        let named = serde_json::to_string(&merged.custom).map_err(StoreError::bad_row)?;
        let args = key()
            .with(n(merged.calls))
            .with(n(merged.errors))
            .with(n(merged.fallbacks))
            .with(n(merged.retries))
            .with(latency)
            .with(named);
        tx.execute(B::ARM_TALLY.write, args).await?;
    }
    Ok(())
}

pub(crate) async fn sum<B: Backend>(
    backend: &B,
    flag: &FlagKey,
    since: Timestamp,
    until: Timestamp,
) -> Result<ArmFigures, StoreError> {
    let rows = fetch_all(
        backend,
        "SELECT arm, calls, errors, fallbacks, retries, latency, custom FROM arm_metrics \
         WHERE flag = $1 AND window_start >= $2 AND window_start < $3",
        Args::new()
            .with(flag.as_str())
            .with(millis(since))
            .with(millis(until)),
    )
    .await?;
    let mut figures = ArmFigures::default();
    for row in &rows {
        let arm = row.text("arm")?;
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

pub(crate) async fn add_shadow<B: Backend>(
    tx: &mut SqlTx<B>,
    windows: &[ShadowWindow],
) -> Result<(), StoreError> {
    // A new window starts from no findings (not from `{}`, which is not a ShadowCounts).
    let nothing = serde_json::to_string(&ShadowCounts::default()).map_err(StoreError::bad_row)?;
    for w in windows {
        let key = || Args::new().with(w.flag.as_str()).with(millis(w.start));
        let mut counts = match current(tx, &B::SHADOW_TALLY, key, Some(&nothing)).await? {
            Some(row) => shadow(&row.text("counts")?)?,
            None => ShadowCounts::default(),
        };
        counts.merge(&w.counts);
        let json = serde_json::to_string(&counts).map_err(StoreError::bad_row)?;
        tx.execute(B::SHADOW_TALLY.write, key().with(json)).await?;
    }
    Ok(())
}

pub(crate) async fn sum_shadow<B: Backend>(
    backend: &B,
    flag: &FlagKey,
    since: Timestamp,
    until: Timestamp,
) -> Result<ShadowCounts, StoreError> {
    let rows = fetch_all(
        backend,
        "SELECT counts FROM shadow_metrics WHERE flag = $1 AND window_start >= $2 \
         AND window_start < $3 ORDER BY window_start",
        Args::new()
            .with(flag.as_str())
            .with(millis(since))
            .with(millis(until)),
    )
    .await?;
    let mut total = ShadowCounts::default();
    for row in &rows {
        total.merge(&shadow(&row.text("counts")?)?);
    }
    Ok(total)
}

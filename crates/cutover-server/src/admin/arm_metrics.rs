//! Arm metrics: SDKs upload what each path did (`POST /api/v1/metrics`), and anyone who may read
//! flags sees the per-arm figures over a window (`GET /api/v1/flags/{key}/metrics`).

use axum::Json;
use axum::extract::{Path, State};
use cutover_core::{ArmCounts, FlagKey, MetricsBatch, ShadowCounts, Timestamp};
use cutover_store::{ArmWindow, ShadowWindow};
use serde::{Deserialize, Serialize};

use super::{Body, CallerExt, Params, flag_key};
use crate::api_error::ApiError;
use crate::prometheus::store_call;
use crate::state::AppState;

/// Counts are kept per second: a guarded step may bake for seconds, and its figures must not
/// mix with the step before.
const WINDOW_MS: i64 = 1_000;

fn second_of(at: Timestamp) -> Timestamp {
    let ms = at.as_millisecond();
    Timestamp::from_millisecond(ms - ms.rem_euclid(WINDOW_MS)).unwrap_or(at)
}

/// What an upload kept, and what it set aside.
#[derive(Serialize)]
pub(crate) struct Accepted {
    /// Arm reports kept.
    arms: usize,
    /// Shadow reports kept.
    shadows: usize,
    window_start: Timestamp,
    ignored: Ignored,
}

/// Reports for flags this node does not know (yet, or any more): set aside and counted, so an
/// SDK that learns of a flag a moment before the server does keeps the rest of its batch.
#[derive(Serialize, Default)]
pub(crate) struct Ignored {
    arms: usize,
    shadows: usize,
    /// The flags they named, each once.
    unknown_flags: std::collections::BTreeSet<String>,
}

pub(crate) async fn upload(
    State(state): State<AppState>,
    caller: CallerExt,
    Body(batch): Body<MetricsBatch>,
) -> Result<Json<Accepted>, ApiError> {
    // A budget of its own per token, apart from changes: a flood of uploads neither starves
    // the token's changes nor is starved by them.
    if let Err(retry_after) = state.upload_limiter.check(&caller.name) {
        return Err(ApiError {
            message: format!(
                "too many metric uploads for this token; retry in {retry_after} s (a node takes \
                 --upload-rate a second per token, bursts of --upload-burst)"
            ),
            ..ApiError::rate_limited(retry_after)
        });
    }
    // The guard acts on these figures: a batch that cannot be true is refused whole.
    batch.check(Timestamp::now())?;
    // A batch belongs to the second it closed in.
    let start = second_of(batch.window_end);
    let view = state.live.current();
    let mut ignored = Ignored::default();
    let mut windows = Vec::with_capacity(batch.arms.len());
    for report in batch.arms {
        let flag = FlagKey::new(&report.flag)?;
        if !view.flags.contains_key(&flag) {
            ignored.arms += 1;
            ignored.unknown_flags.insert(report.flag);
            continue;
        }
        windows.push(ArmWindow {
            flag,
            arm: report.arm,
            start,
            counts: report.counts,
        });
    }
    let mut shadows = Vec::with_capacity(batch.shadows.len());
    for report in batch.shadows {
        let flag = FlagKey::new(&report.flag)?;
        if !view.flags.contains_key(&flag) {
            ignored.shadows += 1;
            ignored.unknown_flags.insert(report.flag);
            continue;
        }
        shadows.push(ShadowWindow {
            flag,
            start,
            counts: report.counts,
        });
    }
    drop(view);
    let set_aside = (ignored.arms + ignored.shadows) as u64;
    if set_aside > 0 {
        metrics::counter!("cutover_metrics_unknown_flag_reports_total").increment(set_aside);
    }
    if !shadows.is_empty() {
        store_call(
            "add_shadow_counts",
            state.store().add_shadow_counts(&shadows),
        )
        .await?;
    }
    if batch.dropped_batches > 0 {
        metrics::counter!("cutover_sdk_dropped_metric_batches_total")
            .increment(batch.dropped_batches);
    }
    if !windows.is_empty() {
        store_call("add_arm_metrics", state.store().add_arm_metrics(&windows)).await?;
    }
    Ok(Json(Accepted {
        arms: windows.len(),
        shadows: shadows.len(),
        window_start: start,
        ignored,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Span {
    /// RFC 3339; default: 15 minutes before `until`.
    since: Option<String>,
    /// RFC 3339; default: now.
    until: Option<String>,
}

fn instant(field: &'static str, text: Option<String>) -> Result<Option<Timestamp>, ApiError> {
    text.map(|t| {
        t.parse::<Timestamp>().map_err(|e| {
            ApiError::invalid(
                field,
                format!("{field} {t:?} is not an RFC 3339 instant: {e}"),
            )
        })
    })
    .transpose()
}

/// One arm's figures as people and guards read them.
#[derive(Debug, Serialize)]
pub(crate) struct ArmSummary {
    calls: u64,
    errors: u64,
    fallbacks: u64,
    retries: u64,
    error_rate: Option<f64>,
    fallback_rate: Option<f64>,
    retry_rate: Option<f64>,
    /// Latency quantiles in milliseconds (each at most 1/32 below the true value).
    latency_ms: Option<Quantiles>,
    /// The service's own counters, by name.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    counters: std::collections::BTreeMap<String, CounterSummary>,
}

#[derive(Debug, Serialize)]
struct CounterSummary {
    count: u64,
    rate: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Quantiles {
    p50: f64,
    p90: f64,
    p95: f64,
    p99: f64,
}

fn summary(counts: &ArmCounts) -> ArmSummary {
    let q = |q: f64| counts.latency.quantile(q).map(|us| us as f64 / 1000.0);
    let latency_ms = match (q(0.5), q(0.9), q(0.95), q(0.99)) {
        (Some(p50), Some(p90), Some(p95), Some(p99)) => Some(Quantiles { p50, p90, p95, p99 }),
        _ => None,
    };
    ArmSummary {
        calls: counts.calls,
        errors: counts.errors,
        fallbacks: counts.fallbacks,
        retries: counts.retries,
        error_rate: counts.error_rate(),
        fallback_rate: counts.fallback_rate(),
        retry_rate: counts.retry_rate(),
        latency_ms,
        counters: counts
            .custom
            .iter()
            .map(|(name, n)| {
                let rate = (counts.calls > 0).then(|| *n as f64 / counts.calls as f64);
                (name.clone(), CounterSummary { count: *n, rate })
            })
            .collect(),
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct FlagMetrics {
    flag: FlagKey,
    since: Timestamp,
    until: Timestamp,
    legacy: ArmSummary,
    new: ArmSummary,
}

/// The span a read covers: `[since, until)`, 15 minutes up to now by default.
fn span_of(span: Span) -> Result<(Timestamp, Timestamp), ApiError> {
    let until = instant("until", span.until)?.unwrap_or_else(Timestamp::now);
    let since = match instant("since", span.since)? {
        Some(since) => since,
        None => until
            .checked_sub(jiff::SignedDuration::from_mins(15))
            .unwrap_or(until),
    };
    if since >= until {
        return Err(ApiError::invalid(
            "since",
            format!("since {since} is not before until {until}"),
        ));
    }
    Ok((since, until))
}

pub(crate) async fn read(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Params(span): Params<Span>,
) -> Result<Json<FlagMetrics>, ApiError> {
    let flag = flag_key(&key)?;
    let (since, until) = span_of(span)?;
    // A flag that does not exist is a 404, not a window of zeros.
    store_call("flag", state.store().flag(&flag)).await?;
    // Windows are seconds: include the one `since` falls in.
    let figures = store_call(
        "arm_metrics",
        state.store().arm_metrics(&flag, second_of(since), until),
    )
    .await?;
    Ok(Json(FlagMetrics {
        flag,
        since,
        until,
        legacy: summary(&figures.legacy),
        new: summary(&figures.new),
    }))
}

/// One field's agreement, as people read it.
#[derive(Debug, Serialize)]
struct FieldAgreement {
    #[serde(flatten)]
    counts: cutover_core::FieldTally,
    ratio: Option<f64>,
    /// 95 % Wilson interval of the ratio.
    interval95: Option<(f64, f64)>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FlagShadowReport {
    flag: FlagKey,
    since: Timestamp,
    until: Timestamp,
    fields: std::collections::BTreeMap<String, FieldAgreement>,
    #[serde(flatten)]
    counts: ShadowCounts,
}

/// What shadow runs of a flag found over a window, with per-field agreement ratios.
pub(crate) async fn read_shadow(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Params(span): Params<Span>,
) -> Result<Json<FlagShadowReport>, ApiError> {
    let flag = flag_key(&key)?;
    let (since, until) = span_of(span)?;
    store_call("flag", state.store().flag(&flag)).await?;
    let counts = store_call(
        "shadow_counts",
        state.store().shadow_counts(&flag, second_of(since), until),
    )
    .await?;
    let fields = counts
        .tally
        .fields
        .iter()
        .map(|(path, t)| {
            let agreement = FieldAgreement {
                counts: *t,
                ratio: t.ratio(),
                interval95: t.interval95(),
            };
            (path.clone(), agreement)
        })
        .collect();
    Ok(Json(FlagShadowReport {
        flag,
        since,
        until,
        fields,
        counts,
    }))
}

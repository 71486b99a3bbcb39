//! Arm metrics: SDKs upload what each path did (`POST /api/v1/metrics`), and anyone who may read
//! flags sees the per-arm figures over a span (`GET /api/v1/flags/{key}/metrics`) and what shadow
//! runs found (`GET /api/v1/flags/{key}/shadow`). The layer keeps the counts in per-second
//! windows; this file reads requests and answers.

use axum::Json;
use axum::extract::{Path, State};
use cutover_api::{Control, FlagMetrics, FlagShadowReport, MetricsSpan, UploadReport};
use cutover_core::{MetricsBatch, Timestamp};
use serde::Deserialize;

use super::{Body, CallerExt, Params, flag_key};
use crate::api_error::ApiError;
use crate::prometheus::store_call;
use crate::state::AppState;

pub(crate) async fn upload(
    State(state): State<AppState>,
    caller: CallerExt,
    Body(batch): Body<MetricsBatch>,
) -> Result<Json<UploadReport>, ApiError> {
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
    let dropped = batch.dropped_batches;
    let accepted = store_call("upload_metrics", state.control.upload_metrics(batch)).await?;
    let set_aside = (accepted.ignored.arms + accepted.ignored.shadows) as u64;
    if set_aside > 0 {
        metrics::counter!("cutover_metrics_unknown_flag_reports_total").increment(set_aside);
    }
    if dropped > 0 {
        metrics::counter!("cutover_sdk_dropped_metric_batches_total").increment(dropped);
    }
    Ok(Json(accepted))
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

fn span_of(span: Span) -> Result<MetricsSpan, ApiError> {
    // `until` is read first, as the layer judges the span from it.
    let until = instant("until", span.until)?;
    let since = instant("since", span.since)?;
    Ok(MetricsSpan { since, until })
}

pub(crate) async fn read(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Params(span): Params<Span>,
) -> Result<Json<FlagMetrics>, ApiError> {
    let flag = flag_key(&key)?;
    let span = span_of(span)?;
    Ok(Json(
        store_call("arm_metrics", state.control.arm_metrics(&flag, span)).await?,
    ))
}

/// What shadow runs of a flag found over a span, with per-field agreement ratios.
pub(crate) async fn read_shadow(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Params(span): Params<Span>,
) -> Result<Json<FlagShadowReport>, ApiError> {
    let flag = flag_key(&key)?;
    let span = span_of(span)?;
    Ok(Json(
        store_call("shadow_counts", state.control.shadow_report(&flag, span)).await?,
    ))
}

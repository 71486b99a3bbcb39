//! A flag's named verdicts over HTTP: a CI job records its outcome with one `PUT` (no CLI
//! needed), and anyone who may read sees where each verdict stands now.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use cutover_api::Control as _;
use cutover_core::duration::parse_duration;
use cutover_core::{FlagChange, Timestamp, Verdict, VerdictName, VerdictSource, shown};
use serde::Deserialize;

use super::flags::change;
use super::{Body, CallerExt, flag_key};
use crate::api_error::ApiError;
use crate::prometheus::store_call;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerdictRequest {
    passed: bool,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    details: Option<serde_json::Value>,
    /// How long it counts, in the duration grammar (`7d`, `12h`).
    #[serde(default)]
    valid_for: Option<String>,
    #[serde(default)]
    expected_version: Option<u64>,
}

pub(crate) async fn record(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path((key, name)): Path<(String, String)>,
    Body(r): Body<VerdictRequest>,
) -> Result<Response, ApiError> {
    let name = VerdictName::new(&name)?;
    // The node's clock: the application layer stamps `at` with the same clock.
    let now = Timestamp::now();
    let expires_at = match &r.valid_for {
        None => None,
        Some(text) => {
            let span = parse_duration(text)
                .ok()
                .and_then(|d| jiff::SignedDuration::try_from(d).ok())
                .and_then(|d| now.checked_add(d).ok())
                .ok_or_else(|| {
                    ApiError::invalid(
                        "valid_for",
                        format!(
                            "valid_for {text:?} is not a duration such as 7d, 12h or 90m within \
                             the years cutover counts"
                        ),
                    )
                })?;
            Some(span)
        }
    };
    let verdict = Verdict {
        passed: r.passed,
        source: VerdictSource::Recorded,
        at: now,
        by: String::new(),
        expires_at,
        url: r.url,
        details: r.details,
        golden: None,
    };
    let changes = [FlagChange::RecordVerdict { name, verdict }];
    change(
        &state,
        &caller,
        &headers,
        &key,
        r.expected_version,
        &changes,
    )
    .await
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let key = flag_key(&key)?;
    let flag = store_call("flag", state.control.flag(&key)).await?;
    let listed = serde_json::to_value(shown(&flag.verdicts, Timestamp::now()))
        .map_err(|e| ApiError::from(cutover_api::ControlError::failure("encode", e.to_string())))?;
    Ok(Json(listed))
}

//! Guarded rollouts over the API: the plan (`PUT /flags/{key}/plan`), the moves people make
//! (`POST /flags/{key}/rollout/{move}`), where a rollout stands with every gate's numbers
//! (`GET /flags/{key}/rollout`) and the guard's history (`GET /flags/{key}/rollout/history`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use cutover_api::{Control, RolloutStatus};
use cutover_core::guard::{RolloutPlan, RunMove};
use cutover_core::{FlagChange, GuardRecord};
use serde::Deserialize;

use super::flags::change;
use super::{CallerExt, Params, flag_key};
use crate::api_error::ApiError;
use crate::prometheus::store_call;
use crate::state::AppState;

fn parse_body<T: for<'de> Deserialize<'de> + Default>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(super::body_error)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanRequest {
    /// The plan, or `null` to remove it.
    plan: Option<RolloutPlan>,
    #[serde(default, deserialize_with = "cutover_core::count::optional")]
    expected_version: Option<u64>,
}

pub(crate) async fn set_plan(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    // An empty body must not remove a plan by accident: removing one says `"plan": null`.
    let sent: serde_json::Value =
        parse_body::<Option<serde_json::Value>>(&body)?.unwrap_or_default();
    if sent.get("plan").is_none() {
        return Err(ApiError::invalid(
            "plan",
            "send {\"plan\": PLAN} to set a plan, or {\"plan\": null} to remove it",
        ));
    }
    let r: PlanRequest = parse_body(&body)?;
    let changes = [FlagChange::SetPlan { plan: r.plan }];
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MoveRequest {
    /// For `start`: a plan to set first (else the flag's own).
    #[serde(default)]
    plan: Option<RolloutPlan>,
    /// For `promote`: straight to 100 %.
    #[serde(default)]
    full: bool,
    #[serde(default, deserialize_with = "cutover_core::count::optional")]
    expected_version: Option<u64>,
}

pub(crate) async fn moved(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path((key, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let r: MoveRequest = parse_body(&body)?;
    if r.full && name != "promote" {
        return Err(ApiError::invalid(
            "full",
            format!("\"full\" goes with promote only, not with {name}"),
        ));
    }
    let movement = match (name.as_str(), r.full) {
        ("start", _) => RunMove::Start,
        ("pause", _) => RunMove::Pause,
        ("resume", _) => RunMove::Resume,
        ("promote", false) => RunMove::Promote,
        ("promote", true) => RunMove::PromoteFull,
        ("abort", _) => RunMove::Abort,
        (other, _) => {
            return Err(ApiError::not_found(format!(
                "no rollout move {other:?}; accepted: start, pause, resume, promote, abort"
            )));
        }
    };
    let mut changes = Vec::new();
    if let Some(plan) = r.plan {
        if movement != RunMove::Start {
            return Err(ApiError::invalid(
                "plan",
                "a plan goes with start only; set one with PUT /flags/{key}/plan",
            ));
        }
        changes.push(FlagChange::SetPlan { plan: Some(plan) });
    }
    changes.push(FlagChange::RolloutMove { movement });
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

pub(crate) async fn status(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<RolloutStatus>, ApiError> {
    let key = flag_key(&key)?;
    let found = store_call("rollout_status", state.control.rollout_status(&key)).await?;
    Ok(Json(found))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistoryQuery {
    #[serde(default = "default_limit")]
    limit: u32,
}

fn default_limit() -> u32 {
    100
}

pub(crate) async fn history(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Params(q): Params<HistoryQuery>,
) -> Result<Json<Vec<GuardRecord>>, ApiError> {
    let key = flag_key(&key)?;
    let records = store_call("guard_history", state.control.guard_history(&key, q.limit)).await?;
    Ok(Json(records))
}

//! Overrides: force `new` or `legacy` for one value of one attribute.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use cutover_api::Control;
use cutover_core::Committed;
use cutover_core::{AttributeName, Flag, FlagChange, Override};
use serde::Deserialize;

use super::{Body, CallerExt, Params, applied, flag_key, meta};
use crate::api_error::ApiError;
use crate::prometheus::store_call;
use crate::state::AppState;

pub(crate) async fn list(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<Vec<Override>>, ApiError> {
    let key = flag_key(&key)?;
    Ok(Json(
        store_call("flag", state.control.overrides(&key)).await?,
    ))
}

async fn change(
    state: &AppState,
    caller: &CallerExt,
    headers: &HeaderMap,
    key: &str,
    change: FlagChange,
) -> Result<Response, ApiError> {
    super::flags::change(state, caller, headers, key, None, &[change]).await
}

pub(crate) async fn add(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(key): Path<String>,
    Body(rule): Body<Override>,
) -> Result<Response, ApiError> {
    change(
        &state,
        &caller,
        &headers,
        &key,
        FlagChange::AddOverride { rule },
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RemoveQuery {
    attribute: Option<String>,
    value: Option<String>,
    #[serde(default)]
    all: bool,
}

/// `?attribute=A&value=V` removes one override; `?all=true` removes every one.
pub(crate) async fn remove(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(key): Path<String>,
    Params(q): Params<RemoveQuery>,
) -> Result<Response, ApiError> {
    let change_to_make = match (q.attribute, q.value, q.all) {
        (None, None, true) => FlagChange::ClearOverrides,
        (Some(attribute), Some(value), false) => FlagChange::RemoveOverride {
            attribute: AttributeName::new(&attribute)?,
            value,
        },
        _ => {
            // Each parameter read; together they ask for nothing or for two things: a 422
            // about the combination, as for any value the document admits and a rule refuses.
            return Err(ApiError::invalid(
                "all",
                "say which overrides to remove: ?attribute=A&value=V for one, or ?all=true for every one",
            ));
        }
    };
    change(&state, &caller, &headers, &key, change_to_make).await
}

/// Removes expired overrides from every flag, auditing each flag it touches.
pub(crate) async fn sweep(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
) -> Result<Json<Vec<Committed<Flag>>>, ApiError> {
    let meta = meta(&caller, &headers)?;
    let done = store_call("sweep", state.control.sweep_expired_overrides(&meta)).await?;
    if done.iter().any(|c| c.changed()) {
        applied(&state).await;
    }
    Ok(Json(done))
}

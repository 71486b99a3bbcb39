//! Presets: named sets of flag states applied together (the phases of a migration).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use cutover_api::Control;
use cutover_core::Committed;
use cutover_core::{Flag, FlagKey, Preset};

use super::{Body, CallerExt, applied, committed, meta};
use crate::api_error::ApiError;
use crate::prometheus::store_call;
use crate::state::AppState;

pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<Vec<Preset>>, ApiError> {
    Ok(Json(store_call("presets", state.control.presets()).await?))
}

fn preset_name(name: &str) -> Result<FlagKey, ApiError> {
    FlagKey::new(name).map_err(|e| ApiError {
        field: Some("name".into()),
        ..ApiError::from(e)
    })
}

/// Creates or replaces the preset named in the path; the body is the preset.
pub(crate) async fn define(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(name): Path<String>,
    Body(preset): Body<Preset>,
) -> Result<Response, ApiError> {
    let name = preset_name(&name)?;
    if preset.name != name {
        return Err(ApiError::invalid(
            "name",
            format!(
                "the path names preset {name} but the body names {}",
                preset.name
            ),
        ));
    }
    let meta = meta(&caller, &headers)?;
    let done = store_call("define_preset", state.control.define_preset(preset, &meta)).await?;
    Ok(committed(&done))
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let name = preset_name(&name)?;
    let meta = meta(&caller, &headers)?;
    let done = store_call("delete_preset", state.control.delete_preset(&name, &meta)).await?;
    Ok(committed(&done))
}

/// Applies every entry of the preset in one transaction; answers with each flag after it and
/// the audit entry that recorded it (none when the flag was already so).
pub(crate) async fn apply(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<Vec<Committed<Flag>>>, ApiError> {
    let name = preset_name(&name)?;
    let meta = meta(&caller, &headers)?;
    if let Some(retry_after) = caller.over_budget {
        // Out of budget, a preset that only moves its flags towards legacy (a "legacy" phase)
        // still applies: it is how a team steps back in an emergency.
        let presets = store_call("presets", state.control.presets()).await?;
        let retreat = presets
            .iter()
            .find(|p| p.name == name)
            .is_some_and(|preset| {
                preset.entries.iter().all(|entry| {
                    crate::admin::flags::retreats(&state, &entry.flag, &entry.changes(), meta.at)
                })
            });
        if !retreat {
            return Err(ApiError::rate_limited(retry_after));
        }
    }
    let done = store_call("apply_preset", state.control.apply_preset(&name, &meta)).await?;
    applied(&state).await;
    Ok(Json(done))
}

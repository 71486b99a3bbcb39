//! Flags: list, create, read, reshape, delete, and the moves of a cutover (rollout, stage, kill).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cutover_api::Control;
use cutover_control::requested;
use cutover_core::{
    AttributeName, Capability, Constraint, EnvMode, EnvVarName, Flag, FlagChange, Rollout, Stage,
};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{
    Body, CallerExt, applied, committed, committed_flag, expected_version, flag_key, flag_response,
    meta,
};
use crate::api_error::ApiError;
use crate::auth::authorize;
use crate::prometheus::store_call;
use crate::state::AppState;

pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<Vec<Flag>>, ApiError> {
    Ok(Json(store_call("flags", state.control.flags()).await?))
}

pub(crate) async fn get(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let key = flag_key(&key)?;
    let flag = store_call("flag", state.control.flag(&key)).await?;
    Ok(flag_response(&flag))
}

pub(crate) async fn create(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Body(flag): Body<Flag>,
) -> Result<Response, ApiError> {
    let meta = meta(&caller, &headers)?;
    let done = store_call("create_flag", state.control.create_flag(flag, &meta)).await?;
    applied(&state).await;
    let mut response = committed_flag(&done);
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

/// Runs changes against one flag and answers with the flag after them.
pub(crate) async fn change(
    state: &AppState,
    caller: &CallerExt,
    headers: &HeaderMap,
    key: &str,
    in_body: Option<u64>,
    changes: &[FlagChange],
) -> Result<Response, ApiError> {
    let key = flag_key(key)?;
    let expected = expected_version(headers, in_body)?;
    let meta = meta(caller, headers)?;
    if let Some(retry_after) = caller.over_budget
        && !retreats(state, &key, changes, meta.at)
    {
        return Err(ApiError::rate_limited(retry_after));
    }
    let done = store_call(
        "change_flag",
        state.control.change_flag(&key, expected, changes, &meta),
    )
    .await?;
    if done.changed() {
        applied(state).await;
    }
    Ok(committed_flag(&done))
}

/// Whether `changes` only move the flag towards legacy, judged on this node's view of it (an
/// unknown flag is not: it would cost a store transaction to find out).
pub(crate) fn retreats(
    state: &AppState,
    key: &cutover_core::FlagKey,
    changes: &[FlagChange],
    now: cutover_core::Timestamp,
) -> bool {
    let view = state.live.current();
    view.flags
        .get(key)
        .is_some_and(|before| match FlagChange::apply_all(before, changes, now) {
            Ok(Some(after)) => cutover_core::is_retreat(before, &after),
            Ok(None) => true,
            Err(_) => false,
        })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangesRequest {
    changes: Vec<FlagChange>,
    #[serde(default, deserialize_with = "cutover_core::count::optional")]
    expected_version: Option<u64>,
}

/// Any list of changes, applied together; each is checked against the caller's role.
pub(crate) async fn changes(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(key): Path<String>,
    Body(request): Body<ChangesRequest>,
) -> Result<Response, ApiError> {
    requested::at_least_one(&request.changes)?;
    for c in &request.changes {
        requested::by_a_person(c)?;
        authorize(&caller, Capability::for_change(c))?;
    }
    change(
        &state,
        &caller,
        &headers,
        &key,
        request.expected_version,
        &request.changes,
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateRequest {
    #[serde(default, deserialize_with = "cutover_core::present::not_null")]
    description: Option<String>,
    #[serde(default, deserialize_with = "cutover_core::present::not_null")]
    owner: Option<String>,
    #[serde(default, deserialize_with = "cutover_core::present::not_null")]
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "cutover_core::present::not_null")]
    stickiness: Option<AttributeName>,
    /// `null` goes back to the default salt (the key).
    #[serde(default, deserialize_with = "present")]
    salt: Option<Option<String>>,
    #[serde(default, deserialize_with = "cutover_core::present::not_null")]
    scope: Option<Vec<Constraint>>,
    /// The switch variable; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    env: Option<Option<EnvVarName>>,
    /// What the switch does; only with `env`.
    #[serde(default, deserialize_with = "cutover_core::present::not_null")]
    env_mode: Option<EnvMode>,
    /// The percentage variable; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    env_percent: Option<Option<EnvVarName>>,
    /// The stage variable; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    env_stage: Option<Option<EnvVarName>>,
    #[serde(default, deserialize_with = "cutover_core::count::optional")]
    expected_version: Option<u64>,
}

/// Tells a field sent as `null` from a field not sent.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

pub(crate) async fn update(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(key): Path<String>,
    Body(r): Body<UpdateRequest>,
) -> Result<Response, ApiError> {
    let mut changes = Vec::new();
    if let Some(description) = r.description {
        changes.push(FlagChange::SetDescription { description });
    }
    if let Some(owner) = r.owner {
        changes.push(FlagChange::SetOwner { owner });
    }
    if let Some(enabled) = r.enabled {
        changes.push(FlagChange::SetEnabled { enabled });
    }
    if let Some(attribute) = r.stickiness {
        changes.push(FlagChange::SetStickiness { attribute });
    }
    if let Some(salt) = r.salt {
        changes.push(FlagChange::SetSalt { salt });
    }
    if let Some(scope) = r.scope {
        changes.push(FlagChange::SetScope { scope });
    }
    match (r.env, r.env_mode) {
        (Some(env), env_mode) => changes.push(FlagChange::SetEnv {
            env,
            env_mode: env_mode.unwrap_or_default(),
        }),
        (None, Some(mode)) => {
            // A well-formed body a rule refuses: 422, about the field.
            return Err(ApiError::invalid(
                "env_mode",
                format!(
                    "env_mode {mode} needs env in the same request: the mode belongs to the \
                     switch variable (send env with it, the current name to keep it)"
                ),
            ));
        }
        (None, None) => {}
    }
    if let Some(env_percent) = r.env_percent {
        changes.push(FlagChange::SetEnvPercent { env_percent });
    }
    if let Some(env_stage) = r.env_stage {
        changes.push(FlagChange::SetEnvStage { env_stage });
    }
    if changes.is_empty() {
        return Err(ApiError::bad_request(
            "nothing to change; send one of description, owner, enabled, stickiness, salt, scope, \
             env, env_percent, env_stage",
        ));
    }
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RolloutRequest {
    /// A number or a string: `12.5` or `"12.5"`, read from its text (never rounded).
    percent: Box<RawValue>,
    #[serde(default, deserialize_with = "cutover_core::count::optional")]
    expected_version: Option<u64>,
}

pub(crate) async fn rollout(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(key): Path<String>,
    Body(r): Body<RolloutRequest>,
) -> Result<Response, ApiError> {
    let rollout_percent = Rollout::from_json_text(r.percent.get())?;
    let changes = [FlagChange::SetRollout { rollout_percent }];
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StageRequest {
    stage: String,
    #[serde(default, deserialize_with = "cutover_core::count::optional")]
    expected_version: Option<u64>,
}

pub(crate) async fn stage(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(key): Path<String>,
    Body(r): Body<StageRequest>,
) -> Result<Response, ApiError> {
    let stage: Stage = r.stage.parse()?;
    let changes = [FlagChange::SetStage { stage }];
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

pub(crate) async fn kill(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    change(&state, &caller, &headers, &key, None, &[FlagChange::Kill]).await
}

pub(crate) async fn unkill(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    change(&state, &caller, &headers, &key, None, &[FlagChange::Unkill]).await
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let key = flag_key(&key)?;
    let expected = expected_version(&headers, None)?;
    let meta = meta(&caller, &headers)?;
    let done = store_call(
        "delete_flag",
        state.control.delete_flag(&key, expected, &meta),
    )
    .await?;
    applied(&state).await;
    Ok(committed(&done))
}

//! API tokens: created with a secret shown once, listed without it, revoked at once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cutover_api::{Control, NewToken};
use cutover_core::{Timestamp, TokenName, TokenRecord};
use serde::Deserialize;

use super::{Body, CallerExt, applied, committed, meta};
use crate::api_error::ApiError;
use crate::prometheus::store_call;
use crate::state::AppState;

pub(crate) async fn list(
    State(state): State<AppState>,
) -> Result<Json<Vec<TokenRecord>>, ApiError> {
    Ok(Json(store_call("tokens", state.control.tokens()).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRequest {
    name: String,
    role: String,
    /// When the token stops working (RFC 3339); never when absent.
    #[serde(default)]
    expires_at: Option<Timestamp>,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Body(r): Body<CreateRequest>,
) -> Result<Response, ApiError> {
    let token = NewToken {
        name: TokenName::new(&r.name)?,
        role: r.role.parse()?,
        expires_at: r.expires_at,
    };
    let meta = meta(&caller, &headers)?;
    let done = store_call("create_token", state.control.create_token(token, &meta)).await?;
    applied(&state).await;
    // Like every change: the audit entry that recorded it, in the same header.
    let mut response = committed(&done);
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let name = TokenName::new(&name)?;
    let meta = meta(&caller, &headers)?;
    let done = store_call("revoke_token", state.control.revoke_token(&name, &meta)).await?;
    applied(&state).await;
    Ok(committed(&done))
}

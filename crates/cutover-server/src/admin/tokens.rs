//! API tokens: created with a secret shown once, listed without it, revoked at once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cutover_core::{Role, Timestamp, TokenName, token_hash};
use cutover_store::TokenRecord;
use serde::{Deserialize, Serialize};

use super::{Body, CallerExt, applied, committed, meta};
use crate::api_error::ApiError;
use crate::prometheus::store_call;
use crate::state::AppState;

pub(crate) async fn list(
    State(state): State<AppState>,
) -> Result<Json<Vec<TokenRecord>>, ApiError> {
    Ok(Json(store_call("tokens", state.store().tokens()).await?))
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

#[derive(Debug, Serialize)]
pub(crate) struct Created {
    name: TokenName,
    role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
    /// The secret: shown in this answer only.
    token: String,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Body(r): Body<CreateRequest>,
) -> Result<Response, ApiError> {
    let name = TokenName::new(&r.name)?;
    let role: Role = r.role.parse()?;

    let secret = crate::new_token_secret().map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "no_randomness",
            format!("cannot draw a random token secret: {e}"),
        )
    })?;
    let meta = meta(&caller, &headers)?;
    let record = TokenRecord {
        name: name.clone(),
        role,
        hash: token_hash(&secret),
        created_at: Timestamp::now(),
        created_by: caller.name.to_string(),
        expires_at: r.expires_at,
    };
    let done = store_call("create_token", state.store().create_token(record, &meta)).await?;
    applied(&state).await;
    // Like every change: the audit entry that recorded it, in the same header.
    let mut response = committed(&cutover_store::Committed {
        value: Created {
            name,
            role,
            expires_at: r.expires_at,
            token: secret,
        },
        audit_id: done.audit_id,
    });
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
    let done = store_call("revoke_token", state.store().revoke_token(&name, &meta)).await?;
    applied(&state).await;
    Ok(committed(&done))
}

//! The audit log: query and export (verification is `audit_verify`).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use cutover_core::{AuditEntry, FlagKey, Timestamp};
use cutover_store::AuditQuery;
use serde::Deserialize;

use super::Params;
use crate::api_error::ApiError;
use crate::app::AppState;
use crate::metrics::store_call;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueryParams {
    after_id: Option<u64>,
    actor: Option<String>,
    flag: Option<String>,
    action: Option<String>,
    /// RFC 3339 instants.
    since: Option<String>,
    until: Option<String>,
    limit: Option<u32>,
    /// `oldest` (default) or `newest` first.
    order: Option<String>,
}

fn instant(field: &'static str, text: Option<String>) -> Result<Option<Timestamp>, ApiError> {
    text.map(|t| {
        t.parse::<Timestamp>().map_err(|e| {
            ApiError::invalid(
                field,
                format!(
                    "{field} {t:?} is not an RFC 3339 instant such as 2026-11-24T09:00:00Z: {e}"
                ),
            )
        })
    })
    .transpose()
}

fn audit_query(p: QueryParams) -> Result<AuditQuery, ApiError> {
    let newest_first = match p.order.as_deref() {
        None | Some("oldest") => false,
        Some("newest") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "order",
                format!("order {other:?} is not accepted; use oldest or newest"),
            ));
        }
    };
    Ok(AuditQuery {
        after_id: p.after_id,
        actor: p.actor,
        flag: p
            .flag
            .map(|f| FlagKey::new(&f))
            .transpose()
            .map_err(|e| ApiError {
                field: Some("flag"),
                ..ApiError::from(e)
            })?,
        action: p.action,
        since: instant("since", p.since)?,
        until: instant("until", p.until)?,
        limit: p.limit,
        newest_first,
    })
}

pub(crate) async fn query(
    State(state): State<AppState>,
    Params(params): Params<QueryParams>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let q = audit_query(params)?;
    Ok(Json(store_call("audit", state.store().audit(&q)).await?))
}

/// The matching entries as JSON lines, oldest first.
pub(crate) async fn export(
    State(state): State<AppState>,
    Params(params): Params<QueryParams>,
) -> Result<impl IntoResponse, ApiError> {
    let q = audit_query(params)?;
    let entries = store_call("audit", state.store().audit(&q)).await?;
    let mut out = String::new();
    for entry in &entries {
        let line = serde_json::to_string(entry).map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "encoding",
                format!("cannot encode audit entry {}: {e}", entry.id),
            )
        })?;
        out.push_str(&line);
        out.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], out))
}

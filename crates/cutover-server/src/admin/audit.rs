//! The audit log: query (in bounded pages, linked to the next) and export (streamed);
//! verification is `audit_verify`.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use cutover_api::Control;
use cutover_control::StoreControl;
use cutover_core::limits::AUDIT_PAGE_DEFAULT;
use cutover_core::{AuditQuery, FlagKey, Timestamp};
use futures_util::StreamExt;
use serde::Deserialize;

use super::Params;
use crate::api_error::ApiError;
use crate::prometheus::store_call;
use crate::state::AppState;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueryParams {
    /// Entries after this id (the cursor of the next page, oldest first).
    after_id: Option<u64>,
    /// Entries before this id (the cursor of the next page, newest first).
    before_id: Option<u64>,
    actor: Option<String>,
    flag: Option<String>,
    action: Option<String>,
    /// RFC 3339 instants.
    since: Option<String>,
    until: Option<String>,
    /// The page size of a query (default 100, at most 500); the most entries an export sends.
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

fn audit_query(p: &QueryParams) -> Result<AuditQuery, ApiError> {
    let p = p.clone();
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
        before_id: p.before_id,
        actor: p.actor,
        flag: p
            .flag
            .map(|f| FlagKey::new(&f))
            .transpose()
            .map_err(|e| ApiError {
                field: Some("flag".into()),
                ..ApiError::from(e)
            })?,
        action: p.action,
        since: instant("since", p.since)?,
        until: instant("until", p.until)?,
        limit: p.limit,
        newest_first,
    })
}

/// A query string value, percent-encoded: everything but the unreserved characters of RFC 3986.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URL of the page after the one that ended at entry `last`: the same filters and page size,
/// the cursor moved past `last` in the order of the read.
fn next_page(p: &QueryParams, last: u64, newest_first: bool) -> String {
    let (after, before) = if newest_first {
        (p.after_id, Some(last))
    } else {
        (Some(last), p.before_id)
    };
    let mut parts: Vec<String> = Vec::new();
    let mut add = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            parts.push(format!("{name}={}", encode(&v)));
        }
    };
    add("after_id", after.map(|v| v.to_string()));
    add("before_id", before.map(|v| v.to_string()));
    add("actor", p.actor.clone());
    add("flag", p.flag.clone());
    add("action", p.action.clone());
    add("since", p.since.clone());
    add("until", p.until.clone());
    add("limit", p.limit.map(|v| v.to_string()));
    add("order", p.order.clone());
    format!("/api/v1/audit?{}", parts.join("&"))
}

/// One page of the audit log: at most `limit` entries (100 by default, 500 at most) and about
/// 1 MiB of them (always one entry), with `Link: <...>; rel="next"` when there are more.
pub(crate) async fn query(
    State(state): State<AppState>,
    Params(params): Params<QueryParams>,
) -> Result<Response, ApiError> {
    let q = audit_query(&params)?;
    let page = store_call("audit", state.control.audit_page(&q)).await?;
    let mut response = Json(&page.entries).into_response();
    if page.more
        && let Some(last) = page.entries.last()
    {
        let link = format!(
            "<{}>; rel=\"next\"",
            next_page(&params, last.id, q.newest_first)
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// Entries an export reads from the store at a time.
const EXPORT_PAGE: u32 = AUDIT_PAGE_DEFAULT;

/// The next page of an export: the entries as JSON lines, and the query that reads the page after
/// (none when this one was the last).
async fn export_page(
    control: &StoreControl,
    mut q: AuditQuery,
    remaining: Option<u64>,
) -> Result<(Vec<u8>, Option<(AuditQuery, Option<u64>)>), ApiError> {
    let size = remaining.map_or(EXPORT_PAGE, |r| {
        u32::try_from(r).map_or(EXPORT_PAGE, |r| r.min(EXPORT_PAGE))
    });
    q.limit = Some(size);
    let entries = store_call("audit", control.audit(&q)).await?;
    let mut out = Vec::new();
    for entry in &entries {
        serde_json::to_writer(&mut out, entry).map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "encoding",
                format!("cannot encode audit entry {}: {e}", entry.id),
            )
        })?;
        out.push(b'\n');
    }
    let remaining = remaining.map(|r| r.saturating_sub(entries.len() as u64));
    let next = match entries.last() {
        Some(last) if entries.len() == size as usize && remaining != Some(0) => {
            if q.newest_first {
                q.before_id = Some(last.id);
            } else {
                q.after_id = Some(last.id);
            }
            Some((q, remaining))
        }
        _ => None,
    };
    Ok((out, next))
}

/// The matching entries as JSON lines (oldest first unless `order=newest`), streamed page by
/// page: the answer is never built whole, whatever the size of the log. `limit` caps how many
/// are sent; without it, all are.
pub(crate) async fn export(
    State(state): State<AppState>,
    Params(params): Params<QueryParams>,
) -> Result<impl IntoResponse, ApiError> {
    let q = audit_query(&params)?;
    let control: Arc<StoreControl> = state.control.clone();
    // The first page is read before answering, so an unreachable store is still a 503.
    let (first, next) = export_page(&control, q, params.limit.map(u64::from)).await?;
    let rest = futures_util::stream::unfold(next, move |next| {
        let control = control.clone();
        async move {
            let (q, remaining) = next?;
            match export_page(&control, q, remaining).await {
                Ok((bytes, next)) => Some((Ok(bytes), next)),
                Err(e) => {
                    // The status is sent; ending the body early is how the client learns of it.
                    tracing::warn!(error = %e.message, "audit export stopped");
                    Some((Err(std::io::Error::other(e.message)), None))
                }
            }
        }
    });
    let body =
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(rest);
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(body),
    ))
}

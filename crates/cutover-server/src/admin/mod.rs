//! The admin REST API under `/api/v1`: everything the CLI can do, over HTTP.
//!
//! Changes name the version they expect (`If-Match: "N"` or `expected_version` in the body) and
//! get 409 when the flag moved on. The audit actor is the calling token's name; a reason comes
//! from the `X-Cutover-Reason` header. After a change commits, this node applies it to its live
//! view before answering, so the caller's next evaluation sees it.

pub(crate) mod arm_metrics;
pub(crate) mod audit;
pub(crate) mod audit_verify;
pub(crate) mod backup;
pub(crate) mod flags;
pub(crate) mod overrides;
pub(crate) mod presets;
pub(crate) mod rollouts;
pub(crate) mod tokens;
pub(crate) mod transfer;
pub(crate) mod verdicts;

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use cutover_core::{ChangeMeta, Committed};
use cutover_core::{Flag, FlagKey, Timestamp};
use serde::de::DeserializeOwned;

use crate::api_error::ApiError;
use crate::connections::bodies::body_deadline;
use crate::live::Caller;
use crate::state::AppState;

/// A JSON request body whose parse errors answer in the API's error shape.
pub(crate) struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| match e.status() {
                axum::http::StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                    e.status(),
                    "too_large",
                    "the request body is over the 2 MiB limit",
                ),
                _ if let Some(deadline) = body_deadline(&e) => ApiError::new(
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    "timeout",
                    deadline.to_string(),
                ),
                status => ApiError::new(
                    status,
                    "bad_request",
                    format!("cannot read the request body: {}", e.body_text()),
                ),
            })?;
        if bytes.is_empty() {
            return Err(ApiError::bad_request(
                "the request needs a JSON body; see /api/v1/openapi.json",
            ));
        }
        serde_json::from_slice(&bytes).map(Body).map_err(body_error)
    }
}

/// Why a body was not taken: JSON that does not parse is a 400; JSON whose shape or values are
/// refused (an unknown field, a percentage with three decimals, a mistyped gate) is a 422 with
/// the message of the value's own parser.
pub(crate) fn body_error(e: serde_json::Error) -> ApiError {
    match e.classify() {
        serde_json::error::Category::Data => ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("a value in the body is not accepted: {e}"),
        ),
        _ => ApiError::bad_request(format!("invalid JSON body: {e}")),
    }
}

/// Query parameters whose parse errors answer in the API's error shape.
pub(crate) struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Params(q.0))
            .map_err(|e| {
                ApiError::bad_request(format!("invalid query parameters: {}", e.body_text()))
            })
    }
}

/// The audit metadata of a change made by this request.
pub(crate) fn meta(caller: &Caller, headers: &HeaderMap) -> Result<ChangeMeta, ApiError> {
    let reason = match headers.get("x-cutover-reason") {
        Some(v) => {
            let text = v
                .to_str()
                .map_err(|_| ApiError::bad_request("X-Cutover-Reason must be plain text"))?;
            cutover_core::limits::check_reason(text).map_err(|e| ApiError {
                field: Some("X-Cutover-Reason".into()),
                ..ApiError::from(e)
            })?;
            Some(text.to_owned())
        }
        None => None,
    };
    let force = match headers.get("x-cutover-force") {
        None => false,
        Some(v) if v.as_bytes() == b"true" => true,
        Some(v) if v.as_bytes() == b"false" => false,
        Some(v) => {
            return Err(ApiError {
                field: Some("X-Cutover-Force".into()),
                ..ApiError::bad_request(format!(
                    "X-Cutover-Force is {v:?}; accepted: true or false"
                ))
            });
        }
    };
    Ok(ChangeMeta {
        role: Some(caller.role),
        force,
        actor: caller.name.to_string(),
        reason,
        at: Timestamp::now(),
    })
}

/// The version a change expects, from `If-Match` or the body; both given must agree (409 when
/// they do not).
pub(crate) fn expected_version(
    headers: &HeaderMap,
    in_body: Option<u64>,
) -> Result<Option<u64>, ApiError> {
    let from_header = match headers.get(header::IF_MATCH) {
        None => None,
        Some(v) => {
            let text = v.to_str().unwrap_or("");
            Some(version_tag(text).ok_or_else(|| ApiError {
                field: Some("If-Match".into()),
                ..ApiError::bad_request(format!(
                    "If-Match {text:?} is not a flag version; send the ETag of the flag, such as \"3\" \
                     (W/ and the quotes are optional; at most 19 digits)"
                ))
            })?)
        }
    };
    match (from_header, in_body) {
        // Each is a readable version and the flag cannot be at both: whichever it is at, the
        // request names one it is not, a conflict like any stale version (the document cannot
        // tie a header to a body field, so this is no 400 about the request's form).
        (Some(h), Some(b)) if h != b => Err(ApiError {
            field: Some("expected_version".into()),
            ..ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "version_conflict",
                format!(
                    "If-Match says version {h} but expected_version says {b}: the flag cannot be \
                     at both; send one"
                ),
            )
        }),
        (h, b) => Ok(h.or(b)),
    }
}

/// The If-Match forms a change takes, as the OpenAPI document's pattern says them: `"3"`,
/// `W/"3"`, `3` or `W/3`, at most 19 digits (so every one is a `u64`).
pub(crate) const IF_MATCH_PATTERN: &str = r#"^(W/)?("[0-9]{1,19}"|[0-9]{1,19})$"#;

fn version_tag(text: &str) -> Option<u64> {
    let tag = text.strip_prefix("W/").unwrap_or(text);
    let digits = tag
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(tag);
    let fits = (1..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    fits.then(|| digits.parse().ok()).flatten()
}

pub(crate) fn flag_key(key: &str) -> Result<FlagKey, ApiError> {
    FlagKey::new(key).map_err(ApiError::from)
}

/// A flag with its version as the entity tag, for the next `If-Match`.
pub(crate) fn flag_response(flag: &Flag) -> Response {
    let mut response = Json(flag).into_response();
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", flag.version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

/// The header naming the audit entry a change wrote; absent when the change altered nothing.
pub(crate) const AUDIT_ID: &str = "x-cutover-audit-id";

/// A changed flag: the flag, its version as the entity tag, and the audit entry of the change.
pub(crate) fn committed_flag(done: &Committed<Flag>) -> Response {
    with_audit_id(flag_response(&done.value), done.audit_id)
}

/// Any other committed value, with the audit entry of the change.
pub(crate) fn committed<T: serde::Serialize>(done: &Committed<T>) -> Response {
    with_audit_id(Json(&done.value).into_response(), done.audit_id)
}

fn with_audit_id(mut response: Response, audit_id: Option<u64>) -> Response {
    if let Some(id) = audit_id {
        response
            .headers_mut()
            .insert(AUDIT_ID, HeaderValue::from(id));
    }
    response
}

/// After a commit: bring this node's view up to date before answering. A failure here only
/// delays the view (the follower retries); the change itself is committed.
pub(crate) async fn applied(state: &AppState) {
    if let Err(e) = state.live.catch_up().await {
        tracing::warn!(error = %e, "committed, but cannot refresh the live view yet");
    }
}

pub(crate) type CallerExt = Extension<Caller>;

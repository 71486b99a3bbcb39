//! OpenFeature Remote Evaluation Protocol: `POST /ofrep/v1/evaluate/flags/{key}` and the bulk
//! form, shaped as the OFREP OpenAPI document defines them.
//!
//! A cutover flag is a boolean to OpenFeature: `true` sends the caller down the new path. The
//! variant is `legacy` or `new`, and the metadata carries the flag version and cutover's own
//! reason, so an OpenFeature hook can log exactly why.

use std::hash::{DefaultHasher, Hash, Hasher};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cutover_core::{CompiledFlag, Context, Decision, Reason, Timestamp};
use serde_json::{Map, Value, json};

use crate::state::AppState;

/// Why a request body cannot be evaluated, as OFREP codes it.
struct BadRequest {
    code: &'static str,
    details: String,
}

/// Reads `{"context": {...}}`. Scalars become attribute values (numbers and booleans in their
/// JSON spelling); `null` and nested objects or arrays are skipped, since no cutover rule can
/// match them.
fn parse_context(body: &[u8]) -> Result<Context, BadRequest> {
    let value: Value = serde_json::from_slice(body).map_err(|e| BadRequest {
        code: "PARSE_ERROR",
        details: format!("the body is not JSON: {e}"),
    })?;
    let Some(body) = value.as_object() else {
        return Err(BadRequest {
            code: "INVALID_CONTEXT",
            details: format!(
                "the body must be a JSON object such as {{\"context\": {{...}}}}, not {value}"
            ),
        });
    };
    // OFREP makes `context` optional: no context is an empty one (every rule that needs an
    // attribute then falls through to its default).
    let Some(context) = body.get("context") else {
        return Ok(Context::new());
    };
    let Some(attributes) = context.as_object() else {
        return Err(BadRequest {
            code: "INVALID_CONTEXT",
            details: format!("\"context\" must be an object, not {context}"),
        });
    };
    context_from(attributes)
}

fn context_from(attributes: &Map<String, Value>) -> Result<Context, BadRequest> {
    let mut ctx = Context::new();
    for (name, value) in attributes {
        match value {
            Value::String(s) => ctx.set(name, s),
            Value::Number(n) => ctx.set(name, &n.to_string()),
            Value::Bool(b) => ctx.set(name, if *b { "true" } else { "false" }),
            Value::Null | Value::Array(_) | Value::Object(_) => {}
        }
    }
    if let Some(key) = attributes.get("targetingKey")
        && !key.is_string()
    {
        return Err(BadRequest {
            code: "INVALID_CONTEXT",
            details: format!("targetingKey must be a string, not {key}"),
        });
    }
    Ok(ctx)
}

fn success(key: &str, decision: &Decision<'_>) -> Value {
    let mut metadata = Map::new();
    metadata.insert("flagVersion".into(), json!(decision.flag_version));
    metadata.insert("cutoverReason".into(), json!(decision.reason.kind()));
    metadata.insert("explanation".into(), json!(decision.reason.to_string()));
    match &decision.reason {
        Reason::Rollout {
            attribute,
            bucket,
            rollout,
        } => {
            if let Some(attribute) = attribute {
                metadata.insert("attribute".into(), json!(attribute));
            }
            if let Some(bucket) = bucket {
                metadata.insert("bucket".into(), json!(bucket));
            }
            metadata.insert("rolloutPercent".into(), json!(rollout.to_string()));
        }
        Reason::Override { attribute } | Reason::OutOfScope { attribute } => {
            metadata.insert("attribute".into(), json!(attribute));
        }
        Reason::EnvOverride { var } => {
            metadata.insert("envVar".into(), json!(var));
        }
        _ => {}
    }
    json!({
        "key": key,
        "value": decision.is_new(),
        "reason": decision.reason.openfeature(),
        "variant": decision.variant.as_str(),
        "metadata": metadata,
    })
}

fn evaluate(flag: &CompiledFlag, ctx: &Context, now: Timestamp) -> Value {
    let decision = flag.evaluate(ctx, now);
    crate::prometheus::evaluation(flag.key(), decision.variant.as_str());
    success(flag.key(), &decision)
}

pub(crate) async fn evaluate_one(
    State(state): State<AppState>,
    key: Result<Path<String>, PathRejection>,
    uri: OriginalUri,
    body: Bytes,
) -> Response {
    // A key that does not decode still gets an OFREP answer, naming the key as sent.
    let key = match key {
        Ok(Path(key)) => key,
        Err(rejection) => {
            let sent = uri.path().rsplit('/').next().unwrap_or_default().to_owned();
            let body = json!({
                "key": sent,
                "errorCode": "PARSE_ERROR",
                "errorDetails": format!("the flag key in the path cannot be read: {}", rejection.body_text()),
            });
            return (StatusCode::BAD_REQUEST, Json(body)).into_response();
        }
    };
    let ctx = match parse_context(&body) {
        Ok(ctx) => ctx,
        Err(bad) => {
            let body = json!({"key": key, "errorCode": bad.code, "errorDetails": bad.details});
            return (StatusCode::BAD_REQUEST, Json(body)).into_response();
        }
    };
    let view = state.live.current();
    match view.snapshot.get(&key) {
        Some(flag) => Json(evaluate(flag, &ctx, Timestamp::now())).into_response(),
        None => {
            let body = json!({
                "key": key,
                "errorCode": "FLAG_NOT_FOUND",
                "errorDetails": format!("flag {key:?} was not found"),
            });
            (StatusCode::NOT_FOUND, Json(body)).into_response()
        }
    }
}

/// The entity tag of a bulk answer: the state it was computed from and the context it was
/// computed for, so a client that changed its context never gets a stale 304.
fn etag(head: u64, body: &[u8]) -> String {
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    format!("\"{head}-{:016x}\"", hasher.finish())
}

fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    let Some(value) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    value
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

pub(crate) async fn evaluate_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = match parse_context(&body) {
        Ok(ctx) => ctx,
        Err(bad) => {
            let body = json!({"errorCode": bad.code, "errorDetails": bad.details});
            return (StatusCode::BAD_REQUEST, Json(body)).into_response();
        }
    };
    let view = state.live.current();
    let tag = etag(view.head, &body);
    let tag_header = HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"0\""));
    if matches_etag(&headers, &tag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag_header)]).into_response();
    }
    let now = Timestamp::now();
    let flags: Vec<Value> = view
        .snapshot
        .iter()
        .map(|f| evaluate(f, &ctx, now))
        .collect();
    let body = json!({
        "flags": flags,
        "metadata": {"version": view.head},
        "eventStreams": [{
            "type": "sse",
            "endpoint": {"requestUri": "/api/v1/stream?format=ofrep"},
            "inactivityDelaySec": 120,
        }],
    });
    (StatusCode::OK, [(header::ETAG, tag_header)], Json(body)).into_response()
}

/// 429 as OFREP documents it: `Retry-After` in seconds to wait (one of the two forms the
/// specification allows, and the one both standard OFREP providers read correctly: the Python
/// provider cannot parse an RFC 3339 instant, the JavaScript one reads its year as seconds), and
/// a JSON body saying why.
pub(crate) fn rate_limited(retry_after_seconds: u64) -> Response {
    let body = json!({
        "errorCode": "GENERAL",
        "errorDetails": format!(
            "too many evaluations for this token; retry in {retry_after_seconds} s"
        ),
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
    response
}

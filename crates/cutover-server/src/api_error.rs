//! Errors as the admin API answers them: JSON `{error, message, field?}` with a status that says
//! whose fault it was.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;

use cutover_api::{ControlError, ErrorKind};
use cutover_core::CoreError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    /// A stable machine-readable code.
    pub error: Cow<'static, str>,
    /// What was wrong, with the offending value and what is accepted.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Cow<'static, str>>,
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        error: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            error: error.into(),
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            field: Some(Cow::Borrowed(field)),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
        }
    }

    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub(crate) fn rate_limited(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many change requests for this token; retry in {retry_after} s"),
            )
        }
    }
}

/// A use case refused or failed: the layer's error carries the API's code and kind already.
impl From<ControlError> for ApiError {
    fn from(err: ControlError) -> Self {
        match err.kind {
            ErrorKind::Unavailable => {
                tracing::warn!(error = %err.message, "store unavailable");
            }
            ErrorKind::Failure if err.code == "store_failure" => {
                tracing::error!(error = %err.message, "store failure");
            }
            _ => {}
        }
        ApiError {
            status: StatusCode::from_u16(err.kind.status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            error: err.code,
            message: err.message,
            field: err.field,
            retry_after: err.retry_after,
        }
    }
}

/// A value of the request refused by a rule of the core, as the layer would report it.
impl From<CoreError> for ApiError {
    fn from(err: CoreError) -> Self {
        ApiError::from(ControlError::from(err))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(&self)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Rejections produced below the handlers (an unknown method, a body over the size limit, a
/// path that is not valid UTF-8) come as plain text from axum; this turns every error answer
/// that is not JSON yet into the API's error shape, so clients parse one format.
pub(crate) async fn json_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let (error, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this route does not take that method; see /api/v1/openapi.json".to_owned(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "too_large",
            "the request body is over the 2 MiB limit".to_owned(),
        ),
        _ if text.is_empty() => ("bad_request", status.to_string()),
        _ => ("bad_request", text),
    };
    let mut fixed = ApiError::new(status, error, message).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fixed.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fixed
}

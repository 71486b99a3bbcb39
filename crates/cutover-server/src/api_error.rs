//! Errors as the admin API answers them: JSON `{error, message, field?}` with a status that says
//! whose fault it was.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cutover_core::CoreError;
use cutover_store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    /// A stable machine-readable code.
    pub error: &'static str,
    /// What was wrong, with the offending value and what is accepted.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            error,
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
            field: Some(field),
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

/// The request field a core validation error is about, when there is one.
fn field_of(err: &CoreError) -> Option<&'static str> {
    Some(match err {
        CoreError::InvalidKey { .. } => "key",
        CoreError::InvalidAttribute { .. } => "attribute",
        CoreError::InvalidPercent { .. } | CoreError::InvalidBasisPoints { .. } => "percent",
        CoreError::UnknownStage { .. } => "stage",
        CoreError::UnknownVariant { .. } => "variant",
        CoreError::InvalidConstraint { .. } => "scope",
        CoreError::OverrideAlreadyExpired { .. } | CoreError::TokenAlreadyExpired { .. } => {
            "expires_at"
        }
        CoreError::UnknownRole { .. } => "role",
        CoreError::InvalidTokenName { .. } | CoreError::ReservedTokenName { .. } => "name",
        CoreError::InvalidPlan { .. } => "plan",
        CoreError::InvalidGate { .. } => "plan.gates",
        CoreError::TooLong { field, .. } => field,
        CoreError::FlagTooLarge { .. } => "flag",
        CoreError::InvalidMetrics { field, .. } => field,
        _ => return None,
    })
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        let message = err.to_string();
        let (status, code) = match &err {
            StoreError::FlagNotFound { .. }
            | StoreError::PresetNotFound { .. }
            | StoreError::TokenNotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            StoreError::FlagExists { .. } | StoreError::TokenExists { .. } => {
                (StatusCode::CONFLICT, "already_exists")
            }
            StoreError::FlagIdentityTaken { .. } => (StatusCode::CONFLICT, "identity_taken"),
            StoreError::LastAdminToken { .. } => (StatusCode::CONFLICT, "last_admin"),
            StoreError::VersionConflict { .. } => (StatusCode::CONFLICT, "version_conflict"),
            StoreError::FlagInPreset { .. } => (StatusCode::CONFLICT, "in_use"),
            StoreError::StaleImport { .. } => (StatusCode::CONFLICT, "stale_import"),
            StoreError::Invalid(CoreError::RolloutState { .. }) => {
                (StatusCode::CONFLICT, "rollout_state")
            }
            StoreError::Invalid(core) => {
                let not_found = matches!(core, CoreError::OverrideNotFound { .. });
                return ApiError {
                    field: field_of(core),
                    ..if not_found {
                        ApiError::not_found(message)
                    } else {
                        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
                    }
                };
            }
            StoreError::Busy { .. } | StoreError::Unavailable { .. } => {
                tracing::warn!(error = %err, "store unavailable");
                return ApiError {
                    retry_after: Some(2),
                    ..ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "store_unavailable",
                        message,
                    )
                };
            }
            StoreError::NotAStore { .. }
            | StoreError::NoStore { .. }
            | StoreError::EmptyFile { .. }
            | StoreError::NoSchema { .. }
            | StoreError::BadUrl { .. }
            | StoreError::Corrupt { .. }
            | StoreError::NewerSchema { .. }
            | StoreError::BadRow { .. }
            | StoreError::SealedWithoutKey
            | StoreError::CannotTrust { .. }
            // Copies and backups are CLI commands on the store itself; no route runs them.
            | StoreError::TargetNotEmpty { .. }
            | StoreError::CopyDoesNotVerify { .. }
            | StoreError::BackupExists { .. }
            | StoreError::BackupTarget { .. }
            | StoreError::Database(_) => {
                tracing::error!(error = %err, "store failure");
                (StatusCode::INTERNAL_SERVER_ERROR, "store_failure")
            }
        };
        ApiError::new(status, code, message)
    }
}

impl From<CoreError> for ApiError {
    fn from(err: CoreError) -> Self {
        ApiError {
            field: field_of(&err),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", err.to_string())
        }
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

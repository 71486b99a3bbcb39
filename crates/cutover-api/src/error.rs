//! The one error of the application layer: what an error answer of the admin API carries.

use std::borrow::Cow;

use cutover_core::CoreError;

/// Whose fault a refusal is and what the caller can do about it; each kind is one HTTP status
/// of the admin API ([`ErrorKind::status`]), so a server answers with it and a client reads it
/// back from the status ([`ErrorKind::from_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request is malformed (400).
    BadRequest,
    /// No valid credentials (401).
    Unauthorized,
    /// The credentials do not allow it (403).
    Forbidden,
    /// What it names does not exist (404).
    NotFound,
    /// The request took too long to arrive (408).
    Timeout,
    /// It contradicts the current state: a version moved on, a name is taken (409).
    Conflict,
    /// The request is over a size limit (413).
    TooLarge,
    /// A value is refused by a rule (422).
    Invalid,
    /// Too many requests; retry after `retry_after` seconds (429).
    RateLimited,
    /// Something broke on the serving side (500).
    Failure,
    /// The store cannot be reached now; nothing was changed, retry (503).
    Unavailable,
}

impl ErrorKind {
    /// The HTTP status the admin API answers this kind with.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Timeout => 408,
            ErrorKind::Conflict => 409,
            ErrorKind::TooLarge => 413,
            ErrorKind::Invalid => 422,
            ErrorKind::RateLimited => 429,
            ErrorKind::Failure => 500,
            ErrorKind::Unavailable => 503,
        }
    }

    /// The kind of an error answer with this status; a status the API does not use falls to the
    /// nearest kind of its class (a client error or a failure).
    pub fn from_status(status: u16) -> Self {
        match status {
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 | 405 => ErrorKind::NotFound,
            408 => ErrorKind::Timeout,
            409 => ErrorKind::Conflict,
            413 => ErrorKind::TooLarge,
            422 => ErrorKind::Invalid,
            429 => ErrorKind::RateLimited,
            503 => ErrorKind::Unavailable,
            400..=499 => ErrorKind::BadRequest,
            _ => ErrorKind::Failure,
        }
    }
}

/// A use case refused or failed. Displays as its message alone, the same text whether the layer
/// ran in this process or behind a server.
///
/// A struct rather than an enum of causes: a client rebuilds it from an HTTP answer, which
/// carries a kind (the status), a code and a message, never the cause's fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ControlError {
    pub kind: ErrorKind,
    /// A stable machine-readable code (`not_found`, `version_conflict`, `invalid`, ...): the
    /// `error` field of the API's error body.
    pub code: Cow<'static, str>,
    /// What was wrong, with the offending value and what is accepted.
    pub message: String,
    /// The request field the error is about, when there is one.
    pub field: Option<Cow<'static, str>>,
    /// For [`ErrorKind::RateLimited`] and [`ErrorKind::Unavailable`]: seconds to wait.
    pub retry_after: Option<u64>,
}

impl ControlError {
    pub fn new(
        kind: ErrorKind,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        ControlError {
            kind,
            code: code.into(),
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// A value refused by a rule of the use case (422 `invalid`), about `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, "invalid", message).about(field)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, "not_found", message)
    }

    /// A failure of the serving side (500), under `code`.
    pub fn failure(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Failure, code, message)
    }

    /// A backup would replace the file at `path` (409 `exists`).
    pub fn backup_exists(path: &str) -> Self {
        Self::new(
            ErrorKind::Conflict,
            "exists",
            format!(
                "{path} already exists; a backup never replaces a file. Name a new file, or \
                 move the old one away first"
            ),
        )
    }

    /// A backup cannot be written to `path`, for `why` (422 `backup_target`).
    pub fn backup_target(path: &str, why: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorKind::Invalid,
            "backup_target",
            format!("cannot write the backup {path}: {why}; nothing was written there"),
        )
    }

    /// The same error, about the request field `field`.
    pub fn about(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The same error, asking the caller to retry after `seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
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
        CoreError::InvalidTokenName { .. }
        | CoreError::ReservedTokenName { .. }
        | CoreError::InvalidVerdictName { .. } => "name",
        CoreError::InvalidVerdictUrl { .. } => "url",
        CoreError::TooManyVerdicts { .. } => "flag",
        CoreError::InvalidPlan { .. } => "plan",
        CoreError::InvalidGate { .. } => "plan.gates",
        CoreError::TooLong { field, .. } => field,
        CoreError::FlagTooLarge { .. } => "flag",
        CoreError::InvalidMetrics { field, .. } => field,
        _ => return None,
    })
}

/// A rule of the core refused: a move the rollout's state does not allow is a conflict, an
/// override that is not there is not found, anything else is an invalid value (with the field
/// it is about).
impl From<CoreError> for ControlError {
    fn from(err: CoreError) -> Self {
        let message = err.to_string();
        match &err {
            CoreError::RolloutState { .. } => {
                ControlError::new(ErrorKind::Conflict, "rollout_state", message)
            }
            CoreError::OverrideNotFound { .. } => ControlError {
                field: field_of(&err).map(Cow::Borrowed),
                ..ControlError::not_found(message)
            },
            _ => ControlError {
                field: field_of(&err).map(Cow::Borrowed),
                ..ControlError::new(ErrorKind::Invalid, "invalid", message)
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_comes_back_from_its_status() {
        use ErrorKind::*;
        for kind in [
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Timeout,
            Conflict,
            TooLarge,
            Invalid,
            RateLimited,
            Failure,
            Unavailable,
        ] {
            assert_eq!(ErrorKind::from_status(kind.status()), kind);
        }
    }

    #[test]
    fn an_error_shows_its_message_alone() {
        let e = ControlError::invalid("limit", "limit 0 is out of range");
        assert_eq!(e.to_string(), "limit 0 is out of range");
        assert_eq!(e.field.as_deref(), Some("limit"));
        assert_eq!(e.kind.status(), 422);
    }

    #[test]
    fn core_refusals_keep_their_field() {
        let e = ControlError::from(cutover_core::FlagKey::new("Not A Key").unwrap_err());
        assert_eq!((e.kind, e.code.as_ref()), (ErrorKind::Invalid, "invalid"));
        assert_eq!(e.field.as_deref(), Some("key"));
    }
}

//! The HTTP side shared by every route: the bearer token, the reason header, `If-Match`, error
//! answers, waiting out a 429, and the audit-id header of a change.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use cutover_api::{ChangeMeta, Committed, ControlError, ErrorKind};

/// Header the server names a change's audit entry in.
const AUDIT_ID: &str = "x-cutover-audit-id";

/// Header a change's reason travels in (the actor is the token's name, never sent).
const REASON: &str = "x-cutover-reason";

/// Header asking to go ahead although stage prerequisites are missing.
const FORCE: &str = "x-cutover-force";

/// How long in all a request waits out the server's rate limit before giving up with its 429.
const RATE_LIMIT_PATIENCE: Duration = Duration::from_secs(30);

/// Told before each wait on a 429, with the wait: a command line says so on stderr, a service
/// may log it.
pub type RateLimitNote = Arc<dyn Fn(Duration) + Send + Sync>;

/// A client of one server with one token. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct AdminClient {
    base: String,
    token: String,
    http: reqwest::Client,
    on_rate_limit: Option<RateLimitNote>,
}

impl std::fmt::Debug for AdminClient {
    // Never the token: a debug print must not leak the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// What the server says when it refuses.
#[derive(serde::Deserialize)]
struct ErrorBody {
    error: String,
    message: String,
    #[serde(default)]
    field: Option<String>,
}

/// The wait a `Retry-After` asks for, in delta-seconds (what cutover's admin API sends).
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds: u64 = value.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

/// A success whose body is not what the route promises (another program at that address, or a
/// server of another version).
pub(crate) fn bad_answer(what: &str, err: impl std::fmt::Display) -> ControlError {
    ControlError::failure(
        "bad_answer",
        format!("the server's answer to {what} could not be read: {err}"),
    )
}

impl AdminClient {
    /// A client of the server at `base` (`http://cutover:7070`, with its scheme) acting with
    /// the API token `token`.
    pub fn new(base: &str, token: &str) -> Result<Self, ControlError> {
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ControlError::new(
                ErrorKind::BadRequest,
                "bad_url",
                format!("server URL {base:?} has no http:// or https:// scheme"),
            ));
        }
        let base = base.trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| unreachable(&base, &e))?;
        Ok(AdminClient {
            base,
            token: token.to_owned(),
            http,
            on_rate_limit: None,
        })
    }

    /// Calls `note` before each wait on a 429.
    #[must_use]
    pub fn on_rate_limit(mut self, note: RateLimitNote) -> Self {
        self.on_rate_limit = Some(note);
        self
    }

    /// The server's address, as given (without a trailing `/`).
    pub fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
    }

    /// A request that changes something: it carries the reason, when there is one. The actor
    /// and the time of `meta` stay here: the server records the token's name at its own clock.
    pub(crate) fn change(&self, method: Method, path: &str, meta: &ChangeMeta) -> RequestBuilder {
        let mut request = self.request(method, path);
        if meta.force {
            request = request.header(FORCE, "true");
        }
        match &meta.reason {
            Some(reason) => request.header(REASON, reason),
            None => request,
        }
    }

    /// A request outside `/api/v1` (`/readyz`), without the token.
    pub(crate) fn plain(&self, path: &str) -> RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }

    /// Sends and turns an error answer into the [`ControlError`] it carries (kind from the
    /// status, code, message, field, `Retry-After`). A 429 is sent again after
    /// the server's `Retry-After`, as long as the waits add up to at most
    /// [`RATE_LIMIT_PATIENCE`].
    pub(crate) async fn send(&self, request: RequestBuilder) -> Result<Response, ControlError> {
        let mut waited = Duration::ZERO;
        let mut request = request;
        let response = loop {
            let again = request.try_clone();
            let response = request
                .send()
                .await
                .map_err(|e| unreachable(&self.base, &e))?;
            let wait = retry_after(&response);
            match (again, wait) {
                (Some(again), Some(wait))
                    if response.status() == StatusCode::TOO_MANY_REQUESTS
                        && waited + wait <= RATE_LIMIT_PATIENCE =>
                {
                    if let Some(note) = &self.on_rate_limit {
                        note(wait);
                    }
                    tokio::time::sleep(wait).await;
                    waited += wait;
                    request = again;
                }
                _ => break response,
            }
        };
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let wait = retry_after(&response).map(|d| d.as_secs());
        let text = response.text().await.unwrap_or_default();
        let kind = ErrorKind::from_status(status);
        let error = match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => ControlError {
                field: body.field.map(Into::into),
                ..ControlError::new(kind, body.error, body.message)
            },
            // Not cutover's error shape: a proxy's page, say. Keep its words.
            Err(_) => ControlError::new(kind, "http", format!("HTTP {status}: {}", text.trim())),
        };
        Err(ControlError {
            retry_after: wait,
            message: from_the_server(status, &error),
            ..error
        })
    }

    /// Sends and reads the JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        what: &str,
        request: RequestBuilder,
    ) -> Result<T, ControlError> {
        let response = self.send(request).await?;
        response.json().await.map_err(|e| bad_answer(what, e))
    }

    /// Sends a change and reads the value it answers with and the audit entry it wrote (the
    /// `X-Cutover-Audit-Id` header; absent when the change altered nothing).
    pub(crate) async fn committed<T: DeserializeOwned>(
        &self,
        what: &str,
        request: RequestBuilder,
    ) -> Result<Committed<T>, ControlError> {
        let response = self.send(request).await?;
        let audit_id = response
            .headers()
            .get(AUDIT_ID)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let value = response.json().await.map_err(|e| bad_answer(what, e))?;
        Ok(Committed { value, audit_id })
    }
}

/// `If-Match: "N"` when a version is expected.
pub(crate) fn if_match(request: RequestBuilder, expected: Option<u64>) -> RequestBuilder {
    match expected {
        Some(v) => request.header(reqwest::header::IF_MATCH, format!("\"{v}\"")),
        None => request,
    }
}

/// No answer at all: the address is wrong, the server is down, or it took too long. Nothing is
/// known to have changed, as with a store that cannot be reached.
fn unreachable(base: &str, err: &reqwest::Error) -> ControlError {
    ControlError::new(
        ErrorKind::Unavailable,
        "server_unreachable",
        format!("cannot reach the cutover server at {base}: {err}"),
    )
}

/// The message of a refusal. The use cases' own refusals (not found, a conflict, an invalid
/// value, an unavailable store) read exactly as the layer in-process words them; the ones only a
/// server gives (its authentication, its roles, its rate limit, its limits on a request) say
/// that the server refused, and with what status.
fn from_the_server(status: u16, error: &ControlError) -> String {
    match error.kind {
        ErrorKind::Unauthorized
        | ErrorKind::Forbidden
        | ErrorKind::RateLimited
        | ErrorKind::TooLarge
        | ErrorKind::Timeout => {
            format!(
                "the server refused ({status} {}): {}",
                error.code, error.message
            )
        }
        _ => error.message.clone(),
    }
}

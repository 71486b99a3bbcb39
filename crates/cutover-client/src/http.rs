//! The HTTP side shared by every route: the bearer token, the reason header, `If-Match`, error
//! answers, waiting out a 429, and the audit-id header of a change.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::ClientError;
use crate::records::Committed;

/// Header the server names a change's audit entry in.
const AUDIT_ID: &str = "x-cutover-audit-id";

/// Header a change's reason travels in (the actor is the token's name, never sent).
const REASON: &str = "x-cutover-reason";

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
    reason: Option<String>,
    http: reqwest::Client,
    on_rate_limit: Option<RateLimitNote>,
}

impl std::fmt::Debug for AdminClient {
    // Never the token: a debug print must not leak the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient")
            .field("base", &self.base)
            .field("reason", &self.reason)
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

pub(crate) fn bad_answer(what: &str, err: impl std::fmt::Display) -> ClientError {
    ClientError::BadAnswer {
        what: what.to_owned(),
        detail: err.to_string(),
    }
}

impl AdminClient {
    /// A client of the server at `base` (`http://cutover:7070`, with its scheme) acting with
    /// the API token `token`.
    pub fn new(base: &str, token: &str) -> Result<Self, ClientError> {
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::Usage(format!(
                "server URL {base:?} has no http:// or https:// scheme"
            )));
        }
        let base = base.trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| ClientError::Unreachable {
                base: base.clone(),
                detail: e.to_string(),
            })?;
        Ok(AdminClient {
            base,
            token: token.to_owned(),
            reason: None,
            http,
            on_rate_limit: None,
        })
    }

    /// Sends `reason` with every change (`X-Cutover-Reason`): the audit entry's reason.
    #[must_use]
    pub fn with_reason(mut self, reason: Option<String>) -> Self {
        self.reason = reason;
        self
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

    /// A request that changes something: it carries the reason, when there is one.
    pub(crate) fn change(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.request(method, path);
        match &self.reason {
            Some(reason) => request.header(REASON, reason),
            None => request,
        }
    }

    /// A request outside `/api/v1` (`/readyz`), without the token.
    pub(crate) fn plain(&self, path: &str) -> RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }

    fn unreachable(&self, err: &reqwest::Error) -> ClientError {
        ClientError::Unreachable {
            base: self.base.clone(),
            detail: err.to_string(),
        }
    }

    /// Sends and turns an error answer into [`ClientError::Refused`]. A 429 is sent again after
    /// the server's `Retry-After`, as long as the waits add up to at most
    /// [`RATE_LIMIT_PATIENCE`].
    pub(crate) async fn send(&self, request: RequestBuilder) -> Result<Response, ClientError> {
        let mut waited = Duration::ZERO;
        let mut request = request;
        let response = loop {
            let again = request.try_clone();
            let response = request.send().await.map_err(|e| self.unreachable(&e))?;
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
        let text = response.text().await.unwrap_or_default();
        Err(match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => ClientError::Refused {
                status,
                code: body.error,
                message: body.message,
                field: body.field,
            },
            // Not cutover's error shape: a proxy's page, say. Keep its words.
            Err(_) => ClientError::Refused {
                status,
                code: "http".to_owned(),
                message: format!("HTTP {status}: {}", text.trim()),
                field: None,
            },
        })
    }

    /// Sends and reads the JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        what: &str,
        request: RequestBuilder,
    ) -> Result<T, ClientError> {
        let response = self.send(request).await?;
        response.json().await.map_err(|e| bad_answer(what, e))
    }

    /// Sends a change and reads the value it answers with and the audit entry it wrote (the
    /// `X-Cutover-Audit-Id` header; absent when the change altered nothing).
    pub(crate) async fn committed<T: DeserializeOwned>(
        &self,
        what: &str,
        request: RequestBuilder,
    ) -> Result<Committed<T>, ClientError> {
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

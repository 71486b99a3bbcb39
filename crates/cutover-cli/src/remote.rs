//! The store behind a cutover server: with `--server URL --token T` every command goes through
//! the admin API instead of opening a database, so the server checks the token's role, applies
//! its rate limit, and records the token's name as the actor.

use std::time::Duration;

use async_trait::async_trait;
use cutover_core::limits::AUDIT_PAGE_MAX;
use cutover_core::{
    Anchor, AuditEntry, Flag, FlagChange, FlagDocument, FlagKey, GENESIS_HASH, Preset, Role,
    ShadowCounts, Timestamp, TokenName, VerifyReport,
};
use cutover_store::{
    ArmFigures, ArmWindow, AuditQuery, ChangeMeta, ChangeSignals, Committed, GuardLease,
    GuardRecord, ImportOptions, ImportReport, ShadowWindow, StoreError, StoreState, TokenRecord,
    TrustReport,
};
use cutover_store::{
    AuditStore, ChangeFeedStore, FlagStore, MaintenanceStore, MeasurementStore, RolloutGuardStore,
    TokenStore,
};
use reqwest::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

/// Header the server names a change's audit entry in.
const AUDIT_ID: &str = "x-cutover-audit-id";

pub(crate) struct RemoteStore {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// What the server says when it refuses.
#[derive(serde::Deserialize)]
struct ErrorBody {
    error: String,
    message: String,
}

/// A token created on the server, with the secret it generated.
#[derive(Debug, serde::Deserialize, Serialize)]
pub(crate) struct CreatedToken {
    pub name: TokenName,
    pub role: Role,
    pub token: String,
}

/// How long in all a command waits out the server's rate limit before giving up with its 429.
const RATE_LIMIT_PATIENCE: Duration = Duration::from_secs(30);

/// The wait a `Retry-After` asks for, in delta-seconds (what cutover's admin API sends).
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds: u64 = value.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

fn unreachable_server(base: &str, err: &reqwest::Error) -> StoreError {
    StoreError::Unavailable {
        what: format!("cannot reach the cutover server at {base}: {err}"),
    }
}

fn bad_answer(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::BadRow {
        what: format!("the server's answer to {what} could not be read: {err}"),
    }
}

impl RemoteStore {
    pub(crate) fn new(base: &str, token: &str) -> Result<Self, StoreError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| unreachable_server(base, &e))?;
        Ok(RemoteStore {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http,
        })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
    }

    fn change(&self, method: Method, path: &str, meta: &ChangeMeta) -> RequestBuilder {
        let request = self.request(method, path);
        match &meta.reason {
            Some(reason) => request.header("x-cutover-reason", reason),
            None => request,
        }
    }

    /// Sends and turns a refusal into the store error it stands for. A 429 is sent again after
    /// the server's `Retry-After`, as long as the waits add up to at most [`RATE_LIMIT_PATIENCE`].
    async fn send(&self, request: RequestBuilder) -> Result<Response, StoreError> {
        let mut waited = Duration::ZERO;
        let mut request = request;
        let response = loop {
            let again = request.try_clone();
            let response = request
                .send()
                .await
                .map_err(|e| unreachable_server(&self.base, &e))?;
            let wait = retry_after(&response);
            match (again, wait) {
                (Some(again), Some(wait))
                    if response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS
                        && waited + wait <= RATE_LIMIT_PATIENCE =>
                {
                    eprintln!(
                        "note: the server limits this token's change rate; sending again in {} s",
                        wait.as_secs()
                    );
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
        let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => (body.error, body.message),
            Err(_) => ("http".to_owned(), text),
        };
        Err(match status {
            503 => StoreError::Unavailable { what: message },
            _ => StoreError::Remote {
                status,
                code,
                message,
            },
        })
    }

    async fn json<T: DeserializeOwned>(
        &self,
        what: &str,
        request: RequestBuilder,
    ) -> Result<T, StoreError> {
        let response = self.send(request).await?;
        response.json().await.map_err(|e| bad_answer(what, e))
    }

    async fn committed<T: DeserializeOwned>(
        &self,
        what: &str,
        request: RequestBuilder,
    ) -> Result<Committed<T>, StoreError> {
        let response = self.send(request).await?;
        let audit_id = response
            .headers()
            .get(AUDIT_ID)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let value = response.json().await.map_err(|e| bad_answer(what, e))?;
        Ok(Committed { value, audit_id })
    }

    /// Where a rollout stands, judged by the server.
    pub(crate) async fn rollout_status(
        &self,
        key: &FlagKey,
    ) -> Result<cutover_api::RolloutStatus, StoreError> {
        self.json(
            "rollout status",
            self.request(Method::GET, &format!("/flags/{key}/rollout")),
        )
        .await
    }

    /// Creates a token on the server, which generates the secret.
    pub(crate) async fn create_remote_token(
        &self,
        name: &TokenName,
        role: Role,
        expires_at: Option<Timestamp>,
        meta: &ChangeMeta,
    ) -> Result<CreatedToken, StoreError> {
        let body = match expires_at {
            Some(at) => json!({ "name": name, "role": role, "expires_at": at }),
            None => json!({ "name": name, "role": role }),
        };
        self.json(
            "token create",
            self.change(Method::POST, "/tokens", meta).json(&body),
        )
        .await
    }
}

/// What the API deliberately does not offer a client.
fn not_offered(why: &str) -> StoreError {
    StoreError::Remote {
        status: 400,
        code: "not_offered".into(),
        message: why.to_owned(),
    }
}

fn if_match(request: RequestBuilder, expected: Option<u64>) -> RequestBuilder {
    match expected {
        Some(v) => request.header("if-match", format!("\"{v}\"")),
        None => request,
    }
}

#[async_trait]
impl FlagStore for RemoteStore {
    async fn flags(&self) -> Result<Vec<Flag>, StoreError> {
        self.json("flag list", self.request(Method::GET, "/flags"))
            .await
    }

    async fn flag(&self, key: &FlagKey) -> Result<Flag, StoreError> {
        self.json(
            "flag get",
            self.request(Method::GET, &format!("/flags/{key}")),
        )
        .await
    }

    async fn state(&self) -> Result<StoreState, StoreError> {
        #[derive(serde::Deserialize)]
        struct Ready {
            head: u64,
        }
        let ready: Ready = self
            .json("readyz", self.http.get(format!("{}/readyz", self.base)))
            .await?;
        Ok(StoreState {
            flags: self.flags().await?,
            head: ready.head,
        })
    }

    async fn create_flag(
        &self,
        flag: Flag,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, StoreError> {
        self.committed(
            "flag create",
            self.change(Method::POST, "/flags", meta).json(&flag),
        )
        .await
    }

    async fn change_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        changes: &[FlagChange],
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, StoreError> {
        let body = json!({ "changes": changes, "expected_version": expected_version });
        let path = format!("/flags/{key}/changes");
        self.committed(
            "flag change",
            self.change(Method::POST, &path, meta).json(&body),
        )
        .await
    }

    async fn delete_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, StoreError> {
        let request = self.change(Method::DELETE, &format!("/flags/{key}"), meta);
        self.committed("flag delete", if_match(request, expected_version))
            .await
    }

    async fn presets(&self) -> Result<Vec<Preset>, StoreError> {
        self.json("preset list", self.request(Method::GET, "/presets"))
            .await
    }

    async fn define_preset(
        &self,
        preset: Preset,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, StoreError> {
        let path = format!("/presets/{}", preset.name);
        self.committed(
            "preset define",
            self.change(Method::PUT, &path, meta).json(&preset),
        )
        .await
    }

    async fn delete_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, StoreError> {
        let path = format!("/presets/{name}");
        self.committed("preset delete", self.change(Method::DELETE, &path, meta))
            .await
    }

    async fn apply_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, StoreError> {
        let path = format!("/presets/{name}/apply");
        self.json("preset apply", self.change(Method::POST, &path, meta))
            .await
    }

    async fn sweep_expired_overrides(
        &self,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, StoreError> {
        self.json(
            "override sweep",
            self.change(Method::POST, "/overrides/sweep", meta),
        )
        .await
    }

    async fn import(
        &self,
        doc: &FlagDocument,
        options: ImportOptions,
        meta: &ChangeMeta,
    ) -> Result<ImportReport, StoreError> {
        let request = self
            .change(Method::POST, "/import", meta)
            .query(&[
                ("prune", options.prune),
                ("force", options.force),
                ("dry_run", options.dry_run),
            ])
            .json(doc);
        self.json("import", request).await
    }

    async fn export(&self) -> Result<FlagDocument, StoreError> {
        self.json("export", self.request(Method::GET, "/export"))
            .await
    }
}

#[async_trait]
impl AuditStore for RemoteStore {
    /// Every entry the query matches (at most its limit), read page by page: the server answers
    /// at most a page at a time and says with a Link header when more follow, so the cursor
    /// moves past the last entry of each page until the server has no more or the limit is met.
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(actor) = &query.actor {
            params.push(("actor", actor.clone()));
        }
        if let Some(flag) = &query.flag {
            params.push(("flag", flag.to_string()));
        }
        if let Some(action) = &query.action {
            params.push(("action", action.clone()));
        }
        if let Some(since) = query.since {
            params.push(("since", since.to_string()));
        }
        if let Some(until) = query.until {
            params.push(("until", until.to_string()));
        }
        if query.newest_first {
            params.push(("order", "newest".to_owned()));
        }
        let (mut after, mut before) = (query.after_id, query.before_id);
        let mut entries: Vec<AuditEntry> = Vec::new();
        loop {
            let wanted = query
                .limit
                .map_or(u64::MAX, |l| u64::from(l) - entries.len() as u64);
            if wanted == 0 {
                break;
            }
            let page_size = wanted.min(u64::from(AUDIT_PAGE_MAX));
            let mut page_params = params.clone();
            page_params.push(("limit", page_size.to_string()));
            if let Some(id) = after {
                page_params.push(("after_id", id.to_string()));
            }
            if let Some(id) = before {
                page_params.push(("before_id", id.to_string()));
            }
            let response = self
                .send(self.request(Method::GET, "/audit").query(&page_params))
                .await?;
            let more = response.headers().contains_key(reqwest::header::LINK);
            let page: Vec<AuditEntry> = response
                .json()
                .await
                .map_err(|e| bad_answer("audit query", e))?;
            let Some(last) = page.last().map(|e| e.id) else {
                break;
            };
            entries.extend(page);
            if !more {
                break;
            }
            if query.newest_first {
                before = Some(last);
            } else {
                after = Some(last);
            }
        }
        Ok(entries)
    }

    /// The server verifies with its own audit key, if it has one.
    async fn verify_audit_with(&self, anchor: Option<&Anchor>) -> Result<VerifyReport, StoreError> {
        let params: Vec<(&str, String)> = anchor
            .map(|a| ("expect_head", a.to_string()))
            .into_iter()
            .collect();
        self.json(
            "audit verify",
            self.request(Method::GET, "/audit/verify").query(&params),
        )
        .await
    }

    /// The newest entry: the head as far as the API shows it.
    async fn audit_head(&self) -> Result<(u64, String), StoreError> {
        let newest = self
            .audit(&AuditQuery {
                limit: Some(1),
                newest_first: true,
                ..AuditQuery::default()
            })
            .await?;
        Ok(newest
            .into_iter()
            .next()
            .map_or((0, GENESIS_HASH.to_owned()), |e| (e.id, e.hash)))
    }

    async fn trust_state(&self, _meta: &ChangeMeta) -> Result<TrustReport, StoreError> {
        Err(not_offered(
            "only `cutover serve --trust-state` on the store itself accepts its state",
        ))
    }
}

#[async_trait]
impl TokenStore for RemoteStore {
    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.json("token list", self.request(Method::GET, "/tokens"))
            .await
    }

    async fn token_by_hash(&self, _hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        Err(not_offered(
            "the API does not look tokens up by hash; the server checks them itself",
        ))
    }

    /// Through the API the server generates the secret: use
    /// [`RemoteStore::create_remote_token`]. A record with a hash made elsewhere cannot be
    /// stored remotely, by design: secrets are born where they are checked.
    async fn create_token(
        &self,
        token: TokenRecord,
        _meta: &ChangeMeta,
    ) -> Result<Committed<TokenRecord>, StoreError> {
        Err(StoreError::Remote {
            status: 400,
            code: "not_offered".into(),
            message: format!(
                "token {} must be created by the server; use `cutover token create`",
                token.name
            ),
        })
    }

    async fn revoke_token(
        &self,
        name: &TokenName,
        meta: &ChangeMeta,
    ) -> Result<Committed<TokenRecord>, StoreError> {
        let path = format!("/tokens/{name}");
        self.committed("token revoke", self.change(Method::DELETE, &path, meta))
            .await
    }
}

#[async_trait]
impl MeasurementStore for RemoteStore {
    /// Arm metrics reach a server from SDKs (`POST /api/v1/metrics`), not from the CLI.
    async fn add_arm_metrics(&self, _windows: &[ArmWindow]) -> Result<(), StoreError> {
        Err(not_offered("uploading arm metrics is the SDK's job"))
    }

    /// The API answers per-arm summaries (`GET /api/v1/flags/{key}/metrics`), not raw sketches.
    async fn arm_metrics(
        &self,
        _flag: &FlagKey,
        _since: Timestamp,
        _until: Timestamp,
    ) -> Result<ArmFigures, StoreError> {
        Err(not_offered(
            "raw arm sketches are not served; read GET /api/v1/flags/{key}/metrics",
        ))
    }

    /// Shadow findings reach a server from SDKs, not from the CLI.
    async fn add_shadow_counts(&self, _windows: &[ShadowWindow]) -> Result<(), StoreError> {
        Err(not_offered("uploading shadow findings is the SDK's job"))
    }

    async fn shadow_counts(
        &self,
        flag: &FlagKey,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<ShadowCounts, StoreError> {
        let request = self
            .request(Method::GET, &format!("/flags/{flag}/shadow"))
            .query(&[("since", since.to_string()), ("until", until.to_string())]);
        self.json("shadow report", request).await
    }
}

#[async_trait]
impl RolloutGuardStore for RemoteStore {
    /// The guard runs in servers; a client only reads what it saw.
    async fn add_guard_record(&self, _record: &GuardRecord) -> Result<(), StoreError> {
        Err(not_offered(
            "the guard's history is written by the server's guard",
        ))
    }

    async fn guard_history(
        &self,
        flag: &FlagKey,
        limit: u32,
    ) -> Result<Vec<GuardRecord>, StoreError> {
        let request = self
            .request(Method::GET, &format!("/flags/{flag}/rollout/history"))
            .query(&[("limit", limit)]);
        self.json("rollout history", request).await
    }

    async fn guard_lease(&self) -> Result<Option<Box<dyn GuardLease>>, StoreError> {
        Err(not_offered(
            "the guard runs in `cutover serve`, not through the API",
        ))
    }
}

#[async_trait]
impl MaintenanceStore for RemoteStore {
    async fn copy_source(&self) -> Result<cutover_store::CopySource, StoreError> {
        Err(not_offered(
            "a store is copied from the store itself (--db or --postgres), not through the API",
        ))
    }

    async fn copy_target(&self) -> Result<cutover_store::CopyTarget, StoreError> {
        Err(not_offered(
            "a store is copied into the store itself (a file or a postgres:// URL), not through \
             the API",
        ))
    }

    async fn backup(
        &self,
        _path: &std::path::Path,
    ) -> Result<cutover_store::BackupReport, StoreError> {
        Err(not_offered(
            "a backup is taken from the store itself (--db or --postgres), not through the API",
        ))
    }
}

#[async_trait]
impl ChangeFeedStore for RemoteStore {
    /// A CLI command does not follow changes; nothing ever wakes.
    async fn change_signals(&self) -> Result<ChangeSignals, StoreError> {
        Ok(Box::pin(futures_util::stream::pending()))
    }
}

//! A node over a fresh SQLite store with one token per role, for tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use cutover_core::{EnvOverrides, Flag, FlagKey, Override, Preset, Role, Timestamp, TokenName};
use cutover_server::{Live, ServerConfig, router};
use cutover_store::{ChangeMeta, SqliteStore, Store, TokenRecord};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const ROLES: [Role; 4] = [Role::Admin, Role::Operator, Role::Viewer, Role::Sdk];

/// The secret of the fixture's token for a role; its name is the role's name.
pub fn secret(role: Role) -> String {
    format!("cut_test_{role}")
}

pub struct Fixture {
    pub store: Arc<dyn Store>,
    pub live: Arc<Live>,
    pub app: Router,
    _dir: tempfile::TempDir,
}

pub fn meta() -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: "fixture".into(),
        reason: None,
        at: Timestamp::now(),
    }
}

/// Flags `checkout` (an override for user u1, used by preset `phase-1`) and `other`.
pub async fn fixture(config: ServerConfig) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("t.db")).await.unwrap());
    let meta = meta();
    for role in ROLES {
        let record = TokenRecord {
            name: TokenName::new(role.as_str()).unwrap(),
            role,
            hash: cutover_core::token_hash(&secret(role)),
            created_at: meta.at,
            created_by: "fixture".into(),
            expires_at: None,
        };
        store.create_token(record, &meta).await.unwrap();
    }
    let mut checkout = Flag::new(FlagKey::new("checkout").unwrap());
    checkout.overrides.push(Override {
        attribute: cutover_core::AttributeName::new("user_id").unwrap(),
        value: "u1".into(),
        variant: cutover_core::Variant::New,
        expires_at: None,
    });
    store.create_flag(checkout, &meta).await.unwrap();
    store
        .create_flag(Flag::new(FlagKey::new("other").unwrap()), &meta)
        .await
        .unwrap();
    let preset: Preset = serde_json::from_str(
        r#"{"name": "phase-1", "entries": [{"flag": "checkout", "stage": "canary"}]}"#,
    )
    .unwrap();
    store.define_preset(preset, &meta).await.unwrap();
    let live = Live::load(store.clone(), EnvOverrides::none())
        .await
        .unwrap();
    let app = router(live.clone(), &config).unwrap();
    Fixture {
        store,
        live,
        app,
        _dir: dir,
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: serde_json::Value,
    pub text: String,
}

impl Fixture {
    /// The SQLite file under the fixture's store.
    pub fn db_path(&self) -> std::path::PathBuf {
        self._dir.path().join("t.db")
    }

    /// Sends one request; `token` is a role's fixture token, or none.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        role: Option<Role>,
        body: Option<&str>,
    ) -> Answer {
        self.call_with(method, path, role, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        role: Option<Role>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(role) = role {
            request = request.header("authorization", format!("Bearer {}", secret(role)));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Body::from(body.unwrap_or("").to_owned()))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let is_stream = headers
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/event-stream"));
        let text = if is_stream {
            String::new()
        } else {
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }
}

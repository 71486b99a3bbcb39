//! The suites' server: `cutover_server::Server` on a temporary SQLite store with one admin
//! token, the client of it, and the store-backed layer on the same store.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

use std::sync::Arc;

use cutover_api::{ChangeMeta, Control};
use cutover_client::AdminClient;
use cutover_core::{FlagKey, Role, Timestamp, TokenName};
use cutover_server::{Server, ServerConfig};
use cutover_store::{SqliteStore, Store, TokenRecord};

pub const SECRET: &str = "cut_test_admin";

/// A server on a fresh store with one admin token (`admin`), the client of it, and the
/// store-backed layer on the same store.
pub struct Node {
    pub server: Server,
    pub client: AdminClient,
    pub local: Arc<dyn Control>,
    pub store: Arc<dyn Store>,
    pub dir: tempfile::TempDir,
}

pub fn meta() -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: "admin".into(),
        reason: Some("test".into()),
        at: Timestamp::now(),
    }
}

pub fn key(k: &str) -> FlagKey {
    FlagKey::new(k).unwrap()
}

pub async fn node(config: ServerConfig) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("t.db")).await.unwrap());
    let record = TokenRecord {
        name: TokenName::new("admin").unwrap(),
        role: Role::Admin,
        hash: cutover_core::token_hash(SECRET),
        created_at: Timestamp::now(),
        created_by: "test".into(),
        expires_at: None,
    };
    store.create_token(record, &meta()).await.unwrap();
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        guard: cutover_server::rollout_guard::GuardConfig {
            enabled: false,
            ..config.guard.clone()
        },
        ..config
    };
    let server = Server::start(config, store.clone()).await.unwrap();
    let client = AdminClient::new(&format!("http://{}", server.addr()), SECRET).unwrap();
    Node {
        server,
        client,
        local: Arc::new(cutover_control::StoreControl::new(store.clone())),
        store,
        dir,
    }
}

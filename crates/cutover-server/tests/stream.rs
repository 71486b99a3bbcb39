//! The change stream over real HTTP: a snapshot on connect, every change as it commits with its
//! sequence as the event id, exactly the missed changes for a client that reconnects with
//! `Last-Event-ID` (also after the node restarted), and a change made on one node reaching the
//! clients of another node on the same store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use cutover_core::{Flag, FlagKey, Role, Timestamp, TokenName};
use cutover_server::{Server, ServerConfig};
use cutover_store::{ChangeMeta, SqliteStore, Store, TokenRecord};
use eventsource_stream::{Event, Eventsource};
use futures_util::{Stream, StreamExt};

const SECRET: &str = "cut_stream_test_admin";

fn meta() -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: "test".into(),
        reason: None,
        at: Timestamp::now(),
    }
}

async fn seeded_store(path: &std::path::Path) -> Arc<dyn Store> {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(path).await.unwrap());
    if store.tokens().await.unwrap().is_empty() {
        let token = TokenRecord {
            name: TokenName::new("admin").unwrap(),
            role: Role::Admin,
            hash: cutover_core::token_hash(SECRET),
            created_at: Timestamp::now(),
            created_by: "test".into(),
            expires_at: None,
        };
        store.create_token(token, &meta()).await.unwrap();
        let flag = Flag::new(FlagKey::new("checkout").unwrap());
        store.create_flag(flag, &meta()).await.unwrap();
    }
    store
}

async fn start(store: Arc<dyn Store>) -> Server {
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        change_rate_per_second: 1000,
        change_burst: 1000,
        resync_every: Duration::from_millis(500),
        ..ServerConfig::default()
    };
    Server::start(config, store).await.unwrap()
}

async fn connect(
    server: &Server,
    last_event_id: Option<&str>,
) -> impl Stream<Item = Event> + Unpin + use<> {
    let mut request = reqwest::Client::new()
        .get(format!("http://{}/api/v1/stream", server.addr()))
        .bearer_auth(SECRET);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    Box::pin(response.bytes_stream().eventsource().map(|e| e.unwrap()))
}

async fn next(events: &mut (impl Stream<Item = Event> + Unpin)) -> Event {
    tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("an event within 10 s")
        .expect("the stream is open")
}

async fn set_rollout(server: &Server, percent: u32) {
    let response = reqwest::Client::new()
        .put(format!(
            "http://{}/api/v1/flags/checkout/rollout",
            server.addr()
        ))
        .bearer_auth(SECRET)
        .json(&serde_json::json!({ "percent": percent }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

fn data(event: &Event) -> serde_json::Value {
    serde_json::from_str(&event.data).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_then_changes_then_exactly_what_was_missed() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded_store(&dir.path().join("s.db")).await;
    let server = start(store.clone()).await;

    let mut events = connect(&server, None).await;
    let snapshot = next(&mut events).await;
    assert_eq!(snapshot.event, "snapshot");
    let head: u64 = snapshot.id.parse().unwrap();
    assert_eq!(data(&snapshot)["flags"][0]["key"], "checkout");

    set_rollout(&server, 5).await;
    let change = next(&mut events).await;
    assert_eq!(change.event, "change");
    assert_eq!(change.id, (head + 1).to_string());
    assert_eq!(data(&change)["flag"]["rollout_percent"], 5);
    drop(events);

    // Away for two changes: on return, exactly those two, in order, and no snapshot.
    set_rollout(&server, 10).await;
    set_rollout(&server, 20).await;
    let mut events = connect(&server, Some(&change.id)).await;
    let a = next(&mut events).await;
    let b = next(&mut events).await;
    assert_eq!((a.event.as_str(), b.event.as_str()), ("change", "change"));
    assert_eq!(data(&a)["flag"]["rollout_percent"], 10);
    assert_eq!(data(&b)["flag"]["rollout_percent"], 20);
    assert_eq!(b.id, (head + 3).to_string());
    drop(events);

    // The node restarts (its memory of recent events is gone); the log still has them.
    server.shutdown().await.unwrap();
    let server = start(store.clone()).await;
    set_rollout(&server, 30).await;
    let mut events = connect(&server, Some(&change.id)).await;
    let replayed: Vec<u64> = [
        next(&mut events).await,
        next(&mut events).await,
        next(&mut events).await,
    ]
    .iter()
    .map(|e| {
        assert_eq!(e.event, "change");
        data(e)["flag"]["rollout_percent"].as_u64().unwrap()
    })
    .collect();
    assert_eq!(replayed, [10, 20, 30]);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_one_node_reaches_the_clients_of_another() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let a = start(seeded_store(&path).await).await;
    let b = start(seeded_store(&path).await).await;
    let mut on_b = connect(&b, None).await;
    let snapshot = next(&mut on_b).await;
    assert_eq!(snapshot.event, "snapshot");
    set_rollout(&a, 42).await;
    let change = next(&mut on_b).await;
    assert_eq!(change.event, "change");
    assert_eq!(data(&change)["flag"]["rollout_percent"], 42);
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ofrep_clients_get_refetch_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(seeded_store(&dir.path().join("o.db")).await).await;
    let response = reqwest::Client::new()
        .get(format!(
            "http://{}/api/v1/stream?format=ofrep",
            server.addr()
        ))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    let mut events = Box::pin(response.bytes_stream().eventsource().map(|e| e.unwrap()));
    let first = next(&mut events).await;
    assert_eq!(data(&first)["type"], "refetchEvaluation");
    set_rollout(&server, 7).await;
    let second = next(&mut events).await;
    assert_eq!(second.event, "message");
    assert_eq!(data(&second)["type"], "refetchEvaluation");
    server.shutdown().await.unwrap();
}

/// Opens a change stream with `secret`.
async fn connect_as(server: &Server, secret: &str) -> impl Stream<Item = Event> + Unpin + use<> {
    let response = reqwest::Client::new()
        .get(format!("http://{}/api/v1/stream", server.addr()))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    Box::pin(
        response
            .bytes_stream()
            .eventsource()
            .filter_map(|e| async move { e.ok() }),
    )
}

/// Waits for the stream to end, skipping the events it still sends.
async fn ends_within(events: &mut (impl Stream<Item = Event> + Unpin), limit: Duration) -> bool {
    tokio::time::timeout(limit, async { while events.next().await.is_some() {} })
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_of_a_revoked_token_ends_on_every_node_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded_store(&dir.path().join("s.db")).await;
    let watcher = TokenRecord {
        name: TokenName::new("watcher").unwrap(),
        role: Role::Sdk,
        hash: cutover_core::token_hash("cut_watcher_secret"),
        created_at: Timestamp::now(),
        created_by: "test".into(),
        expires_at: None,
    };
    store.create_token(watcher, &meta()).await.unwrap();
    let a = start(store.clone()).await;
    // Another node on the same file: it learns of the revocation from the store, not the request.
    let b = start(Arc::new(
        SqliteStore::open(dir.path().join("s.db")).await.unwrap(),
    ))
    .await;
    let mut on_a = connect_as(&a, "cut_watcher_secret").await;
    let mut on_b = connect_as(&b, "cut_watcher_secret").await;
    let mut admin_stream = connect_as(&a, SECRET).await;
    assert_eq!(next(&mut on_a).await.event, "snapshot");
    assert_eq!(next(&mut on_b).await.event, "snapshot");
    assert_eq!(next(&mut admin_stream).await.event, "snapshot");

    let revoked = reqwest::Client::new()
        .delete(format!("http://{}/api/v1/tokens/watcher", a.addr()))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert!(
        ends_within(&mut on_a, Duration::from_secs(1)).await,
        "the revoked token's stream on the node that revoked it is still open after 1 s"
    );
    assert!(
        ends_within(&mut on_b, Duration::from_secs(1)).await,
        "the revoked token's stream on another node is still open after 1 s"
    );
    // Other tokens' streams go on and see the next change.
    set_rollout(&a, 7).await;
    assert_eq!(next(&mut admin_stream).await.event, "change");
    // And the revoked token cannot open a new one.
    let refused = reqwest::Client::new()
        .get(format!("http://{}/api/v1/stream", b.addr()))
        .bearer_auth("cut_watcher_secret")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_of_an_expiring_token_ends_when_it_expires_and_the_token_stops_working() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded_store(&dir.path().join("s.db")).await;
    let server = start(store.clone()).await;
    let expires_at = Timestamp::now() + jiff::SignedDuration::from_millis(1500);
    let created = reqwest::Client::new()
        .post(format!("http://{}/api/v1/tokens", server.addr()))
        .bearer_auth(SECRET)
        .json(&serde_json::json!({"name": "temp", "role": "sdk", "expires_at": expires_at}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    let secret = created["token"].as_str().unwrap().to_owned();

    let mut events = connect_as(&server, &secret).await;
    assert_eq!(next(&mut events).await.event, "snapshot");
    assert!(
        ends_within(&mut events, Duration::from_millis(2500)).await,
        "the stream outlived its token's expiry by more than a second"
    );
    assert!(
        Timestamp::now() >= expires_at,
        "ended at expiry, not before"
    );
    let refused = reqwest::Client::new()
        .post(format!("http://{}/ofrep/v1/evaluate/flags", server.addr()))
        .bearer_auth(&secret)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().contains("expired"));
    // An expiry in the past is refused at creation, naming the field.
    let past = reqwest::Client::new()
        .post(format!("http://{}/api/v1/tokens", server.addr()))
        .bearer_auth(SECRET)
        .json(&serde_json::json!({"name": "late", "role": "sdk", "expires_at": "2001-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 422);
    server.shutdown().await.unwrap();
}

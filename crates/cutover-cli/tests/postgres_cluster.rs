//! Several `cutover serve` nodes on one PostgreSQL database: a change sent to node A reaches the
//! stream clients of node B; node B killed with SIGKILL and restarted loses its clients nothing
//! (they reconnect with their last event id); and a node whose database goes away keeps
//! evaluating from memory, answers changes with 503, and recovers by itself.
//!
//! Needs CUTOVER_TEST_POSTGRES (an admin URL); each test creates and drops its own database.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::Cutover;
use common::served::Served;
use eventsource_stream::{Event, Eventsource};
use futures_util::{Stream, StreamExt};

async fn follow(
    node: &Served,
    token: &str,
    last_event_id: Option<&str>,
) -> impl Stream<Item = Event> + Unpin + use<> {
    let mut request = reqwest::Client::new()
        .get(format!("{}/api/v1/stream", node.url))
        .bearer_auth(token);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    Box::pin(response.bytes_stream().eventsource().map(|e| e.unwrap()))
}

async fn next(events: &mut (impl Stream<Item = Event> + Unpin)) -> Event {
    tokio::time::timeout(Duration::from_secs(15), events.next())
        .await
        .expect("an event within 15 s")
        .expect("the stream is open")
}

async fn rollout(node: &Served, token: &str, percent: u32) -> reqwest::Response {
    reqwest::Client::new()
        .put(format!("{}/api/v1/flags/checkout/rollout", node.url))
        .bearer_auth(token)
        .json(&serde_json::json!({ "percent": percent }))
        .send()
        .await
        .unwrap()
}

fn percent_of(event: &Event) -> u64 {
    let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
    data["flag"]["rollout_percent"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_node_a_streams_from_node_b_and_survives_b_being_killed() {
    let Some(db) = common::postgres::database("two_nodes") else {
        return;
    };
    let c = Cutover::on_postgres(&db.url);
    let a = c.serve(&[]);
    let token = a.admin_token.clone().unwrap();
    c.ok(&["flag", "create", "checkout"]);
    let b = c.serve(&[]);
    assert!(
        b.admin_token.is_none(),
        "the store already has its admin token"
    );

    let mut on_b = follow(&b, &token, None).await;
    assert_eq!(next(&mut on_b).await.event, "snapshot");
    assert_eq!(rollout(&a, &token, 5).await.status(), 200);
    let change = next(&mut on_b).await;
    assert_eq!((change.event.as_str(), percent_of(&change)), ("change", 5));

    // B dies hard; two changes happen on A meanwhile; B comes back on another port.
    b.kill_9();
    drop(on_b);
    assert_eq!(rollout(&a, &token, 10).await.status(), 200);
    assert_eq!(rollout(&a, &token, 20).await.status(), 200);
    let b = c.serve(&[]);
    let mut on_b = follow(&b, &token, Some(&change.id)).await;
    let missed = [next(&mut on_b).await, next(&mut on_b).await];
    assert!(missed.iter().all(|e| e.event == "change"));
    assert_eq!(missed.map(|e| percent_of(&e)), [10, 20]);

    // And B keeps following A.
    assert_eq!(rollout(&a, &token, 30).await.status(), 200);
    assert_eq!(percent_of(&next(&mut on_b).await), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_database_stops_changes_not_evaluation() {
    let Some(db) = common::postgres::database("outage") else {
        return;
    };
    let c = Cutover::on_postgres(&db.url);
    let node = c.serve(&[]);
    let token = node.admin_token.clone().unwrap();
    c.ok(&["flag", "create", "checkout"]);
    c.ok(&["stage", "set", "checkout", "production"]);
    let http = reqwest::Client::new();
    let evaluate = || async {
        let response = http
            .post(format!("{}/ofrep/v1/evaluate/flags/checkout", node.url))
            .bearer_auth(&token)
            .json(&serde_json::json!({"context": {"targetingKey": "u1"}}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json::<serde_json::Value>().await.unwrap())
    };
    // The node has applied the CLI's changes before the database goes.
    let mut answer = evaluate().await;
    for _ in 0..100 {
        if answer.1["variant"] == "new" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        answer = evaluate().await;
    }
    assert_eq!(answer.1["variant"], "new");

    db.sever();
    for _ in 0..20 {
        let (status, body) = evaluate().await;
        assert_eq!(status, 200, "evaluation answers from memory: {body}");
        assert_eq!(body["variant"], "new");
    }
    let refused = rollout(&node, &token, 5).await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "store_unavailable");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"),
        "{body}"
    );

    db.restore();
    // No restart: the pool reconnects by itself.
    let mut status = 0;
    for _ in 0..50 {
        status = rollout(&node, &token, 5).await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, 200, "changes work again once the database is back");
    let (_, body) = evaluate().await;
    assert_eq!(body["metadata"]["flagVersion"], 3);
}

//! What only PostgreSQL has to show: nodes starting together on a new database migrate once,
//! a commit on one node wakes the followers of another, and editing or deleting audit rows
//! behind cutover's back is caught. Needs CUTOVER_TEST_POSTGRES.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::{Backend, store};
use cutover_core::{Flag, FlagKey, Timestamp};
use cutover_store::{ChangeMeta, PgStore};
use futures_util::StreamExt;
use sqlx::Connection;

fn meta() -> ChangeMeta {
    ChangeMeta {
        actor: "test".into(),
        reason: None,
        at: Timestamp::now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_on_one_node_wakes_another() {
    let Some((place, a)) = store(Backend::Postgres).await else {
        return;
    };
    let b = place.open_again().await;
    let mut signals = b.change_signals().await.unwrap();
    // The first wake-up is the connection itself (catch up on whatever came before).
    tokio::time::timeout(Duration::from_secs(5), signals.next())
        .await
        .unwrap()
        .unwrap();
    a.create_flag(Flag::new(FlagKey::new("f").unwrap()), &meta())
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), signals.next())
        .await
        .expect("node B woke up within 5 s")
        .unwrap();
    assert_eq!(b.state().await.unwrap().head, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_together_migrate_once() {
    let Some((place, _first)) = store(Backend::Postgres).await else {
        return;
    };
    let url = place.postgres_url().unwrap();
    // Eight more nodes connect at the same moment to the same, already-created database.
    let mut joins = Vec::new();
    for _ in 0..8 {
        let url = url.clone();
        joins.push(tokio::spawn(async move {
            PgStore::connect(&url).await.map(|_| ())
        }));
    }
    for j in joins {
        j.await.unwrap().unwrap();
    }
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let (rows, versions): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT version) FROM cutover_schema")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(versions >= 4);
    assert_eq!(rows, versions, "each migration recorded once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_or_deleting_audit_rows_is_caught() {
    let Some((place, store)) = store(Backend::Postgres).await else {
        return;
    };
    for k in ["a", "b", "c"] {
        store
            .create_flag(Flag::new(FlagKey::new(k).unwrap()), &meta())
            .await
            .unwrap();
    }
    assert!(store.verify_audit().await.unwrap().is_intact());
    let url = place.postgres_url().unwrap();
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
        .execute(&mut conn)
        .await
        .unwrap();
    let report = store.verify_audit().await.unwrap();
    assert_eq!(
        serde_json::to_value(&report.fault).unwrap(),
        serde_json::json!({"fault": "edited", "id": 2})
    );
    sqlx::query("UPDATE audit_log SET actor = 'test' WHERE id = 2")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE id = 3")
        .execute(&mut conn)
        .await
        .unwrap();
    let report = store.verify_audit().await.unwrap();
    assert!(
        !report.is_intact(),
        "a deleted newest entry is caught by the head"
    );
}

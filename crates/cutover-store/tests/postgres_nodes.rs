//! What only PostgreSQL has to show: nodes starting together on a new database migrate once,
//! a commit on one node wakes the followers of another, a lost database is `Unavailable` and
//! comes back without a restart, and editing or deleting audit rows behind cutover's back is
//! caught and named. Most tests need CUTOVER_TEST_POSTGRES.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::{Duration, Instant};

use common::{Backend, Place, empty_postgres, store};
use cutover_core::{ChainFault, Flag, FlagChange, FlagKey, Rollout, Timestamp};
use cutover_store::{ChangeMeta, ChangeSignals, PgStore, StoreError};
use futures_util::StreamExt;
use sqlx::Connection;

fn meta() -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: "test".into(),
        reason: None,
        at: Timestamp::now(),
    }
}

fn key(k: &str) -> FlagKey {
    FlagKey::new(k).unwrap()
}

async fn woken_within(signals: &mut ChangeSignals, seconds: u64, what: &str) {
    tokio::time::timeout(Duration::from_secs(seconds), signals.next())
        .await
        .unwrap_or_else(|_| panic!("no wake-up within {seconds} s: {what}"))
        .expect("the signal stream never ends");
}

/// Swallows wake-ups already on their way, so the next one is known to come from what follows.
async fn drain(signals: &mut ChangeSignals) {
    while tokio::time::timeout(Duration::from_millis(300), signals.next())
        .await
        .is_ok()
    {}
}

async fn admin_sql(place: &Place, sql: &str) {
    let url = place.postgres_url().unwrap();
    let name = url.rsplit('/').next().unwrap();
    let admin = std::env::var("CUTOVER_TEST_POSTGRES").unwrap();
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.replace("{db}", name)))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_on_one_node_wakes_another() {
    let Some((place, a)) = store(Backend::Postgres).await else {
        return;
    };
    let b = place.open_again().await;
    let mut signals = b.change_signals().await.unwrap();
    woken_within(
        &mut signals,
        5,
        "the first wake-up is the connection itself",
    )
    .await;
    drain(&mut signals).await;
    a.create_flag(Flag::new(key("f")), &meta()).await.unwrap();
    woken_within(&mut signals, 2, "node B after a commit on node A").await;
    assert_eq!(b.state().await.unwrap().head, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_together_on_a_new_database_migrate_once() {
    let Some(place) = empty_postgres().await else {
        return;
    };
    let url = place.postgres_url().unwrap();
    let joins: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PgStore::connect(&url).await.map(|_| ()) })
        })
        .collect();
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
async fn a_newer_schema_is_refused() {
    let Some((place, store)) = store(Backend::Postgres).await else {
        return;
    };
    store.close().await;
    let url = place.postgres_url().unwrap();
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("INSERT INTO cutover_schema (version) VALUES (99)")
        .execute(&mut conn)
        .await
        .unwrap();
    let err = PgStore::connect(&url).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade cutover"), "{err}");
}

/// Builds a store with four audit entries, tampers with it through plain SQL, and returns what
/// `verify_audit` says.
async fn fault_after(sql: &str) -> Option<ChainFault> {
    let (place, store) = store(Backend::Postgres).await?;
    store
        .create_flag(Flag::new(key("a")), &meta())
        .await
        .unwrap();
    store
        .create_flag(Flag::new(key("b")), &meta())
        .await
        .unwrap();
    let five = FlagChange::SetRollout {
        rollout_percent: Rollout::from_percent_str("5").unwrap(),
    };
    store
        .change_flag(&key("a"), Some(1), &[five], &meta())
        .await
        .unwrap();
    store
        .create_flag(Flag::new(key("c")), &meta())
        .await
        .unwrap();
    assert!(store.verify_audit().await.unwrap().is_intact());
    let mut conn = sqlx::PgConnection::connect(&place.postgres_url().unwrap())
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .unwrap();
    let report = store.verify_audit().await.unwrap();
    Some(
        report
            .fault
            .unwrap_or_else(|| panic!("tampering went unnoticed: {sql}")),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_tampering_is_named() {
    let cases: &[(&str, ChainFault)] = &[
        (
            "UPDATE audit_log SET actor = 'mallory' WHERE id = 2",
            ChainFault::Edited { id: 2 },
        ),
        (
            r#"UPDATE audit_log SET after = replace(after, '"rollout_percent":5', '"rollout_percent":50') WHERE id = 3"#,
            ChainFault::Edited { id: 3 },
        ),
        // The same JSON, re-serialised the way a JSONB column would: why the columns are TEXT.
        (
            "UPDATE audit_log SET after = (after::jsonb)::text WHERE id = 3",
            ChainFault::Edited { id: 3 },
        ),
        (
            "DELETE FROM audit_log WHERE id = 2",
            ChainFault::Missing {
                expected: 2,
                found: Some(3),
            },
        ),
        (
            "DELETE FROM audit_log WHERE id = 4",
            ChainFault::Missing {
                expected: 4,
                found: None,
            },
        ),
        (
            "UPDATE audit_head SET last_id = 3",
            ChainFault::HeadMismatch {
                head_id: 3,
                last_id: 4,
            },
        ),
    ];
    for (sql, expected) in cases {
        let Some(fault) = fault_after(sql).await else {
            return;
        };
        assert_eq!(&fault, expected, "after: {sql}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_is_unavailable_and_comes_back_without_a_restart() {
    let Some((place, store)) = store(Backend::Postgres).await else {
        return;
    };
    let mut signals = store.change_signals().await.unwrap();
    woken_within(&mut signals, 5, "the listener's first connection").await;

    admin_sql(&place, "ALTER DATABASE {db} WITH ALLOW_CONNECTIONS false").await;
    admin_sql(
        &place,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'",
    )
    .await;
    let started = Instant::now();
    let err = store
        .create_flag(Flag::new(key("f")), &meta())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err}");
    assert!(err.to_string().contains("cannot be reached"), "{err}");
    assert!(
        matches!(store.flags().await, Err(StoreError::Unavailable { .. })),
        "reads are unavailable too"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "calls fail fast, not after {:?}",
        started.elapsed()
    );

    admin_sql(&place, "ALTER DATABASE {db} WITH ALLOW_CONNECTIONS true").await;
    let mut created = None;
    for _ in 0..50 {
        match store.create_flag(Flag::new(key("f")), &meta()).await {
            Ok(c) => {
                created = Some(c);
                break;
            }
            Err(StoreError::Unavailable { .. }) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(created.expect("the pool reconnected").audit_id, Some(1));

    // The stream did not end: it wakes after reconnecting, then for every later commit.
    woken_within(&mut signals, 10, "the listener reconnecting").await;
    drain(&mut signals).await;
    store
        .change_flag(&key("f"), Some(1), &[FlagChange::Kill], &meta())
        .await
        .unwrap();
    woken_within(&mut signals, 2, "a commit after the reconnection").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_listening_is_unavailable_within_seconds() {
    // A port that was free a moment ago: connections are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let err = PgStore::connect(&format!("postgres://cutover@127.0.0.1:{port}/cutover"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

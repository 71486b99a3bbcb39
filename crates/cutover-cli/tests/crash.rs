//! `kill -9` of a serving node in the middle of 1,000 concurrent change requests: after a
//! restart, every change that was answered 2xx is in the store with its audit entry, the flag's
//! version counts exactly the committed changes, and the audit chain verifies.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::Cutover;

const UNLIMITED: &[&str] = &["--change-rate", "100000", "--change-burst", "100000"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_change_survives_a_kill_9_on_sqlite() {
    survives_kill_9(Cutover::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_change_survives_a_kill_9_on_postgres() {
    let Some(db) =
        common::postgres::database("every_acknowledged_change_survives_a_kill_9_on_postgres")
    else {
        return;
    };
    survives_kill_9(Cutover::on_postgres(&db.url)).await;
}

async fn survives_kill_9(c: Cutover) {
    let served = c.serve(UNLIMITED);
    let (url, token) = (served.url.clone(), served.admin_token.clone().unwrap());
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{url}/api/v1/flags"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"key": "checkout"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let answered = Arc::new(AtomicUsize::new(0));
    let mut requests = Vec::new();
    for i in 1..=1000u32 {
        let (http, url, token, answered) =
            (http.clone(), url.clone(), token.clone(), answered.clone());
        requests.push(tokio::spawn(async move {
            // Distinct percentages (0.01 % steps), so every committed request changes the flag.
            let percent = format!("{}.{:02}", i / 100, i % 100);
            let result = http
                .put(format!("{url}/api/v1/flags/checkout/rollout"))
                .bearer_auth(&token)
                .json(&serde_json::json!({ "percent": percent }))
                .send()
                .await;
            answered.fetch_add(1, Ordering::SeqCst);
            match result {
                Ok(r) if r.status().is_success() => Some(
                    r.headers()["x-cutover-audit-id"]
                        .to_str()
                        .unwrap()
                        .parse::<u64>()
                        .unwrap(),
                ),
                _ => None,
            }
        }));
    }
    // Pull the plug mid-flight.
    while answered.load(Ordering::SeqCst) < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    served.kill_9();
    let mut acknowledged = Vec::new();
    for r in requests {
        if let Some(id) = r.await.unwrap() {
            acknowledged.push(id);
        }
    }
    assert!(
        !acknowledged.is_empty() && acknowledged.len() < 1000,
        "{} acknowledged",
        acknowledged.len()
    );

    // The store after the crash, read by a fresh process.
    let flag: serde_json::Value =
        serde_json::from_str(&c.ok(&["flag", "get", "checkout", "--json"])).unwrap();
    let audit: serde_json::Value = serde_json::from_str(&c.ok(&[
        "audit",
        "query",
        "--flag",
        "checkout",
        "--action",
        "flag.rollout",
        "--json",
    ]))
    .unwrap();
    let logged: Vec<u64> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    for id in &acknowledged {
        assert!(
            logged.contains(id),
            "acknowledged change {id} is not in the audit log"
        );
    }
    // Requests may have committed without their answer getting out; never the other way round.
    assert!(logged.len() >= acknowledged.len());
    assert_eq!(flag["version"].as_u64().unwrap(), 1 + logged.len() as u64);
    c.ok(&["audit", "verify"]);

    // And a node starts again on it.
    let served = c.serve(&[]);
    let ready = http
        .get(format!("{}/readyz", served.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
}

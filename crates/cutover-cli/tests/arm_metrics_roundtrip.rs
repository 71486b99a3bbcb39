//! Arm metrics from an SDK to the server and back: 100,000 recorded outcomes with a known error
//! rate and latency distribution come out of `GET /api/v1/flags/{key}/metrics` with exact counts
//! and latency quantiles within the sketch's stated error (each reported quantile is at most
//! 1/32 below the true one, never above it).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::Cutover;
use cutover_sdk::{ClientBuilder, Outcome, Variant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_outcomes_come_back_per_arm() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    let client = ClientBuilder::new(&served.url, &token)
        .metrics_interval(Duration::from_secs(3600))
        .counters(["invalid_json", "cache_miss"])
        .connect()
        .await
        .unwrap();
    let invalid_json = client.counter("invalid_json").unwrap();
    assert!(client.counter("unnamed").is_none());
    // New arm: 20,000 calls, 3 % errors, 2 % invalid JSON, latencies 1..=20,000 µs once each.
    // Legacy arm: 80,000 calls, 1 % errors, 1 % fallbacks, all at 5 ms.
    for i in 1..=20_000u64 {
        client.record(
            "checkout",
            Variant::New,
            Outcome {
                latency: Duration::from_micros(i),
                error: i % 100 < 3,
                ..Outcome::default()
            }
            .count_if(i % 50 == 0, invalid_json),
        );
    }
    for i in 0..80_000u64 {
        client.record(
            "checkout",
            Variant::Legacy,
            Outcome {
                latency: Duration::from_millis(5),
                error: i % 100 == 0,
                fallback: i % 100 == 1,
                ..Outcome::default()
            },
        );
    }
    assert_eq!(
        client.flush_metrics().await,
        0,
        "the server took every batch"
    );

    let figures: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/flags/checkout/metrics", served.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new = &figures["new"];
    assert_eq!(new["calls"], 20_000);
    assert_eq!(new["errors"], 600);
    assert_eq!(new["error_rate"], 0.03);
    for (q, truth_us) in [("p50", 10_000.0), ("p90", 18_000.0), ("p99", 19_800.0)] {
        let got_us = new["latency_ms"][q].as_f64().unwrap() * 1000.0;
        assert!(
            got_us <= truth_us && truth_us - got_us <= truth_us / 32.0,
            "{q}: reported {got_us} µs, true {truth_us} µs"
        );
    }
    assert_eq!(new["counters"]["invalid_json"]["count"], 400);
    assert_eq!(new["counters"]["invalid_json"]["rate"], 0.02);
    assert!(new["counters"].get("cache_miss").is_none(), "never counted");
    let legacy = &figures["legacy"];
    assert!(legacy.get("counters").is_none(), "{legacy}");
    assert_eq!(legacy["calls"], 80_000);
    assert_eq!(legacy["error_rate"], 0.01);
    assert_eq!(legacy["fallback_rate"], 0.01);
    let p99 = legacy["latency_ms"]["p99"].as_f64().unwrap();
    assert!(p99 <= 5.0 && 5.0 - p99 <= 5.0 / 32.0, "{p99}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_findings_come_back_with_agreement_ratios() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    let client = ClientBuilder::new(&served.url, &token)
        .metrics_interval(Duration::from_secs(3600))
        .connect()
        .await
        .unwrap();
    // 200 runs: the new path disagrees on `agent` one time in ten, and fails one time in 20.
    for i in 0..200u32 {
        let ctx = cutover_sdk::Context::new().with("user_id", &format!("u{i}"));
        client.shadow("checkout", &ctx).run(
            || serde_json::json!({"agent": "billing", "score": 1}),
            |_ro| {
                if i % 20 == 19 {
                    return Err("new path down".to_owned());
                }
                let agent = if i % 10 == 0 { "support" } else { "billing" };
                Ok(serde_json::json!({"agent": agent, "score": 1}))
            },
        );
    }
    assert_eq!(client.flush_metrics().await, 0);
    let report: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/flags/checkout/shadow", served.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["runs"], 200);
    assert_eq!(report["new_errors"], 10);
    assert_eq!(report["compared"], 190);
    let agent = &report["fields"]["agent"];
    assert_eq!(agent["compared"], 190);
    assert_eq!(agent["disagreed"], 20);
    assert!((agent["ratio"].as_f64().unwrap() - 170.0 / 190.0).abs() < 1e-12);
    assert_eq!(report["fields"]["score"]["ratio"], 1.0);
    assert_eq!(report["mismatches"][0]["path"], "agent");
    assert_eq!(report["mismatches"][0]["context"][0][1], "u0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_client_uploads_what_it_recorded_and_stops_following() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    let client = ClientBuilder::new(&served.url, &token)
        .metrics_interval(Duration::from_secs(3600))
        .connect()
        .await
        .unwrap();
    let clone = client.clone();
    for _ in 0..10 {
        client.record("checkout", Variant::New, Outcome::default());
    }
    assert!(!clone.is_closed());
    assert_eq!(clone.close().await, 0, "the server took every batch");
    assert!(client.is_closed(), "every clone sees it closed");
    assert!(!client.status().connected);
    assert_eq!(client.close().await, 0, "closing twice is harmless");

    let figures: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/flags/checkout/metrics", served.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(figures["new"]["calls"], 10, "uploaded on close: {figures}");

    // A change after the close is not followed: the client answers from its last flags.
    let ctx = cutover_sdk::Context::new().with("user_id", "u1");
    let seq = client.status().seq;
    c.ok(&[
        "--server",
        &served.url,
        "--token",
        &token,
        "stage",
        "set",
        "checkout",
        "production",
    ]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!client.is_new("checkout", &ctx));
    assert_eq!(client.status().seq, seq);
}

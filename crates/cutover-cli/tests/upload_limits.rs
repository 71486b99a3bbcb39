//! `serve --upload-rate/--upload-burst`: metric uploads have a per-token budget of their own,
//! set at start, apart from the change budget.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::Cutover;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upload_budget_is_a_serve_option() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let served = c.serve(&[
        "--upload-rate",
        "1",
        "--upload-burst",
        "2",
        "--change-burst",
        "50",
    ]);
    let token = served.admin_token.clone().unwrap();
    let http = reqwest::Client::new();
    let now = jiff::Timestamp::now();
    let batch = serde_json::json!({"window_start": now, "window_end": now,
        "arms": [{"flag": "checkout", "arm": "new", "calls": 1, "errors": 0, "fallbacks": 0,
                  "retries": 0, "latency": {"buckets": [[40, 1]]}}]});
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let answer = http
            .post(format!("{}/api/v1/metrics", served.url))
            .bearer_auth(&token)
            .json(&batch)
            .send()
            .await
            .unwrap();
        statuses.push(answer.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429]);
    // The same token's changes still go through.
    let kill = http
        .post(format!("{}/api/v1/flags/checkout/kill", served.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(kill.status(), 200);
}

/// What the SDK sends, the server takes: shadow mismatches on large outputs are shortened to the
/// sample limits rather than refused (a refused batch would lose the whole window).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_never_sends_what_the_server_refuses() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    let client = cutover_sdk::ClientBuilder::new(&served.url, &token)
        .metrics_interval(std::time::Duration::from_secs(3600))
        .connect()
        .await
        .unwrap();
    let ctx = cutover_sdk::Context::new().with("user_id", "u1".repeat(800).as_str());
    for i in 0..150 {
        let legacy = serde_json::json!({"text": "l".repeat(5000), "items": ["a", "b"], "n": i});
        let new = serde_json::json!({"text": "n".repeat(5000), "items": ["a", "c"], "n": i});
        client
            .shadow("checkout", &ctx)
            .run(|| legacy.clone(), |_ro| Ok::<_, String>(new.clone()));
        client.record(
            "checkout",
            cutover_sdk::Variant::New,
            cutover_sdk::Outcome::default(),
        );
    }
    assert_eq!(
        client.flush_metrics().await,
        0,
        "the server took every batch"
    );
    assert_eq!(client.dropped_metric_batches(), 0);
    let shadow: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/flags/checkout/shadow", served.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shadow["runs"], 150, "{shadow}");
    let samples = shadow["mismatches"].as_array().unwrap();
    let text = samples.iter().find(|s| s["path"] == "text").unwrap();
    let kept = text["legacy"].as_str().unwrap();
    assert!(kept.ends_with('…') && kept.len() < 1024, "{kept}");
    assert!(text["context"][0][1].as_str().unwrap().len() <= 1024);
}

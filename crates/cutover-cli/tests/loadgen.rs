//! `cutover loadgen` against a real server: its synthetic requests take the paths the flag
//! gives them, and their outcomes reach the server's per-arm metrics.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::Cutover;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loadgen_traffic_shows_up_per_arm() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    c.ok(&["stage", "set", "checkout", "beta"]);
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    let out = c.ok(&[
        "--server",
        &served.url,
        "--token",
        &token,
        "loadgen",
        "--flag",
        "checkout",
        "--rps",
        "400",
        "--legacy-error",
        "0",
        "--new-error",
        "0.5",
        "--duration",
        "2s",
    ]);
    assert!(out.contains("legacy") && out.contains("new"), "{out}");
    let m: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/flags/checkout/metrics", served.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (legacy, new) = (&m["legacy"], &m["new"]);
    let (lc, nc) = (
        legacy["calls"].as_u64().unwrap(),
        new["calls"].as_u64().unwrap(),
    );
    // Every call loadgen made is counted by the server, whatever rate a loaded machine let it
    // reach (its last line reports what it sent).
    let last = out.lines().last().unwrap();
    let sent = |arm: &str| -> u64 {
        let after = last.split(&format!("{arm} ")).nth(1).unwrap();
        after.split(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!((lc, nc), (sent("legacy"), sent("new")), "{last} / {m}");
    assert!(lc + nc >= 100, "loadgen ran for 2 s: {m}");
    // Stage beta is 50 %: both arms get a share, within five standard deviations.
    let half = (lc + nc) as f64 / 2.0;
    let sigma = ((lc + nc) as f64).sqrt() / 2.0;
    assert!((lc as f64 - half).abs() <= 5.0 * sigma, "{m}");
    assert_eq!(legacy["errors"], 0);
    let new_rate = new["error_rate"].as_f64().unwrap();
    let spread = 5.0 * 0.5 / (nc as f64).sqrt();
    assert!((new_rate - 0.5).abs() <= spread, "{m}");
}

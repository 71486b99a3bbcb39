//! How fast a change reaches an SDK: a release `cutover serve` process on a scratch SQLite file,
//! one SDK client following it, 100 rollout changes sent through the API 50 ms apart; for each,
//! the time from sending the change request to the client's change callback (so it includes the
//! commit).
//!
//! Run: `cargo bench -p cutover-cli --bench sdk_propagation`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark reports

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cutover_sdk::{Change, Client};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let run = |args: &[&str]| {
        let status = Command::new(env!("CARGO_BIN_EXE_cutover"))
            .env("CUTOVER_DB", &db)
            .env("CUTOVER_ACTOR", "bench")
            .args(args)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    };
    run(&["flag", "create", "checkout"]);
    let mut server = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .env("CUTOVER_DB", &db)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--change-rate",
            "1000",
            "--change-burst",
            "1000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut token = String::new();
    let url = loop {
        let line = lines.next().unwrap().unwrap();
        if line.starts_with("cut_") {
            token = line;
        } else if let Some(url) = line.strip_prefix("cutover listening on ") {
            break url.to_owned();
        }
    };
    let client = Client::connect(&url, &token).await.unwrap();
    let seen: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
    let sink = seen.clone();
    client.on_change(move |change| {
        if let Change::Flag { seq, .. } = change {
            sink.lock().unwrap().push((*seq, Instant::now()));
        }
    });
    let http = reqwest::Client::new();
    let mut sent = Vec::new();
    for i in 0..100u32 {
        let started = Instant::now();
        let response = http
            .put(format!("{url}/api/v1/flags/checkout/rollout"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "percent": (i % 99) + 1 }))
            .send()
            .await
            .unwrap();
        let seq: u64 = response.headers()["x-cutover-audit-id"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        sent.push((seq, started));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = seen.lock().unwrap();
    let mut latencies: Vec<f64> = sent
        .iter()
        .filter_map(|(seq, started)| {
            seen.iter()
                .find(|(s, _)| s == seq)
                .map(|(_, at)| at.duration_since(*started).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let q = |p: f64| {
        latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1]
    };
    println!(
        "{} of {} changes seen by the SDK: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        sent.len(),
        q(0.5),
        q(0.9),
        q(0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

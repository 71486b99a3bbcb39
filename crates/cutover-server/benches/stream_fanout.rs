//! Change propagation to many stream clients on one node: 1,000 clients follow
//! `/api/v1/stream`; a change is committed through the API every 100 ms; for every client and
//! every change we record the time from sending the change request to the client receiving the
//! event. That span contains the commit, so it bounds commit-to-delivery from above.
//!
//! Run: `cargo bench -p cutover-server --bench stream_fanout` (needs `ulimit -n` above 2,100;
//! `CLIENTS` and `CHANGES` in the environment override 1,000 and 50).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark reports

use std::sync::Arc;
use std::time::{Duration, Instant};

use cutover_core::{Flag, FlagKey, Role, Timestamp, TokenName};
use cutover_server::{Server, ServerConfig};
use cutover_store::{ChangeMeta, SqliteStore, Store, TokenRecord};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use tokio::sync::{Mutex, mpsc};

const SECRET: &str = "cut_bench_admin";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(env_or("CLIENTS", 1000), env_or("CHANGES", 50)));
}

async fn run(clients: usize, changes: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("b.db")).await.unwrap());
    let meta = ChangeMeta {
        role: None,
        force: false,
        actor: "bench".into(),
        reason: None,
        at: Timestamp::now(),
    };
    let token = TokenRecord {
        name: TokenName::new("admin").unwrap(),
        role: Role::Admin,
        hash: cutover_core::token_hash(SECRET),
        created_at: meta.at,
        created_by: "bench".into(),
        expires_at: None,
    };
    store.create_token(token, &meta).await.unwrap();
    store
        .create_flag(Flag::new(FlagKey::new("checkout").unwrap()), &meta)
        .await
        .unwrap();
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        change_rate_per_second: 1000,
        change_burst: 1000,
        ..ServerConfig::default()
    };
    let server = Server::start(config, store).await.unwrap();
    let url = format!("http://{}/api/v1/stream", server.addr());

    // Each client reports (sequence, arrival) for every change event.
    let (arrivals, mut arrived) = mpsc::unbounded_channel::<(u64, Instant)>();
    let (ready, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    for _ in 0..clients {
        let (http, url, arrivals, ready) =
            (http.clone(), url.clone(), arrivals.clone(), ready.clone());
        tokio::spawn(async move {
            let response = http.get(&url).bearer_auth(SECRET).send().await.unwrap();
            let mut events = response.bytes_stream().eventsource();
            while let Some(Ok(event)) = events.next().await {
                if event.event == "snapshot" {
                    let _ = ready.send(());
                } else if event.event == "change" {
                    let _ = arrivals.send((event.id.parse().unwrap(), Instant::now()));
                }
            }
        });
    }
    drop(arrivals);
    for _ in 0..clients {
        ready_rx.recv().await.unwrap();
    }
    println!("{clients} clients connected");

    let sent: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
    let put_url = format!("http://{}/api/v1/flags/checkout/rollout", server.addr());
    let collector = tokio::spawn(async move {
        let mut all = Vec::with_capacity(clients * changes);
        while all.len() < clients * changes {
            match tokio::time::timeout(Duration::from_secs(30), arrived.recv()).await {
                Ok(Some(a)) => all.push(a),
                _ => break,
            }
        }
        all
    });
    for i in 0..changes {
        let started = Instant::now();
        let response = http
            .put(&put_url)
            .bearer_auth(SECRET)
            .json(&serde_json::json!({ "percent": (i % 100) + 1 }))
            .send()
            .await
            .unwrap();
        let seq = response
            .headers()
            .get("x-cutover-audit-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .expect("a committed change names its audit entry");
        sent.lock().await.push((seq, started));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all = collector.await.unwrap();
    let sent = sent.lock().await;
    let mut histogram = Histogram::<u64>::new(3).unwrap();
    for (seq, at) in &all {
        let started = sent
            .iter()
            .find(|(s, _)| s == seq)
            .map(|(_, t)| *t)
            .unwrap();
        histogram
            .record(at.duration_since(started).as_micros() as u64)
            .unwrap();
    }
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{} deliveries of {} expected: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        all.len(),
        clients * changes,
        ms(0.5),
        ms(0.9),
        ms(0.99),
        histogram.max() as f64 / 1000.0
    );
    server.shutdown().await.unwrap();
}

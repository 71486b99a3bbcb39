//! The SDK against a real `cutover serve` process: it sees changes as they commit, keeps
//! evaluating from its last snapshot while the server is dead, reconnects and catches up when
//! it is back, and once a kill switch is delivered no evaluation on any thread answers `new`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::Cutover;
use cutover_sdk::{Change, Client, ClientBuilder, Context};

async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_follows_changes_and_survives_the_server_dying() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    let cache = c.path("sdk-cache.json");
    let client = ClientBuilder::new(&served.url, &token)
        .cache_file(&cache)
        .connect()
        .await
        .unwrap();
    let user = Context::new().with("user_id", "u1");
    assert!(!client.is_new("checkout", &user));
    assert!(client.status().connected);
    let handle = client.flag("checkout").unwrap();

    // A change through the API reaches the client.
    let started = Instant::now();
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
    wait_for("the stage change", || client.is_new("checkout", &user)).await;
    println!(
        "change seen {:?} after the command started",
        started.elapsed()
    );
    assert!(handle.is_new(&user));
    let seq_before = client.status().seq;

    // The server dies: evaluation goes on from memory.
    served.kill_9();
    wait_for("the client to notice", || !client.status().connected).await;
    for _ in 0..1000 {
        assert!(client.is_new("checkout", &user));
    }
    // A change made while the server is down (straight on the store file) ...
    c.ok(&["kill", "checkout", "--reason", "incident"]);
    assert!(
        client.is_new("checkout", &user),
        "not seen until the server is back"
    );
    // ... is caught up on reconnection to a server on another port: a fresh client is needed
    // for a new address, but the old one's cache lets it start even before the server is up.
    let offline = Client::offline(&cache).unwrap();
    assert!(
        offline.is_new("checkout", &user),
        "the cache holds the last known state"
    );
    // A process restarting during the outage starts from its cache instead of failing.
    let restarted = ClientBuilder::new("http://127.0.0.1:9", &token)
        .cache_file(&cache)
        .initial_timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    assert!(restarted.is_new("checkout", &user));
    assert!(!restarted.status().connected);
    // Without a cache, an unreachable server is an error that says what to do.
    let err = ClientBuilder::new("http://127.0.0.1:9", &token)
        .initial_timeout(Duration::from_millis(300))
        .connect()
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("cache"), "{err}");
    let served = c.serve(&[]);
    let client = ClientBuilder::new(&served.url, &token)
        .cache_file(&cache)
        .connect()
        .await
        .unwrap();
    wait_for("the kill switch", || !client.is_new("checkout", &user)).await;
    assert!(client.status().seq > seq_before);
    assert_eq!(
        client.decide("checkout", &user).reason.kind(),
        "kill_switch"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_client_reconnects_to_a_restarted_server_and_resumes() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    // A fixed port, so the restarted server is where the client looks.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let served = c.serve(&["--listen", &listen]);
    let token = served.admin_token.clone().unwrap();
    let client = Client::connect(&served.url, &token).await.unwrap();
    let changes = Arc::new(AtomicUsize::new(0));
    let seen = changes.clone();
    client.on_change(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let user = Context::new().with("user_id", "u1");
    served.kill_9();
    wait_for("the client to notice", || !client.status().connected).await;
    c.ok(&["stage", "set", "checkout", "production"]);
    let served = c.serve(&["--listen", &listen]);
    wait_for("the reconnection", || client.is_new("checkout", &user)).await;
    assert!(client.status().connected);
    assert!(changes.load(Ordering::SeqCst) >= 1);
    drop(served);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_kill_switch_is_delivered_no_thread_answers_new() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    c.ok(&["stage", "set", "checkout", "production"]);
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    let client = Client::connect(&served.url, &token).await.unwrap();
    assert!(client.is_new("checkout", &Context::new().with("user_id", "x")));

    // `delivered` turns true as soon as the client has applied the kill: in the callback if the
    // kill's sequence is known by then, else right after the command returns it.
    let delivered = Arc::new(AtomicBool::new(false));
    let kill_seq = Arc::new(AtomicU64::new(u64::MAX));
    let latest = Arc::new(AtomicU64::new(0));
    {
        let (delivered, kill_seq, latest) = (delivered.clone(), kill_seq.clone(), latest.clone());
        client.on_change(move |change| {
            if let Change::Flag { seq, .. } = change {
                latest.fetch_max(*seq, Ordering::SeqCst);
                if *seq >= kill_seq.load(Ordering::SeqCst) {
                    delivered.store(true, Ordering::SeqCst);
                }
            }
        });
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for t in 0..8 {
        let (client, delivered, stop) = (client.clone(), delivered.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let handle = client.flag("checkout").unwrap();
            let (mut evaluations, mut violations) = (0u64, 0u64);
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let ctx = Context::new().with("user_id", &format!("user-{t}-{i}"));
                let after = delivered.load(Ordering::SeqCst);
                let by_name = client.is_new("checkout", &ctx);
                let by_handle = handle.is_new(&ctx);
                if after && (by_name || by_handle) {
                    violations += 1;
                }
                evaluations += 1;
            }
            (evaluations, violations)
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let killed = c.ok(&[
        "--server",
        &served.url,
        "--token",
        &token,
        "kill",
        "checkout",
        "--json",
    ]);
    let killed: serde_json::Value = serde_json::from_str(&killed).unwrap();
    let seq = killed["audit_id"].as_u64().unwrap();
    kill_seq.store(seq, Ordering::SeqCst);
    wait_for("the kill switch", || latest.load(Ordering::SeqCst) >= seq).await;
    delivered.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    let (mut total, mut violations) = (0, 0);
    for t in threads {
        let (e, v) = t.join().unwrap();
        total += e;
        violations += v;
    }
    assert!(total > 1000, "the threads evaluated ({total})");
    assert_eq!(
        violations, 0,
        "evaluations answering new after the kill was delivered"
    );
}

//! A preset moves several flags in one transaction, and a connected SDK applies it as one
//! change: a service evaluating the flags of a phase in a loop never sees some moved and others
//! not, through 100 alternating applies.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::Cutover;
use cutover_sdk::{ClientBuilder, Context};

const COMPONENTS: [&str; 3] = ["planner", "bundler", "executor"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sdk_never_sees_a_half_applied_preset() {
    let c = Cutover::new();
    for key in COMPONENTS {
        c.ok(&["flag", "create", key]);
    }
    let all = |stage: &str| {
        COMPONENTS
            .iter()
            .flat_map(|k| ["--flag".to_owned(), format!("{k}={stage}")])
            .collect::<Vec<_>>()
    };
    for (name, stage) in [("phase3", "production"), ("legacy", "disabled")] {
        let mut args = vec!["preset".to_owned(), "define".to_owned(), name.to_owned()];
        args.extend(all(stage));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        c.ok(&args);
    }
    let served = c.serve(&["--change-rate", "1000", "--change-burst", "1000"]);
    let token = served.admin_token.clone().unwrap();
    let client = ClientBuilder::new(&served.url, &token)
        .connect()
        .await
        .unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let (mixed, all_new, all_legacy) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let evaluator = {
        let (client, done) = (client.clone(), done.clone());
        let (mixed, all_new, all_legacy) = (mixed.clone(), all_new.clone(), all_legacy.clone());
        std::thread::spawn(move || {
            let ctx = Context::new().with("user_id", "u1");
            while !done.load(Ordering::Acquire) {
                let view = client.view();
                let on = COMPONENTS.iter().filter(|k| view.is_new(k, &ctx)).count();
                match on {
                    0 => all_legacy.fetch_add(1, Ordering::Relaxed),
                    3 => all_new.fetch_add(1, Ordering::Relaxed),
                    _ => mixed.fetch_add(1, Ordering::Relaxed),
                };
            }
        })
    };

    let http = reqwest::Client::new();
    for i in 0..100 {
        let name = if i % 2 == 0 { "phase3" } else { "legacy" };
        let applied = http
            .post(format!("{}/api/v1/presets/{name}/apply", served.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(applied.status(), 200, "{}", applied.text().await.unwrap());
        // Give the stream a moment to deliver, so the evaluator meets each state.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The last apply (legacy) reaches the client.
    let ctx = Context::new().with("user_id", "u1");
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.is_new("planner", &ctx) {
        assert!(Instant::now() < deadline, "the last preset never arrived");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    done.store(true, Ordering::Release);
    evaluator.join().unwrap();
    let (mixed, all_new, all_legacy) = (
        mixed.load(Ordering::Relaxed),
        all_new.load(Ordering::Relaxed),
        all_legacy.load(Ordering::Relaxed),
    );
    println!("evaluations: {all_new} all new, {all_legacy} all legacy, {mixed} mixed");
    assert!(
        all_new > 0 && all_legacy > 0,
        "the evaluator saw both phases"
    );
    assert_eq!(mixed, 0, "evaluations saw a half-applied preset");
}

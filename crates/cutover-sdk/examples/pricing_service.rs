//! A small service cut over with the SDK: a pricing function has a legacy and a new
//! implementation. Each request is routed by the flag `pricing-v2`, its outcome is recorded for
//! the arm it took (the input of a guarded rollout), and a share of the legacy traffic is also
//! run through the new implementation in shadow and compared field by field.
//!
//! With a server (`cutover serve`, a flag `pricing-v2`, an sdk token):
//!     CUTOVER_URL=http://127.0.0.1:7070 CUTOVER_TOKEN=cut_... \
//!         cargo run -p cutover-sdk --example pricing_service
//! Without one, it evaluates a built-in flag file (25 % rollout) offline.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)] // an example talks

use std::time::{Duration, Instant};

use cutover_sdk::{Client, ComparisonSpec, Context, Outcome, Rollout, Variant};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
struct Quote {
    currency: &'static str,
    total: f64,
    lines: Vec<String>,
    computed_at: u64,
}

fn legacy_price(items: u32) -> Quote {
    Quote {
        currency: "EUR",
        total: f64::from(items) * 9.99,
        lines: (0..items).map(|i| format!("item-{i}")).collect(),
        computed_at: 1,
    }
}

/// The rewrite: rounds to the cent, is two cents off on baskets of a multiple of 7 items (a bug
/// the shadow comparison finds), and fails on very large baskets.
fn new_price(items: u32) -> Result<Quote, String> {
    if items > 45 {
        return Err(format!("basket of {items} items is over the new limit"));
    }
    Ok(Quote {
        currency: "EUR",
        total: (f64::from(items) * 9.99 * 100.0).round() / 100.0
            + if items.is_multiple_of(7) { 0.02 } else { 0.0 },
        lines: (0..items).rev().map(|i| format!("item-{i}")).collect(),
        computed_at: 2,
    })
}

async fn client() -> (Client, Option<tempfile::TempDir>) {
    if let (Ok(url), Ok(token)) = (std::env::var("CUTOVER_URL"), std::env::var("CUTOVER_TOKEN")) {
        return (
            Client::connect(&url, &token)
                .await
                .expect("connect to cutover"),
            None,
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    std::fs::write(
        &path,
        r#"{"flags": [{"key": "pricing-v2", "rollout_percent": 25}]}"#,
    )
    .unwrap();
    (Client::offline(&path).unwrap(), Some(dir))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (client, _dir) = client().await;
    let spec: ComparisonSpec = serde_json::from_value(serde_json::json!({"fields": {
        "total": {"rule": "within", "eps": 0.01},
        "lines": {"rule": "unordered"},
        "computed_at": {"rule": "ignore"},
    }}))
    .unwrap();
    let pricing = client.flag("pricing-v2").unwrap();
    let mut served = [0u32; 2];
    for request in 0..2_000u32 {
        let user = format!("user-{}", request % 500);
        let ctx = Context::new().with("user_id", &user);
        let items = 1 + request % 50;
        let arm = if pricing.is_new(&ctx) {
            Variant::New
        } else {
            Variant::Legacy
        };
        let started = Instant::now();
        let mut outcome = Outcome::default();
        let quote = match arm {
            Variant::New => new_price(items).unwrap_or_else(|_| {
                // The new path failed: serve legacy and say so.
                outcome.error = true;
                outcome.fallback = true;
                legacy_price(items)
            }),
            Variant::Legacy => client
                .shadow("pricing-v2", &ctx)
                .sample(Rollout::from_percent_str("20").unwrap())
                .compare(spec.clone())
                .timeout(Duration::from_millis(50))
                .run(|| legacy_price(items), |_read_only| new_price(items)),
        };
        outcome.latency = started.elapsed();
        client.record("pricing-v2", arm, outcome);
        served[usize::from(arm.is_new())] += 1;
        continue_with(quote);
    }
    let report = client.shadow_report("pricing-v2");
    println!("served: legacy {}, new {}", served[0], served[1]);
    println!(
        "shadow: {} runs, {} compared, {} errors in the new path",
        report.runs, report.compared, report.new_errors
    );
    for (field, tally) in &report.tally.fields {
        let (low, high) = tally.interval95().unwrap_or((0.0, 0.0));
        println!(
            "  {field:<8} agreement {:.3} (95 % CI {low:.3}..{high:.3}) over {}",
            tally.ratio().unwrap_or(0.0),
            tally.compared
        );
    }
    if let Some(m) = report.mismatches.first() {
        println!(
            "  first mismatch: {}: legacy {:?}, new {:?}",
            m.path, m.legacy, m.new
        );
    }
    let waiting = client.flush_metrics().await;
    println!("arm metrics: {waiting} batch(es) waiting for a server");
}

/// Where a real service would answer the request.
fn continue_with(quote: Quote) {
    std::hint::black_box(quote);
}

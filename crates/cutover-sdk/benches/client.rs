//! SDK evaluation: `is_new` by name and through a resolved handle, on an offline client holding
//! the same scoped 50 % rollout flag as the core benchmark, over 200,000 distinct users; and
//! `record`, counting one call's outcome for an arm; and what a shadow run adds around the
//! legacy call.
//!
//! Run: `cargo bench -p cutover-sdk --bench client`
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly by design

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;

use cutover_sdk::{Client, Context, Outcome, Rollout, Variant};

const USERS: usize = 200_000;
const TENANTS: [&str; 4] = ["acme", "globex", "initech", "umbrella"];

fn client() -> (Client, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    std::fs::write(
        &path,
        r#"{"flags": [{"key": "scoped-rollout", "rollout_percent": 50,
            "scope": [{"attribute": "tenant", "op": "in", "values": ["acme", "globex", "initech"]}]}]}"#,
    )
    .unwrap();
    (Client::offline(&path).unwrap(), dir)
}

fn evaluation(c: &mut Criterion) {
    let (client, _dir) = client();
    let users: Vec<Context> = (0..USERS)
        .map(|i| {
            Context::new()
                .with("user_id", &format!("user-{i:06}"))
                .with("tenant", TENANTS[i % TENANTS.len()])
        })
        .collect();
    let new = users
        .iter()
        .filter(|u| client.is_new("scoped-rollout", *u))
        .count();
    assert!((72_000..78_000).contains(&new), "{new}");
    let handle = client.flag("scoped-rollout").unwrap();
    let mut group = c.benchmark_group("sdk");
    let mut i = 0usize;
    group.bench_function("is_new_by_name", |b| {
        b.iter(|| {
            i = (i + 1) % USERS;
            black_box(client.is_new(black_box("scoped-rollout"), &users[i]))
        })
    });
    let mut i = 0usize;
    group.bench_function("is_new_by_handle", |b| {
        b.iter(|| {
            i = (i + 1) % USERS;
            black_box(handle.is_new(&users[i]))
        })
    });
    let outcome = Outcome {
        latency: Duration::from_micros(1234),
        ..Outcome::default()
    };
    client.record("scoped-rollout", Variant::New, outcome);
    group.bench_function("record", |b| {
        b.iter(|| {
            client.record(
                black_box("scoped-rollout"),
                Variant::New,
                black_box(outcome),
            )
        })
    });
    // Shadow overhead over calling the legacy path alone: a context sampled out (the common
    // case at a small sample), and one sampled in, running a trivial new path and comparing a
    // three-field output.
    #[derive(serde::Serialize, Clone)]
    struct Quote {
        total: f64,
        currency: &'static str,
        lines: u32,
    }
    let quote = Quote {
        total: 12.5,
        currency: "EUR",
        lines: 3,
    };
    let sample_none = Rollout::from_bps(0).unwrap();
    let mut i = 0usize;
    group.bench_function("shadow_sampled_out", |b| {
        b.iter(|| {
            i = (i + 1) % USERS;
            client
                .shadow("scoped-rollout", &users[i])
                .sample(sample_none)
                .run(
                    || black_box(quote.clone()),
                    |_ro| Ok::<_, String>(quote.clone()),
                )
        })
    });
    let mut i = 0usize;
    group.bench_function("shadow_sampled_in_compared", |b| {
        b.iter(|| {
            i = (i + 1) % USERS;
            client.shadow("scoped-rollout", &users[i]).run(
                || black_box(quote.clone()),
                |_ro| Ok::<_, String>(quote.clone()),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, evaluation);
criterion_main!(benches);

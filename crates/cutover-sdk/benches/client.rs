//! SDK evaluation: `is_new` by name and through a resolved handle, on an offline client holding
//! the same scoped 50 % rollout flag as the core benchmark, over 200,000 distinct users; and
//! `record`, counting one call's outcome for an arm.
//!
//! Run: `cargo bench -p cutover-sdk --bench client`
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly by design

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;

use cutover_sdk::{Client, Context, Outcome, Variant};

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
    group.finish();
}

criterion_group!(benches, evaluation);
criterion_main!(benches);

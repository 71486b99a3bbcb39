//! Evaluation speed: cutover's compiled snapshot against unleash-yggdrasil (Unleash's Rust
//! engine) on the same two flags and the same 200,000 distinct users, in one run.
//!
//! - `static`: on for everyone (cutover: stage production; Unleash: `default` strategy).
//! - `scoped-rollout`: eligible only for tenants acme, globex, initech, then 50 % sticky on the
//!   user id (Unleash: `flexibleRollout` with a `tenant IN` constraint).
//!
//! Most cases build the contexts once, before measuring, for both engines. `per_request_*`
//! builds the context inside the measured call, as a request handler does;
//! `variant_by_handle_borrowed` reads the attributes from borrowed strings, as a hot path that
//! already holds them would.
//!
//! Run: `cargo bench -p cutover-core --bench evaluate`
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly by design

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use cutover_core::{
    Constraint, Context, EnvOverrides, Flag, FlagKey, Rollout, Snapshot, Stage, Timestamp, Variant,
};
use unleash_yggdrasil::{ClientFeatures, EngineState};

const USERS: usize = 200_000;
const TENANTS: [&str; 4] = ["acme", "globex", "initech", "umbrella"];

fn cutover_snapshot() -> Snapshot {
    let mut fixed = Flag::new(FlagKey::new("static").unwrap());
    fixed.stage = Stage::Production;
    fixed.rollout = Stage::Production.rollout();
    let mut rollout = Flag::new(FlagKey::new("scoped-rollout").unwrap());
    rollout.rollout = Rollout::from_bps(5_000).unwrap();
    rollout
        .scope
        .push(Constraint::parse("tenant in acme,globex,initech").unwrap());
    Snapshot::compile([&fixed, &rollout], &EnvOverrides::none())
}

fn unleash_engine() -> EngineState {
    let features: ClientFeatures = serde_json::from_str(
        r#"{"version": 2, "features": [
            {"name": "static", "enabled": true, "strategies": [{"name": "default", "parameters": {}}]},
            {"name": "scoped-rollout", "enabled": true, "strategies": [{
                "name": "flexibleRollout",
                "parameters": {"rollout": "50", "stickiness": "userId", "groupId": "scoped-rollout"},
                "constraints": [{"contextName": "tenant", "operator": "IN", "values": ["acme", "globex", "initech"]}]
            }]}
        ]}"#,
    )
    .unwrap();
    let engine = EngineState::default();
    let warnings = engine.apply_client_features(features);
    assert!(warnings.as_ref().is_none_or(Vec::is_empty), "{warnings:?}");
    engine
}

fn users() -> Vec<(String, &'static str)> {
    (0..USERS)
        .map(|i| (format!("user-{i:06}"), TENANTS[i % TENANTS.len()]))
        .collect()
}

fn evaluation(c: &mut Criterion) {
    let now = Timestamp::from_second(1_800_000_000).unwrap();
    let users = users();
    let ours: Vec<Context> = users
        .iter()
        .map(|(u, t)| Context::new().with("user_id", u).with("tenant", t))
        .collect();
    let theirs: Vec<unleash_yggdrasil::Context> = users
        .iter()
        .map(|(u, t)| unleash_yggdrasil::Context {
            user_id: Some(u.clone()),
            properties: Some(HashMap::from([("tenant".to_owned(), (*t).to_owned())])),
            ..Default::default()
        })
        .collect();
    let snapshot = cutover_snapshot();
    let engine = unleash_engine();

    // Both engines must agree that about 3/4 x 1/2 of users get the new path.
    let ours_new = ours
        .iter()
        .filter(|ctx| {
            snapshot
                .decide("scoped-rollout", *ctx, now, Variant::Legacy)
                .is_new()
        })
        .count();
    let theirs_new = theirs
        .iter()
        .filter(|ctx| engine.is_enabled("scoped-rollout", ctx, &None))
        .count();
    for n in [ours_new, theirs_new] {
        assert!(
            (72_000..78_000).contains(&n),
            "expected ~75,000 of 200,000 on the new path, got {n}"
        );
    }

    let mut group = c.benchmark_group("evaluate");
    for flag in ["static", "scoped-rollout"] {
        let mut i = 0usize;
        group.bench_function(format!("cutover/{flag}/decide_by_name"), |b| {
            b.iter(|| {
                i = (i + 1) % USERS;
                black_box(snapshot.decide(black_box(flag), &ours[i], now, Variant::Legacy))
            })
        });
        let mut i = 0usize;
        group.bench_function(format!("cutover/{flag}/variant_by_name"), |b| {
            b.iter(|| {
                i = (i + 1) % USERS;
                black_box(snapshot.variant(black_box(flag), &ours[i], now, Variant::Legacy))
            })
        });
        let handle = snapshot.handle(flag).unwrap();
        let mut i = 0usize;
        group.bench_function(format!("cutover/{flag}/variant_by_handle"), |b| {
            b.iter(|| {
                i = (i + 1) % USERS;
                black_box(snapshot.flag(handle).variant(&ours[i], now))
            })
        });
        let mut i = 0usize;
        group.bench_function(format!("cutover/{flag}/variant_by_handle_borrowed"), |b| {
            b.iter(|| {
                i = (i + 1) % USERS;
                let attributes = [("user_id", users[i].0.as_str()), ("tenant", users[i].1)];
                black_box(snapshot.flag(handle).variant(&attributes[..], now))
            })
        });
        // What a request handler does: build the context for this request, then ask by name.
        let mut i = 0usize;
        group.bench_function(format!("cutover/{flag}/per_request_context_by_name"), |b| {
            b.iter(|| {
                i = (i + 1) % USERS;
                let ctx = Context::new()
                    .with("user_id", &users[i].0)
                    .with("tenant", users[i].1);
                black_box(snapshot.variant(black_box(flag), &ctx, now, Variant::Legacy))
            })
        });
        let mut i = 0usize;
        group.bench_function(
            format!("unleash-yggdrasil/{flag}/per_request_context"),
            |b| {
                b.iter(|| {
                    i = (i + 1) % USERS;
                    let ctx = unleash_yggdrasil::Context {
                        user_id: Some(users[i].0.clone()),
                        properties: Some(HashMap::from([(
                            "tenant".to_owned(),
                            users[i].1.to_owned(),
                        )])),
                        ..Default::default()
                    };
                    black_box(engine.is_enabled(black_box(flag), &ctx, &None))
                })
            },
        );
        let mut i = 0usize;
        group.bench_function(format!("unleash-yggdrasil/{flag}/is_enabled"), |b| {
            b.iter(|| {
                i = (i + 1) % USERS;
                black_box(engine.is_enabled(black_box(flag), &theirs[i], &None))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, evaluation);
criterion_main!(benches);

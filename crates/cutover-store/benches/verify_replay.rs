//! How long `audit verify` (chain walk, replay into the state, comparison with the rows) takes
//! on a store with 100,000 audit entries: the price `cutover serve` pays at every start.
//!
//! `cargo bench -p cutover-store --bench verify_replay` builds `target/verify-bench.db` (kept,
//! so `cutover audit verify` and `cutover serve` can be timed on it too) and, when
//! CUTOVER_TEST_POSTGRES is set, the same log in a scratch PostgreSQL database; then it times
//! three verifications of each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a measurement

use std::time::Instant;

use cutover_core::{
    AttributeName, Flag, FlagChange, FlagKey, Override, Preset, PresetEntry, Rollout, Timestamp,
    Variant,
};
use cutover_store::{ChangeMeta, PgStore, SqliteStore, Store};
use sqlx::Connection;

const FLAGS: usize = 100;
const APPLICATIONS: usize = 1_000;

fn meta(second: i64) -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: "bench".into(),
        reason: Some("load".into()),
        at: Timestamp::from_second(1_800_000_000 + second).unwrap(),
    }
}

fn key(i: usize) -> FlagKey {
    FlagKey::new(&format!("flag-{i:03}")).unwrap()
}

/// 100 flags with an override each, two presets over all of them, applied in turn 1,000
/// times: 100,102 entries of full flag states, as a long-lived store accumulates them.
async fn fill(store: &dyn Store) -> u64 {
    for i in 0..FLAGS {
        let mut flag = Flag::new(key(i));
        flag.owner = "payments".into();
        store.create_flag(flag, &meta(0)).await.unwrap();
        let vip = FlagChange::AddOverride {
            rule: Override {
                attribute: AttributeName::new("user_id").unwrap(),
                value: format!("vip-{i}"),
                variant: Variant::New,
                expires_at: Some(Timestamp::from_second(1_900_000_000).unwrap()),
            },
        };
        store
            .change_flag(&key(i), None, &[vip], &meta(1))
            .await
            .unwrap();
    }
    for (name, percent) in [("low", "5"), ("high", "12.5")] {
        let entries = (0..FLAGS)
            .map(|i| PresetEntry {
                rollout: Some(Rollout::from_percent_str(percent).unwrap()),
                ..PresetEntry::unset(key(i))
            })
            .collect();
        let preset = Preset {
            name: FlagKey::new(name).unwrap(),
            description: String::new(),
            entries,
        };
        store.define_preset(preset, &meta(2)).await.unwrap();
    }
    for n in 0..APPLICATIONS {
        let name = FlagKey::new(if n % 2 == 0 { "low" } else { "high" }).unwrap();
        store
            .apply_preset(&name, &meta(3 + n as i64))
            .await
            .unwrap();
    }
    store.audit_head().await.unwrap().0
}

async fn measure(what: &str, store: &dyn Store) {
    let entries = fill(store).await;
    for run in 1..=3 {
        let started = Instant::now();
        let report = store.verify_audit().await.unwrap();
        let took = started.elapsed();
        assert!(report.is_intact(), "{:?}", report.problems());
        println!(
            "{what}: verify + replay of {entries} entries, {} flags: {:.0} ms (run {run})",
            report.state.as_ref().map_or(0, |s| s.flags),
            took.as_secs_f64() * 1000.0
        );
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/verify-bench.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let sqlite = SqliteStore::open(&path).await.unwrap();
    measure("SQLite", &sqlite).await;
    sqlite.close().await;
    println!("kept {} for timing the CLI on it", path.display());

    let Ok(admin) = std::env::var("CUTOVER_TEST_POSTGRES") else {
        println!("PostgreSQL skipped: CUTOVER_TEST_POSTGRES is not set");
        return;
    };
    let name = format!("cutover_verify_bench_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let pg = PgStore::connect(&format!("{base}/{name}")).await.unwrap();
    measure("PostgreSQL", &pg).await;
    pg.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
}

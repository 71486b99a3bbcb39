//! A property of every store: whatever flags are created, renamed and imported, and in whatever
//! order, no two flags it holds read one environment variable (a derived `CUTOVER_FLAG_<KEY>` or
//! a declared name), and every refusal names both flags. On SQLite, a fresh file per case.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use cutover_core::{
    EnvMode, EnvVarName, Flag, FlagChange, FlagDocument, FlagKey, Timestamp, env_claims,
};
use cutover_store::{ChangeMeta, ImportOptions, SqliteStore, Store, StoreError};
use proptest::prelude::*;

/// Keys that share `CUTOVER_FLAG_A_B` and keys that do not.
const KEYS: [&str; 5] = ["a-b", "a_b", "a.b", "c", "d"];
const NAMES: [&str; 3] = ["X_ON", "Y_PERCENT", "Z_STAGE"];

#[derive(Debug, Clone)]
struct Declared {
    switch: Option<usize>,
    percent: Option<usize>,
    stage: Option<usize>,
}

#[derive(Debug, Clone)]
enum Op {
    Create(usize, Declared),
    SetSwitch(usize, Option<usize>),
    SetPercent(usize, Option<usize>),
    SetStage(usize, Option<usize>),
    Import(Vec<(usize, Declared)>),
}

fn declared() -> impl Strategy<Value = Declared> {
    let name = || proptest::option::of(0..NAMES.len());
    (name(), name(), name()).prop_map(|(switch, percent, stage)| Declared {
        switch,
        percent,
        stage,
    })
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..KEYS.len();
    let name = || proptest::option::of(0..NAMES.len());
    prop_oneof![
        (key.clone(), declared()).prop_map(|(k, d)| Op::Create(k, d)),
        (key.clone(), name()).prop_map(|(k, n)| Op::SetSwitch(k, n)),
        (key.clone(), name()).prop_map(|(k, n)| Op::SetPercent(k, n)),
        (key.clone(), name()).prop_map(|(k, n)| Op::SetStage(k, n)),
        proptest::collection::vec((key, declared()), 1..3).prop_map(Op::Import),
    ]
}

fn env_name(i: Option<usize>) -> Option<EnvVarName> {
    i.map(|i| EnvVarName::new(NAMES[i]).unwrap())
}

fn flag(k: usize, d: &Declared) -> Flag {
    let mut flag = Flag::new(FlagKey::new(KEYS[k]).unwrap());
    flag.env.switch = env_name(d.switch);
    flag.env.percent = env_name(d.percent);
    flag.env.stage = env_name(d.stage);
    flag
}

fn meta() -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: "prop".into(),
        reason: None,
        at: Timestamp::from_second(1_800_000_000).unwrap(),
    }
}

async fn apply(store: &dyn Store, op: &Op) -> Result<(), StoreError> {
    let change = |k: usize, c: FlagChange| async move {
        let key = FlagKey::new(KEYS[k]).unwrap();
        store.change_flag(&key, None, &[c], &meta()).await.map(drop)
    };
    match op {
        Op::Create(k, d) => store.create_flag(flag(*k, d), &meta()).await.map(drop),
        Op::SetSwitch(k, n) => {
            let env = env_name(*n);
            change(
                *k,
                FlagChange::SetEnv {
                    env,
                    env_mode: EnvMode::Force,
                },
            )
            .await
        }
        Op::SetPercent(k, n) => {
            change(
                *k,
                FlagChange::SetEnvPercent {
                    env_percent: env_name(*n),
                },
            )
            .await
        }
        Op::SetStage(k, n) => {
            change(
                *k,
                FlagChange::SetEnvStage {
                    env_stage: env_name(*n),
                },
            )
            .await
        }
        Op::Import(flags) => {
            let doc = FlagDocument {
                flags: flags.iter().map(|(k, d)| flag(*k, d)).collect(),
                presets: Vec::new(),
            };
            store
                .import(&doc, ImportOptions::default(), &meta())
                .await
                .map(drop)
        }
    }
}

/// Every pair of stored flags reads disjoint variables.
async fn check_disjoint(store: &dyn Store) -> Result<(), TestCaseError> {
    let flags = store.flags().await.unwrap();
    for (i, a) in flags.iter().enumerate() {
        let mine: Vec<String> = env_claims(a).into_iter().map(|(v, _)| v).collect();
        for b in &flags[..i] {
            for (var, _) in env_claims(b) {
                prop_assert!(
                    !mine.contains(&var),
                    "flags {} and {} both read {var}",
                    a.key,
                    b.key
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_two_stored_flags_read_one_variable(ops in proptest::collection::vec(op(), 1..10)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteStore::open(dir.path().join("cutover.db")).await.unwrap();
            for op in &ops {
                if let Err(StoreError::FlagIdentityTaken { conflict }) = apply(&store, op).await {
                    let text = conflict.to_string();
                    prop_assert!(
                        text.contains(conflict.flag.as_str())
                            && text.contains(conflict.other.as_str())
                            && text.contains(&conflict.var),
                        "{text}"
                    );
                }
                check_disjoint(&store).await?;
            }
            Ok(())
        })?;
    }
}

//! The store contract, end to end on both backends: changes, optimistic concurrency, presets,
//! import, audit queries, tokens, the change feed. Every test runs on SQLite and on PostgreSQL
//! (the latter needs CUTOVER_TEST_POSTGRES, an admin URL; each test gets its own database).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;

use common::{Backend, store};

use cutover_core::{
    AttributeName, Flag, FlagChange, FlagDocument, FlagKey, Override, Preset, PresetEntry, Rollout,
    Stage, Timestamp, Variant,
};
use cutover_store::{AuditQuery, ChangeMeta, Store, StoreError};

fn key(k: &str) -> FlagKey {
    FlagKey::new(k).unwrap()
}

fn meta(actor: &str, second: i64) -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: actor.into(),
        reason: None,
        at: Timestamp::from_second(1_800_000_000 + second).unwrap(),
    }
}

fn rollout(pct: &str) -> FlagChange {
    FlagChange::SetRollout {
        rollout_percent: Rollout::from_percent_str(pct).unwrap(),
    }
}

async fn a_flag_lives_and_every_change_is_audited(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    let created = store
        .create_flag(Flag::new(key("checkout")), &meta("alice", 0))
        .await
        .unwrap();
    assert_eq!(created.value.version, 1);

    let changed = store
        .change_flag(&key("checkout"), Some(1), &[rollout("5")], &meta("bob", 1))
        .await
        .unwrap();
    assert_eq!(
        (changed.value.version, changed.value.rollout.bps()),
        (2, 500)
    );

    let same = store
        .change_flag(&key("checkout"), None, &[rollout("5")], &meta("bob", 2))
        .await
        .unwrap();
    assert!(!same.changed(), "a no-op is not a change");
    assert_eq!(store.flag(&key("checkout")).await.unwrap().version, 2);

    store
        .delete_flag(&key("checkout"), Some(2), &meta("carol", 3))
        .await
        .unwrap();
    assert!(matches!(
        store.flag(&key("checkout")).await,
        Err(StoreError::FlagNotFound { .. })
    ));

    let log = store.audit(&AuditQuery::default()).await.unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("alice", "flag.create"),
            ("bob", "flag.rollout"),
            ("carol", "flag.delete")
        ]
    );
    assert!(
        log[1]
            .before
            .as_deref()
            .unwrap()
            .contains(r#""rollout_percent":0"#)
    );
    assert!(
        log[1]
            .after
            .as_deref()
            .unwrap()
            .contains(r#""rollout_percent":5"#)
    );
    assert!(store.verify_audit().await.unwrap().is_intact());
}

async fn a_stale_version_is_refused_and_changes_nothing(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    store
        .create_flag(Flag::new(key("f")), &meta("a", 0))
        .await
        .unwrap();
    store
        .change_flag(&key("f"), Some(1), &[rollout("10")], &meta("a", 1))
        .await
        .unwrap();
    let before = store.export().await.unwrap();
    let entries = store.audit(&AuditQuery::default()).await.unwrap().len();

    let err = store
        .change_flag(&key("f"), Some(1), &[rollout("50")], &meta("b", 2))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            StoreError::VersionConflict {
                expected: 1,
                actual: 2,
                ..
            }
        ),
        "{text}"
    );
    assert!(
        text.contains("version 2") && text.contains("expected version 1"),
        "{text}"
    );

    assert_eq!(store.export().await.unwrap(), before);
    assert_eq!(
        store.audit(&AuditQuery::default()).await.unwrap().len(),
        entries
    );
}

async fn creating_an_existing_flag_is_refused(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    store
        .create_flag(Flag::new(key("f")), &meta("a", 0))
        .await
        .unwrap();
    let err = store
        .create_flag(Flag::new(key("f")), &meta("a", 1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::FlagExists { version: 1, .. }),
        "{err}"
    );
}

async fn racing_writers_lose_no_update(backend: Backend) {
    let Some((place, a)) = store(backend).await else {
        return;
    };
    a.create_flag(Flag::new(key("f")), &meta("setup", 0))
        .await
        .unwrap();
    // A second store on the same file or database: another process, another node.
    let b = place.open_again().await;

    let writer = |store: Arc<dyn Store>, who: &'static str| async move {
        let mut ok = 0u64;
        for i in 0..200 {
            let current = store.flag(&key("f")).await.unwrap().version;
            let pct = format!("{}.{:02}", i % 100, if who == "a" { 1 } else { 2 });
            match store
                .change_flag(&key("f"), Some(current), &[rollout(&pct)], &meta(who, i))
                .await
            {
                Ok(c) if c.changed() => ok += 1,
                Ok(_) => {}
                Err(StoreError::VersionConflict { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
        ok
    };
    let (ok_a, ok_b) = tokio::join!(
        tokio::spawn(writer(a.clone(), "a")),
        tokio::spawn(writer(b.clone(), "b"))
    );
    let successes = ok_a.unwrap() + ok_b.unwrap();

    let flag = a.flag(&key("f")).await.unwrap();
    assert_eq!(flag.version, 1 + successes);
    let rollouts = a
        .audit(&AuditQuery {
            action: Some("flag.rollout".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rollouts.len() as u64, successes);
    assert!(a.verify_audit().await.unwrap().is_intact());
}

async fn writers_of_different_flags_share_one_gapless_chain(backend: Backend) {
    let Some((place, a)) = store(backend).await else {
        return;
    };
    let b = place.open_again().await;
    for k in ["left", "right"] {
        a.create_flag(Flag::new(key(k)), &meta("setup", 0))
            .await
            .unwrap();
    }
    // No row is shared between the two writers: only the audit head orders their entries.
    let writer = |store: Arc<dyn Store>, flag: &'static str| async move {
        for i in 0..100 {
            let pct = format!("{}", i % 100);
            store
                .change_flag(&key(flag), None, &[rollout(&pct)], &meta(flag, i))
                .await
                .unwrap_or_else(|e| panic!("{flag} change {i}: {e}"));
        }
    };
    let (left, right) = tokio::join!(
        tokio::spawn(writer(a.clone(), "left")),
        tokio::spawn(writer(b.clone(), "right"))
    );
    left.unwrap();
    right.unwrap();
    let log = a.audit(&AuditQuery::default()).await.unwrap();
    let ids: Vec<u64> = log.iter().map(|e| e.id).collect();
    // 2 creates, then 99 changes per flag (the first "0 %" is a no-op).
    assert_eq!(ids, (1..=200).collect::<Vec<_>>());
    assert!(a.verify_audit().await.unwrap().is_intact());
    assert_eq!(a.state().await.unwrap().head, 200);
}

async fn racing_creates_of_one_key_make_one_flag(backend: Backend) {
    let Some((place, a)) = store(backend).await else {
        return;
    };
    let b = place.open_again().await;
    // Eight creators on two stores (two processes or nodes), all at once.
    let racers: Vec<_> = (0..8)
        .map(|i| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                store
                    .create_flag(Flag::new(key("twin")), &meta("racer", i))
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for racer in racers {
        match racer.await.unwrap() {
            Ok(c) => {
                assert_eq!(c.value.version, 1);
                created += 1;
            }
            // The loser is told the flag exists, never a raw database error.
            Err(StoreError::FlagExists { version: 1, .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(created, 1);
    let creates = a
        .audit(&AuditQuery {
            action: Some("flag.create".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(creates.len(), 1);
    assert!(a.verify_audit().await.unwrap().is_intact());
}

async fn presets_apply_all_their_flags_in_one_go(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    for k in ["planner", "bundler", "executor"] {
        store
            .create_flag(Flag::new(key(k)), &meta("a", 0))
            .await
            .unwrap();
    }
    let entries = ["planner=production", "bundler=25%", "executor=off"]
        .iter()
        .map(|t| PresetEntry::parse(t).unwrap())
        .collect();
    let preset = Preset::from_entries(key("phase1"), "new planner".into(), entries).unwrap();
    store
        .define_preset(preset.clone(), &meta("a", 1))
        .await
        .unwrap();
    assert!(
        !store
            .define_preset(preset, &meta("a", 2))
            .await
            .unwrap()
            .changed()
    );

    let applied = store
        .apply_preset(&key("phase1"), &meta("ops", 3))
        .await
        .unwrap();
    assert_eq!(applied.len(), 3);
    let flags = store.flags().await.unwrap();
    let by = |k: &str| flags.iter().find(|f| f.key.as_str() == k).unwrap().clone();
    assert_eq!(
        (by("planner").stage, by("planner").rollout.bps()),
        (Stage::Production, 10_000)
    );
    assert_eq!(by("bundler").rollout.bps(), 2_500);
    assert!(!by("executor").enabled);

    let log = store
        .audit(&AuditQuery {
            action: Some("preset.apply".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 3);
    assert!(
        log.iter()
            .all(|e| e.reason.as_deref() == Some("preset phase1"))
    );

    let err = store
        .delete_flag(&key("planner"), None, &meta("a", 4))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::FlagInPreset { .. }), "{err}");
    let missing = Preset::from_entries(
        key("bad"),
        String::new(),
        vec![PresetEntry::parse("nope=on").unwrap()],
    )
    .unwrap();
    assert!(matches!(
        store.define_preset(missing, &meta("a", 5)).await,
        Err(StoreError::FlagNotFound { .. })
    ));
}

async fn the_sweep_removes_expired_overrides_and_audits_it(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    store
        .create_flag(Flag::new(key("f")), &meta("a", 0))
        .await
        .unwrap();
    let add = |value: &str, expires: Option<i64>| FlagChange::AddOverride {
        rule: Override {
            attribute: AttributeName::new("user_id").unwrap(),
            value: value.into(),
            variant: Variant::New,
            expires_at: expires.map(|s| Timestamp::from_second(1_800_000_000 + s).unwrap()),
        },
    };
    store
        .change_flag(
            &key("f"),
            None,
            &[add("forever", None), add("brief", Some(60))],
            &meta("a", 1),
        )
        .await
        .unwrap();
    assert!(
        store
            .sweep_expired_overrides(&meta("sweeper", 30))
            .await
            .unwrap()
            .is_empty()
    );
    let swept = store
        .sweep_expired_overrides(&meta("sweeper", 60))
        .await
        .unwrap();
    assert_eq!(swept.len(), 1);
    assert_eq!(swept[0].value.overrides.len(), 1);
    let log = store
        .audit(&AuditQuery {
            actor: Some("sweeper".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["override.expire"]
    );
}

async fn import_is_declarative_and_all_or_nothing(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    store
        .create_flag(Flag::new(key("old")), &meta("a", 0))
        .await
        .unwrap();
    let doc: FlagDocument = serde_json::from_str(
        r#"{"flags":[{"key":"old","stage":"beta"},{"key":"fresh","rollout_percent":12.5}],
            "presets":[{"name":"all-in","entries":[{"flag":"fresh","stage":"production"}]}]}"#,
    )
    .unwrap();
    let report = store
        .import(
            &doc,
            cutover_store::ImportOptions::default(),
            &meta("git", 1),
        )
        .await
        .unwrap();
    assert_eq!(
        (report.created.clone(), report.updated.clone()),
        (vec!["fresh".to_owned()], vec!["old".to_owned()])
    );
    assert_eq!(report.presets_defined, ["all-in"]);
    let again = store
        .import(
            &doc,
            cutover_store::ImportOptions::default(),
            &meta("git", 2),
        )
        .await
        .unwrap();
    assert_eq!(again.unchanged.len(), 2);

    let before = store.export().await.unwrap();
    let bad: FlagDocument = serde_json::from_str(r#"{"flags":[{"key":"a"},{"key":"a"}]}"#).unwrap();
    assert!(
        store
            .import(
                &bad,
                cutover_store::ImportOptions {
                    prune: true,
                    ..Default::default()
                },
                &meta("git", 3)
            )
            .await
            .is_err()
    );
    assert_eq!(store.export().await.unwrap(), before);

    let pruned: FlagDocument = serde_json::from_str(r#"{"flags":[{"key":"fresh"}]}"#).unwrap();
    let report = store
        .import(
            &pruned,
            cutover_store::ImportOptions {
                prune: true,
                ..Default::default()
            },
            &meta("git", 4),
        )
        .await
        .unwrap();
    assert_eq!(
        (report.deleted, report.presets_deleted),
        (vec!["old".to_owned()], vec!["all-in".to_owned()])
    );
    assert!(store.verify_audit().await.unwrap().is_intact());
}

async fn audit_queries_filter_by_actor_flag_action_and_time(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    store
        .create_flag(Flag::new(key("a")), &meta("alice", 0))
        .await
        .unwrap();
    store
        .create_flag(Flag::new(key("b")), &meta("bob", 10))
        .await
        .unwrap();
    store
        .change_flag(&key("a"), None, &[FlagChange::Kill], &meta("bob", 20))
        .await
        .unwrap();
    store
        .change_flag(
            &key("a"),
            None,
            &[FlagChange::ClearOverrides, FlagChange::Unkill],
            &meta("alice", 30),
        )
        .await
        .unwrap();

    let q = |q: AuditQuery| {
        let store = store.clone();
        async move {
            store
                .audit(&q)
                .await
                .unwrap()
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        q(AuditQuery {
            actor: Some("bob".into()),
            ..Default::default()
        })
        .await,
        [2, 3]
    );
    assert_eq!(
        q(AuditQuery {
            flag: Some(key("a")),
            ..Default::default()
        })
        .await,
        [1, 3, 4]
    );
    assert_eq!(
        q(AuditQuery {
            action: Some("flag.*".into()),
            ..Default::default()
        })
        .await,
        [1, 2, 3, 4]
    );
    assert_eq!(
        q(AuditQuery {
            action: Some("flag.kill".into()),
            ..Default::default()
        })
        .await,
        [3]
    );
    let window = AuditQuery {
        since: Some(Timestamp::from_second(1_800_000_010).unwrap()),
        until: Some(Timestamp::from_second(1_800_000_030).unwrap()),
        ..Default::default()
    };
    assert_eq!(q(window).await, [2, 3]);
    assert_eq!(
        q(AuditQuery {
            limit: Some(2),
            newest_first: true,
            ..Default::default()
        })
        .await,
        [4, 3]
    );
}

common::on_both_backends!(
    a_flag_lives_and_every_change_is_audited,
    a_stale_version_is_refused_and_changes_nothing,
    creating_an_existing_flag_is_refused,
    racing_writers_lose_no_update,
    racing_creates_of_one_key_make_one_flag,
    writers_of_different_flags_share_one_gapless_chain,
    presets_apply_all_their_flags_in_one_go,
    the_sweep_removes_expired_overrides_and_audits_it,
    import_is_declarative_and_all_or_nothing,
    audit_queries_filter_by_actor_flag_action_and_time
);

//! `cutover_store::copy` and `Store::backup`: a store copied into an empty one holds the same
//! rows (flags with overrides, plans, runs and golden verdicts, presets, tokens by hash, the
//! audit log and its head, arm and shadow metrics, the guard's history) and verifies with the
//! same head; a target that holds anything is refused and left as it was; a copy that fails
//! midway leaves the target empty. PostgreSQL legs need CUTOVER_TEST_POSTGRES.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;

use common::{Backend, store};

use cutover_core::guard::{Assessment, GoldenResult, RolloutPlan, RunMove, Verdict};
use cutover_core::{
    ArmCounts, AttributeName, AuditEntry, Flag, FlagChange, FlagKey, LatencySketch, Override,
    Preset, PresetEntry, Role, Rollout, ShadowCounts, Timestamp, TokenName, Variant,
};
use cutover_store::{
    ArmFigures, ArmWindow, AuditQuery, AuditStore, ChangeMeta, GuardRecord, ShadowWindow,
    SqliteStore, Store, StoreError, TokenRecord,
};

fn key(k: &str) -> FlagKey {
    FlagKey::new(k).unwrap()
}

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + second).unwrap()
}

fn meta(actor: &str, second: i64) -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: actor.into(),
        reason: Some(format!("step {second}")),
        at: at(second),
    }
}

fn token(name: &str, secret: &str) -> TokenRecord {
    TokenRecord {
        name: TokenName::new(name).unwrap(),
        role: Role::Operator,
        hash: cutover_core::token_hash(secret),
        created_at: at(0),
        created_by: "alice".into(),
        expires_at: Some(at(90 * 86_400)),
    }
}

fn guard_record(second: i64, verdict: Verdict) -> GuardRecord {
    GuardRecord {
        flag: key("search"),
        at: at(second),
        step: 0,
        rollout: Rollout::from_percent_str("5").unwrap(),
        action: "hold".into(),
        assessment: Assessment {
            verdict,
            gates: Vec::new(),
        },
    }
}

/// A store with something in every table: two flags (one with an override and a golden verdict,
/// one with a plan and a running rollout), a preset applied, two tokens, one revoked token, arm
/// and shadow metrics, guard records.
async fn fill(store: &dyn Store) {
    store
        .create_flag(Flag::new(key("checkout")), &meta("alice", 1))
        .await
        .unwrap();
    let mut search = Flag::new(key("search"));
    search.plan = Some(
        serde_json::from_str::<RolloutPlan>(
            r#"{"steps":"5,50,100 every 5m","gates":["new.p95 <= legacy.p95 * 1.2"]}"#,
        )
        .unwrap(),
    );
    store.create_flag(search, &meta("alice", 2)).await.unwrap();
    let changes = [
        FlagChange::SetRollout {
            rollout_percent: Rollout::from_percent_str("12.5").unwrap(),
        },
        FlagChange::AddOverride {
            rule: Override {
                attribute: AttributeName::new("user_id").unwrap(),
                value: "u1".into(),
                variant: Variant::New,
                expires_at: Some(at(86_400)),
            },
        },
        FlagChange::RecordVerdict {
            name: cutover_core::VerdictName::golden(),
            verdict: cutover_core::Verdict::from_golden(GoldenResult {
                passed: true,
                at: at(3),
                corpus: "corpus/checkout".into(),
                cases: 40,
                failed: 0,
                summary: String::new(),
            }),
        },
        FlagChange::RecordVerdict {
            name: cutover_core::VerdictName::new("integration-tests").unwrap(),
            verdict: cutover_core::Verdict {
                passed: false,
                source: cutover_core::VerdictSource::Recorded,
                at: at(4),
                by: "ci".into(),
                expires_at: Some(at(86_400)),
                url: Some("https://ci.example/run/7".into()),
                details: Some(serde_json::json!({"failed": ["test_refund"]})),
                golden: None,
            },
        },
    ];
    for (i, change) in changes.into_iter().enumerate() {
        store
            .change_flag(
                &key("checkout"),
                None,
                &[change],
                &meta("bob", 3 + i as i64),
            )
            .await
            .unwrap();
    }
    let start = FlagChange::RolloutMove {
        movement: RunMove::Start,
    };
    store
        .change_flag(&key("search"), Some(1), &[start], &meta("bob", 10))
        .await
        .unwrap();
    let entries = ["checkout=production", "search=25%"]
        .iter()
        .map(|t| PresetEntry::parse(t).unwrap())
        .collect();
    let preset = Preset::from_entries(key("phase1"), "both".into(), entries).unwrap();
    store
        .define_preset(preset, &meta("carol", 11))
        .await
        .unwrap();
    store
        .apply_preset(&key("phase1"), &meta("carol", 12))
        .await
        .unwrap();
    for (name, secret) in [
        ("ci", "cut_ci_secret"),
        ("ops", "cut_ops_secret"),
        ("old", "x"),
    ] {
        store
            .create_token(token(name, secret), &meta("alice", 13))
            .await
            .unwrap();
    }
    store
        .revoke_token(&TokenName::new("old").unwrap(), &meta("alice", 14))
        .await
        .unwrap();
    let counts = |calls: u64| ArmCounts {
        calls,
        errors: 1,
        latency: LatencySketch::from_counts([(10, calls)]),
        custom: [("invalid_json".to_owned(), 2)].into_iter().collect(),
        ..ArmCounts::default()
    };
    store
        .add_arm_metrics(&[
            ArmWindow {
                flag: key("search"),
                arm: Variant::Legacy,
                start: at(60),
                counts: counts(90),
            },
            ArmWindow {
                flag: key("search"),
                arm: Variant::New,
                start: at(60),
                counts: counts(10),
            },
        ])
        .await
        .unwrap();
    store
        .add_shadow_counts(&[ShadowWindow {
            flag: key("search"),
            start: at(60),
            counts: ShadowCounts {
                runs: 7,
                compared: 7,
                ..ShadowCounts::default()
            },
        }])
        .await
        .unwrap();
    for (second, verdict) in [(61, Verdict::Inconclusive), (71, Verdict::Pass)] {
        store
            .add_guard_record(&guard_record(second, verdict))
            .await
            .unwrap();
    }
}

/// Everything a store holds, read through the store's own API.
#[derive(Debug, PartialEq)]
struct Dump {
    flags: Vec<Flag>,
    presets: Vec<Preset>,
    tokens: Vec<(TokenRecord, String)>,
    audit: Vec<AuditEntry>,
    head: (u64, String),
    arms: ArmFigures,
    shadow: ShadowCounts,
    guard: Vec<GuardRecord>,
}

async fn dump(store: &dyn Store) -> Dump {
    let tokens = store.tokens().await.unwrap();
    Dump {
        flags: store.flags().await.unwrap(),
        presets: store.presets().await.unwrap(),
        // The hash is not serialised, so compare it beside the record.
        tokens: tokens.into_iter().map(|t| (t.clone(), t.hash)).collect(),
        audit: store.audit(&AuditQuery::default()).await.unwrap(),
        head: store.audit_head().await.unwrap(),
        arms: store
            .arm_metrics(&key("search"), at(0), at(3_600))
            .await
            .unwrap(),
        shadow: store
            .shadow_counts(&key("search"), at(0), at(3_600))
            .await
            .unwrap(),
        guard: store.guard_history(&key("search"), 100).await.unwrap(),
    }
}

async fn new_sqlite(dir: &tempfile::TempDir, name: &str) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(dir.path().join(name)).await.unwrap())
}

/// After a copy the target goes on: the next audit entry follows the copied head, and the guard's
/// history takes a new id (on PostgreSQL its sequence was moved past the copied ids).
async fn goes_on(store: &dyn Store, head: u64) {
    let next = store
        .change_flag(
            &key("checkout"),
            None,
            &[FlagChange::Kill],
            &meta("dave", 100),
        )
        .await
        .unwrap();
    assert_eq!(next.audit_id, Some(head + 1));
    store
        .add_guard_record(&guard_record(200, Verdict::Fail))
        .await
        .unwrap();
    assert_eq!(
        store
            .guard_history(&key("search"), 100)
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(store.verify_audit().await.unwrap().is_intact());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_store_copies_row_for_row_into_a_new_file() {
    let (_place, source) = store(Backend::Sqlite).await.unwrap();
    fill(&*source).await;
    let dir = tempfile::tempdir().unwrap();
    let target = new_sqlite(&dir, "copy.db").await;

    let report = cutover_store::copy(&*source, &*target).await.unwrap();
    let before = dump(&*source).await;
    assert_eq!(dump(&*target).await, before);
    assert_eq!((report.head_id, report.head_hash.clone()), before.head);
    assert!(report.target.is_intact());
    let rows = |table: &str| {
        report
            .tables
            .iter()
            .find(|t| t.table == table)
            .unwrap()
            .rows
    };
    assert_eq!(
        (
            rows("flags"),
            rows("overrides"),
            rows("presets"),
            rows("tokens")
        ),
        (2, 1, 1, 2)
    );
    assert_eq!(rows("audit_log"), before.head.0);
    assert_eq!(
        (
            rows("arm_metrics"),
            rows("shadow_metrics"),
            rows("guard_history")
        ),
        (2, 1, 2)
    );
    // A token made on the source is found by its hash on the target.
    let found = target
        .token_by_hash(&cutover_core::token_hash("cut_ci_secret"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.name.as_str(), "ci");
    goes_on(&*target, before.head.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_to_sqlite_keeps_every_row_and_the_head() {
    let Some(pg_place) = common::empty_postgres().await else {
        return;
    };
    let (_place, source) = store(Backend::Sqlite).await.unwrap();
    fill(&*source).await;
    let original = dump(&*source).await;

    let pg: Arc<dyn Store> = Arc::new(
        cutover_store::PgStore::connect(&pg_place.postgres_url().unwrap())
            .await
            .unwrap(),
    );
    let there = cutover_store::copy(&*source, &*pg).await.unwrap();
    assert_eq!(dump(&*pg).await, original);
    assert_eq!(there.head_hash, original.head.1);
    assert!(pg.verify_audit().await.unwrap().is_intact());

    let dir = tempfile::tempdir().unwrap();
    let back = new_sqlite(&dir, "back.db").await;
    let report = cutover_store::copy(&*pg, &*back).await.unwrap();
    assert_eq!(dump(&*back).await, original);
    assert_eq!(report.head_hash, original.head.1);

    goes_on(&*pg, original.head.0).await;
    goes_on(&*back, original.head.0).await;
}

async fn a_target_that_holds_anything_is_refused_and_left_as_it_was(b: Backend) {
    let Some((_place, target)) = store(b).await else {
        return;
    };
    target
        .create_flag(Flag::new(key("mine")), &meta("erin", 1))
        .await
        .unwrap();
    let before = dump(&*target).await;
    let (_source_place, source) = store(Backend::Sqlite).await.unwrap();
    fill(&*source).await;

    let err = cutover_store::copy(&*source, &*target).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::TargetNotEmpty { .. }), "{text}");
    assert!(
        text.contains("1 flag")
            && text.contains("1 audit entry")
            && text.contains("nothing was copied"),
        "{text}"
    );
    assert_eq!(dump(&*target).await, before);
}

/// A failure on the last table (a trigger on the target refuses the guard's history, as a full
/// disk or a constraint would), after every other table was written: nothing stays.
async fn a_copy_that_fails_midway_leaves_the_target_empty(b: Backend) {
    let Some((place, target)) = store(b).await else {
        return;
    };
    let refuse = match b {
        Backend::Sqlite => {
            "CREATE TRIGGER refuse BEFORE INSERT ON guard_history \
             BEGIN SELECT RAISE(ABORT, 'no room left'); END;"
        }
        Backend::Postgres => {
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'no room left'; END $$; \
             CREATE TRIGGER refuse BEFORE INSERT ON guard_history \
             FOR EACH ROW EXECUTE FUNCTION refuse();"
        }
    };
    place.tamper(target.clone(), refuse).await;
    let target = place.open_again().await;
    let empty = dump(&*target).await;
    let (_source_place, source) = store(Backend::Sqlite).await.unwrap();
    fill(&*source).await;

    let err = cutover_store::copy(&*source, &*target).await.unwrap_err();
    assert!(err.to_string().contains("no room left"), "{err}");
    assert_eq!(dump(&*target).await, empty);
    assert_eq!(target.audit_head().await.unwrap().0, 0);
    assert!(target.tokens().await.unwrap().is_empty());

    // Still empty, so a copy without the trigger goes through.
    let drop_trigger = match b {
        Backend::Sqlite => "DROP TRIGGER refuse;",
        Backend::Postgres => "DROP TRIGGER refuse ON guard_history;",
    };
    place.tamper(target.clone(), drop_trigger).await;
    let target = place.open_again().await;
    cutover_store::copy(&*source, &*target).await.unwrap();
    assert_eq!(dump(&*target).await, dump(&*source).await);
}

/// A source whose rows disagree with its log copies into a target that would not verify: the
/// copy is refused before it commits, and the target stays empty.
async fn a_source_that_does_not_verify_is_not_copied(b: Backend) {
    let Some((_target_place, target)) = store(b).await else {
        return;
    };
    let (place, source) = store(Backend::Sqlite).await.unwrap();
    fill(&*source).await;
    place
        .tamper(
            source.clone(),
            "UPDATE flags SET description = 'edited by hand' WHERE key = 'checkout';",
        )
        .await;
    let source = place.open_again().await;

    let err = cutover_store::copy(&*source, &*target).await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, StoreError::CopyDoesNotVerify { .. }),
        "{text}"
    );
    assert!(text.contains("checkout"), "{text}");
    assert!(target.flags().await.unwrap().is_empty());
    assert_eq!(target.audit_head().await.unwrap().0, 0);
}

async fn a_backup_is_a_verified_copy_and_never_replaces_a_file(b: Backend) {
    let Some((_place, source)) = store(b).await else {
        return;
    };
    fill(&*source).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup.db");

    let report = source.backup(&path).await.unwrap();
    assert!(report.verify.is_intact());
    assert_eq!(
        report.method,
        match b {
            Backend::Sqlite => "sqlite_vacuum_into",
            Backend::Postgres => "store_copy",
        }
    );
    let backup = SqliteStore::open_existing(&path).await.unwrap();
    assert_eq!(dump(&backup).await, dump(&*source).await);
    assert_eq!(
        (report.head_id, report.head_hash.clone()),
        backup.audit_head().await.unwrap()
    );
    backup.close().await;
    // Only the backup is left in the directory: no temporary file, no WAL.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["backup.db"]);

    let bytes = std::fs::read(&path).unwrap();
    let err = source.backup(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::BackupExists { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

/// A sealed store keeps its seal: the target verifies it under the same key and a writer with
/// the key goes on; a writer without it may not write there either.
async fn a_sealed_store_stays_sealed_under_its_key(b: Backend) {
    let Some((target_place, _unused)) = store(b).await else {
        return;
    };
    let audit_key = cutover_core::AuditKey::from_file_bytes(&[7; 40]).unwrap();
    let (place, _plain) = store(Backend::Sqlite).await.unwrap();
    let source = place.open_with_key(audit_key.clone()).await;
    fill(&*source).await;
    let target = target_place.open_with_key(audit_key.clone()).await;

    let report = cutover_store::copy(&*source, &*target).await.unwrap();
    assert!(
        matches!(
            report.target.seal,
            Some(cutover_core::SealOutcome::Valid { .. })
        ),
        "{:?}",
        report.target.seal
    );
    goes_on(&*target, report.head_id).await;
    let err = target_place
        .open_again()
        .await
        .create_flag(Flag::new(key("unsealed")), &meta("mallory", 300))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::SealedWithoutKey), "{err}");
}

common::on_both_backends!(
    a_sealed_store_stays_sealed_under_its_key,
    a_target_that_holds_anything_is_refused_and_left_as_it_was,
    a_copy_that_fails_midway_leaves_the_target_empty,
    a_source_that_does_not_verify_is_not_copied,
    a_backup_is_a_verified_copy_and_never_replaces_a_file
);

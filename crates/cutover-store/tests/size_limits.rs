//! Every text the store keeps has a documented size limit (docs/limits.md), refused through
//! every way in (a change, a create, an import, a preset, the audit metadata) before anything is
//! written, with an error naming the limit; and the audit log pages with cursors both ways. On
//! SQLite and on PostgreSQL (with CUTOVER_TEST_POSTGRES).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{Backend, store};

use cutover_core::{
    AttributeName, Flag, FlagChange, FlagDocument, FlagKey, Override, Preset, PresetEntry,
    Timestamp, Variant,
};
use cutover_store::{AuditQuery, ChangeMeta, Store, StoreError};

fn key(k: &str) -> FlagKey {
    FlagKey::new(k).unwrap()
}

fn meta() -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: "alice".into(),
        reason: None,
        at: Timestamp::from_second(1_800_000_000).unwrap(),
    }
}

fn rule(value: String) -> FlagChange {
    FlagChange::AddOverride {
        rule: Override {
            attribute: AttributeName::new("user_id").unwrap(),
            value,
            variant: Variant::New,
            expires_at: None,
        },
    }
}

/// The error names the limit in bytes, and the store is as it was.
async fn refused<T>(store: &dyn Store, result: Result<T, StoreError>, limit: &str) {
    let head = store.audit(&AuditQuery::default()).await.unwrap().len();
    let flags = store.export().await.unwrap();
    let Err(err) = result else {
        panic!("accepted over the limit of {limit}");
    };
    assert!(
        matches!(err, StoreError::Invalid(_)),
        "a refusal of the input, not a failure: {err:?}"
    );
    let message = err.to_string();
    assert!(message.contains(limit), "{message} does not name {limit}");
    assert_eq!(
        store.audit(&AuditQuery::default()).await.unwrap().len(),
        head
    );
    assert_eq!(store.export().await.unwrap(), flags);
}

async fn stored_texts_have_limits_on_every_way_in(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    let store = &*store;
    store
        .create_flag(Flag::new(key("checkout")), &meta())
        .await
        .unwrap();

    // An override value: 1 KiB is accepted, 1.9 MB is not.
    store
        .change_flag(&key("checkout"), None, &[rule("u".repeat(1024))], &meta())
        .await
        .unwrap();
    let huge = rule("x".repeat(1_900_000));
    let result = store
        .change_flag(&key("checkout"), None, &[huge], &meta())
        .await;
    refused(store, result, "1024 bytes").await;

    // Descriptions (4 KiB) and owners (256 B), by change, by create and by import.
    let long = FlagChange::SetDescription {
        description: "d".repeat(4097),
    };
    let result = store
        .change_flag(&key("checkout"), None, &[long], &meta())
        .await;
    refused(store, result, "4096 bytes").await;
    let mut created = Flag::new(key("fresh"));
    created.owner = "o".repeat(257);
    let result = store.create_flag(created.clone(), &meta()).await;
    refused(store, result, "256 bytes").await;
    let doc = FlagDocument {
        flags: vec![created],
        presets: Vec::new(),
    };
    let result = store
        .import(&doc, cutover_store::ImportOptions::default(), &meta())
        .await;
    refused(store, result, "256 bytes").await;

    // A preset's description.
    let mut entry = PresetEntry::unset(key("checkout"));
    entry.killed = Some(true);
    let preset = Preset {
        name: key("phase1"),
        description: "p".repeat(4097),
        entries: vec![entry],
    };
    let result = store.define_preset(preset, &meta()).await;
    refused(store, result, "4096 bytes").await;

    // The audit metadata: a reason of 300 KB, an actor of 1 KB.
    let why = ChangeMeta {
        reason: Some("r".repeat(300_000)),
        ..meta()
    };
    let result = store
        .change_flag(&key("checkout"), None, &[FlagChange::Kill], &why)
        .await;
    refused(store, result, "1024 bytes").await;
    let who = ChangeMeta {
        actor: "a".repeat(1000),
        ..meta()
    };
    let result = store
        .change_flag(&key("checkout"), None, &[FlagChange::Kill], &who)
        .await;
    refused(store, result, "256 bytes").await;

    // Many small overrides: the flag as a whole has a limit too (256 KiB of JSON), and a flag
    // at its limit can still be killed.
    let mut added = 0;
    let err = loop {
        let batch: Vec<FlagChange> = (0..100)
            .map(|i| rule(format!("{:0>900}", added + i)))
            .collect();
        match store
            .change_flag(&key("checkout"), None, &batch, &meta())
            .await
        {
            Ok(_) => added += 100,
            Err(e) => break e,
        }
        assert!(added < 10_000, "no limit on the size of a flag");
    };
    assert!(err.to_string().contains("262144 bytes"), "{err}");
    let killed = store
        .change_flag(&key("checkout"), None, &[FlagChange::Kill], &meta())
        .await
        .unwrap();
    assert!(killed.value.killed);
}

async fn the_audit_log_pages_with_cursors_both_ways(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    store
        .create_flag(Flag::new(key("checkout")), &meta())
        .await
        .unwrap();
    for i in 0..9 {
        let change = FlagChange::SetOwner {
            owner: format!("team-{i}"),
        };
        store
            .change_flag(&key("checkout"), None, &[change], &meta())
            .await
            .unwrap();
    }
    let ids = |page: Vec<cutover_core::AuditEntry>| page.iter().map(|e| e.id).collect::<Vec<_>>();
    let page = |after_id, before_id, newest_first| AuditQuery {
        after_id,
        before_id,
        newest_first,
        limit: Some(4),
        ..AuditQuery::default()
    };
    assert_eq!(
        ids(store.audit(&page(None, None, false)).await.unwrap()),
        [1, 2, 3, 4]
    );
    assert_eq!(
        ids(store.audit(&page(Some(4), None, false)).await.unwrap()),
        [5, 6, 7, 8]
    );
    assert_eq!(
        ids(store.audit(&page(Some(8), None, false)).await.unwrap()),
        [9, 10]
    );
    assert_eq!(
        ids(store.audit(&page(None, None, true)).await.unwrap()),
        [10, 9, 8, 7]
    );
    assert_eq!(
        ids(store.audit(&page(None, Some(7), true)).await.unwrap()),
        [6, 5, 4, 3]
    );
    assert_eq!(
        ids(store.audit(&page(None, Some(3), true)).await.unwrap()),
        [2, 1]
    );
    assert_eq!(
        ids(store.audit(&page(Some(2), Some(6), false)).await.unwrap()),
        [3, 4, 5]
    );
}

common::on_both_backends!(
    stored_texts_have_limits_on_every_way_in,
    the_audit_log_pages_with_cursors_both_ways
);

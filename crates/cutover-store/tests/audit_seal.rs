//! The keyed seal of the audit head and the audited acceptance of a store, on both backends: a
//! store opened with the key seals every append; one without it may not write to a sealed
//! store; what an attacker writes without the key (after stripping the seal) is reported and
//! carried by the next keyed write until accepted; `trust_state` records each acceptance and
//! refuses a broken chain.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{Backend, store};
use cutover_core::{AuditKey, Flag, FlagChange, FlagKey, SealGap, SealOutcome, Timestamp};
use cutover_store::{AuditQuery, ChangeMeta, StoreError};

fn key(byte: u8) -> AuditKey {
    AuditKey::from_file_bytes(&[byte; 40]).unwrap()
}

fn meta(second: i64) -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: "alice".into(),
        reason: None,
        at: Timestamp::from_second(1_800_000_000 + second).unwrap(),
    }
}

fn flag(name: &str) -> Flag {
    Flag::new(FlagKey::new(name).unwrap())
}

async fn a_keyed_store_seals_every_append_and_only_key_holders_write(b: Backend) {
    let Some((place, plain)) = store(b).await else {
        return;
    };
    let keyed = place.open_with_key(key(1)).await;
    keyed.create_flag(flag("checkout"), &meta(0)).await.unwrap();
    keyed
        .change_flag(
            &FlagKey::new("checkout").unwrap(),
            None,
            &[FlagChange::Kill],
            &meta(1),
        )
        .await
        .unwrap();
    let report = keyed.verify_audit().await.unwrap();
    assert_eq!(report.seal, Some(SealOutcome::Valid { id: 2 }));
    assert!(report.is_intact());

    let unchecked = plain.verify_audit().await.unwrap();
    assert_eq!(
        unchecked.seal,
        Some(SealOutcome::NotChecked { sealed: true })
    );
    assert!(
        unchecked.is_intact(),
        "without the key the seal is not checked"
    );
    let other = place.open_with_key(key(2)).await;
    assert_eq!(
        other.verify_audit().await.unwrap().seal,
        Some(SealOutcome::Wrong { id: 2 })
    );

    let refused = plain
        .create_flag(flag("backdoor"), &meta(2))
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::SealedWithoutKey), "{refused}");
    assert_eq!(
        plain.audit_head().await.unwrap().0,
        2,
        "nothing was written"
    );
    assert!(
        plain
            .flag(&FlagKey::new("backdoor").unwrap())
            .await
            .is_err()
    );
}

async fn writes_without_the_key_are_reported_and_carried_until_accepted(b: Backend) {
    let Some((place, plain)) = store(b).await else {
        return;
    };
    let keyed = place.open_with_key(key(1)).await;
    keyed.create_flag(flag("checkout"), &meta(0)).await.unwrap();
    keyed.close().await;
    // The attacker strips the seal, then writes through a cutover without the key.
    place
        .tamper(
            plain,
            "UPDATE audit_head SET seal_id = NULL, seal_mac = NULL",
        )
        .await;
    let plain = place.open_again().await;
    plain.create_flag(flag("backdoor"), &meta(1)).await.unwrap();
    assert!(plain.verify_audit().await.unwrap().is_intact());
    let keyed = place.open_with_key(key(1)).await;
    let report = keyed.verify_audit().await.unwrap();
    assert_eq!(report.seal, Some(SealOutcome::Missing { head_id: 2 }));
    assert!(!report.is_intact());

    // The next write with the key cannot vouch for entries 1..2 and says so from then on.
    keyed.create_flag(flag("search"), &meta(2)).await.unwrap();
    let report = keyed.verify_audit().await.unwrap();
    assert_eq!(
        report.seal,
        Some(SealOutcome::Gap {
            id: 3,
            gap: SealGap { from: 1, to: 2 }
        })
    );
    assert!(
        report.problems()[0].starts_with("entries 1..2 were written without the key"),
        "{:?}",
        report.problems()
    );

    let trusted = keyed.trust_state(&meta(3)).await.unwrap();
    assert_eq!(trusted.audit_ids, [4]);
    let entry = keyed
        .audit(&AuditQuery {
            after_id: Some(3),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (entry[0].action.as_str(), entry[0].entity.as_str()),
        ("audit.seal", "audit:seal")
    );
    let report = keyed.verify_audit().await.unwrap();
    assert_eq!(report.seal, Some(SealOutcome::Valid { id: 4 }));
    assert!(report.is_intact(), "{:?}", report.problems());
}

async fn trust_state_records_each_acceptance_and_refuses_a_broken_chain(b: Backend) {
    let Some((place, store)) = store(b).await else {
        return;
    };
    store.create_flag(flag("checkout"), &meta(0)).await.unwrap();
    store.create_flag(flag("search"), &meta(1)).await.unwrap();
    assert!(
        store
            .trust_state(&meta(2))
            .await
            .unwrap()
            .audit_ids
            .is_empty()
    );
    assert_eq!(
        store.audit_head().await.unwrap().0,
        2,
        "nothing to accept, nothing written"
    );

    place
        .tamper(
            store,
            "UPDATE flags SET rollout_bps = 10000 WHERE key = 'search'",
        )
        .await;
    let store = place.open_again().await;
    let trusted = store.trust_state(&meta(3)).await.unwrap();
    assert_eq!(trusted.audit_ids, [3]);
    assert!(
        trusted.accepted[0].starts_with("flag search: the row differs from the log"),
        "{trusted:?}"
    );
    let entry = &store
        .audit(&AuditQuery {
            after_id: Some(2),
            ..AuditQuery::default()
        })
        .await
        .unwrap()[0];
    assert_eq!(
        (entry.action.as_str(), entry.entity.as_str()),
        ("state.trust", "flag:search")
    );
    assert!(
        entry
            .after
            .as_deref()
            .unwrap()
            .contains(r#""rollout_percent":100"#)
    );
    assert!(store.verify_audit().await.unwrap().is_intact());

    place
        .tamper(store, "UPDATE audit_log SET actor = 'mallory' WHERE id = 1")
        .await;
    let store = place.open_again().await;
    let refused = store.trust_state(&meta(4)).await.unwrap_err();
    assert!(
        matches!(&refused, StoreError::CannotTrust { why } if why.contains("entry 1 does not match")),
        "{refused}"
    );
    assert_eq!(
        store.audit_head().await.unwrap().0,
        3,
        "nothing was written"
    );
}

on_both_backends!(
    a_keyed_store_seals_every_append_and_only_key_holders_write,
    writes_without_the_key_are_reported_and_carried_until_accepted,
    trust_state_records_each_acceptance_and_refuses_a_broken_chain,
);

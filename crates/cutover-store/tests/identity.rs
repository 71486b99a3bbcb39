//! Who and what a store can name, on both backends: flag keys that would answer to the same
//! `CUTOVER_FLAG_*` variable are one flag to the environment, so the second is refused wherever
//! flags come into being; the last admin token cannot be revoked; and names cutover writes into
//! the audit log on its own behalf (`guard`, ...) cannot be taken by a token.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{Backend, store};

use cutover_core::{Flag, FlagDocument, FlagKey, Role, Timestamp, TokenName};
use cutover_store::{ChangeMeta, Store, StoreError, TokenRecord};

fn key(k: &str) -> FlagKey {
    FlagKey::new(k).unwrap()
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

fn token(name: &str, role: Role) -> TokenRecord {
    TokenRecord {
        name: TokenName::new(name).unwrap(),
        role,
        hash: cutover_core::token_hash(name),
        created_at: Timestamp::from_second(1_800_000_000).unwrap(),
        created_by: "alice".into(),
        expires_at: None,
    }
}

fn doc(json: &str) -> FlagDocument {
    serde_json::from_str(json).unwrap()
}

async fn keys(store: &dyn Store) -> Vec<String> {
    store
        .flags()
        .await
        .unwrap()
        .iter()
        .map(|f| f.key.to_string())
        .collect()
}

async fn keys_sharing_an_environment_variable_are_one_flag(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    store
        .create_flag(Flag::new(key("x-y")), &meta(0))
        .await
        .unwrap();
    for other in ["x_y", "x.y"] {
        let err = store
            .create_flag(Flag::new(key(other)), &meta(1))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::FlagIdentityTaken { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains(other) && text.contains("x-y") && text.contains("CUTOVER_FLAG_X_Y"),
            "{text}"
        );
    }

    // An import that would bring one in is refused whole.
    let log_before = store.audit(&Default::default()).await.unwrap().len();
    let err = store
        .import(
            &doc(r#"{"flags": [{"key": "fresh"}, {"key": "x.y"}]}"#),
            cutover_store::ImportOptions::default(),
            &meta(2),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("CUTOVER_FLAG_X_Y"), "{err}");
    // So is a document that holds two of them itself.
    let err = store
        .import(
            &doc(r#"{"flags": [{"key": "a-b"}, {"key": "a_b"}]}"#),
            cutover_store::ImportOptions::default(),
            &meta(3),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("CUTOVER_FLAG_A_B"), "{err}");
    assert_eq!(keys(&*store).await, ["x-y"]);
    assert_eq!(
        store.audit(&Default::default()).await.unwrap().len(),
        log_before
    );

    // Renaming through an import that prunes the old key is one flag before and after.
    store
        .import(
            &doc(r#"{"flags": [{"key": "x_y"}]}"#),
            cutover_store::ImportOptions {
                prune: true,
                ..Default::default()
            },
            &meta(4),
        )
        .await
        .unwrap();
    assert_eq!(keys(&*store).await, ["x_y"]);
}

async fn the_last_admin_token_cannot_be_revoked(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    store
        .create_token(token("first", Role::Admin), &meta(0))
        .await
        .unwrap();
    store
        .create_token(token("viewer", Role::Viewer), &meta(1))
        .await
        .unwrap();
    let err = store
        .revoke_token(&TokenName::new("first").unwrap(), &meta(2))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::LastAdminToken { .. }), "{err}");
    assert!(err.to_string().contains("first"), "{err}");
    assert_eq!(
        store.tokens().await.unwrap().len(),
        2,
        "nothing was revoked"
    );

    store
        .create_token(token("second", Role::Admin), &meta(3))
        .await
        .unwrap();
    store
        .revoke_token(&TokenName::new("first").unwrap(), &meta(4))
        .await
        .unwrap();
    store
        .revoke_token(&TokenName::new("viewer").unwrap(), &meta(5))
        .await
        .unwrap();
    let err = store
        .revoke_token(&TokenName::new("second").unwrap(), &meta(6))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::LastAdminToken { .. }), "{err}");
    let names: Vec<String> = store
        .tokens()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(names, ["second"]);
}

async fn names_cutover_acts_under_are_not_token_names(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    for name in cutover_core::RESERVED_ACTORS {
        let err = store
            .create_token(token(name, Role::Admin), &meta(0))
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("{name:?}")) && text.contains("guard, "),
            "{name}: {text}"
        );
    }
    assert!(store.tokens().await.unwrap().is_empty());
    assert!(store.audit(&Default::default()).await.unwrap().is_empty());
}

common::on_both_backends!(
    keys_sharing_an_environment_variable_are_one_flag,
    the_last_admin_token_cannot_be_revoked,
    names_cutover_acts_under_are_not_token_names,
);

//! The environment variables flags declare by their own names, on both backends: a store never
//! holds two flags that read one variable (declared or derived `CUTOVER_FLAG_<KEY>`), whether a
//! flag is created, changed or imported, and the refusal names both flags and the variable.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{Backend, store};

use cutover_core::{EnvMode, EnvVarName, Flag, FlagChange, FlagDocument, FlagKey, Timestamp};
use cutover_store::{ChangeMeta, ImportOptions, StoreError};

fn key(k: &str) -> FlagKey {
    FlagKey::new(k).unwrap()
}

fn name(n: &str) -> Option<EnvVarName> {
    Some(EnvVarName::new(n).unwrap())
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

fn declaring(k: &str, switch: &str) -> Flag {
    let mut flag = Flag::new(key(k));
    flag.env.switch = name(switch);
    flag
}

fn doc(json: &str) -> FlagDocument {
    serde_json::from_str(json).unwrap()
}

fn assert_names_both(err: &StoreError, flag: &str, other: &str, var: &str) {
    assert!(matches!(err, StoreError::FlagIdentityTaken { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("flag {flag} "))
            && text.contains(&format!("flag {other} "))
            && text.contains(var),
        "{text}"
    );
}

async fn a_second_flag_cannot_claim_a_declared_variable(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    let created = store
        .create_flag(declaring("routing", "USE_ONEX_ROUTING_NODES"), &meta(0))
        .await
        .unwrap();
    assert_eq!(created.value.env.switch, name("USE_ONEX_ROUTING_NODES"));
    // Read back as written.
    assert_eq!(
        store.flag(&key("routing")).await.unwrap().env,
        created.value.env
    );
    let log = store.audit(&Default::default()).await.unwrap().len();

    let err = store
        .create_flag(declaring("routing-v2", "USE_ONEX_ROUTING_NODES"), &meta(1))
        .await
        .unwrap_err();
    assert_names_both(&err, "routing-v2", "routing", "USE_ONEX_ROUTING_NODES");

    // Nor by a change, whatever the variable means to it.
    store
        .create_flag(Flag::new(key("planner")), &meta(2))
        .await
        .unwrap();
    let claim = FlagChange::SetEnvPercent {
        env_percent: name("USE_ONEX_ROUTING_NODES"),
    };
    let err = store
        .change_flag(&key("planner"), None, &[claim], &meta(3))
        .await
        .unwrap_err();
    assert_names_both(&err, "planner", "routing", "USE_ONEX_ROUTING_NODES");
    assert!(store.flag(&key("planner")).await.unwrap().env.is_empty());
    assert_eq!(
        store.audit(&Default::default()).await.unwrap().len(),
        log + 1
    );

    // Once routing lets go of it, planner may take it; the change is audited.
    let release = FlagChange::SetEnv {
        env: None,
        env_mode: EnvMode::Force,
    };
    store
        .change_flag(&key("routing"), None, &[release], &meta(4))
        .await
        .unwrap();
    let take = FlagChange::SetEnv {
        env: name("USE_ONEX_ROUTING_NODES"),
        env_mode: EnvMode::Enable,
    };
    let done = store
        .change_flag(&key("planner"), None, &[take], &meta(5))
        .await
        .unwrap();
    assert_eq!(done.value.env.mode, EnvMode::Enable);
    let entries = store.audit(&Default::default()).await.unwrap();
    let last = entries.last().unwrap();
    assert_eq!(last.action.to_string(), "flag.update");
    assert!(
        last.after
            .as_deref()
            .unwrap_or_default()
            .contains("USE_ONEX_ROUTING_NODES"),
        "{last:?}"
    );
}

async fn an_import_checks_the_state_it_leads_to(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    store
        .import(
            &doc(
                r#"{"flags": [{"key": "a", "env": "A_ON"}, {"key": "b", "env": "B_ON"},
                              {"key": "kept", "env_stage": "KEPT_STAGE"}]}"#,
            ),
            ImportOptions::default(),
            &meta(0),
        )
        .await
        .unwrap();
    // Two flags swapping their variables pass through no conflict that counts.
    store
        .import(
            &doc(r#"{"flags": [{"key": "a", "env": "B_ON"}, {"key": "b", "env": "A_ON"}]}"#),
            ImportOptions::default(),
            &meta(1),
        )
        .await
        .unwrap();
    assert_eq!(
        store.flag(&key("a")).await.unwrap().env.switch,
        name("B_ON")
    );
    // A document flag reading a variable a flag the store keeps reads is refused whole.
    let log = store.audit(&Default::default()).await.unwrap().len();
    let err = store
        .import(
            &doc(r#"{"flags": [{"key": "fresh"}, {"key": "a", "env_percent": "KEPT_STAGE"}]}"#),
            ImportOptions::default(),
            &meta(2),
        )
        .await
        .unwrap_err();
    assert_names_both(&err, "a", "kept", "KEPT_STAGE");
    assert_eq!(store.audit(&Default::default()).await.unwrap().len(), log);
    // With prune the kept flag goes, and its variable is free.
    store
        .import(
            &doc(r#"{"flags": [{"key": "a", "env_percent": "KEPT_STAGE"}]}"#),
            ImportOptions {
                prune: true,
                ..Default::default()
            },
            &meta(3),
        )
        .await
        .unwrap();
    // Two flags of one document reading one variable, or keys a-b and a_b, name both.
    for (json, first, second) in [
        (
            r#"{"flags": [{"key": "x", "env": "X_ON"}, {"key": "y", "env_stage": "X_ON"}]}"#,
            "y",
            "x",
        ),
        (
            r#"{"flags": [{"key": "a-b"}, {"key": "a_b"}]}"#,
            "a_b",
            "a-b",
        ),
    ] {
        let err = store
            .import(&doc(json), ImportOptions::default(), &meta(4))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("flag {first} ")) && err.contains(&format!("flag {second}")),
            "{err}"
        );
    }
}

common::on_both_backends!(
    a_second_flag_cannot_claim_a_declared_variable,
    an_import_checks_the_state_it_leads_to,
);

//! `verify` replays the audit log into the flags, presets and tokens it says the store holds, and
//! names every row an attacker edited, inserted or deleted behind cutover's back: with the
//! sqlite3 shell on a SQLite file, with plain SQL on PostgreSQL. A store changed only through
//! cutover, in every way it can be changed, verifies.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::Arc;

use common::{Backend, Place, store};
use cutover_core::{
    AttributeName, Flag, FlagChange, FlagDocument, FlagKey, GENESIS_HASH, NewAuditEntry, Override,
    Preset, PresetEntry, Role, Rollout, Stage, StateFinding, Timestamp, TokenName, Variant,
    token_hash,
};
use cutover_store::{ChangeMeta, Store, TokenRecord};

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

/// An instant with nanoseconds, as a clock gives them: the rows keep milliseconds, the log the
/// JSON it was handed.
fn fine(second: i64, nanos: i32) -> Timestamp {
    Timestamp::new(1_800_000_000 + second, nanos).unwrap()
}

fn token(name: &str, role: Role, secret: &str, created_at: Timestamp) -> TokenRecord {
    TokenRecord {
        name: TokenName::new(name).unwrap(),
        role,
        hash: token_hash(secret),
        created_at,
        created_by: "alice".into(),
        expires_at: None,
    }
}

fn vip(expires_at: Option<Timestamp>) -> FlagChange {
    FlagChange::AddOverride {
        rule: Override {
            attribute: AttributeName::new("user_id").unwrap(),
            value: "vip".into(),
            variant: Variant::New,
            expires_at,
        },
    }
}

/// Every kind of change cutover makes: flags created, changed, killed, deleted; overrides with
/// sub-millisecond expiries, swept; presets defined, applied, deleted; an import; tokens
/// created and revoked.
async fn history(store: &dyn Store) {
    let checkout = key("checkout");
    store
        .create_flag(Flag::new(checkout.clone()), &meta(0))
        .await
        .unwrap();
    let five = FlagChange::SetRollout {
        rollout_percent: Rollout::from_percent_str("5").unwrap(),
    };
    store
        .change_flag(&checkout, Some(1), &[five], &meta(1))
        .await
        .unwrap();
    store
        .change_flag(
            &checkout,
            None,
            &[vip(Some(fine(50, 123_456_789)))],
            &meta(2),
        )
        .await
        .unwrap();
    store
        .create_flag(Flag::new(key("search")), &meta(3))
        .await
        .unwrap();
    store
        .create_flag(Flag::new(key("scratch")), &meta(3))
        .await
        .unwrap();
    let mut on_beta = PresetEntry::unset(checkout.clone());
    on_beta.stage = Some(Stage::Beta);
    let mut search_on = PresetEntry::unset(key("search"));
    search_on.enabled = Some(true);
    search_on.rollout = Some(Rollout::from_percent_str("25").unwrap());
    let phase1 = Preset {
        name: key("phase1"),
        description: String::new(),
        entries: vec![on_beta, search_on],
    };
    store.define_preset(phase1, &meta(4)).await.unwrap();
    store.apply_preset(&key("phase1"), &meta(5)).await.unwrap();
    let mut search_off = PresetEntry::unset(key("search"));
    search_off.enabled = Some(false);
    let spare = Preset {
        name: key("spare"),
        description: "to delete".into(),
        entries: vec![search_off],
    };
    store.define_preset(spare, &meta(6)).await.unwrap();
    store.delete_preset(&key("spare"), &meta(7)).await.unwrap();
    store
        .create_token(
            token("ci", Role::Operator, "cut_ci", fine(8, 987_654_321)),
            &meta(8),
        )
        .await
        .unwrap();
    store
        .create_token(token("old", Role::Viewer, "cut_old", fine(9, 1)), &meta(9))
        .await
        .unwrap();
    store
        .revoke_token(&TokenName::new("old").unwrap(), &meta(10))
        .await
        .unwrap();
    store
        .change_flag(&checkout, None, &[FlagChange::Kill], &meta(11))
        .await
        .unwrap();
    store
        .delete_flag(&key("scratch"), None, &meta(12))
        .await
        .unwrap();
    let mut imported = Flag::new(key("payments"));
    imported.owner = "payments-team".into();
    let doc = FlagDocument {
        flags: vec![imported],
        presets: Vec::new(),
    };
    store
        .import(&doc, cutover_store::ImportOptions::default(), &meta(13))
        .await
        .unwrap();
    store.sweep_expired_overrides(&meta(60)).await.unwrap();
    store
        .change_flag(
            &checkout,
            None,
            &[vip(Some(fine(9_000, 555_555_555)))],
            &meta(61),
        )
        .await
        .unwrap();
    store
        .change_flag(&key("search"), None, &[vip(None)], &meta(62))
        .await
        .unwrap();
}

/// Tampers with the store, then opens it again.
async fn tamper(place: &Place, store: Arc<dyn Store>, sql: &str) -> Arc<dyn Store> {
    place.tamper(store, sql).await;
    place.open_again().await
}

/// Builds the history, checks it verifies, tampers, insists verify now fails with an intact
/// chain, and returns what the replay found (`None` when the backend is not available).
async fn caught(b: Backend, sql: &str) -> Option<Vec<StateFinding>> {
    let (place, store) = store(b).await?;
    history(&*store).await;
    let before = store.verify_audit().await.unwrap();
    assert!(before.is_intact(), "before tampering: {before:?}");
    let store = tamper(&place, store, sql).await;
    let report = store.verify_audit().await.unwrap();
    assert!(!report.is_intact(), "tampering went unnoticed: {sql}");
    assert_eq!(report.fault, None, "the chain itself was not touched");
    Some(report.state.unwrap().findings)
}

/// The one finding, when there is exactly one.
fn only(findings: Option<Vec<StateFinding>>) -> Option<StateFinding> {
    let findings = findings?;
    assert_eq!(findings.len(), 1, "{findings:#?}");
    findings.into_iter().next()
}

async fn an_untouched_store_with_every_kind_of_change_verifies(b: Backend) {
    let Some((place, store)) = store(b).await else {
        return;
    };
    history(&*store).await;
    let report = store.verify_audit().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    let again = place.open_again().await;
    assert!(again.verify_audit().await.unwrap().is_intact());
}

async fn a_hand_edited_rollout_fails_verify(b: Backend) {
    let sql = "UPDATE flags SET rollout_bps = 10000 WHERE key = 'checkout'";
    let Some(finding) = only(caught(b, sql).await) else {
        return;
    };
    match &finding {
        StateFinding::RowDiffers { entity, fields, .. } => {
            assert_eq!(entity, "flag:checkout");
            let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(names, ["rollout_percent"]);
            assert_eq!(fields[0].found, serde_json::json!(100));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        finding
            .to_string()
            .starts_with("flag checkout: the row differs from the log"),
        "{finding}"
    );
}

async fn a_hand_edited_preset_fails_verify(b: Backend) {
    let sql = "UPDATE presets SET definition = replace(definition, '\"beta\"', '\"production\"') WHERE name = 'phase1'";
    let finding = only(caught(b, sql).await);
    assert!(finding.is_none_or(
        |f| matches!(&f, StateFinding::RowDiffers { entity, .. } if entity == "preset:phase1")
    ),);
}

async fn an_override_inserted_by_hand_fails_verify(b: Backend) {
    let sql = "INSERT INTO overrides (flag_key, attribute, value, variant, expires_at, position) \
               VALUES ('payments', 'user_id', 'mallory', 'new', NULL, 0)";
    let finding = only(caught(b, sql).await);
    assert!(finding.is_none_or(|f| matches!(
        &f,
        StateFinding::RowDiffers { entity, fields, .. }
            if entity == "flag:payments" && fields[0].field == "overrides"
    )));
}

async fn a_flag_row_inserted_without_an_entry_fails_verify(b: Backend) {
    let sql = "INSERT INTO flags (key, version, description, owner, enabled, stage, rollout_bps, \
               killed, stickiness, salt, scope, created_at, updated_at, updated_by) \
               SELECT 'shadow-path', 1, '', '', enabled, 'production', 10000, killed, 'user_id', \
               NULL, '[]', created_at, updated_at, 'mallory' FROM flags WHERE key = 'payments'";
    let finding = only(caught(b, sql).await);
    if let Some(finding) = finding {
        assert_eq!(
            finding,
            StateFinding::RowUnlogged {
                entity: "flag:shadow-path".into(),
                entry: None
            }
        );
    }
}

async fn a_flag_row_deleted_outside_cutover_fails_verify(b: Backend) {
    let sql =
        "DELETE FROM overrides WHERE flag_key = 'search'; DELETE FROM flags WHERE key = 'search'";
    let finding = only(caught(b, sql).await);
    assert!(finding.is_none_or(
        |f| matches!(&f, StateFinding::RowMissing { entity, .. } if entity == "flag:search")
    ));
}

async fn a_token_row_inserted_with_a_known_hash_fails_verify(b: Backend) {
    let known = token_hash("cut_mallory");
    let sql = format!(
        "INSERT INTO tokens (name, role, hash, created_at, created_by) \
         VALUES ('backup', 'admin', '{known}', 1800000000000, 'alice')"
    );
    let finding = only(caught(b, &sql).await);
    if let Some(finding) = finding {
        assert_eq!(
            finding,
            StateFinding::RowUnlogged {
                entity: "token:backup".into(),
                entry: None
            }
        );
    }
}

async fn a_token_hash_swapped_in_place_fails_verify(b: Backend) {
    let known = token_hash("cut_mallory");
    let sql = format!("UPDATE tokens SET hash = '{known}' WHERE name = 'ci'");
    let finding = only(caught(b, &sql).await);
    assert!(finding.is_none_or(|f| matches!(
        &f,
        StateFinding::RowDiffers { entity, fields, .. }
            if entity == "token:ci" && fields[0].field == "hash_binding"
    )));
}

async fn a_token_role_raised_by_hand_fails_verify(b: Backend) {
    let finding = only(caught(b, "UPDATE tokens SET role = 'admin' WHERE name = 'ci'").await);
    assert!(finding.is_none_or(|f| matches!(
        &f,
        StateFinding::RowDiffers { entity, fields, .. }
            if entity == "token:ci" && fields[0].field == "role"
    )));
}

/// The edit is carried into the log by the next audited change, which reads the edited row as
/// its `before`: the end state agrees with the log, but the log shows the state jumped between
/// two entries.
async fn a_hand_edit_carried_forward_by_a_later_change_fails_verify(b: Backend) {
    let Some((place, store)) = store(b).await else {
        return;
    };
    history(&*store).await;
    let store = tamper(
        &place,
        store,
        "UPDATE flags SET rollout_bps = 10000, stage = 'production' WHERE key = 'search'",
    )
    .await;
    let described = FlagChange::SetDescription {
        description: "search v2".into(),
    };
    store
        .change_flag(&key("search"), None, &[described], &meta(70))
        .await
        .unwrap();
    let report = store.verify_audit().await.unwrap();
    assert!(!report.is_intact(), "the laundered edit went unnoticed");
    let findings = report.state.unwrap().findings;
    match findings.as_slice() {
        [
            StateFinding::ChangedOutsideLog {
                entity,
                fields,
                accepted_by: None,
                ..
            },
        ] => {
            assert_eq!(entity, "flag:search");
            let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(names, ["rollout_percent", "stage"]);
        }
        other => panic!("{other:#?}"),
    }
}

/// A token created by an earlier version: its entry carries no binding of the hash (the record
/// as it was then serialised), written here the way that version wrote it. It still verifies,
/// checked by name, role and creation, and the report says so; a raised role is still caught.
async fn a_token_created_by_an_earlier_version_is_checked_by_name_and_role(b: Backend) {
    let Some((place, store)) = store(b).await else {
        return;
    };
    let created_at = Timestamp::from_millisecond(1_800_000_000_123).unwrap();
    let entry = NewAuditEntry {
        at: created_at,
        actor: "alice".into(),
        action: "token.create".into(),
        entity: "token:legacy".into(),
        before: None,
        after: Some(format!(
            r#"{{"name":"legacy","role":"viewer","created_at":"{created_at}","created_by":"alice"}}"#
        )),
        reason: None,
    }
    .seal(1, GENESIS_HASH);
    let written_then = format!(
        "INSERT INTO audit_log (id, at, actor, action, entity, before, after, reason, prev_hash, hash) \
         VALUES (1, {ms}, 'alice', 'token.create', 'token:legacy', NULL, '{after}', NULL, '{prev}', '{hash}'); \
         UPDATE audit_head SET last_id = 1, last_hash = '{hash}'; \
         INSERT INTO tokens (name, role, hash, created_at, created_by) \
         VALUES ('legacy', 'viewer', '{stored}', {ms}, 'alice')",
        ms = created_at.as_millisecond(),
        after = entry.after.as_deref().unwrap(),
        prev = entry.prev_hash,
        hash = entry.hash,
        stored = token_hash("cut_legacy"),
    );
    let store = tamper(&place, store, &written_then).await;
    let report = store.verify_audit().await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems());
    assert_eq!(report.state.unwrap().unbound_tokens, ["legacy"]);

    let store = tamper(
        &place,
        store,
        "UPDATE tokens SET role = 'admin' WHERE name = 'legacy'",
    )
    .await;
    assert!(!store.verify_audit().await.unwrap().is_intact());
}

on_both_backends!(
    a_token_created_by_an_earlier_version_is_checked_by_name_and_role,
    an_untouched_store_with_every_kind_of_change_verifies,
    a_hand_edited_rollout_fails_verify,
    a_hand_edited_preset_fails_verify,
    an_override_inserted_by_hand_fails_verify,
    a_flag_row_inserted_without_an_entry_fails_verify,
    a_flag_row_deleted_outside_cutover_fails_verify,
    a_token_row_inserted_with_a_known_hash_fails_verify,
    a_token_hash_swapped_in_place_fails_verify,
    a_token_role_raised_by_hand_fails_verify,
    a_hand_edit_carried_forward_by_a_later_change_fails_verify,
);

//! Stage prerequisites through every way a flag climbs the ladder: a change, a preset, an
//! import; refused with what is missing, or forced with a reason the audit keeps; the guard
//! pauses instead of forcing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;

use cutover_api::{Control, ErrorKind};
use cutover_control::StoreControl;
use cutover_core::guard::{Action, RolloutPlan, RunMove, RunStatus};
use cutover_core::{
    AuditQuery, ChangeMeta, Flag, FlagChange, FlagDocument, FlagKey, ImportOptions, Preset,
    Rollout, Stage, StageRequirement, Timestamp,
};
use cutover_store::{SqliteStore, Store};

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_100).unwrap()
}

fn meta(force: bool, reason: Option<&str>) -> ChangeMeta {
    ChangeMeta {
        role: None,
        force,
        actor: "ann".into(),
        reason: reason.map(str::to_owned),
        at: now(),
    }
}

/// A store with `gated` (production needs a golden verdict; a plan 50,100) and `free`.
async fn layer() -> (tempfile::TempDir, StoreControl) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("s.db")).await.unwrap());
    let control = StoreControl::new(store).with_clock(now);
    let m = meta(false, None);
    let mut gated = Flag::new(FlagKey::new("gated").unwrap());
    gated.plan = Some(serde_json::from_str::<RolloutPlan>(r#""50,100 every 10s""#).unwrap());
    control.create_flag(gated, &m).await.unwrap();
    control
        .create_flag(Flag::new(FlagKey::new("free").unwrap()), &m)
        .await
        .unwrap();
    let require = FlagChange::SetRequirement {
        stage: Stage::Production,
        requirement: Some(StageRequirement {
            gates: vec![cutover_core::guard::GateExpr::new("golden").unwrap()],
            ..StageRequirement::default()
        }),
    };
    let key = FlagKey::new("gated").unwrap();
    control
        .change_flag(&key, None, &[require], &m)
        .await
        .unwrap();
    (dir, control)
}

#[tokio::test]
async fn a_preset_and_an_import_that_raise_a_flag_are_held_to_its_prerequisites() {
    let (_dir, control) = layer().await;
    let m = meta(false, None);
    let preset: Preset = serde_json::from_str(
        r#"{"name": "go-live", "entries": [{"flag": "free", "stage": "beta"},
                                           {"flag": "gated", "stage": "production"}]}"#,
    )
    .unwrap();
    control.define_preset(preset, &m).await.unwrap();
    let name = FlagKey::new("go-live").unwrap();
    let refused = control.apply_preset(&name, &m).await.unwrap_err();
    assert_eq!(
        (refused.kind, refused.code.as_ref()),
        (ErrorKind::Conflict, "prerequisites")
    );
    assert!(
        refused
            .message
            .contains("flag gated may not enter production"),
        "{refused}"
    );
    // All or nothing: the other flag did not move either.
    let free = control.flag(&FlagKey::new("free").unwrap()).await.unwrap();
    assert_eq!(free.stage, Stage::Disabled);

    let mut doc: FlagDocument = control.export().await.unwrap();
    for flag in &mut doc.flags {
        if flag.key.as_str() == "gated" {
            flag.stage = Stage::Production;
            flag.rollout = Rollout::FULL;
        }
    }
    let refused = control
        .import(&doc, ImportOptions::default(), &m)
        .await
        .unwrap_err();
    assert_eq!(refused.code, "prerequisites", "{refused}");

    // Forced with a reason: through, and the audit entry says past what.
    let forced = meta(true, Some("launch call"));
    let done = control.apply_preset(&name, &forced).await.unwrap();
    assert_eq!(done.len(), 2);
    let entries = control
        .audit(&AuditQuery {
            flag: Some(FlagKey::new("gated").unwrap()),
            newest_first: true,
            limit: Some(1),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let reason = entries[0].reason.as_deref().unwrap();
    assert!(
        reason.contains("forced into production past: golden is missing; launch call"),
        "{reason}"
    );
}

#[tokio::test]
async fn the_guard_pauses_before_a_stage_it_may_not_enter() {
    let (_dir, control) = layer().await;
    let key = FlagKey::new("gated").unwrap();
    let m = meta(false, None);
    let started = control
        .change_flag(
            &key,
            None,
            &[FlagChange::RolloutMove {
                movement: RunMove::Start,
            }],
            &m,
        )
        .await
        .unwrap()
        .value;
    assert_eq!(started.stage, Stage::Beta);
    let to = Rollout::FULL;
    let done = control
        .guard_act(&started, Action::Advance { to }, 0, "healthy".into(), now())
        .await
        .unwrap()
        .unwrap()
        .value;
    let run = done.run.unwrap();
    assert_eq!((run.status, done.stage), (RunStatus::Paused, Stage::Beta));
    assert!(run.reason.unwrap().contains("golden is missing"));
}

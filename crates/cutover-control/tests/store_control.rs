//! The application layer over a real SQLite store: rollout status with its gates, figures read
//! in per-second windows, uploads, audit pages, tokens and the guard's moves.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;

use cutover_api::{Control, ErrorKind, MetricsSpan, NewToken};
use cutover_control::StoreControl;
use cutover_core::guard::{Action, RolloutPlan, RunMove};
use cutover_core::{
    ArmCounts, ArmReport, ArmWindow, AuditQuery, ChangeMeta, Flag, FlagChange, FlagKey,
    LatencySketch, MetricsBatch, Role, Timestamp, TokenName, Variant, latency_bucket, token_hash,
};
use cutover_store::{SqliteStore, Store};

/// The instant every test's clock reads: 3.5 s after the rollouts below start.
fn now() -> Timestamp {
    Timestamp::from_millisecond(1_800_000_003_500).unwrap()
}

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + second).unwrap()
}

fn meta(second: i64) -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: "ann".into(),
        reason: None,
        at: at(second),
    }
}

fn key() -> FlagKey {
    FlagKey::new("checkout").unwrap()
}

async fn layer() -> (tempfile::TempDir, Arc<dyn Store>, StoreControl) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("s.db")).await.unwrap());
    let control = StoreControl::new(store.clone()).with_clock(now);
    (dir, store, control)
}

fn calls(calls: u64, errors: u64) -> ArmCounts {
    ArmCounts {
        calls,
        errors,
        ..ArmCounts::default()
    }
}

async fn started(control: &StoreControl) {
    let mut flag = Flag::new(key());
    flag.plan = Some(
        serde_json::from_str::<RolloutPlan>(
            r#"{"steps":"5,50,100 every 10s","gates":["new.error_rate <= legacy.error_rate + 0.5"]}"#,
        )
        .unwrap(),
    );
    control.create_flag(flag, &meta(0)).await.unwrap();
    let start = FlagChange::RolloutMove {
        movement: RunMove::Start,
    };
    control
        .change_flag(&key(), Some(1), &[start], &meta(0))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_rollout_status_judges_every_gate_from_the_step_s_figures() {
    let (_dir, store, control) = layer().await;
    started(&control).await;
    // Figures of the step after the settle time (1 s) count; those before it do not.
    let window = |arm, second, counts| ArmWindow {
        flag: key(),
        arm,
        start: at(second),
        counts,
    };
    store
        .add_arm_metrics(&[
            window(Variant::Legacy, 0, calls(1_000, 1_000)),
            window(Variant::Legacy, 2, calls(40, 0)),
            window(Variant::New, 2, calls(10, 0)),
        ])
        .await
        .unwrap();

    let status = control.rollout_status(&key()).await.unwrap();
    assert_eq!(status.at, now());
    assert_eq!(status.version, 2);
    let look = status.look.expect("a running rollout has a look");
    assert_eq!((look.step, look.elapsed_s), (0, 3));
    assert_eq!(look.assessment.gates.len(), 1);
    assert_eq!(look.decision, Action::Hold);
    // Only the figures after the settle time were judged: not the 1,000 failing calls at 0 s.
    let gate = &look.assessment.gates[0];
    assert_eq!((gate.samples, gate.legacy_samples), (10, 40));
    assert_eq!(gate.new, Some(0.0));
}

#[tokio::test]
async fn a_flag_without_a_plan_has_no_look_and_a_missing_one_is_not_found() {
    let (_dir, _store, control) = layer().await;
    control
        .create_flag(Flag::new(key()), &meta(0))
        .await
        .unwrap();
    let status = control.rollout_status(&key()).await.unwrap();
    assert!(status.look.is_none() && status.plan.is_none());

    let missing = FlagKey::new("nope").unwrap();
    let err = control.rollout_status(&missing).await.unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_ref()),
        (ErrorKind::NotFound, "not_found")
    );
    assert_eq!(err.to_string(), "flag nope does not exist");
}

#[tokio::test]
async fn figures_include_the_window_since_falls_in_and_stop_before_until() {
    let (_dir, store, control) = layer().await;
    control
        .create_flag(Flag::new(key()), &meta(0))
        .await
        .unwrap();
    let new = |second, n| ArmWindow {
        flag: key(),
        arm: Variant::New,
        start: at(second),
        counts: calls(n, 0),
    };
    store
        .add_arm_metrics(&[new(0, 1), new(1, 10), new(2, 100), new(3, 1_000)])
        .await
        .unwrap();
    // Since 1.5 s: the window of second 1 counts whole; until 3 s: second 3 does not.
    let span = MetricsSpan {
        since: Some(Timestamp::from_millisecond(1_800_000_001_500).unwrap()),
        until: Some(at(3)),
    };
    let figures = control.arm_metrics(&key(), span).await.unwrap();
    assert_eq!(figures.new.calls, 110);
    assert_eq!(figures.legacy.calls, 0);
    assert_eq!(figures.since, span.since.unwrap());

    // By default the last 15 minutes up to the clock.
    let all = control
        .arm_metrics(&key(), MetricsSpan::default())
        .await
        .unwrap();
    assert_eq!(all.new.calls, 1_111);
    assert_eq!(all.until, now());

    let backwards = MetricsSpan {
        since: Some(at(3)),
        until: Some(at(1)),
    };
    let err = control.arm_metrics(&key(), backwards).await.unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::Invalid, Some("since"))
    );
    let missing = control
        .shadow_report(&FlagKey::new("nope").unwrap(), MetricsSpan::default())
        .await
        .unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn an_upload_counts_in_the_second_it_closed_in_and_sets_unknown_flags_aside() {
    let (_dir, _store, control) = layer().await;
    control
        .create_flag(Flag::new(key()), &meta(0))
        .await
        .unwrap();
    let report = |flag: &str| ArmReport {
        flag: flag.into(),
        arm: Variant::New,
        counts: ArmCounts {
            latency: LatencySketch::from_counts([(latency_bucket(800), 5)]),
            ..calls(5, 1)
        },
    };
    let batch = MetricsBatch {
        window_start: at(1),
        window_end: Timestamp::from_millisecond(1_800_000_002_700).unwrap(),
        arms: vec![report("checkout"), report("unheard-of")],
        shadows: vec![],
        dropped_batches: 0,
    };
    let done = control.upload_metrics(batch).await.unwrap();
    assert_eq!(done.arms, 1);
    assert_eq!(done.window_start, at(2));
    assert_eq!(done.ignored.arms, 1);
    assert!(done.ignored.unknown_flags.contains("unheard-of"));
    let span = MetricsSpan {
        since: Some(at(2)),
        until: Some(at(3)),
    };
    let figures = control.arm_metrics(&key(), span).await.unwrap();
    assert_eq!((figures.new.calls, figures.new.errors), (5, 1));

    // A node says which flags it knows; the layer then reads none from the store.
    let knows_nothing = control.clone().with_known_flags(|_| false);
    let batch = MetricsBatch {
        window_start: at(1),
        window_end: at(3),
        arms: vec![report("checkout")],
        shadows: vec![],
        dropped_batches: 0,
    };
    let done = knows_nothing.upload_metrics(batch).await.unwrap();
    assert_eq!((done.arms, done.ignored.arms), (0, 1));
}

#[tokio::test]
async fn audit_pages_say_whether_more_follow() {
    let (_dir, _store, control) = layer().await;
    for name in ["a", "b", "c"] {
        control
            .create_flag(Flag::new(FlagKey::new(name).unwrap()), &meta(0))
            .await
            .unwrap();
    }
    let first = control
        .audit_page(&AuditQuery {
            limit: Some(2),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(first.entries.len(), 2);
    assert!(first.more);
    let rest = control
        .audit_page(&AuditQuery {
            after_id: Some(first.entries[1].id),
            limit: Some(2),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(rest.entries.len(), 1);
    assert!(!rest.more);
    let err = control
        .audit_page(&AuditQuery {
            limit: Some(501),
            ..AuditQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("limit"));
}

#[tokio::test]
async fn a_token_s_secret_is_drawn_by_the_layer_and_stored_as_its_hash() {
    let (_dir, store, control) = layer().await;
    let name = TokenName::new("ci").unwrap();
    let done = control
        .create_token(
            NewToken {
                name: name.clone(),
                role: Role::Operator,
                expires_at: None,
            },
            &meta(0),
        )
        .await
        .unwrap();
    assert!(done.audit_id.is_some());
    assert!(done.value.token.starts_with(cutover_core::TOKEN_PREFIX));
    let stored = store
        .token_by_hash(&token_hash(&done.value.token))
        .await
        .unwrap()
        .expect("stored under its hash");
    assert_eq!(
        (stored.name, stored.created_by),
        (name.clone(), "ann".to_owned())
    );
}

#[tokio::test]
async fn tokens_leave_the_layer_without_the_hash_that_authenticates_them() {
    let (_dir, _store, control) = layer().await;
    let name = TokenName::new("ci").unwrap();
    let token = NewToken {
        name: name.clone(),
        role: Role::Operator,
        expires_at: None,
    };
    control.create_token(token, &meta(0)).await.unwrap();
    let listed = control.tokens().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].name.clone(), listed[0].hash.as_str()),
        (name.clone(), "")
    );
    let revoked = control.revoke_token(&name, &meta(1)).await.unwrap();
    assert_eq!(revoked.value.hash, "");
    assert_eq!(revoked.value.name, name);
}

#[tokio::test]
async fn the_guard_s_move_on_a_version_someone_moved_is_dropped() {
    let (_dir, _store, control) = layer().await;
    started(&control).await;
    let flag = control.flag(&key()).await.unwrap();
    let pause = FlagChange::RolloutMove {
        movement: RunMove::Pause,
    };
    control
        .change_flag(&key(), None, &[pause], &meta(1))
        .await
        .unwrap();
    let acted = control
        .guard_act(&flag, Action::Rollback, 0, "r".into(), at(2))
        .await
        .unwrap();
    assert!(acted.is_none());

    let err = control.guard_history(&key(), 0).await.unwrap_err();
    assert_eq!(err.field.as_deref(), Some("limit"));
    assert!(control.guard_history(&key(), 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn people_send_at_least_one_change_and_never_the_guard_s() {
    let (_dir, _store, control) = layer().await;
    started(&control).await;
    let err = control
        .change_flag(&key(), None, &[], &meta(1))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::Invalid, Some("changes"))
    );
    let guard_s = FlagChange::GuardAction {
        decision: Action::Rollback,
        step: 0,
        reason: "r".into(),
    };
    let err = control
        .change_flag(&key(), None, &[guard_s], &meta(1))
        .await
        .unwrap_err();
    assert!(
        err.message
            .starts_with("guard_action changes are made by the guard loop only")
    );
    // The guard's own move goes through guard_act.
    let flag = control.flag(&key()).await.unwrap();
    let done = control
        .guard_act(&flag, Action::Rollback, 0, "r".into(), at(2))
        .await
        .unwrap()
        .expect("nobody moved the rollout");
    assert!(done.audit_id.is_some());
}

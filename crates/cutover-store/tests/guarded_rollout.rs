//! Guarded rollouts in the store, on both backends: the plan and the run persist with the flag,
//! the guard's moves are audited with its reason, its history keeps every verdict, and on
//! PostgreSQL one node at a time holds the guard's lease.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{Backend, store};

use cutover_core::guard::{Action, Assessment, RolloutPlan, RunMove, RunStatus, Verdict};
use cutover_core::{Flag, FlagChange, FlagKey, Rollout, Timestamp};
use cutover_store::{AuditQuery, ChangeMeta, GuardRecord};

fn key() -> FlagKey {
    FlagKey::new("checkout").unwrap()
}

fn meta(actor: &str, second: i64, reason: Option<&str>) -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: actor.into(),
        reason: reason.map(str::to_owned),
        at: Timestamp::from_second(1_800_000_000 + second).unwrap(),
    }
}

async fn a_rollout_persists_and_the_guard_is_audited(b: Backend) {
    let Some((place, store)) = store(b).await else {
        return;
    };
    let mut flag = Flag::new(key());
    flag.plan = Some(
        serde_json::from_str::<RolloutPlan>(
            r#"{"steps":"5,50,100 every 5s","gates":["new.p95 <= legacy.p95 * 1.2"]}"#,
        )
        .unwrap(),
    );
    store
        .create_flag(flag, &meta("ann", 0, None))
        .await
        .unwrap();
    let start = FlagChange::RolloutMove {
        movement: RunMove::Start,
    };
    store
        .change_flag(&key(), Some(1), &[start], &meta("ann", 1, None))
        .await
        .unwrap();
    let back = FlagChange::GuardAction {
        decision: Action::Rollback,
        step: 0,
        reason: "new.error_rate <= legacy.error_rate: fail (new 5.00 %)".into(),
    };
    let reason = "new.error_rate <= legacy.error_rate: fail (new 5.00 % over 300 samples)";
    store
        .change_flag(&key(), Some(2), &[back], &meta("guard", 9, Some(reason)))
        .await
        .unwrap();

    // Another connection reads what was written.
    let again = place.open_again().await;
    let flag = again.flag(&key()).await.unwrap();
    let run = flag.run.unwrap();
    assert_eq!(run.status, RunStatus::Breached);
    assert_eq!(flag.rollout, Rollout::NONE);
    assert_eq!(
        flag.plan.unwrap().gates[0].as_str(),
        "new.p95 <= legacy.p95 * 1.2"
    );

    let entries = again
        .audit(&AuditQuery {
            actor: Some("guard".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "rollout.rollback");
    assert_eq!(entries[0].reason.as_deref(), Some(reason));
    assert!(again.verify_audit().await.unwrap().is_intact());

    for (i, verdict) in [Verdict::Inconclusive, Verdict::Fail]
        .into_iter()
        .enumerate()
    {
        store
            .add_guard_record(&GuardRecord {
                flag: key(),
                at: Timestamp::from_second(1_800_000_000 + i as i64).unwrap(),
                step: 0,
                rollout: Rollout::from_percent_str("5").unwrap(),
                action: if i == 0 { "hold" } else { "rollback" }.into(),
                assessment: Assessment {
                    verdict,
                    gates: Vec::new(),
                },
            })
            .await
            .unwrap();
    }
    let history = again.guard_history(&key(), 10).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["rollback", "hold"], "newest first");
    assert_eq!(history[0].assessment.verdict, Verdict::Fail);
    assert_eq!(again.guard_history(&key(), 1).await.unwrap().len(), 1);
}

async fn one_node_holds_the_guard_lease(b: Backend) {
    let Some((place, store)) = store(b).await else {
        return;
    };
    let mut first = store.guard_lease().await.unwrap().expect("free at first");
    assert!(first.still_held().await);
    if matches!(b, Backend::Sqlite) {
        return;
    }
    let other = place.open_again().await;
    assert!(
        other.guard_lease().await.unwrap().is_none(),
        "held elsewhere"
    );
    // The holder goes away: its session ends and the lock is free again.
    drop(first);
    let mut taken = None;
    for _ in 0..50 {
        taken = other.guard_lease().await.unwrap();
        if taken.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(taken.expect("taken over").still_held().await);
}

common::on_both_backends!(
    a_rollout_persists_and_the_guard_is_audited,
    one_node_holds_the_guard_lease
);

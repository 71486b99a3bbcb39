//! The rollout guard: every second, on the one node that holds the store's guard lease, look at
//! every running rollout and carry out what its plan decides, through the same audited change
//! path people use (actor `guard`, reason = the verdict with its numbers). The looks, records,
//! lease and moves go through the application layer; this module is the loop, its pacing and
//! its alerts. Only critical gates act; a warning gate's breach is logged and alerted once per
//! episode and never moves the flag.

mod alert;
mod episodes;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cutover_control::{ControlError, GuardLease, StoreControl};
use cutover_core::guard::{Action, GateReading, RunStatus, Severity, Verdict};
use cutover_core::{Flag, FlagKey, GuardRecord, Timestamp};
use tokio::sync::watch;

pub(crate) use alert::Alerts;
pub use alert::{Alert, AlertSeverity, AlertTargets};
pub use cutover_control::Judgement;
use episodes::Episodes;

use crate::live::Live;

/// The actor the guard's changes are audited under; the core reserves it, so no token can take
/// it.
pub use cutover_core::GUARD_ACTOR;

#[derive(Debug, Clone, PartialEq)]
pub struct GuardConfig {
    /// Whether this node takes part in running the guard at all.
    pub enabled: bool,
    /// How often running rollouts are judged.
    pub interval: Duration,
    pub judgement: Judgement,
    pub alerts: AlertTargets,
    /// A look with no decision and unchanged verdicts is kept in the history at most this
    /// often per rollout; decisions and verdict changes always are.
    pub record_every: Duration,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            enabled: true,
            interval: Duration::from_secs(1),
            judgement: Judgement::default(),
            alerts: AlertTargets::default(),
            record_every: Duration::from_secs(10),
        }
    }
}

/// What the loop remembers between looks, per rollout: the verdicts it last recorded and when,
/// and the warning gates in a breach episode.
#[derive(Default)]
struct Recorded {
    looks: HashMap<FlagKey, (Vec<Verdict>, Instant)>,
    episodes: Episodes,
}

pub(crate) async fn run(live: Arc<Live>, config: GuardConfig, mut stopped: watch::Receiver<bool>) {
    let control = StoreControl::new(live.store().clone()).with_judgement(config.judgement);
    let alerts = Alerts::start(config.alerts.clone());
    let mut tick = tokio::time::interval(config.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut lease: Option<Box<dyn GuardLease>> = None;
    let mut recorded = Recorded::default();
    loop {
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => return,
            _ = tick.tick() => {}
        }
        if let Some(held) = lease.as_mut()
            && !held.still_held().await
        {
            tracing::warn!("lost the guard lease; another node may take over");
            metrics::gauge!("cutover_guard_leader").set(0.0);
            lease = None;
        }
        if lease.is_none() {
            match control.guard_lease().await {
                Ok(Some(l)) => {
                    tracing::info!("holding the guard lease: this node runs guarded rollouts");
                    metrics::gauge!("cutover_guard_leader").set(1.0);
                    lease = Some(l);
                }
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot ask for the guard lease");
                    continue;
                }
            }
        }
        look_at_all(&live, &control, &config, &alerts, &mut recorded).await;
    }
}

async fn look_at_all(
    live: &Live,
    control: &StoreControl,
    config: &GuardConfig,
    alerts: &Alerts,
    recorded: &mut Recorded,
) {
    // The node's live view already holds every flag, kept current by the audit follower (and
    // by this loop's own changes): no need to read them all from the database every second. A
    // view a moment behind only costs a version conflict, retried on the next look.
    let running: Vec<Flag> = live
        .view()
        .flags
        .values()
        .filter(|f| is_running(f))
        .cloned()
        .collect();
    let is_listed = |k: &FlagKey| running.iter().any(|f| &f.key == k);
    recorded.looks.retain(|k, _| is_listed(k));
    recorded.episodes.retain(is_listed);
    for flag in &running {
        if let Err(e) = look_at_one(live, control, config, alerts, recorded, flag).await {
            tracing::warn!(flag = %flag.key, error = %e, "guard look failed; retrying next tick");
        }
    }
}

fn is_running(flag: &Flag) -> bool {
    flag.run
        .as_ref()
        .is_some_and(|r| r.status == RunStatus::Running)
}

/// The audit reason of a guard action: the action, the step, and the verdict with its numbers.
/// Every gate's numbers can outgrow a stored reason, so it keeps what fits (the limit of
/// `docs/limits.md`); the guard record and the alert keep every gate whole.
fn action_reason(
    decision: &Action,
    step: usize,
    rollout: cutover_core::Rollout,
    assessment: &cutover_core::guard::Assessment,
) -> String {
    cutover_core::limits::clip(
        &format!(
            "{} at step {} ({rollout}): {}",
            action_name(decision),
            step + 1,
            assessment.summary()
        ),
        cutover_core::limits::MAX_REASON_BYTES,
    )
}

fn action_name(a: &Action) -> &'static str {
    match a {
        Action::Hold => "hold",
        Action::Advance { .. } => "advance",
        Action::Complete => "complete",
        Action::Rollback => "rollback",
        Action::StepDown { .. } => "step_down",
        Action::Extend => "extend",
        Action::Pause => "pause",
    }
}

async fn look_at_one(
    live: &Live,
    control: &StoreControl,
    config: &GuardConfig,
    alerts: &Alerts,
    recorded: &mut Recorded,
    flag: &Flag,
) -> Result<(), ControlError> {
    let now = Timestamp::now();
    let Some(found) = control.look(flag, now).await? else {
        return Ok(());
    };
    let verdicts: Vec<Verdict> = found.assessment.gates.iter().map(|g| g.verdict).collect();
    let due = match recorded.looks.get(&flag.key) {
        Some((last, at)) => *last != verdicts || at.elapsed() >= config.record_every,
        None => true,
    };
    let acting = found.decision != Action::Hold;
    if due || acting {
        let record = GuardRecord {
            flag: flag.key.clone(),
            at: now,
            step: found.step,
            rollout: flag.rollout,
            action: action_name(&found.decision).to_owned(),
            assessment: found.assessment.clone(),
        };
        control.record_look(&record).await?;
        recorded
            .looks
            .insert(flag.key.clone(), (verdicts, Instant::now()));
    }
    let changes = recorded.episodes.observe(&flag.key, &found.assessment);
    for g in &changes.began {
        tracing::warn!(flag = %flag.key, gate = %g.gate, severity = "warning",
            reading = %g.summary(), "gate breached; a warning gate only alerts, the flag stays");
        alerts.send(warning_alert("gate_breached", flag, &found, g, now));
    }
    for g in &changes.recovered {
        tracing::info!(flag = %flag.key, gate = %g.gate, severity = "warning",
            reading = %g.summary(), "gate recovered: the warning gate holds again");
        alerts.send(warning_alert("gate_recovered", flag, &found, g, now));
    }
    if !acting {
        return Ok(());
    }
    let breach = matches!(found.decision, Action::Rollback | Action::StepDown { .. });
    if breach {
        for g in found
            .assessment
            .gates
            .iter()
            .filter(|g| g.severity == Severity::Critical && g.verdict == Verdict::Fail)
        {
            tracing::warn!(flag = %flag.key, gate = %g.gate, severity = "critical",
                reading = %g.summary(), "gate breached");
        }
    }
    let reason = action_reason(&found.decision, found.step, flag.rollout, &found.assessment);
    let Some(committed) = control
        .guard_act(flag, found.decision, found.step, reason.clone(), now)
        .await?
    else {
        // Someone moved the rollout since the look: the next look sees their move.
        return Ok(());
    };
    // Taking exposure away or stopping needs a person's eyes; climbing the plan does not.
    if breach || found.decision == Action::Pause {
        tracing::warn!(flag = %flag.key, %reason, "guard acted");
    } else {
        tracing::info!(flag = %flag.key, %reason, "guard acted");
    }
    metrics::counter!("cutover_guard_actions_total", "action" => action_name(&found.decision))
        .increment(1);
    // Apply it here at once, so this node's streams carry it without waiting for a wake-up.
    if let Err(e) = live.catch_up().await {
        tracing::warn!(error = %e, "guard change made but not yet applied to the live view");
    }
    let event = match found.decision {
        Action::Rollback => Some(("rollback", AlertSeverity::Critical)),
        Action::StepDown { .. } => Some(("step_down", AlertSeverity::Critical)),
        Action::Pause => Some(("pause", AlertSeverity::Warning)),
        Action::Complete => Some(("complete", AlertSeverity::Info)),
        _ => None,
    };
    if let Some((event, severity)) = event {
        alerts.send(Alert {
            event,
            severity,
            breach,
            gate: None,
            flag: flag.key.clone(),
            step: found.step + 1,
            steps: flag.plan.as_ref().map_or(0, |p| p.steps.len()),
            rollout_percent: committed.value.rollout,
            at: now,
            verdict: found.assessment.verdict,
            audit_id: committed.audit_id,
            reason,
            gates: found.assessment.gates,
        });
    }
    Ok(())
}

/// The alert of a warning gate's breach (or recovery): nothing moved, so no audit entry.
fn warning_alert(
    event: &'static str,
    flag: &Flag,
    found: &cutover_api::Look,
    gate: &GateReading,
    now: Timestamp,
) -> Alert {
    let breach = gate.verdict == Verdict::Fail;
    Alert {
        event,
        severity: if breach {
            AlertSeverity::Warning
        } else {
            AlertSeverity::Info
        },
        breach,
        gate: Some(gate.gate.clone()),
        flag: flag.key.clone(),
        step: found.step + 1,
        steps: flag.plan.as_ref().map_or(0, |p| p.steps.len()),
        rollout_percent: flag.rollout,
        at: now,
        verdict: found.assessment.verdict,
        audit_id: None,
        reason: gate.summary(),
        gates: found.assessment.gates.clone(),
    }
}

#[cfg(test)]
mod tests {
    use cutover_core::guard::{GateExpr, Judging, StepFigures, assess};
    use cutover_core::{ArmCounts, FlagChange, FlagKey, Rollout, Timestamp};

    use super::*;

    #[test]
    fn the_reason_of_an_action_on_many_gates_fits_the_audit_log() {
        let gates: Vec<GateExpr> = (0..32)
            .map(|i| GateExpr::new(&format!("agreement(field_number_{i}) >= 0.99")).unwrap())
            .collect();
        let counts = ArmCounts {
            calls: 500,
            ..ArmCounts::default()
        };
        let figures = [StepFigures {
            legacy: counts.clone(),
            new: counts,
            ..StepFigures::default()
        }];
        let judging = Judging {
            min_samples: 200,
            full_exposure: false,
            alpha: 0.01,
            verdicts: &cutover_core::Verdicts::new(),
            now: cutover_core::Timestamp::UNIX_EPOCH,
            baseline: None,
        };
        let assessment = assess(&gates, &figures, judging);
        assert!(
            assessment.summary().len() > 1024,
            "the case needs a long summary"
        );
        let reason = action_reason(&Action::Rollback, 0, Rollout::FULL, &assessment);
        assert!(
            reason.starts_with("rollback at step 1 (100%): "),
            "{reason}"
        );
        // The guard's change is taken by the core's limits, which refuse a longer reason.
        let mut flag = Flag::new(FlagKey::new("f").unwrap());
        flag.plan =
            Some(cutover_core::guard::RolloutPlan::parse_shorthand("5,100 every 1m").unwrap());
        let long = FlagChange::GuardAction {
            decision: Action::Rollback,
            step: 0,
            reason: assessment.summary(),
        };
        let err = FlagChange::apply_all(&flag, &[long], Timestamp::now()).unwrap_err();
        assert!(err.to_string().contains("1024 bytes"), "{err}");
        cutover_core::limits::check_reason(&reason).unwrap();
    }
}

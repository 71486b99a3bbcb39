//! Guarded rollouts by hand: set a plan, start, pause, resume, promote, abort; where a rollout
//! stands (`rollout status`, `slo status`) and what the guard saw (`rollout history`).

use clap::{Args, Subcommand};
use cutover_api::RolloutStatus;
use cutover_core::guard::{
    Action, GateReading, RolloutPlan, RunMove, Severity, Unit, Verdict, format_duration,
};
use cutover_core::{FlagKey, Rollout};

use super::change::KeyChange;
use super::simulate::SimulateArgs;
use crate::commands::change::apply;
use crate::output;
use crate::session::Session;
use crate::values::{parse_gate, parse_key, parse_plan, parse_span};

#[derive(Debug, Subcommand)]
pub(crate) enum RolloutCmd {
    /// Set the share of eligible contexts on the new path.
    Set {
        #[command(flatten)]
        target: KeyChange,
        /// 0 to 100, up to two decimals (12.5, 0.01).
        #[arg(long, value_parser = parse_percent, value_name = "P", allow_hyphen_values = true)]
        percent: Rollout,
    },
    /// What-if: run the guard's real decision rule over simulated traffic, many times, and
    /// report how often a plan rolls back or completes, and how fast. Needs no store.
    Simulate(SimulateArgs),
    /// Set (or with --clear remove) a flag's guarded rollout plan.
    Plan {
        #[command(flatten)]
        target: KeyChange,
        #[command(flatten)]
        plan: PlanArgs,
        /// Remove the plan.
        #[arg(long, conflicts_with = "steps")]
        clear: bool,
    },
    /// Start a guarded rollout: the first step now, then the guard of `cutover serve` advances
    /// it while the gates pass and rolls it back when one fails.
    Start {
        #[command(flatten)]
        target: KeyChange,
        /// Set this plan first (else the flag's own).
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Where a rollout stands: step, status, and every gate's value, threshold and verdict.
    Status {
        #[arg(value_parser = parse_key)]
        key: FlagKey,
    },
    /// Hold a running rollout where it is.
    Pause(KeyChange),
    /// Let a paused or breached rollout run again (its evidence starts afresh).
    Resume(KeyChange),
    /// Go to the next step now without waiting for the bake (--full: straight to 100 %).
    Promote {
        #[command(flatten)]
        target: KeyChange,
        #[arg(long)]
        full: bool,
    },
    /// Stop the rollout and send everyone back to legacy (0 %).
    Abort(KeyChange),
    /// The guard's looks at a rollout, newest first: action, verdict and every gate's numbers.
    History {
        #[arg(value_parser = parse_key)]
        key: FlagKey,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// The steps, e.g. '5,25,50,100 every 10m'.
    #[arg(long = "plan", value_parser = parse_plan, value_name = "PLAN")]
    pub steps: Option<cutover_core::guard::RolloutPlan>,
    /// A gate, repeatable: 'new.error_rate <= legacy.error_rate', 'new.p95 <= 100ms',
    /// 'new.p95 <= legacy.p95 * 1.2', 'agreement(FIELD) >= 0.8', 'golden' (every golden-run
    /// verdict), 'verdict(NAME)' (a named verdict, see `cutover verdict`), 'verdicts(all)'.
    /// Critical by default (a breach rolls back or steps down); after 'warning:' a breach only
    /// alerts ('warning: new.p95 <= 200ms').
    #[arg(long = "gate", value_parser = parse_gate, value_name = "GATE", requires = "steps")]
    pub gates: Vec<cutover_core::guard::GateExpr>,
    /// A custom counter the gates may read, repeatable: `--counter invalid_json` lets a gate say
    /// 'new.invalid_json_rate <= legacy.invalid_json_rate'. A gate naming an undeclared counter
    /// is refused, so a typo cannot stall the rollout.
    #[arg(long = "counter", value_name = "NAME", requires = "steps")]
    pub counters: Vec<String>,
    /// On a failed gate: rollback (to 0 %) or step_down (to the previous step).
    #[arg(long, value_parser = parse_on_breach, requires = "steps")]
    pub on_breach: Option<cutover_core::guard::OnBreach>,
    /// Minimum calls per arm before a step may pass (default 200).
    #[arg(long, requires = "steps")]
    pub min_samples: Option<u64>,
    /// How far back from the start `baseline.` gates read the legacy path's figures
    /// (default 1h).
    #[arg(long, value_parser = parse_span, requires = "steps", value_name = "SPAN")]
    pub baseline_window: Option<std::time::Duration>,
}

impl PlanArgs {
    pub(crate) fn plan(&self) -> Option<cutover_core::guard::RolloutPlan> {
        let mut plan = self.steps.clone()?;
        plan.gates.clone_from(&self.gates);
        plan.counters.clone_from(&self.counters);
        if let Some(b) = self.on_breach {
            plan.on_breach = b;
        }
        if let Some(w) = self.baseline_window {
            plan.baseline_window = w;
        }
        if let Some(n) = self.min_samples {
            for step in &mut plan.steps {
                step.min_samples = n;
            }
        }
        Some(plan)
    }
}

fn parse_on_breach(s: &str) -> Result<cutover_core::guard::OnBreach, String> {
    match s {
        "rollback" => Ok(cutover_core::guard::OnBreach::Rollback),
        "step_down" | "step-down" => Ok(cutover_core::guard::OnBreach::StepDown),
        other => Err(format!(
            "unknown breach action {other:?}; accepted: rollback, step_down"
        )),
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum SloCmd {
    /// Every gate of a flag's rollout (or of every flag with a plan): current value, threshold,
    /// samples and verdict.
    Status {
        #[arg(value_parser = parse_key)]
        key: Option<FlagKey>,
    },
}

fn parse_percent(s: &str) -> Result<Rollout, String> {
    Rollout::from_percent_str(s).map_err(|e| e.to_string())
}

pub(crate) async fn run(session: &Session, cmd: &RolloutCmd) -> anyhow::Result<()> {
    use cutover_core::FlagChange::{RolloutMove, SetPlan};
    let moved = |movement| RolloutMove { movement };
    match cmd {
        RolloutCmd::Set { target, percent } => {
            crate::commands::change::rollout(session, target, *percent).await
        }
        // Dispatched without a session (main.rs), since it needs no store; run here it still
        // only simulates.
        RolloutCmd::Simulate(args) => super::simulate::run(args, session.json),
        RolloutCmd::Plan {
            target,
            plan,
            clear,
        } => {
            let plan = plan.plan();
            if plan.is_none() && !clear {
                anyhow::bail!("give a plan with --plan '5,25,50,100 every 10m', or --clear");
            }
            apply(session, target, &[SetPlan { plan }]).await
        }
        RolloutCmd::Start { target, plan } => {
            let mut changes = Vec::new();
            if let Some(plan) = plan.plan() {
                changes.push(SetPlan { plan: Some(plan) });
            }
            changes.push(moved(RunMove::Start));
            apply(session, target, &changes).await
        }
        RolloutCmd::Pause(target) => apply(session, target, &[moved(RunMove::Pause)]).await,
        RolloutCmd::Resume(target) => apply(session, target, &[moved(RunMove::Resume)]).await,
        RolloutCmd::Abort(target) => apply(session, target, &[moved(RunMove::Abort)]).await,
        RolloutCmd::Promote { target, full } => {
            let m = if *full {
                RunMove::PromoteFull
            } else {
                RunMove::Promote
            };
            apply(session, target, &[moved(m)]).await
        }
        RolloutCmd::Status { key } => {
            let status = status_of(session, key).await?;
            if session.json {
                return output::json(&status);
            }
            print_status(&status);
            Ok(())
        }
        RolloutCmd::History { key, limit } => history(session, key, *limit).await,
    }
}

pub(crate) async fn slo(session: &Session, cmd: &SloCmd) -> anyhow::Result<()> {
    let SloCmd::Status { key } = cmd;
    let keys: Vec<FlagKey> = match key {
        Some(k) => vec![k.clone()],
        None => session
            .control
            .flags()
            .await?
            .into_iter()
            .filter(|f| f.plan.is_some())
            .map(|f| f.key)
            .collect(),
    };
    let mut all = Vec::with_capacity(keys.len());
    for k in &keys {
        all.push(status_of(session, k).await?);
    }
    if session.json {
        return output::json(&all);
    }
    if all.is_empty() {
        println!("no flag has a rollout plan; set one with `cutover rollout plan KEY --plan ...`");
    }
    for (i, s) in all.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print_status(s);
    }
    Ok(())
}

async fn status_of(session: &Session, key: &FlagKey) -> anyhow::Result<RolloutStatus> {
    Ok(session.control.rollout_status(key).await?)
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "FAIL",
        Verdict::Inconclusive => "inconclusive",
    }
}

fn figure(v: Option<f64>, unit: Unit) -> String {
    match (v, unit) {
        (None, _) => "-".into(),
        (Some(v), Unit::Ratio) => format!("{:.2}%", v * 100.0),
        (Some(v), Unit::Microseconds) => format!("{:.1}ms", v / 1000.0),
        (Some(v), Unit::Outcome) => (if v >= 1.0 { "passed" } else { "failed" }).into(),
    }
}

fn gate_rows(gates: &[GateReading]) -> impl Iterator<Item = [String; 8]> + '_ {
    gates.iter().map(|g| {
        [
            g.gate.clone(),
            g.severity.as_str().into(),
            verdict_name(g.verdict).into(),
            figure(g.new, g.unit),
            figure(g.legacy, g.unit),
            figure(g.threshold, g.unit),
            format!("{}/{}", g.samples, g.legacy_samples),
            format!("{:.2}/{:.2}", g.log_statistic, g.fail_at),
        ]
    })
}

fn plan_line(plan: &RolloutPlan) -> String {
    let breach = match plan.on_breach {
        cutover_core::guard::OnBreach::Rollback => "rollback",
        cutover_core::guard::OnBreach::StepDown => "step down",
    };
    format!(
        "plan {plan}, min {} calls per arm per step, on breach: {breach}",
        plan.steps.first().map_or(0, |s| s.min_samples)
    )
}

fn action_text(a: &Action) -> String {
    match a {
        Action::Hold => "hold (keep baking)".into(),
        Action::Advance { to } => format!("advance to {to}"),
        Action::Complete => "complete".into(),
        Action::Rollback => "roll back to 0%".into(),
        Action::StepDown { to } => format!("step down to {to}"),
        Action::Extend => "extend the bake".into(),
        Action::Pause => "pause for lack of data".into(),
    }
}

fn print_status(s: &RolloutStatus) {
    print_rollout(s);
    if let Some(next) = s.next_stage.as_ref().filter(|n| n.requires.is_some()) {
        match next.missing.as_slice() {
            [] => println!("next stage {}: its prerequisites hold", next.stage),
            lacks => println!("next stage {} needs: {}", next.stage, lacks.join("; ")),
        }
    }
}

fn print_rollout(s: &RolloutStatus) {
    let (Some(plan), Some(run)) = (&s.plan, &s.run) else {
        match &s.plan {
            Some(plan) => println!(
                "{}: at {}, not started; {}",
                s.flag,
                s.rollout_percent,
                plan_line(plan)
            ),
            None => println!("{}: at {}, no rollout plan", s.flag, s.rollout_percent),
        }
        return;
    };
    let bake = plan
        .steps
        .get(run.step)
        .map(|st| format_duration(st.bake * (1 + run.extensions)))
        .unwrap_or_default();
    let elapsed = s.look.as_ref().map_or(0, |l| l.elapsed_s);
    println!(
        "{}: {} at {}, step {} of {}, {} into a {bake} bake, {} extension(s)",
        s.flag,
        run.status.as_str(),
        s.rollout_percent,
        run.step + 1,
        plan.steps.len(),
        format_duration(std::time::Duration::from_secs(elapsed)),
        run.extensions
    );
    println!("{}", plan_line(plan));
    if let Some(reason) = &run.reason {
        println!("why: {reason}");
    }
    if let Some(look) = &s.look {
        output::table(
            [
                "GATE",
                "SEVERITY",
                "VERDICT",
                "NEW",
                "LEGACY",
                "THRESHOLD",
                "SAMPLES",
                "EVIDENCE",
            ],
            gate_rows(&look.assessment.gates),
        );
        println!(
            "step verdict (critical gates): {}",
            verdict_name(look.assessment.verdict)
        );
        let warned: Vec<&str> = look
            .assessment
            .breached_warnings()
            .map(|g| g.gate.as_str())
            .collect();
        if !warned.is_empty() {
            println!(
                "warning gates breached (they alert, never move the flag): {}",
                warned.join("; ")
            );
        }
        if run.status == cutover_core::guard::RunStatus::Running {
            println!("the guard's next move: {}", action_text(&look.decision));
        }
    }
}

async fn history(session: &Session, key: &FlagKey, limit: u32) -> anyhow::Result<()> {
    let records = session.control.guard_history(key, limit).await?;
    if session.json {
        return output::json(&records);
    }
    if records.is_empty() {
        println!("{key}: the guard has not looked at a rollout of this flag yet");
        return Ok(());
    }
    output::table(
        ["AT", "STEP", "ROLLOUT", "ACTION", "VERDICT", "GATES"],
        records.iter().map(|r| {
            let gates: Vec<String> = r
                .assessment
                .gates
                .iter()
                .map(|g| {
                    let label = match g.severity {
                        Severity::Critical => "",
                        Severity::Warning => "warning: ",
                    };
                    format!(
                        "{label}{} {} (new {}, threshold {}, n={})",
                        g.gate,
                        verdict_name(g.verdict),
                        figure(g.new, g.unit),
                        figure(g.threshold, g.unit),
                        g.samples
                    )
                })
                .collect();
            [
                output::time(r.at),
                (r.step + 1).to_string(),
                r.rollout.to_string(),
                r.action.clone(),
                verdict_name(r.assessment.verdict).into(),
                gates.join("; "),
            ]
        }),
    );
    Ok(())
}

//! Guarded rollouts by hand: set a plan, start, pause, resume, promote, abort; where a rollout
//! stands (`rollout status`, `slo status`) and what the guard saw (`rollout history`).

use cutover_api::RolloutStatus;
use cutover_core::FlagKey;
use cutover_core::guard::{
    Action, GateReading, RolloutPlan, RunMove, Unit, Verdict, format_duration,
};

use crate::args::{RolloutCmd, SloCmd};
use crate::commands::change::apply;
use crate::output;
use crate::session::Session;

pub(crate) async fn run(session: &Session, cmd: &RolloutCmd) -> anyhow::Result<()> {
    use cutover_core::FlagChange::{RolloutMove, SetPlan};
    let moved = |movement| RolloutMove { movement };
    match cmd {
        RolloutCmd::Set { .. } | RolloutCmd::Simulate(_) => {
            crate::commands::change::rollout(session, cmd).await
        }
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

fn gate_rows(gates: &[GateReading]) -> impl Iterator<Item = [String; 7]> + '_ {
    gates.iter().map(|g| {
        [
            g.gate.clone(),
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
                "VERDICT",
                "NEW",
                "LEGACY",
                "THRESHOLD",
                "SAMPLES",
                "EVIDENCE",
            ],
            gate_rows(&look.assessment.gates),
        );
        println!("step verdict: {}", verdict_name(look.assessment.verdict));
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
                    format!(
                        "{} {} (new {}, threshold {}, n={})",
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

//! `cutover rollout simulate`: the guard's decision rule over synthetic traffic.

use cutover_core::guard::{DEFAULT_GATE, GateExpr, Traffic, simulate};

use crate::args::SimulateArgs;
use crate::output;

fn span(seconds: u64) -> String {
    if seconds >= 120 {
        format!("{:.1} min", seconds as f64 / 60.0)
    } else {
        format!("{seconds} s")
    }
}

pub(crate) fn run(args: &SimulateArgs, json: bool) -> anyhow::Result<()> {
    let micros = |d: std::time::Duration| d.as_secs_f64() * 1e6;
    let traffic = Traffic {
        legacy_p95_us: args.legacy_p95.map(micros),
        new_p95_us: args.new_p95.map(micros),
        ..Traffic::errors(args.rps, args.legacy_error, args.new_error)
    };
    let mut plan = args.plan.clone();
    plan.gates.clone_from(&args.gates);
    plan.counters.clone_from(&args.counters);
    if plan.gates.is_empty() && traffic.new_p95_us.is_some() {
        for g in [DEFAULT_GATE, "new.p95 <= legacy.p95 * 1.2"] {
            plan.gates.push(GateExpr::new(g)?);
        }
    }
    // The same rule as a plan set on a flag: a gate may only read a declared counter.
    plan.check_counters()?;
    let report = simulate(&plan, traffic, args.alpha, args.runs, args.seed);
    if json {
        return output::json(&report);
    }
    let share = |n: u64| {
        format!(
            "{n} ({:.1} %)",
            100.0 * n as f64 / report.runs.max(1) as f64
        )
    };
    let times = |t: Option<[u64; 3]>| {
        t.map_or("-".to_owned(), |[a, b, c]| {
            format!("{} / {} / {}", span(a), span(b), span(c))
        })
    };
    output::table(
        ["OUTCOME", "RUNS", "TIME p50 / p90 / p99"],
        [
            [
                "rolled back".to_owned(),
                share(report.rolled_back),
                times(report.rollback_s),
            ],
            [
                "completed".to_owned(),
                share(report.completed),
                times(report.complete_s),
            ],
            ["paused".to_owned(), share(report.paused), "-".to_owned()],
        ],
    );
    Ok(())
}

//! `cutover rollout simulate`: the guard's decision rule over synthetic traffic.

use clap::Args;
use cutover_core::guard::{DEFAULT_GATE, GateExpr, Traffic, simulate};

use crate::output;
use crate::values::{parse_gate, parse_plan, parse_positive, parse_rate, parse_span};

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// The plan, e.g. '5,25,50,100 every 10m'.
    #[arg(long, value_parser = parse_plan)]
    pub plan: cutover_core::guard::RolloutPlan,
    /// Requests per second of the service.
    #[arg(long, value_parser = parse_positive, allow_hyphen_values = true)]
    pub rps: f64,
    /// Error rate of the legacy path, 0 to 1 (0.01 = 1 %).
    #[arg(long, value_parser = parse_rate, allow_hyphen_values = true)]
    pub legacy_error: f64,
    /// Error rate of the new path, 0 to 1.
    #[arg(long, value_parser = parse_rate, allow_hyphen_values = true)]
    pub new_error: f64,
    #[arg(long, default_value_t = 1000)]
    pub runs: u64,
    /// Seed of the first run (run i uses seed + i): same seed, same report.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The guard's false rollback bound.
    #[arg(long, default_value_t = 0.01, value_parser = parse_rate)]
    pub alpha: f64,
    /// p95 latency of the legacy path (with --new-p95: latencies are simulated, log-normal).
    #[arg(long, value_parser = parse_span, requires = "new_p95")]
    pub legacy_p95: Option<std::time::Duration>,
    /// p95 latency of the new path.
    #[arg(long, value_parser = parse_span, requires = "legacy_p95")]
    pub new_p95: Option<std::time::Duration>,
    /// The plan's gates, repeatable (default: the error-rate gate, plus
    /// 'new.p95 <= legacy.p95 * 1.2' when latencies are simulated).
    #[arg(long = "gate", value_parser = parse_gate, value_name = "GATE")]
    pub gates: Vec<cutover_core::guard::GateExpr>,
    /// A custom counter the gates may read, repeatable (as for `rollout start`).
    #[arg(long = "counter", value_name = "NAME")]
    pub counters: Vec<String>,
}

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

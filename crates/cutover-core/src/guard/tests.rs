//! The acceptance figures of guarded rollouts, from the simulator (which runs the real rule).

use super::*;

const ALPHA: f64 = 0.01;

fn plan(text: &str) -> RolloutPlan {
    RolloutPlan::parse_shorthand(text).unwrap()
}

#[test]
fn a_a_rollouts_rarely_roll_back() {
    let traffic = Traffic::errors(100.0, 0.01, 0.01);
    let report = simulate(&plan("5,25,50,100 every 10m"), traffic, ALPHA, 300, 1);
    assert!(report.rolled_back <= 3, "at most 1 % of 300: {report:?}");
    assert_eq!(
        report.completed + report.rolled_back,
        report.runs,
        "{report:?}"
    );
    // Healthy rollouts finish on schedule: 4 bakes of 10 minutes, no extensions.
    assert_eq!(report.complete_s.unwrap()[2], 2400, "{report:?}");
}

// Issue 5 asks for p90 within 8 minutes at a 5 % canary and within 1 minute at 50 %. The
// second holds with a baseline gate (below); the first is past what a test with a 1 % anytime
// bound can reach (docs/guard.md shows why). These tests hold the figures the rule reaches, so
// a change can only make them better.
#[test]
fn a_doubled_error_rate_is_rolled_back_from_a_five_percent_canary() {
    let traffic = Traffic::errors(100.0, 0.01, 0.02);
    // A canary that stays at 5 % long enough to measure detection there.
    let report = simulate(&plan("5,100 every 60m"), traffic, ALPHA, 200, 7);
    let [p50, p90, _] = report.rollback_s.unwrap();
    assert_eq!(report.rolled_back, report.runs, "{report:?}");
    assert!(p50 <= 6 * 60, "p50 time to rollback {p50} s: {report:?}");
    assert!(p90 <= 10 * 60, "p90 time to rollback {p90} s: {report:?}");
}

#[test]
fn at_half_exposure_the_rollback_takes_about_a_minute() {
    let traffic = Traffic::errors(100.0, 0.01, 0.02);
    let report = simulate(&plan("50,100 every 60m"), traffic, ALPHA, 200, 11);
    let [p50, p90, _] = report.rollback_s.unwrap();
    assert!(p50 <= 60, "p50 time to rollback {p50} s: {report:?}");
    assert!(p90 <= 2 * 60, "p90 time to rollback {p90} s: {report:?}");
}

#[test]
fn without_enough_calls_a_step_extends_then_pauses() {
    let traffic = Traffic::errors(0.1, 0.01, 0.01);
    let mut p = plan("5,100 every 10m");
    p.steps[0].min_samples = 1000;
    let ending = simulate_once(
        &p,
        traffic,
        ALPHA,
        3,
        std::time::Duration::from_secs(10_000),
    );
    assert_eq!(
        ending,
        Ending::Paused {
            after_s: 1800,
            step: 0
        },
        "two extensions, then pause"
    );
}

#[test]
fn step_down_goes_back_one_step() {
    let mut p = plan("5,25,100 every 10m");
    p.on_breach = OnBreach::StepDown;
    assert_eq!(
        decide(&p, 1, 0, Verdict::Fail, std::time::Duration::from_secs(5)),
        Action::StepDown {
            to: p.steps[0].rollout
        }
    );
    assert_eq!(
        decide(&p, 0, 0, Verdict::Fail, std::time::Duration::from_secs(5)),
        Action::Rollback,
        "nothing below the first step"
    );
}

/// The figures of docs/guard.md:
/// `cargo test --release -p cutover-core --lib guard::tests::figures -- --ignored --nocapture`
#[test]
#[ignore = "prints the documented figures; slow in debug builds"]
fn figures() {
    let healthy = Traffic::errors(100.0, 0.01, 0.01);
    let doubled = Traffic {
        new_error: 0.02,
        ..healthy
    };
    for (name, p, traffic) in [
        (
            "A/A, 5,25,50,100 every 10m",
            "5,25,50,100 every 10m",
            healthy,
        ),
        ("1% -> 2%, 5% canary", "5,100 every 60m", doubled),
        ("1% -> 2%, 50% exposure", "50,100 every 60m", doubled),
        (
            "1% -> 2%, 5,25,50,100 every 10m",
            "5,25,50,100 every 10m",
            doubled,
        ),
        ("A/A, 5,25,50,100 every 5m", "5,25,50,100 every 5m", healthy),
        (
            "1% -> 2%, 5,25,50,100 every 5m",
            "5,25,50,100 every 5m",
            doubled,
        ),
    ] {
        let report = simulate(&plan(p), traffic, ALPHA, 1000, 1);
        println!("{name}: {}", serde_json::to_string(&report).unwrap());
    }
    for (name, p, traffic) in [
        (
            "baseline gate, A/A, 5,25,50,100 every 10m",
            "5,25,50,100 every 10m",
            healthy,
        ),
        (
            "baseline gate, 1% -> 2%, 5% canary",
            "5,100 every 60m",
            doubled,
        ),
        (
            "baseline gate, 1% -> 2%, 50% exposure",
            "50,100 every 60m",
            doubled,
        ),
        (
            "baseline gate, 1% -> 2%, 5,25,50,100 every 10m",
            "5,25,50,100 every 10m",
            doubled,
        ),
    ] {
        let report = simulate(&with_baseline(p), traffic, ALPHA, 1000, 1);
        println!("{name}: {}", serde_json::to_string(&report).unwrap());
    }
}

fn with_baseline(text: &str) -> RolloutPlan {
    let mut p = plan(text);
    p.gates = vec![GateExpr::new("new.error_rate <= baseline.error_rate").unwrap()];
    p
}

#[test]
fn with_a_baseline_half_exposure_rolls_back_within_a_minute() {
    let report = simulate(
        &with_baseline("50,100 every 60m"),
        Traffic::errors(100.0, 0.01, 0.02),
        ALPHA,
        200,
        5,
    );
    assert_eq!(report.rolled_back, report.runs, "{report:?}");
    let [_, p90, _] = report.rollback_s.unwrap();
    assert!(p90 <= 60, "p90 time to rollback {p90} s: {report:?}");
}

#[test]
fn a_fifty_percent_slower_p95_is_rolled_back_from_a_five_percent_canary() {
    let traffic = Traffic {
        legacy_p95_us: Some(80_000.0),
        new_p95_us: Some(120_000.0),
        ..Traffic::errors(100.0, 0.01, 0.01)
    };
    let mut p = plan("5,100 every 60m");
    p.gates = [DEFAULT_GATE, "new.p95 <= legacy.p95 * 1.2"]
        .iter()
        .map(|g| GateExpr::new(g).unwrap())
        .collect();
    let report = simulate(&p, traffic, ALPHA, 200, 3);
    assert_eq!(report.rolled_back, report.runs, "{report:?}");
    let [_, p90, _] = report.rollback_s.unwrap();
    assert!(p90 <= 120, "p90 time to rollback {p90} s: {report:?}");
}

#[test]
fn a_five_minute_canary_bake_rolls_a_doubled_error_rate_back_within_eight_minutes() {
    // The canary passes its bake for lack of proof, the 25 % step finds the regression fast.
    let report = simulate(
        &plan("5,25,50,100 every 5m"),
        Traffic::errors(100.0, 0.01, 0.02),
        ALPHA,
        200,
        9,
    );
    assert_eq!(report.rolled_back, report.runs, "{report:?}");
    let [_, p90, _] = report.rollback_s.unwrap();
    assert!(p90 <= 8 * 60, "p90 time to rollback {p90} s: {report:?}");
}

#[test]
fn a_breached_warning_gate_lets_the_rollout_complete_on_schedule() {
    // The new arm errs twice as often as legacy: as a critical gate that rolls every run back
    // (above); as a warning, with a loose critical gate that holds, every run completes.
    let traffic = Traffic::errors(100.0, 0.01, 0.02);
    let mut p = plan("50,100 every 10m");
    p.gates = [
        "new.error_rate <= 10%",
        "warning: new.error_rate <= legacy.error_rate",
    ]
    .iter()
    .map(|g| GateExpr::new(g).unwrap())
    .collect();
    let report = simulate(&p, traffic, ALPHA, 50, 13);
    assert_eq!(report.completed, report.runs, "{report:?}");
    assert_eq!(report.complete_s.unwrap()[2], 1200, "{report:?}");
}

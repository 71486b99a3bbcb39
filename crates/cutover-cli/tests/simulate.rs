//! `cutover rollout simulate`: the guard's rule over synthetic traffic, reproducible from its
//! seed, needing no store, refusing plans and rates it cannot use.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::Cutover;

const ARGS: [&str; 12] = [
    "rollout",
    "simulate",
    "--plan",
    "5,25,50,100 every 10m",
    "--rps",
    "100",
    "--legacy-error",
    "0.01",
    "--new-error",
    "0.05",
    "--runs",
    "40",
];

#[test]
fn a_regression_rolls_back_and_the_same_seed_gives_the_same_report() {
    let c = Cutover::new();
    let mut args = ARGS.to_vec();
    args.push("--json");
    let first: serde_json::Value = serde_json::from_str(&c.ok(&args)).unwrap();
    assert_eq!(first["runs"], 40);
    assert_eq!(
        first["rolled_back"], 40,
        "a 5x error rate never completes: {first}"
    );
    let second: serde_json::Value = serde_json::from_str(&c.ok(&args)).unwrap();
    assert_eq!(first, second);
    assert!(!c.db.exists(), "a simulation creates no store");
}

#[test]
fn unusable_plans_and_rates_are_usage_errors() {
    let c = Cutover::new();
    for (flag, value, needle) in [
        ("--plan", "5,50 every 10m", "the last step must be 100"),
        ("--new-error", "1.5", "rate from 0 to 1"),
        ("--rps", "-3", "positive"),
    ] {
        let mut args = ARGS.to_vec();
        let i = args.iter().position(|a| *a == flag).unwrap();
        args[i + 1] = value;
        let run = c.run(&args);
        assert_eq!(run.code, 2, "{flag} {value}: {}", run.stderr);
        assert!(
            run.stderr.contains(needle),
            "{flag} {value}: {}",
            run.stderr
        );
    }
}

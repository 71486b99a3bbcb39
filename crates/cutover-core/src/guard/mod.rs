//! Guarded rollouts: plans, the sequential evidence that an arm is worse, the decision rule,
//! and a simulator that runs that same rule over synthetic traffic. See `docs/guard.md`.

mod decide;
mod plan;
mod rate;
mod simulate;

pub use decide::{Action, RateVerdict, Verdict, decide, rate_verdict};
pub use plan::{DEFAULT_MIN_SAMPLES, OnBreach, OnInconclusive, RolloutPlan, Step, parse_duration};
pub use rate::{ArmEvents, RateEvidence};
pub use simulate::{Ending, SimulationReport, Traffic, simulate, simulate_once};

#[cfg(test)]
mod tests;

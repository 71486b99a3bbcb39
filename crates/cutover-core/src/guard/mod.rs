//! Guarded rollouts: plans, the sequential evidence that an arm is worse, the decision rule,
//! and a simulator that runs that same rule over synthetic traffic. See `docs/guard.md`.

pub(crate) mod assess;
pub(crate) mod decide;
pub(crate) mod gate;
pub(crate) mod gate_expr;
pub(crate) mod golden;
pub(crate) mod plan;
mod rate;
mod run;
pub(crate) mod run_state;
mod simulate;

pub use crate::duration::format_duration;
pub use assess::{Assessment, GateReading, Judging, StepFigures, Unit, assess};
pub use decide::{Action, RateVerdict, Verdict, decide, rate_verdict};
pub use gate::{Bound, DEFAULT_GATE, Gate, Quantile, RateMetric, is_counter_name};
pub use gate_expr::{GateExpr, Severity};
pub use golden::GoldenResult;
pub use plan::{DEFAULT_MIN_SAMPLES, OnBreach, OnInconclusive, RolloutPlan, Step};
pub use rate::{ArmEvents, RateEvidence};
pub(crate) use run::{
    apply_guard, apply_move, check_plan_edit, follow_plan_edit, pause_for_hand_change,
};
pub use run_state::{RolloutRun, RunMove, RunStatus};
pub use simulate::{Ending, SimulationReport, Traffic, simulate, simulate_once};

#[cfg(test)]
mod tests;

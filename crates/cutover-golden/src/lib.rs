//! Golden corpora for cutover: run a subject (an external JSON-lines command, or a Rust function)
//! over a corpus of scenarios, and **record** its outputs, **verify** them against the
//! recordings under a field-by-field comparison spec, **test** them against expectations, or
//! **compare** a legacy and a new subject case by case (agreement per field with a 95 %
//! interval, thresholds, invariants). Reports for people, JSON and JUnit XML.
//!
//! **API boundary**: this crate owns the corpus format, the subject protocol and the report
//! formats. The comparison rule itself (exact, within, ignore, unordered, must-include, with
//! exact decimals) is cutover-core's, shared with shadow runs; nothing here re-implements it.
//!
//! See `docs/golden.md` for the corpus schema and the statistics of the report.

mod budget;
mod corpus;
mod error;
mod expect;
mod mode;
mod path;
mod progress;
mod report;
mod run;
mod select;
mod spec;
mod subject;

pub use budget::{Budget, BudgetCheck, LatencyStats, LimitCheck, Quantile};
pub use corpus::Corpus;
pub use corpus::store::{accept, pending, pending_path, reject};
pub use error::GoldenError;
pub use mode::{RecordOptions, Runner};
pub use progress::{Progress, ProgressBar, Silent};
pub use report::{
    Agreement, CaseReport, CaseStatus, InvariantCheck, Mode, Problem, Report, RunSummary,
    ThresholdCheck,
};
// From the files that define them: the report and subject modules hold the types their files
// share and do not re-export their children (which would make a loop with them).
pub use report::junit::junit;
pub use report::terminal::render;
pub use select::Selection;
pub use spec::{GoldenSpec, Invariant, Threshold};
pub use subject::func::{FnSubject, from_fn};
pub use subject::process::ProcessSubject;
pub use subject::{Fault, Request, Subject};

/// How many cases in a row may lose the subject process (crash, early exit, timeout) before a
/// run stops.
pub const STOP_AFTER_LOST: usize = run::STOP_AFTER;

//! The parts every mode builds its report from: a case's report, an unanswered step, latency and
//! budget, a one-subject summary.

use std::collections::BTreeMap;

use crate::budget::{BudgetCheck, Latencies, LatencyStats};
use crate::corpus::Corpus;
use crate::corpus::scenario::StepRef;
use crate::report::{CaseReport, CaseStatus, Mode, Problem, SummaryParts};
use crate::run::{Outcome, StepRun, SubjectRun};
use crate::spec::GoldenSpec;

/// A case's report with nothing decided yet.
pub(crate) fn case_report(
    corpus: &Corpus,
    r: StepRef,
    status: CaseStatus,
    problems: Vec<Problem>,
    step: &StepRun,
) -> CaseReport {
    CaseReport {
        case: corpus.case_name(r),
        file: corpus.file_name(r),
        seed: corpus.scenario(r.file, r.scenario).seed,
        status,
        problems,
        latency: step.latency,
    }
}

/// The status and problem of a step the subject did not answer; `None` when it did.
pub(crate) fn unanswered(role: &str, step: &StepRun) -> Option<(CaseStatus, Problem)> {
    match &step.outcome {
        Outcome::Answered(_) => None,
        Outcome::Faulted(fault) => Some((
            CaseStatus::Error,
            Problem::Fault {
                subject: role.to_owned(),
                fault: fault.clone(),
            },
        )),
        Outcome::Skipped(why) => Some((CaseStatus::Skipped, Problem::Skipped { why: why.clone() })),
    }
}

/// Latency by role, and the budget held against `budget_role`.
pub(crate) fn timing(
    runs: &[(&str, &SubjectRun)],
    spec: &GoldenSpec,
    budget_role: &str,
) -> (BTreeMap<String, LatencyStats>, Option<BudgetCheck>) {
    let mut stats = BTreeMap::new();
    let mut budget = None;
    for (role, run) in runs {
        let latencies = Latencies::new(run.latencies());
        if let Some(s) = latencies.stats() {
            stats.insert((*role).to_owned(), s);
        }
        if *role == budget_role {
            budget = spec.budget.as_ref().map(|b| b.check(role, &latencies));
        }
    }
    (stats, budget)
}

/// The summary parts of a one-subject mode.
pub(crate) fn single_parts(
    mode: Mode,
    corpus: &Corpus,
    run: &SubjectRun,
    spec: &GoldenSpec,
) -> SummaryParts {
    let (latency, budget) = timing(&[("subject", run)], spec, "subject");
    SummaryParts {
        mode,
        corpus: corpus.path().display().to_string(),
        subjects: BTreeMap::from([("subject".to_owned(), run.subject.clone())]),
        latency,
        budget,
        stopped: run.stopped.clone(),
    }
}

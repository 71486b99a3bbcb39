//! `test`: every output against its case's expectations (`equals`, `must_include`, `at_most`,
//! `at_least`, `matches`, `within`). A case without expectations passes with nothing checked.

use super::parts::{case_report, single_parts, unanswered};
use crate::corpus::Corpus;
use crate::corpus::scenario::StepRef;
use crate::report::{CaseStatus, Mode, Problem, Report};
use crate::run::{Outcome, SubjectRun};
use crate::spec::GoldenSpec;

pub(crate) fn test(
    corpus: &Corpus,
    plan: &[StepRef],
    run: &SubjectRun,
    spec: &GoldenSpec,
) -> Report {
    let cases = plan
        .iter()
        .zip(&run.steps)
        .map(|(&r, step)| {
            let (status, problems) = match &step.outcome {
                Outcome::Answered(output) => {
                    let problems: Vec<Problem> = corpus
                        .step(r)
                        .expect
                        .unmet(output)
                        .into_iter()
                        .map(|u| Problem::Unmet {
                            path: u.path,
                            check: u.check,
                            actual: u.actual,
                            why: u.why,
                        })
                        .collect();
                    let status = if problems.is_empty() {
                        CaseStatus::Passed
                    } else {
                        CaseStatus::Failed
                    };
                    (status, problems)
                }
                _ => match unanswered("subject", step) {
                    Some((status, problem)) => (status, vec![problem]),
                    None => (CaseStatus::Passed, Vec::new()),
                },
            };
            case_report(corpus, r, status, problems, step)
        })
        .collect();
    // Budgets apply in every mode; thresholds and invariants only to a comparison.
    let parts = single_parts(Mode::Test, corpus, run, spec);
    Report::assemble(parts, cases, Default::default(), Vec::new(), Vec::new())
}

//! `verify`: every output against its recording, under the spec's field rules (exact by
//! default, `within` tolerances as exact decimals, ignored and unordered fields).

use cutover_core::Tally;

use super::parts::{case_report, single_parts, unanswered};
use crate::corpus::Corpus;
use crate::corpus::scenario::StepRef;
use crate::report::{CaseStatus, Mode, Problem, Report, agreement};
use crate::run::{Outcome, SubjectRun};
use crate::spec::GoldenSpec;

pub(crate) fn verify(
    corpus: &Corpus,
    plan: &[StepRef],
    run: &SubjectRun,
    spec: &GoldenSpec,
) -> Report {
    let mut tally = Tally::default();
    let cases = plan
        .iter()
        .zip(&run.steps)
        .map(|(&r, step)| {
            let (status, problems) = match (&step.outcome, &corpus.step(r).recorded) {
                (Outcome::Answered(_), None) => (CaseStatus::Failed, vec![Problem::NotRecorded]),
                (Outcome::Answered(actual), Some(recorded)) => {
                    let comparison = spec.comparison.compare(recorded, actual);
                    tally.add(&comparison);
                    if comparison.agreed() {
                        (CaseStatus::Passed, Vec::new())
                    } else {
                        let problems = comparison.mismatches().map(Problem::differs).collect();
                        (CaseStatus::Failed, problems)
                    }
                }
                _ => match unanswered("subject", step) {
                    Some((status, problem)) => (status, vec![problem]),
                    None => (CaseStatus::Passed, Vec::new()),
                },
            };
            case_report(corpus, r, status, problems, step)
        })
        .collect();
    let parts = single_parts(Mode::Verify, corpus, run, spec);
    Report::assemble(parts, cases, agreement(&tally), Vec::new(), Vec::new())
}

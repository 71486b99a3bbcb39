//! `compare`: cross-validation of a legacy and a new subject over one corpus. Each case's two
//! outputs go through the spec's field rules into a per-field tally (agreement ratio and 95 %
//! interval, held against the thresholds), and every invariant is checked on every case.

use std::collections::BTreeMap;

use cutover_core::Tally;

use super::parts::{case_report, timing, unanswered};
use crate::corpus::Corpus;
use crate::corpus::scenario::StepRef;
use crate::report::{
    CaseStatus, InvariantCheck, Mode, Problem, Report, SummaryParts, ThresholdCheck, agreement,
};
use crate::run::{Outcome, SubjectRun};
use crate::spec::GoldenSpec;
use crate::spec::invariant::{Sides, Verdict};

pub(crate) fn compare(
    corpus: &Corpus,
    plan: &[StepRef],
    legacy: &SubjectRun,
    new: &SubjectRun,
    spec: &GoldenSpec,
) -> Report {
    let mut tally = Tally::default();
    let mut invariants: Vec<InvariantCheck> = spec
        .invariants
        .iter()
        .map(|i| InvariantCheck {
            invariant: i.text().to_owned(),
            applied: 0,
            violations: 0,
            violated_cases: Vec::new(),
            passed: true,
        })
        .collect();
    let mut cases = Vec::with_capacity(plan.len());
    for ((&r, l), n) in plan.iter().zip(&legacy.steps).zip(&new.steps) {
        let (status, problems) = match (&l.outcome, &n.outcome) {
            (Outcome::Answered(lo), Outcome::Answered(no)) => {
                let comparison = spec.comparison.compare(lo, no);
                tally.add(&comparison);
                let mut problems: Vec<Problem> =
                    comparison.mismatches().map(Problem::diverges).collect();
                let sides = Sides {
                    input: &corpus.step(r).input,
                    legacy: lo,
                    new: no,
                };
                let mut violated = false;
                for (invariant, check) in spec.invariants.iter().zip(&mut invariants) {
                    match invariant.check(sides) {
                        Verdict::NotApplicable => {}
                        Verdict::Held => check.applied += 1,
                        Verdict::Violated(detail) => {
                            check.applied += 1;
                            check.violations += 1;
                            check.passed = false;
                            check.violated_cases.push(corpus.case_name(r));
                            problems.push(Problem::Invariant {
                                invariant: invariant.text().to_owned(),
                                detail,
                            });
                            violated = true;
                        }
                    }
                }
                let status = if violated {
                    CaseStatus::Failed
                } else if comparison.agreed() {
                    CaseStatus::Passed
                } else {
                    CaseStatus::Divergent
                };
                (status, problems)
            }
            _ => {
                // Report each side that did not answer; a fault outranks a skip.
                let found: Vec<(CaseStatus, Problem)> = [("legacy", l), ("new", n)]
                    .into_iter()
                    .filter_map(|(role, step)| unanswered(role, step))
                    .collect();
                let status = found
                    .iter()
                    .map(|(s, _)| *s)
                    .min()
                    .unwrap_or(CaseStatus::Error);
                (status, found.into_iter().map(|(_, p)| p).collect())
            }
        };
        cases.push(case_report(corpus, r, status, problems, n));
    }
    let thresholds = spec
        .thresholds
        .iter()
        .map(|t| {
            let field = tally.fields.get(&t.field);
            let ratio = field.and_then(|f| f.ratio());
            ThresholdCheck {
                field: t.field.clone(),
                min: t.min,
                ratio,
                compared: field.map_or(0, |f| f.compared),
                passed: ratio.is_some_and(|r| r >= t.min),
            }
        })
        .collect();
    let (latency, budget) = timing(&[("legacy", legacy), ("new", new)], spec, "new");
    let stopped: Vec<String> = [("legacy", legacy), ("new", new)]
        .iter()
        .filter_map(|(role, run)| run.stopped.as_ref().map(|s| format!("{role}: {s}")))
        .collect();
    let parts = SummaryParts {
        mode: Mode::Compare,
        corpus: corpus.path().display().to_string(),
        subjects: BTreeMap::from([
            ("legacy".to_owned(), legacy.subject.clone()),
            ("new".to_owned(), new.subject.clone()),
        ]),
        latency,
        budget,
        stopped: (!stopped.is_empty()).then(|| stopped.join("; ")),
    };
    Report::assemble(parts, cases, agreement(&tally), thresholds, invariants)
}

//! `record`: outputs become recordings. A first recording is written; a recording that the new
//! output agrees with (under the spec, so ignored fields do not churn) is left alone; one it
//! differs from is kept unless `force` says to replace it. With `pending` (in CI) the corpus
//! itself is never touched: every change goes to a `.new` file beside it, for `accept` or
//! `reject`, as insta does with `.snap.new`.
//!
//! Files are written once, after the run, and atomically: a run that dies half-way leaves every
//! recording as it was.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::parts::{case_report, single_parts, unanswered};
use crate::corpus::Corpus;
use crate::corpus::scenario::StepRef;
use crate::corpus::store::{pending_path, render, write_atomic};
use crate::error::GoldenError;
use crate::report::{CaseStatus, Mode, Problem, Report};
use crate::run::{Outcome, SubjectRun};
use crate::spec::GoldenSpec;

/// How `record` treats what is already recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordOptions {
    /// Replace recordings the new output differs from.
    pub force: bool,
    /// Write every change to a pending `.new` file instead of the corpus (CI).
    pub pending: bool,
}

pub(crate) fn record(
    corpus: &Corpus,
    plan: &[StepRef],
    run: &SubjectRun,
    spec: &GoldenSpec,
    options: RecordOptions,
) -> Result<Report, GoldenError> {
    let mut updates: BTreeMap<StepRef, Value> = BTreeMap::new();
    let mut cases = Vec::with_capacity(plan.len());
    for (&r, step) in plan.iter().zip(&run.steps) {
        let (status, problems) = match (&step.outcome, &corpus.step(r).recorded) {
            (Outcome::Answered(output), None) => {
                updates.insert(r, output.clone());
                let status = if options.pending {
                    CaseStatus::Pending
                } else {
                    CaseStatus::Recorded
                };
                (status, Vec::new())
            }
            (Outcome::Answered(output), Some(recorded)) => {
                let comparison = spec.comparison.compare(recorded, output);
                if comparison.agreed() {
                    (CaseStatus::Unchanged, Vec::new())
                } else {
                    let problems: Vec<Problem> =
                        comparison.mismatches().map(Problem::differs).collect();
                    if options.pending {
                        updates.insert(r, output.clone());
                        (CaseStatus::Pending, problems)
                    } else if options.force {
                        updates.insert(r, output.clone());
                        (CaseStatus::Rerecorded, problems)
                    } else {
                        (CaseStatus::Conflict, problems)
                    }
                }
            }
            _ => match unanswered("subject", step) {
                Some((status, problem)) => (status, vec![problem]),
                None => (CaseStatus::Unchanged, Vec::new()),
            },
        };
        cases.push(case_report(corpus, r, status, problems, step));
    }
    let files: BTreeSet<usize> = updates.keys().map(|r| r.file).collect();
    let mut written = Vec::new();
    for f in files {
        let file = &corpus.files[f];
        let text = render(f, file, &updates)?;
        let target = if options.pending {
            pending_path(&file.path)
        } else {
            file.path.clone()
        };
        write_atomic(&target, text.as_bytes())?;
        written.push(target.display().to_string());
    }
    let parts = single_parts(Mode::Record, corpus, run, spec);
    let mut report = Report::assemble(parts, cases, BTreeMap::new(), Vec::new(), Vec::new());
    if options.pending {
        report.summary.pending = written;
    } else {
        report.summary.written = written;
    }
    Ok(report)
}

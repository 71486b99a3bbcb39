//! The modes of a run over a corpus: `record`, `verify`, `test` and `compare`, each a function
//! from subject runs to a [`Report`], behind one [`Runner`].

mod compare;
mod parts;
mod record;
mod test;
mod verify;

pub use record::RecordOptions;

use crate::corpus::Corpus;
use crate::corpus::scenario::StepRef;
use crate::error::GoldenError;
use crate::progress::{Progress, Silent};
use crate::report::Report;
use crate::run::{self, SubjectRun};
use crate::select::Selection;
use crate::spec::GoldenSpec;
use crate::subject::Subject;

static SILENT: Silent = Silent;

/// Runs a corpus, or the selected part of it, against subjects.
///
/// ```no_run
/// use cutover_golden::{Corpus, GoldenSpec, Runner, from_fn};
/// # fn route(_: &serde_json::Value) -> serde_json::Value { serde_json::Value::Null }
/// let corpus = Corpus::load("tests/golden/routing.jsonl")?;
/// let spec = GoldenSpec::load("tests/golden/spec.json".as_ref())?;
/// let mut router = from_fn("router", |req| Ok(route(req.input())));
/// let report = Runner::new(&corpus).spec(spec).verify(&mut router)?;
/// assert!(report.summary.passed, "{}", cutover_golden::render(&report, false));
/// # Ok::<(), cutover_golden::GoldenError>(())
/// ```
pub struct Runner<'a> {
    corpus: &'a Corpus,
    selection: Selection,
    spec: GoldenSpec,
    progress: &'a dyn Progress,
}

impl<'a> Runner<'a> {
    pub fn new(corpus: &'a Corpus) -> Runner<'a> {
        Runner {
            corpus,
            selection: Selection::all(),
            spec: GoldenSpec::default(),
            progress: &SILENT,
        }
    }

    pub fn select(mut self, selection: Selection) -> Runner<'a> {
        self.selection = selection;
        self
    }

    pub fn spec(mut self, spec: GoldenSpec) -> Runner<'a> {
        self.spec = spec;
        self
    }

    pub fn progress(mut self, progress: &'a dyn Progress) -> Runner<'a> {
        self.progress = progress;
        self
    }

    fn plan(&self) -> Result<Vec<StepRef>, GoldenError> {
        let scenarios = self.selection.pick(self.corpus)?;
        Ok(run::plan(self.corpus, &scenarios))
    }

    fn run_one(
        &self,
        plan: &[StepRef],
        subject: &mut dyn Subject,
    ) -> Result<SubjectRun, GoldenError> {
        self.progress.begin(plan.len() as u64);
        let result = run::run(self.corpus, plan, subject, self.progress);
        self.progress.end();
        result
    }

    /// Runs the subject and writes its outputs as recordings; see [`RecordOptions`].
    pub fn record(
        &self,
        subject: &mut dyn Subject,
        options: RecordOptions,
    ) -> Result<Report, GoldenError> {
        let plan = self.plan()?;
        let run = self.run_one(&plan, subject)?;
        record::record(self.corpus, &plan, &run, &self.spec, options)
    }

    /// Runs the subject and compares every output with its recording under the spec.
    pub fn verify(&self, subject: &mut dyn Subject) -> Result<Report, GoldenError> {
        let plan = self.plan()?;
        let run = self.run_one(&plan, subject)?;
        Ok(verify::verify(self.corpus, &plan, &run, &self.spec))
    }

    /// Runs the subject and checks every output against its case's expectations.
    pub fn test(&self, subject: &mut dyn Subject) -> Result<Report, GoldenError> {
        let plan = self.plan()?;
        if plan.iter().all(|&r| self.corpus.step(r).expect.is_empty()) {
            return Err(GoldenError::NothingToTest { cases: plan.len() });
        }
        let run = self.run_one(&plan, subject)?;
        Ok(test::test(self.corpus, &plan, &run, &self.spec))
    }

    /// Runs both subjects side by side and cross-validates their outputs: agreement per field
    /// against the thresholds, and the invariants in every case.
    pub fn compare(
        &self,
        legacy: &mut dyn Subject,
        new: &mut dyn Subject,
    ) -> Result<Report, GoldenError> {
        let plan = self.plan()?;
        self.progress.begin(2 * plan.len() as u64);
        let (legacy_run, new_run) = std::thread::scope(|s| {
            let other = s.spawn(|| run::run(self.corpus, &plan, legacy, self.progress));
            let new_run = run::run(self.corpus, &plan, new, self.progress);
            let legacy_run = other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (legacy_run, new_run)
        });
        self.progress.end();
        Ok(compare::compare(
            self.corpus,
            &plan,
            &legacy_run?,
            &new_run?,
            &self.spec,
        ))
    }
}

//! What a run found: a [`RunSummary`] small enough to store (the verdict a rollout gate reads),
//! and a [`Report`] with every case for people (`render`), scripts (`--json`) and CI
//! (`junit`).

pub(crate) mod junit;
pub(crate) mod terminal;

use std::collections::BTreeMap;
use std::time::Duration;

use cutover_core::{FieldOutcome, FieldResult, FieldTally, Tally};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::budget::{BudgetCheck, LatencyStats};
use crate::subject::Fault;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Record,
    Verify,
    Test,
    Compare,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Record => "record",
            Mode::Verify => "verify",
            Mode::Test => "test",
            Mode::Compare => "compare",
        }
    }
}

/// What became of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Verify: matches its recording; test: meets its expectations; compare: both agree.
    Passed,
    /// Verify or test: it does not.
    Failed,
    /// The subject faulted on it.
    Error,
    /// Not run (an earlier step of its scenario failed, or the run stopped).
    Skipped,
    /// Record: its first recording was written.
    Recorded,
    /// Record with `--force`: a different recording was replaced.
    Rerecorded,
    /// Record: the output agrees with the recording under the spec; nothing to write.
    Unchanged,
    /// Record without `--force`: the output differs from the recording, which was kept.
    Conflict,
    /// Record in CI: the new recording waits in a `.new` file for `accept` or `reject`.
    Pending,
    /// Compare: some fields differ, and no invariant is broken.
    Divergent,
}

impl CaseStatus {
    /// Whether this case alone makes the run fail.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            CaseStatus::Failed
                | CaseStatus::Error
                | CaseStatus::Skipped
                | CaseStatus::Conflict
                | CaseStatus::Pending
        )
    }

    fn is_notable(self) -> bool {
        !matches!(self, CaseStatus::Passed | CaseStatus::Unchanged)
    }
}

/// One thing found on a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// Verify (and record conflicts): a field of the output differs from the recording.
    Differs {
        path: String,
        recorded: Option<Value>,
        actual: Option<Value>,
    },
    /// Compare: a field differs between legacy and new.
    Diverges {
        path: String,
        legacy: Option<Value>,
        new: Option<Value>,
    },
    /// Test: an expectation is not met.
    Unmet {
        path: String,
        check: String,
        actual: Option<Value>,
        why: String,
    },
    /// The subject (`subject`, `legacy` or `new`) faulted.
    Fault {
        subject: String,
        #[serde(flatten)]
        fault: Fault,
    },
    /// Verify: the case has no recording to compare with.
    NotRecorded,
    Skipped {
        why: String,
    },
    /// Compare: an invariant is broken.
    Invariant {
        invariant: String,
        detail: String,
    },
}

fn sides(outcome: &FieldOutcome) -> (Option<Value>, Option<Value>) {
    match &outcome.result {
        FieldResult::Agreed => (None, None),
        FieldResult::Disagreed { legacy, new } => (Some(legacy.clone()), Some(new.clone())),
        FieldResult::Missing { legacy } => (Some(legacy.clone()), None),
        FieldResult::Extra { new } => (None, Some(new.clone())),
    }
}

impl Problem {
    pub(crate) fn differs(outcome: &FieldOutcome) -> Problem {
        let (recorded, actual) = sides(outcome);
        Problem::Differs {
            path: outcome.path.clone(),
            recorded,
            actual,
        }
    }

    pub(crate) fn diverges(outcome: &FieldOutcome) -> Problem {
        let (legacy, new) = sides(outcome);
        Problem::Diverges {
            path: outcome.path.clone(),
            legacy,
            new,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseReport {
    /// The scenario's name, with `:N` for step N of a scenario with several steps.
    pub case: String,
    pub file: String,
    pub seed: u64,
    pub status: CaseStatus,
    pub problems: Vec<Problem>,
    /// The subject's latency (the new subject's in a comparison); in JUnit, not in JSON, so
    /// that JSON reports of one corpus compare equal across runs.
    #[serde(skip)]
    pub latency: Option<Duration>,
}

/// Agreement on one field: cutover-core's counts, the ratio and its 95 % Wilson interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub compared: u64,
    pub agreed: u64,
    pub disagreed: u64,
    pub missing: u64,
    pub extra: u64,
    pub ratio: Option<f64>,
    pub interval95: Option<[f64; 2]>,
}

impl From<&FieldTally> for Agreement {
    fn from(t: &FieldTally) -> Self {
        Agreement {
            compared: t.compared,
            agreed: t.agreed,
            disagreed: t.disagreed,
            missing: t.missing,
            extra: t.extra,
            ratio: t.ratio(),
            interval95: t.interval95().map(|(lo, hi)| [lo, hi]),
        }
    }
}

pub(crate) fn agreement(tally: &Tally) -> BTreeMap<String, Agreement> {
    tally
        .fields
        .iter()
        .map(|(path, t)| (path.clone(), Agreement::from(t)))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdCheck {
    pub field: String,
    pub min: f64,
    /// `None` when no case compared the field (which fails the threshold).
    pub ratio: Option<f64>,
    pub compared: u64,
    pub passed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvariantCheck {
    pub invariant: String,
    /// Cases where its `when` part held.
    pub applied: u64,
    pub violations: u64,
    pub violated_cases: Vec<String>,
    pub passed: bool,
}

/// The verdict of one run, small enough to store and to gate a rollout on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub mode: Mode,
    /// True only when every case passed and every threshold, invariant and budget held.
    pub passed: bool,
    pub corpus: String,
    /// Subjects by role (`subject`, or `legacy` and `new`) with how they were run.
    pub subjects: BTreeMap<String, String>,
    /// Cases selected (steps, for scenarios with several).
    pub cases: u64,
    /// Cases by status.
    pub counts: BTreeMap<CaseStatus, u64>,
    /// Cases that make the run fail, and their names.
    pub failures: u64,
    pub failed_cases: Vec<String>,
    /// Per-field agreement: recording against output (verify), legacy against new (compare).
    pub agreement: BTreeMap<String, Agreement>,
    pub thresholds: Vec<ThresholdCheck>,
    pub invariants: Vec<InvariantCheck>,
    /// Latency by subject role.
    pub latency: BTreeMap<String, LatencyStats>,
    pub budget: Option<BudgetCheck>,
    /// Why the run stopped before the end.
    pub stopped: Option<String>,
    /// Record: corpus files rewritten, and pending `.new` files written.
    pub written: Vec<String>,
    pub pending: Vec<String>,
}

/// The summary and every case. JSON lists only the cases that did not simply pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub summary: RunSummary,
    #[serde(serialize_with = "notable")]
    pub cases: Vec<CaseReport>,
}

fn notable<S: Serializer>(cases: &[CaseReport], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(cases.iter().filter(|c| c.status.is_notable()))
}

/// The parts of a summary every mode fills the same way.
pub(crate) struct SummaryParts {
    pub(crate) mode: Mode,
    pub(crate) corpus: String,
    pub(crate) subjects: BTreeMap<String, String>,
    pub(crate) latency: BTreeMap<String, LatencyStats>,
    pub(crate) budget: Option<BudgetCheck>,
    pub(crate) stopped: Option<String>,
}

impl Report {
    /// Counts the cases and decides `passed`: no failing case, every threshold, invariant and
    /// budget held, and the run went to the end.
    pub(crate) fn assemble(
        parts: SummaryParts,
        cases: Vec<CaseReport>,
        agreement: BTreeMap<String, Agreement>,
        thresholds: Vec<ThresholdCheck>,
        invariants: Vec<InvariantCheck>,
    ) -> Report {
        let mut counts = BTreeMap::new();
        for c in &cases {
            *counts.entry(c.status).or_insert(0) += 1;
        }
        let failed_cases: Vec<String> = cases
            .iter()
            .filter(|c| c.status.is_failure())
            .map(|c| c.case.clone())
            .collect();
        let passed = failed_cases.is_empty()
            && thresholds.iter().all(|t| t.passed)
            && invariants.iter().all(|i| i.passed)
            && parts.budget.as_ref().is_none_or(|b| b.passed)
            && parts.stopped.is_none();
        Report {
            summary: RunSummary {
                mode: parts.mode,
                passed,
                corpus: parts.corpus,
                subjects: parts.subjects,
                cases: cases.len() as u64,
                counts,
                failures: failed_cases.len() as u64,
                failed_cases,
                agreement,
                thresholds,
                invariants,
                latency: parts.latency,
                budget: parts.budget,
                stopped: parts.stopped,
                written: Vec::new(),
                pending: Vec::new(),
            },
            cases,
        }
    }
}

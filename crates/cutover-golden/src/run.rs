//! Running one subject over the selected steps, in order, turning whatever the subject does into
//! one outcome per step.
//!
//! A fault ends its scenario (the later steps of a session cannot be trusted after it) but not
//! the run. Several lost processes in a row mean the subject cannot serve at all: the run stops
//! cleanly, and every step not run says why.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::corpus::Corpus;
use crate::corpus::scenario::StepRef;
use crate::error::GoldenError;
use crate::progress::Progress;
use crate::subject::{Fault, Request, Subject};

/// Processes lost on consecutive cases (crash, early exit, timeout) before the run stops.
pub(crate) const STOP_AFTER: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Answered(Value),
    Faulted(Fault),
    /// Not sent to the subject, and why.
    Skipped(String),
}

#[derive(Debug, Clone)]
pub(crate) struct StepRun {
    pub(crate) outcome: Outcome,
    /// For answered steps: from sending the request to reading the answer.
    pub(crate) latency: Option<Duration>,
}

#[derive(Debug)]
pub(crate) struct SubjectRun {
    pub(crate) subject: String,
    /// One per planned step, in plan order.
    pub(crate) steps: Vec<StepRun>,
    /// Why the run stopped early.
    pub(crate) stopped: Option<String>,
}

impl SubjectRun {
    pub(crate) fn latencies(&self) -> Vec<Duration> {
        self.steps.iter().filter_map(|s| s.latency).collect()
    }
}

/// The steps of the selected scenarios, in corpus order.
pub(crate) fn plan(corpus: &Corpus, scenarios: &[(usize, usize)]) -> Vec<StepRef> {
    scenarios
        .iter()
        .flat_map(|&(file, scenario)| {
            (0..corpus.scenario(file, scenario).steps.len()).map(move |step| StepRef {
                file,
                scenario,
                step,
            })
        })
        .collect()
}

pub(crate) fn run(
    corpus: &Corpus,
    plan: &[StepRef],
    subject: &mut dyn Subject,
    progress: &dyn Progress,
) -> Result<SubjectRun, GoldenError> {
    subject.start()?;
    let mut steps = Vec::with_capacity(plan.len());
    let mut stopped: Option<String> = None;
    let mut lost_in_a_row = 0;
    let mut failed_scenario = None;
    for &r in plan {
        let skip = if let Some(why) = &stopped {
            Some(format!("not run: {why}"))
        } else if failed_scenario == Some((r.file, r.scenario)) {
            Some("an earlier step of this scenario failed".to_owned())
        } else {
            None
        };
        if let Some(why) = skip {
            steps.push(StepRun {
                outcome: Outcome::Skipped(why),
                latency: None,
            });
            progress.advance();
            continue;
        }
        let scenario = corpus.scenario(r.file, r.scenario);
        let step = &scenario.steps[r.step];
        let request = Request {
            scenario: &scenario.name,
            step: r.step,
            seed: scenario.seed,
            input: &step.input,
            raw_input: step.wire_input(),
        };
        let sent = Instant::now();
        let result = subject.call(&request);
        let latency = sent.elapsed();
        steps.push(match result {
            Ok(output) => {
                lost_in_a_row = 0;
                StepRun {
                    outcome: Outcome::Answered(output),
                    latency: Some(latency),
                }
            }
            Err(fault) => {
                lost_in_a_row = if fault.lost_process() {
                    lost_in_a_row + 1
                } else {
                    0
                };
                if matches!(fault, Fault::CannotStart { .. }) || lost_in_a_row >= STOP_AFTER {
                    stopped = Some(format!(
                        "the run stopped after {} ({lost_in_a_row} case(s) in a row lost the \
                         subject process; last: {fault})",
                        corpus.case_name(r)
                    ));
                }
                failed_scenario = Some((r.file, r.scenario));
                StepRun {
                    outcome: Outcome::Faulted(fault),
                    latency: None,
                }
            }
        });
        progress.advance();
    }
    Ok(SubjectRun {
        subject: subject.describe(),
        steps,
        stopped,
    })
}

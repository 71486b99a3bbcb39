//! Subjects: what a corpus runs against. An external command speaking JSON lines
//! ([`ProcessSubject`]), or a Rust function in the same process ([`FnSubject`], for teams that
//! run their corpus from `cargo test`), or anything else implementing [`Subject`].
//!
//! The protocol of a process subject is one request per line on its stdin,
//! `{"scenario": NAME, "step": N, "seed": SEED, "input": INPUT}`, answered by exactly one line on
//! its stdout, the output as JSON. Logs belong on stderr. Steps of a scenario come in order, so a
//! stateful subject starts a new session when `step` is 0.

pub(crate) mod func;
pub(crate) mod process;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::GoldenError;

/// One step handed to a subject.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub(crate) scenario: &'a str,
    pub(crate) step: usize,
    pub(crate) seed: u64,
    pub(crate) input: &'a Value,
    pub(crate) raw_input: &'a RawValue,
}

impl<'a> Request<'a> {
    pub fn scenario(&self) -> &'a str {
        self.scenario
    }

    /// 0 for the first step of a scenario.
    pub fn step(&self) -> usize {
        self.step
    }

    /// The scenario's seed: use it for every random choice, so a run is reproducible.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn input(&self) -> &'a Value {
        self.input
    }
}

/// The request line of the JSON-lines protocol. The input is written as the corpus spells it.
#[derive(Serialize)]
pub(crate) struct Wire<'a> {
    scenario: &'a str,
    step: usize,
    seed: u64,
    input: &'a RawValue,
}

impl<'a> From<&Request<'a>> for Wire<'a> {
    fn from(r: &Request<'a>) -> Self {
        Wire {
            scenario: r.scenario,
            step: r.step,
            seed: r.seed,
            input: r.raw_input,
        }
    }
}

/// What produces outputs from inputs.
pub trait Subject: Send {
    /// How reports name it: the command line, or a name given by the caller.
    fn describe(&self) -> String;

    /// Called once before the first request, so a subject that cannot start at all stops the run
    /// with an error instead of failing every case.
    fn start(&mut self) -> Result<(), GoldenError> {
        Ok(())
    }

    /// The output for one step, or what went wrong producing it.
    fn call(&mut self, request: &Request<'_>) -> Result<Value, Fault>;
}

/// What went wrong with one case, reported on that case; the run goes on with the next one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// The process died (a signal or a non-zero exit status) before answering.
    Crashed { status: String, stderr: String },
    /// The process exited with status 0, or closed its stdout, before answering: it ended early.
    Exited { status: String, stderr: String },
    /// No answer within the per-case timeout; the process was killed.
    TimedOut { after_ms: u64 },
    /// The answer was not one JSON value.
    Garbage { line: String },
    /// The answer came with more lines: exactly one line per request is the protocol. The
    /// process was restarted so the next case starts in step.
    ExtraOutput { lines: Vec<String> },
    /// Lines nobody asked for were waiting before this request, so the protocol was out of step;
    /// the process was restarted and this case not sent.
    Unsolicited { lines: Vec<String> },
    /// An in-process subject panicked.
    Panicked { message: String },
    /// An in-process subject returned an error.
    Failed { message: String },
    /// The process had to be started again and could not be.
    CannotStart { why: String },
}

impl Fault {
    /// Whether the subject process was lost with this case (several in a row stop the run).
    pub(crate) fn lost_process(&self) -> bool {
        matches!(
            self,
            Fault::Crashed { .. }
                | Fault::Exited { .. }
                | Fault::TimedOut { .. }
                | Fault::CannotStart { .. }
        )
    }
}

fn with_stderr(f: &mut fmt::Formatter<'_>, stderr: &str) -> fmt::Result {
    if stderr.is_empty() {
        Ok(())
    } else {
        write!(f, "; its stderr ended with: {stderr}")
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Crashed { status, stderr } => {
                write!(f, "the subject crashed ({status}) before answering")?;
                with_stderr(f, stderr)
            }
            Fault::Exited { status, stderr } => {
                write!(f, "the subject ended early ({status}) without answering")?;
                with_stderr(f, stderr)
            }
            Fault::TimedOut { after_ms } => {
                write!(
                    f,
                    "no answer within {after_ms} ms; the subject was killed and restarted"
                )
            }
            Fault::Garbage { line } => {
                write!(
                    f,
                    "the subject answered with something that is not JSON: {line:?}"
                )
            }
            Fault::ExtraOutput { lines } => write!(
                f,
                "the subject printed {} lines for one request (exactly one is expected; logs \
                 belong on stderr), first: {:?}; it was restarted",
                lines.len(),
                lines.first().map_or("", String::as_str)
            ),
            Fault::Unsolicited { lines } => write!(
                f,
                "the subject printed {} line(s) nobody asked for (logs belong on stderr), first: \
                 {:?}; it was restarted",
                lines.len(),
                lines.first().map_or("", String::as_str)
            ),
            Fault::Panicked { message } => write!(f, "the subject panicked: {message}"),
            Fault::Failed { message } => write!(f, "the subject failed: {message}"),
            Fault::CannotStart { why } => write!(f, "the subject could not be restarted: {why}"),
        }
    }
}

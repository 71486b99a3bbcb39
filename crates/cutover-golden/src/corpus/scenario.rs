//! What a corpus file holds: scenarios of steps, how each was written, and a step's address.

use std::path::PathBuf;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::expect::Expectations;

/// How a scenario was written, so it is written back the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `{"name", "input", "expect", "recorded"}`: one step.
    Case,
    /// `{"name", "steps": [...]}`.
    Steps,
}

/// The requirement-style spellings a scenario used (`turns`, `sessionSeed`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Spelling {
    pub(crate) turns: bool,
    pub(crate) session_seed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// A `.json` file holding one scenario.
    Scenario,
    /// A `.jsonl` file, one scenario per line.
    Lines,
}

#[derive(Debug)]
pub(crate) struct Step {
    pub(crate) input: Value,
    /// The input as the corpus spells it, written back on record.
    pub(crate) input_raw: Box<RawValue>,
    /// The input on one line, for the JSON-lines protocol, when the corpus spells it on several.
    pub(crate) input_line: Option<Box<RawValue>>,
    pub(crate) expect: Expectations,
    pub(crate) expect_raw: Option<Box<RawValue>>,
    pub(crate) recorded: Option<Value>,
}

impl Step {
    /// The input as sent to a subject: the corpus's own text, unless that spans lines.
    pub(crate) fn wire_input(&self) -> &RawValue {
        self.input_line.as_deref().unwrap_or(&self.input_raw)
    }
}

#[derive(Debug)]
pub(crate) struct Scenario {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    /// What the subject is handed: the given seed, or a hash of the name.
    pub(crate) seed: u64,
    pub(crate) explicit_seed: Option<u64>,
    pub(crate) steps: Vec<Step>,
    pub(crate) shape: Shape,
    pub(crate) spelling: Spelling,
    /// 1-based line in its file.
    pub(crate) line: usize,
    /// The text it was read from, written back as it was while nothing of it changes.
    pub(crate) original: String,
}

#[derive(Debug)]
pub(crate) struct CorpusFile {
    pub(crate) path: PathBuf,
    pub(crate) format: Format,
    pub(crate) scenarios: Vec<Scenario>,
}

/// One step of one scenario of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct StepRef {
    pub(crate) file: usize,
    pub(crate) scenario: usize,
    pub(crate) step: usize,
}

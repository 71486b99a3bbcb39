//! Agreement counted per field over many comparisons, with a confidence interval, so "the new
//! path agrees 93 % on `selected_agent`" comes with how sure that is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Comparison, FieldResult};

/// Counts for one field path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldTally {
    #[serde(deserialize_with = "crate::count::whole")]
    pub compared: u64,
    #[serde(deserialize_with = "crate::count::whole")]
    pub agreed: u64,
    #[serde(deserialize_with = "crate::count::whole")]
    pub disagreed: u64,
    /// The new output lacked the field.
    #[serde(deserialize_with = "crate::count::whole")]
    pub missing: u64,
    /// The new output had a field the legacy one did not.
    #[serde(deserialize_with = "crate::count::whole")]
    pub extra: u64,
}

impl FieldTally {
    /// Agreed over compared; `None` before any comparison.
    pub fn ratio(&self) -> Option<f64> {
        (self.compared > 0).then(|| self.agreed as f64 / self.compared as f64)
    }

    /// The 95 % Wilson score interval of the agreement ratio: unlike the plain normal
    /// approximation it stays inside [0, 1] and is honest for small counts and ratios near 1.
    pub fn interval95(&self) -> Option<(f64, f64)> {
        let n = self.compared as f64;
        let p = self.ratio()?;
        let z = 1.959_963_984_540_054_f64;
        let z2 = z * z;
        let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
        let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
        Some(((centre - half).max(0.0), (centre + half).min(1.0)))
    }
}

/// Tallies by field path, over any number of comparisons.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub fields: BTreeMap<String, FieldTally>,
    /// Comparisons added, and how many agreed on every field.
    #[serde(deserialize_with = "crate::count::whole")]
    pub cases: u64,
    #[serde(deserialize_with = "crate::count::whole")]
    pub cases_agreed: u64,
}

impl Tally {
    pub fn add(&mut self, comparison: &Comparison) {
        self.cases += 1;
        if comparison.agreed() {
            self.cases_agreed += 1;
        }
        for field in &comparison.fields {
            let t = self.fields.entry(field.path.clone()).or_default();
            t.compared += 1;
            match field.result {
                FieldResult::Agreed => t.agreed += 1,
                FieldResult::Disagreed { .. } => t.disagreed += 1,
                FieldResult::Missing { .. } => t.missing += 1,
                FieldResult::Extra { .. } => t.extra += 1,
            }
        }
    }

    /// Adds another tally's counts (batches from several processes).
    pub fn merge(&mut self, other: &Tally) {
        self.cases += other.cases;
        self.cases_agreed += other.cases_agreed;
        for (path, o) in &other.fields {
            let t = self.fields.entry(path.clone()).or_default();
            t.compared += o.compared;
            t.agreed += o.agreed;
            t.disagreed += o.disagreed;
            t.missing += o.missing;
            t.extra += o.extra;
        }
    }
}

/// A mismatch kept for review: the field, both values, and the context that showed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MismatchSample {
    pub path: String,
    pub legacy: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
    pub context: Vec<(String, String)>,
}

/// What shadow runs of one flag found over a window: how often the new path ran, failed,
/// panicked or overran, the per-field tallies of the comparisons, and a few mismatches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShadowCounts {
    #[serde(deserialize_with = "crate::count::whole")]
    pub runs: u64,
    #[serde(deserialize_with = "crate::count::whole")]
    pub compared: u64,
    #[serde(deserialize_with = "crate::count::whole")]
    pub new_errors: u64,
    #[serde(deserialize_with = "crate::count::whole")]
    pub new_panics: u64,
    #[serde(deserialize_with = "crate::count::whole")]
    pub timeouts: u64,
    pub tally: Tally,
    pub mismatches: Vec<MismatchSample>,
    /// Mismatches seen beyond the kept sample.
    #[serde(deserialize_with = "crate::count::whole")]
    pub mismatches_dropped: u64,
}

impl ShadowCounts {
    /// Mismatches kept per flag and window.
    pub const SAMPLE: usize = 100;

    pub fn merge(&mut self, other: &ShadowCounts) {
        self.runs += other.runs;
        self.compared += other.compared;
        self.new_errors += other.new_errors;
        self.new_panics += other.new_panics;
        self.timeouts += other.timeouts;
        self.tally.merge(&other.tally);
        self.mismatches_dropped += other.mismatches_dropped;
        for m in &other.mismatches {
            if self.mismatches.len() < Self::SAMPLE {
                self.mismatches.push(m.clone());
            } else {
                self.mismatches_dropped += 1;
            }
        }
    }
}

//! The spec file of a corpus: how outputs compare field by field (cutover-core's
//! `ComparisonSpec`), the agreement thresholds and invariants of a cross-validation, and an
//! optional latency budget.
//!
//! ```json
//! {
//!   "fields": {"confidence": {"rule": "within", "eps": 0.05}, "trace_id": {"rule": "ignore"}},
//!   "thresholds": ["selected_agent >= 0.80", "routing_policy >= 0.90"],
//!   "invariants": ["when input.explicit_agent is set: legacy.selected_agent == new.selected_agent"],
//!   "budget": "p50=50ms,p95=100ms"
//! }
//! ```

pub(crate) mod invariant;
mod threshold;

use std::collections::BTreeMap;
use std::path::Path;

use cutover_core::{ComparisonSpec, FieldRule};
use serde::Deserialize;

pub use invariant::Invariant;
pub use threshold::Threshold;

use crate::budget::Budget;
use crate::error::GoldenError;

/// Thresholds as a list of `FIELD >= RATIO` or as `{FIELD: RATIO}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum ThresholdsDoc {
    List(Vec<String>),
    Map(BTreeMap<String, f64>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecDoc {
    #[serde(default)]
    #[allow(dead_code)] // for people reading the file
    description: Option<String>,
    #[serde(default)]
    fields: BTreeMap<String, FieldRule>,
    #[serde(default)]
    thresholds: Option<ThresholdsDoc>,
    #[serde(default)]
    invariants: Vec<String>,
    #[serde(default)]
    budget: Option<String>,
}

/// How a run judges outputs. The default compares every field exactly and sets no threshold,
/// invariant or budget.
#[derive(Debug, Clone, Default)]
pub struct GoldenSpec {
    pub(crate) comparison: ComparisonSpec,
    pub(crate) thresholds: Vec<Threshold>,
    pub(crate) invariants: Vec<Invariant>,
    pub(crate) budget: Option<Budget>,
}

impl GoldenSpec {
    pub fn load(path: &Path) -> Result<GoldenSpec, GoldenError> {
        let text = std::fs::read_to_string(path).map_err(|source| GoldenError::Read {
            path: path.to_owned(),
            source,
        })?;
        GoldenSpec::parse(&text, &path.display().to_string())
    }

    /// Parses a spec; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<GoldenSpec, GoldenError> {
        let invalid = |why: String| GoldenError::InvalidSpec {
            path: origin.to_owned(),
            why,
        };
        let doc: SpecDoc = serde_json::from_str(text).map_err(|e| {
            invalid(format!(
                "{e}; a spec has `fields` (rules by field path), `thresholds`, `invariants` and `budget`"
            ))
        })?;
        // Reports name the whole output `$`; cutover-core looks the root's rule up under "".
        let fields = doc
            .fields
            .into_iter()
            .map(|(path, rule)| (if path == "$" { String::new() } else { path }, rule))
            .collect();
        let comparison = ComparisonSpec { fields };
        comparison.validate().map_err(|e| invalid(e.to_string()))?;
        let thresholds = match doc.thresholds {
            None => Vec::new(),
            Some(ThresholdsDoc::List(list)) => list
                .iter()
                .map(|t| Threshold::parse(t))
                .collect::<Result<_, _>>()?,
            Some(ThresholdsDoc::Map(map)) => map
                .into_iter()
                .map(|(field, min)| Threshold::new(&field, min))
                .collect::<Result<_, _>>()?,
        };
        let invariants = doc
            .invariants
            .iter()
            .map(|i| Invariant::parse(i))
            .collect::<Result<_, _>>()?;
        let budget = doc.budget.map(|b| b.parse()).transpose()?;
        Ok(GoldenSpec {
            comparison,
            thresholds,
            invariants,
            budget,
        })
    }

    /// The field rules, as cutover-core applies them.
    pub fn comparison(&self) -> &ComparisonSpec {
        &self.comparison
    }

    /// Sets a threshold, replacing the spec's own for the same field (the command line wins).
    pub fn with_threshold(mut self, threshold: Threshold) -> GoldenSpec {
        self.thresholds.retain(|t| t.field != threshold.field);
        self.thresholds.push(threshold);
        self
    }

    pub fn with_invariant(mut self, invariant: Invariant) -> GoldenSpec {
        self.invariants.push(invariant);
        self
    }

    /// Sets the latency budget, replacing the spec's own.
    pub fn with_budget(mut self, budget: Budget) -> GoldenSpec {
        self.budget = Some(budget);
        self
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_spec_with_everything() {
        let spec = GoldenSpec::parse(
            r#"{
              "description": "routing",
              "fields": {"confidence": {"rule": "within", "eps": 0.05}},
              "thresholds": ["selected_agent >= 0.80", "routing_policy >= 90%"],
              "invariants": ["when input.explicit_agent is set: legacy.selected_agent == new.selected_agent"],
              "budget": "p50=50ms,p95=100ms"
            }"#,
            "spec.json",
        )
        .unwrap();
        assert_eq!(spec.thresholds.len(), 2);
        assert_eq!(spec.thresholds[1].min, 0.9);
        assert_eq!(spec.invariants.len(), 1);
        assert!(spec.budget.is_some());
        let spec = spec.with_threshold(Threshold::parse("routing_policy=0.5").unwrap());
        assert_eq!(spec.thresholds.len(), 2);
        assert_eq!(spec.thresholds[1].min, 0.5);
        let map = GoldenSpec::parse(r#"{"thresholds": {"a": 0.8}}"#, "s").unwrap();
        assert_eq!(map.thresholds[0].field, "a");
    }

    #[test]
    fn mistakes_name_the_file_and_the_value() {
        for (text, needle) in [
            (r#"{"field": {}}"#, "unknown field `field`"),
            (
                r#"{"fields": {"c": {"rule": "within", "eps": -1}}}"#,
                "tolerance -1",
            ),
            (
                r#"{"fields": {"c": {"rule": "close"}}}"#,
                "unknown variant `close`",
            ),
            (r#"{"thresholds": ["a > 0.8"]}"#, "invalid threshold"),
            (r#"{"thresholds": {"a": 1.5}}"#, "from 0 to 1"),
            (r#"{"invariants": ["a b"]}"#, "invalid invariant"),
            (r#"{"budget": "p50"}"#, "invalid budget"),
        ] {
            let err = GoldenSpec::parse(text, "spec.json")
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}

//! Comparing a legacy output with a new one, field by field, under a spec: the rule shadow runs
//! and the golden corpus share.
//!
//! A spec names a rule per field path (`result.items[].id`: object keys joined by `.`, `[]` for
//! every element of an array); fields it does not name are compared exactly. Numbers compare as
//! the exact decimals their JSON spells, never as rounded binary floats.

mod decimal;
pub(crate) mod tally;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use self::decimal::Decimal;
use crate::error::CoreError;

/// How one field is compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum FieldRule {
    /// Equal values (numbers: equal as decimals, so `1` equals `1.0`); objects and arrays are
    /// compared field by field and element by element.
    Exact,
    /// Numbers whose exact difference is at most `eps`: |legacy - new| <= eps.
    Within { eps: Number },
    /// Not compared at all (timestamps, trace ids).
    Ignore,
    /// Arrays holding the same elements, in any order (as multisets).
    Unordered,
    /// The new value holds everything the legacy one does: every element of a legacy array is
    /// in the new array; a legacy string is a substring of the new one.
    MustInclude,
}

/// Rules by field path.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComparisonSpec {
    #[serde(default)]
    pub fields: BTreeMap<String, FieldRule>,
}

/// What one field's comparison found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum FieldResult {
    Agreed,
    Disagreed {
        legacy: Value,
        new: Value,
    },
    /// The legacy output has the field, the new one does not.
    Missing {
        legacy: Value,
    },
    /// The new output has a field the legacy one does not.
    Extra {
        new: Value,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldOutcome {
    pub path: String,
    #[serde(flatten)]
    pub result: FieldResult,
}

/// Every compared field of one pair of outputs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Comparison {
    pub fields: Vec<FieldOutcome>,
}

impl Comparison {
    pub fn agreed(&self) -> bool {
        self.fields
            .iter()
            .all(|f| matches!(f.result, FieldResult::Agreed))
    }

    /// The fields that did not agree.
    pub fn mismatches(&self) -> impl Iterator<Item = &FieldOutcome> {
        self.fields
            .iter()
            .filter(|f| !matches!(f.result, FieldResult::Agreed))
    }
}

fn decimal(n: &Number) -> Option<Decimal> {
    Decimal::parse(&n.to_string())
}

fn numbers_equal(a: &Number, b: &Number) -> bool {
    match (decimal(a), decimal(b)) {
        (Some(x), Some(y)) => x.cmp_exact(y) == Some(std::cmp::Ordering::Equal),
        _ => a == b,
    }
}

/// Deep equality with decimal numbers.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers_equal(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Whether `within` holds every element of `of`, each matched at most once.
fn includes(within: &[Value], of: &[Value]) -> bool {
    let mut used = vec![false; within.len()];
    of.iter().all(|wanted| {
        let found = within
            .iter()
            .enumerate()
            .position(|(i, v)| !used[i] && same(v, wanted));
        if let Some(i) = found {
            used[i] = true;
        }
        found.is_some()
    })
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl ComparisonSpec {
    /// Checks every rule can be applied: tolerances are non-negative numbers held exactly.
    pub fn validate(&self) -> Result<(), CoreError> {
        for (path, rule) in &self.fields {
            if let FieldRule::Within { eps } = rule {
                let ok = decimal(eps).is_some_and(|d| !d.is_negative());
                if !ok {
                    return Err(CoreError::InvalidComparison {
                        path: path.clone(),
                        why: format!(
                            "tolerance {eps} is not a non-negative number with at most 30 decimals"
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    fn rule(&self, path: &str) -> &FieldRule {
        self.fields.get(path).unwrap_or(&FieldRule::Exact)
    }

    /// Compares two outputs field by field.
    pub fn compare(&self, legacy: &Value, new: &Value) -> Comparison {
        let mut out = Comparison::default();
        self.walk("", Some(legacy), Some(new), &mut out.fields);
        out
    }

    fn walk(&self, path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<FieldOutcome>) {
        let rule = self.rule(path);
        if *rule == FieldRule::Ignore {
            return;
        }
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => {
                out.push(outcome(path, FieldResult::Missing { legacy: a.clone() }));
                return;
            }
            (None, Some(b)) => {
                out.push(outcome(path, FieldResult::Extra { new: b.clone() }));
                return;
            }
            (None, None) => return,
        };
        let agreed = match (rule, a, b) {
            (FieldRule::Within { eps }, Value::Number(x), Value::Number(y)) => {
                match (decimal(x), decimal(y), decimal(eps)) {
                    (Some(x), Some(y), Some(eps)) => x
                        .abs_diff(y)
                        .and_then(|d| d.cmp_exact(eps))
                        .is_some_and(|o| o != std::cmp::Ordering::Greater),
                    _ => false,
                }
            }
            (FieldRule::Unordered, Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && includes(y, x)
            }
            (FieldRule::MustInclude, Value::Array(x), Value::Array(y)) => includes(y, x),
            (FieldRule::MustInclude, Value::String(x), Value::String(y)) => y.contains(x.as_str()),
            (FieldRule::Exact, Value::Object(x), Value::Object(y)) => {
                let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for key in keys {
                    self.walk(&child(path, key), x.get(key), y.get(key), out);
                }
                return;
            }
            (FieldRule::Exact, Value::Array(x), Value::Array(y)) => {
                let element = format!("{path}[]");
                for i in 0..x.len().max(y.len()) {
                    self.walk(&element, x.get(i), y.get(i), out);
                }
                return;
            }
            _ => same(a, b),
        };
        let result = if agreed {
            FieldResult::Agreed
        } else {
            FieldResult::Disagreed {
                legacy: a.clone(),
                new: b.clone(),
            }
        };
        out.push(outcome(path, result));
    }
}

fn outcome(path: &str, result: FieldResult) -> FieldOutcome {
    FieldOutcome {
        path: if path.is_empty() {
            "$".to_owned()
        } else {
            path.to_owned()
        },
        result,
    }
}

#[cfg(test)]
mod tests;

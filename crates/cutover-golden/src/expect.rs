//! Expectations of `test` mode: checks on fields of one output, written in the corpus as
//! `{"FIELD PATH": CHECKS}` (`{"choices": {"at_most": 5}, "scene_change": true}`).
//!
//! Equality, tolerance and inclusion go through the comparison spec of cutover-core, so `test`
//! and `verify` cannot disagree on what "equal" or "within 0.05" means.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use cutover_core::{ComparisonSpec, FieldRule};
use regex::Regex;
use serde::Serialize;
use serde_json::{Number, Value};

use crate::path::FieldPath;

/// The operators, with the camelCase spellings requirement-style scenario files use.
const OPERATORS: [(&str, &str); 9] = [
    ("equals", "equals"),
    ("must_include", "must_include"),
    ("mustInclude", "must_include"),
    ("at_most", "at_most"),
    ("atMost", "at_most"),
    ("at_least", "at_least"),
    ("atLeast", "at_least"),
    ("matches", "matches"),
    ("within", "within"),
];

/// Operators as the suffix of a field name, requirement 001's `choicesAtMost` form.
const SUFFIXES: [(&str, &str); 6] = [
    ("Equals", "equals"),
    ("MustInclude", "must_include"),
    ("AtMost", "at_most"),
    ("AtLeast", "at_least"),
    ("Matches", "matches"),
    ("Within", "within"),
];

fn operator(key: &str) -> Option<&'static str> {
    OPERATORS.iter().find(|(k, _)| *k == key).map(|(_, op)| *op)
}

#[derive(Debug, Clone)]
enum Op {
    Equals(Value),
    MustInclude(Vec<Value>),
    AtMost(Number),
    AtLeast(Number),
    Matches(Regex),
    Within {
        value: Value,
        eps: Number,
        spec: ComparisonSpec,
    },
}

#[derive(Debug, Clone)]
struct Check {
    path: FieldPath,
    op: Op,
}

/// The compiled checks of one step.
#[derive(Debug, Clone, Default)]
pub(crate) struct Expectations {
    checks: Vec<Check>,
}

/// One check that did not hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Unmet {
    pub(crate) path: String,
    pub(crate) check: String,
    pub(crate) actual: Option<Value>,
    pub(crate) why: String,
}

/// A root-only spec: cutover-core names the root path "" when it looks a rule up.
fn root_rule(rule: FieldRule) -> ComparisonSpec {
    ComparisonSpec {
        fields: BTreeMap::from([(String::new(), rule)]),
    }
}

fn number(v: &Value, op: &str) -> Result<Number, String> {
    match v {
        Value::Number(n) => Ok(n.clone()),
        other => Err(format!("`{op}` takes a number, not {other}")),
    }
}

impl Expectations {
    /// Compiles an `expect` object. Errors say which field and which operator were wrong.
    pub(crate) fn parse(expect: &Value) -> Result<Expectations, String> {
        let Value::Object(fields) = expect else {
            return Err(format!(
                "`expect` must be an object of field paths, such as {{\"selected_agent\": \"billing\"}}; found {expect}"
            ));
        };
        let mut checks = Vec::new();
        for (key, spec) in fields {
            // Requirement 001 writes checks straight under `expect`: an operator there checks
            // the whole output (`"mustInclude": [...]`), and `FIELD` + a camelCase operator
            // checks that field (`"choicesAtMost": 5`).
            let (path, ops) = match Self::shorthand(key) {
                Some((field, op)) => {
                    let path = FieldPath::parse(field).ok_or_else(|| {
                        format!("expect key {key:?}: {field:?} is not a field path")
                    })?;
                    let ops = Self::ops(&serde_json::json!({ op: spec }))
                        .map_err(|why| format!("expect {key:?}: {why}"))?;
                    (path, ops)
                }
                None => {
                    let path = FieldPath::parse(key).ok_or_else(|| {
                        format!("expect key {key:?} is not a field path such as `a.b.0` or `$`")
                    })?;
                    let ops = Self::ops(spec).map_err(|why| format!("expect {key:?}: {why}"))?;
                    (path, ops)
                }
            };
            checks.extend(ops.into_iter().map(|op| Check {
                path: path.clone(),
                op,
            }));
        }
        Ok(Expectations { checks })
    }

    /// A top-level key that is itself a check: an operator (on the whole output, `$`), or a
    /// field name followed by a camelCase operator (`choicesAtMost`: `at_most` on `choices`).
    fn shorthand(key: &str) -> Option<(&str, &'static str)> {
        if let Some(op) = operator(key) {
            return Some(("$", op));
        }
        SUFFIXES.iter().find_map(|(suffix, op)| {
            let field = key.strip_suffix(suffix)?;
            let starts_lower = field.chars().next().is_some_and(char::is_lowercase);
            starts_lower.then_some((field, *op))
        })
    }

    /// An object whose keys are all operators is a set of checks; anything else is the value
    /// the field must equal.
    fn ops(spec: &Value) -> Result<Vec<Op>, String> {
        let Value::Object(map) = spec else {
            return Ok(vec![Op::Equals(spec.clone())]);
        };
        if map.is_empty() || !map.keys().all(|k| operator(k).is_some()) {
            return Ok(vec![Op::Equals(spec.clone())]);
        }
        let mut ops = Vec::new();
        for (key, arg) in map {
            let op = match operator(key).unwrap_or_default() {
                "equals" => Op::Equals(arg.clone()),
                "must_include" => Op::MustInclude(match arg {
                    Value::Array(items) => items.clone(),
                    one => vec![one.clone()],
                }),
                "at_most" => Op::AtMost(number(arg, key)?),
                "at_least" => Op::AtLeast(number(arg, key)?),
                "matches" => {
                    let Value::String(pattern) = arg else {
                        return Err(format!(
                            "`matches` takes a regular expression string, not {arg}"
                        ));
                    };
                    Op::Matches(Regex::new(pattern).map_err(|e| {
                        format!(
                            "`matches` pattern {pattern:?} is not a valid regular expression: {e}"
                        )
                    })?)
                }
                _ => {
                    let (Some(value), Some(Value::Number(eps)), 2) = (
                        arg.get("value"),
                        arg.get("eps"),
                        arg.as_object().map_or(0, |m| m.len()),
                    ) else {
                        return Err(format!(
                            "`within` takes {{\"value\": NUMBER, \"eps\": NUMBER}}, not {arg}"
                        ));
                    };
                    let spec = root_rule(FieldRule::Within { eps: eps.clone() });
                    spec.validate().map_err(|e| format!("`within`: {e}"))?;
                    Op::Within {
                        value: value.clone(),
                        eps: eps.clone(),
                        spec,
                    }
                }
            };
            ops.push(op);
        }
        Ok(ops)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.checks.len()
    }

    /// The checks `output` does not meet, in the order they were written.
    pub(crate) fn unmet(&self, output: &Value) -> Vec<Unmet> {
        self.checks
            .iter()
            .filter_map(|check| {
                let actual = check.path.find(output);
                let why = match actual {
                    None => Some("the field is missing".to_owned()),
                    Some(actual) => check.op.fails(actual),
                }?;
                Some(Unmet {
                    path: check.path.as_str().to_owned(),
                    check: check.op.describe(),
                    actual: actual.cloned(),
                    why,
                })
            })
            .collect()
    }
}

/// Numbers in order, exactly: integers as integers, anything else as the binary value serde_json
/// parsed (both sides were parsed the same way, so their order is the order of the decimals).
fn order(a: &Number, b: &Number) -> Ordering {
    let int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (int(a), int(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => {
            let (x, y) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
    }
}

/// Whether `needle` occurs anywhere inside `value`: in a string (as a substring, the comparison
/// spec's `must_include`) or as an equal element or field value, at any depth. What
/// `must_include` means for a whole object, such as a turn's output checked for the words it
/// must mention.
fn mentions(value: &Value, needle: &Value, includes: &ComparisonSpec) -> bool {
    let exact = ComparisonSpec::default();
    match value {
        Value::String(_) => needle.is_string() && includes.compare(needle, value).agreed(),
        Value::Array(items) => items
            .iter()
            .any(|item| exact.compare(needle, item).agreed() || mentions(item, needle, includes)),
        Value::Object(fields) => fields.values().any(|field| {
            exact.compare(needle, field).agreed() || mentions(field, needle, includes)
        }),
        _ => exact.compare(needle, value).agreed(),
    }
}

/// What `at_most` and `at_least` measure: a number itself, the length of an array or a string.
fn measure(v: &Value) -> Option<Number> {
    match v {
        Value::Number(n) => Some(n.clone()),
        Value::Array(items) => Some(Number::from(items.len())),
        Value::String(s) => Some(Number::from(s.chars().count())),
        _ => None,
    }
}

impl Op {
    fn describe(&self) -> String {
        match self {
            Op::Equals(v) => format!("equals {v}"),
            Op::MustInclude(items) => format!("must_include {}", Value::Array(items.clone())),
            Op::AtMost(n) => format!("at_most {n}"),
            Op::AtLeast(n) => format!("at_least {n}"),
            Op::Matches(re) => format!("matches {:?}", re.as_str()),
            Op::Within { value, eps, .. } => format!("within {eps} of {value}"),
        }
    }

    /// Why `actual` fails this check; `None` when it holds.
    fn fails(&self, actual: &Value) -> Option<String> {
        let exact = ComparisonSpec::default();
        match self {
            Op::Equals(want) => {
                (!exact.compare(want, actual).agreed()).then(|| "not equal".to_owned())
            }
            Op::Within { value, spec, .. } => (!spec.compare(value, actual).agreed())
                .then(|| "not a number within the tolerance".to_owned()),
            Op::MustInclude(needles) => {
                let includes = root_rule(FieldRule::MustInclude);
                let missing: Vec<&Value> = match actual {
                    Value::String(_) => needles
                        .iter()
                        .filter(|n| !includes.compare(n, actual).agreed())
                        .collect(),
                    Value::Array(_) => {
                        let all = Value::Array(needles.clone());
                        if includes.compare(&all, actual).agreed() {
                            Vec::new()
                        } else {
                            // Name the needles that are absent; when each is present but one is
                            // wanted more often than it occurs, name them all.
                            let absent: Vec<&Value> = needles
                                .iter()
                                .filter(|n| {
                                    let one = Value::Array(vec![(*n).clone()]);
                                    !includes.compare(&one, actual).agreed()
                                })
                                .collect();
                            if absent.is_empty() {
                                needles.iter().collect()
                            } else {
                                absent
                            }
                        }
                    }
                    Value::Object(_) => needles
                        .iter()
                        .filter(|n| !mentions(actual, n, &includes))
                        .collect(),
                    _ => {
                        return Some(
                            "must_include applies to a string, an array or an object".to_owned(),
                        );
                    }
                };
                (!missing.is_empty()).then(|| {
                    let list: Vec<String> = missing.iter().map(ToString::to_string).collect();
                    format!("does not include {}", list.join(", "))
                })
            }
            Op::AtMost(limit) | Op::AtLeast(limit) => {
                let Some(measured) = measure(actual) else {
                    return Some(
                        "applies to a number, an array (its length) or a string (its length)"
                            .to_owned(),
                    );
                };
                let o = order(&measured, limit);
                let ok = match self {
                    Op::AtMost(_) => o != Ordering::Greater,
                    _ => o != Ordering::Less,
                };
                (!ok).then(|| match actual {
                    Value::Number(_) => format!("is {measured}"),
                    _ => format!("has length {measured}"),
                })
            }
            Op::Matches(re) => match actual {
                Value::String(s) => (!re.is_match(s)).then(|| "does not match".to_owned()),
                _ => Some("matches applies to a string".to_owned()),
            },
        }
    }
}

#[cfg(test)]
mod tests;

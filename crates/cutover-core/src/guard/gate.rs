//! Gates: the conditions a guarded rollout checks, written as short expressions a person reads
//! and the config file holds:
//!
//! - `new.error_rate <= legacy.error_rate` (also `fallback_rate`, `retry_rate`, and
//!   `COUNTER_rate` for any counter the service records, like `invalid_json_rate`), with a margin
//!   `* 1.5` or `+ 2pp`, or against a fixed rate: `new.error_rate <= 2%` (or `0.02`);
//! - `new.p95 <= 100ms` (also `p50`, `p99`), or against the legacy arm:
//!   `new.p95 <= legacy.p95 * 1.2`, `new.p99 <= legacy.p99 + 20ms`;
//! - `baseline.` instead of `legacy.` compares with the legacy arm's figures from before the
//!   rollout (`new.error_rate <= baseline.error_rate * 1.2`);
//! - `agreement(selected_agent) >= 0.80`: shadow comparisons of that field;
//! - `golden`: every golden-corpus verdict recorded against the flag passed (there is one);
//! - `verdict(NAME)`: the named verdict (a CI job, a sign-off, a corpus run) passed and is still
//!   valid; `verdicts(all)`: every verdict the flag holds did.
//!
//! A plan holds each gate with its severity (`warning: new.p95 <= 200ms`): see `gate_expr.rs`.

use std::str::FromStr;

use crate::error::CoreError;
use crate::verdict::VerdictName;

/// A rate an arm reports: events over calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateMetric {
    Error,
    Fallback,
    Retry,
    /// A counter the service named itself (`invalid_json` is read as `new.invalid_json_rate`).
    Custom(String),
}

impl RateMetric {
    /// The name a gate writes: `error_rate`, `invalid_json_rate`.
    pub fn name(&self) -> String {
        match self {
            RateMetric::Error => "error_rate".into(),
            RateMetric::Fallback => "fallback_rate".into(),
            RateMetric::Retry => "retry_rate".into(),
            RateMetric::Custom(counter) => format!("{counter}_rate"),
        }
    }
}

/// Whether `name` may name a custom counter: 1 to 64 of a-z, 0-9 and '_', starting with a
/// letter (it becomes part of a gate expression and a JSON key).
pub fn is_counter_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A latency quantile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantile {
    P50,
    P95,
    P99,
}

impl Quantile {
    pub fn name(self) -> &'static str {
        match self {
            Quantile::P50 => "p50",
            Quantile::P95 => "p95",
            Quantile::P99 => "p99",
        }
    }

    pub fn q(self) -> f64 {
        match self {
            Quantile::P50 => 0.50,
            Quantile::P95 => 0.95,
            Quantile::P99 => 0.99,
        }
    }
}

/// What the new arm's figure must stay under.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// A fixed value: a rate (0..1) or a latency in microseconds.
    Fixed(f64),
    /// The legacy arm's figure times `times`, plus `plus` (a rate, or microseconds).
    Legacy { times: f64, plus: f64 },
    /// The same, of the legacy arm's figures recorded before the rollout started (its
    /// baseline window), when the flag was at 0 % and all traffic took the legacy path.
    Baseline { times: f64, plus: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Gate {
    Rate { metric: RateMetric, bound: Bound },
    Latency { quantile: Quantile, bound: Bound },
    Agreement { field: String, min: f64 },
    Golden,
    Verdict(VerdictName),
    AllVerdicts,
}

impl Gate {
    /// What a person should look at when this gate breaks (the remediation lists of
    /// requirement 001, generalised).
    pub fn suggested_action(&self) -> String {
        match self {
            Gate::Rate {
                metric: RateMetric::Error,
                ..
            } => "High error rate: read the new path's errors and logs, check the health of \
                  its dependencies, keep the rollout reduced until fixed"
                .into(),
            Gate::Rate {
                metric: RateMetric::Retry,
                ..
            } => "High retry rate: review validator rules, check the new path's output quality, \
                  adjust model temperature"
                .into(),
            Gate::Rate {
                metric: RateMetric::Fallback,
                ..
            } => "High fallback rate: investigate validation failures, check the new path's \
                  health, reduce the rollout"
                .into(),
            Gate::Rate {
                metric: RateMetric::Custom(counter),
                ..
            } => format!(
                "High {counter} rate: look at the new path's calls that counted {counter}, \
                 keep the rollout reduced until fixed"
            ),
            Gate::Latency { .. } => "High latency: investigate the new path's dependencies (model \
                 provider, bundle size), check resource limits, reduce the rollout"
                .into(),
            Gate::Agreement { field, .. } => format!(
                "Low agreement on {field}: review the mismatch samples \
                 (GET /api/v1/flags/KEY/shadow) before resuming"
            ),
            Gate::Golden => "Golden corpus failing: run `cutover golden compare` and fix the \
                 divergent cases before resuming"
                .into(),
            Gate::Verdict(name) => format!(
                "Verdict {name} is not green: look at its evidence (`cutover verdict list KEY`), \
                 fix and record it again before resuming"
            ),
            Gate::AllVerdicts => "A verdict is not green: `cutover verdict list KEY` shows which; \
                 fix and record it again before resuming"
                .into(),
        }
    }
}

/// The gate every plan has when it names none: the new arm fails no more often than legacy.
pub const DEFAULT_GATE: &str = "new.error_rate <= legacy.error_rate";

fn invalid(text: &str, why: impl Into<String>) -> CoreError {
    CoreError::InvalidGate {
        text: text.to_owned(),
        why: why.into(),
    }
}

/// `2%`, `0.02`, `2pp` (percentage points) as a rate.
fn parse_rate(text: &str, whole: &str) -> Result<f64, CoreError> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("pp") {
        (n, 0.01)
    } else if let Some(n) = t.strip_suffix('%') {
        (n, 0.01)
    } else {
        (t, 1.0)
    };
    let v: f64 = number.trim().parse().map_err(|_| {
        invalid(
            whole,
            format!("{t:?} is not a rate such as 2%, 2pp or 0.02"),
        )
    })?;
    let v = v * scale;
    if !(0.0..=1.0).contains(&v) {
        return Err(invalid(
            whole,
            format!("{t:?} is not a rate between 0 and 1"),
        ));
    }
    Ok(v)
}

/// `100ms`, `1.5s`, `250us` as microseconds.
fn parse_latency(text: &str, whole: &str) -> Result<f64, CoreError> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1_000.0)
    } else if let Some(n) = t.strip_suffix("us").or_else(|| t.strip_suffix("µs")) {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1_000_000.0)
    } else {
        return Err(invalid(
            whole,
            format!("{t:?} has no unit; a latency is written like 100ms, 1.5s or 250us"),
        ));
    };
    let v: f64 = number
        .trim()
        .parse()
        .map_err(|_| invalid(whole, format!("{t:?} is not a latency such as 100ms")))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(invalid(
            whole,
            format!("{t:?} is not a latency such as 100ms"),
        ));
    }
    Ok(v * scale)
}

fn parse_factor(text: &str, whole: &str) -> Result<f64, CoreError> {
    let v: f64 = text.trim().parse().map_err(|_| {
        invalid(
            whole,
            format!("{:?} is not a factor such as 1.2", text.trim()),
        )
    })?;
    if !(v.is_finite() && v > 0.0) {
        return Err(invalid(whole, format!("factor {v} must be above 0")));
    }
    Ok(v)
}

/// The right-hand side: a fixed value, or `legacy.NAME` / `baseline.NAME` with an optional
/// `* F` or `+ X`.
fn parse_bound(
    rhs: &str,
    name: &str,
    whole: &str,
    value: fn(&str, &str) -> Result<f64, CoreError>,
) -> Result<Bound, CoreError> {
    let rhs = rhs.trim();
    let (source, rest) = if let Some(rest) = rhs.strip_prefix("legacy.") {
        ("legacy", rest)
    } else if let Some(rest) = rhs.strip_prefix("baseline.") {
        ("baseline", rest)
    } else {
        return Ok(Bound::Fixed(value(rhs, whole)?));
    };
    let (metric, margin) = match rest.find(['*', '+']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if metric.trim() != name {
        return Err(invalid(
            whole,
            format!(
                "the new arm's {name} can only be compared with {source}.{name}, not \
                 {source}.{}",
                metric.trim()
            ),
        ));
    }
    let margin = margin.trim();
    let (times, plus) = if let Some(f) = margin.strip_prefix('*') {
        (parse_factor(f, whole)?, 0.0)
    } else if let Some(p) = margin.strip_prefix('+') {
        (1.0, value(p, whole)?)
    } else {
        (1.0, 0.0)
    };
    Ok(if source == "legacy" {
        Bound::Legacy { times, plus }
    } else {
        Bound::Baseline { times, plus }
    })
}

impl Gate {
    /// Whether the gate reads the legacy arm's figures from before the rollout.
    pub fn uses_baseline(&self) -> bool {
        matches!(
            self,
            Gate::Rate {
                bound: Bound::Baseline { .. },
                ..
            } | Gate::Latency {
                bound: Bound::Baseline { .. },
                ..
            }
        )
    }
}

impl Gate {
    /// Whether the gate reads a recorded outcome (verdicts) rather than the arms' figures: no
    /// statistical test, no share of the false-failure bound.
    pub fn is_outcome(&self) -> bool {
        matches!(self, Gate::Golden | Gate::Verdict(_) | Gate::AllVerdicts)
    }
}

impl FromStr for Gate {
    type Err = CoreError;

    fn from_str(text: &str) -> Result<Gate, CoreError> {
        let t = text.trim();
        if t == "golden" {
            return Ok(Gate::Golden);
        }
        if let Some(rest) = t.strip_prefix("verdicts(") {
            return match rest.strip_suffix(')').map(str::trim) {
                Some("all") => Ok(Gate::AllVerdicts),
                _ => Err(invalid(text, "expected verdicts(all)")),
            };
        }
        if let Some(rest) = t.strip_prefix("verdict(") {
            let name = rest
                .strip_suffix(')')
                .ok_or_else(|| invalid(text, "expected verdict(NAME)"))?;
            let name = VerdictName::new(name.trim()).map_err(|e| invalid(text, e.to_string()))?;
            return Ok(Gate::Verdict(name));
        }
        if let Some(rest) = t.strip_prefix("agreement(") {
            let (field, rest) = rest
                .split_once(')')
                .ok_or_else(|| invalid(text, "expected agreement(FIELD) >= RATIO"))?;
            let min = rest
                .trim()
                .strip_prefix(">=")
                .ok_or_else(|| invalid(text, "expected agreement(FIELD) >= RATIO"))?;
            let min = parse_rate(min, text)?;
            if field.trim().is_empty() {
                return Err(invalid(text, "agreement() needs a field path"));
            }
            return Ok(Gate::Agreement {
                field: field.trim().to_owned(),
                min,
            });
        }
        let (lhs, rhs) = t.split_once("<=").ok_or_else(|| {
            invalid(
                text,
                "expected 'new.METRIC <= BOUND', 'agreement(FIELD) >= RATIO' or 'golden'",
            )
        })?;
        let metric = lhs
            .trim()
            .strip_prefix("new.")
            .ok_or_else(|| invalid(text, "a gate bounds the new arm: start with new."))?;
        let rate = match metric {
            "error_rate" => Some(RateMetric::Error),
            "fallback_rate" => Some(RateMetric::Fallback),
            "retry_rate" => Some(RateMetric::Retry),
            other => other
                .strip_suffix("_rate")
                .filter(|c| is_counter_name(c))
                .map(|c| RateMetric::Custom(c.to_owned())),
        };
        if let Some(metric) = rate {
            let bound = parse_bound(rhs, &metric.name(), text, parse_rate)?;
            return Ok(Gate::Rate { metric, bound });
        }
        let quantile = match metric {
            "p50" => Quantile::P50,
            "p95" => Quantile::P95,
            "p99" => Quantile::P99,
            other => {
                return Err(invalid(
                    text,
                    format!(
                        "unknown metric {other:?}; accepted: error_rate, fallback_rate, \
                         retry_rate, COUNTER_rate (a custom counter), p50, p95, p99"
                    ),
                ));
            }
        };
        Ok(Gate::Latency {
            quantile,
            bound: parse_bound(rhs, quantile.name(), text, parse_latency)?,
        })
    }
}

/// The built-in rate metric a custom counter's name is a near miss of (at most two letters
/// added, dropped or changed: `eror` for `error`), if any.
pub(crate) fn closest_builtin(counter: &str) -> Option<&'static str> {
    [
        ("error", "error_rate"),
        ("fallback", "fallback_rate"),
        ("retry", "retry_rate"),
    ]
    .into_iter()
    .map(|(name, metric)| (edit_distance(counter, name), metric))
    .filter(|(distance, _)| *distance <= 2)
    .min_by_key(|(distance, _)| *distance)
    .map(|(_, metric)| metric)
}

/// Levenshtein distance over bytes (counter names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_forms_parse() {
        let cases = [
            (
                "new.error_rate <= legacy.error_rate + 2pp",
                Gate::Rate {
                    metric: RateMetric::Error,
                    bound: Bound::Legacy {
                        times: 1.0,
                        plus: 0.02,
                    },
                },
            ),
            (
                "new.retry_rate <= 5%",
                Gate::Rate {
                    metric: RateMetric::Retry,
                    bound: Bound::Fixed(0.05),
                },
            ),
            (
                "new.p95 <= 100ms",
                Gate::Latency {
                    quantile: Quantile::P95,
                    bound: Bound::Fixed(100_000.0),
                },
            ),
            (
                "new.p95 <= legacy.p95 * 1.2",
                Gate::Latency {
                    quantile: Quantile::P95,
                    bound: Bound::Legacy {
                        times: 1.2,
                        plus: 0.0,
                    },
                },
            ),
            (
                "agreement(selected_agent) >= 0.80",
                Gate::Agreement {
                    field: "selected_agent".into(),
                    min: 0.8,
                },
            ),
            ("golden", Gate::Golden),
            (
                "new.invalid_json_rate <= legacy.invalid_json_rate + 1pp",
                Gate::Rate {
                    metric: RateMetric::Custom("invalid_json".into()),
                    bound: Bound::Legacy {
                        times: 1.0,
                        plus: 0.01,
                    },
                },
            ),
            (
                "new.error_rate <= baseline.error_rate * 1.2",
                Gate::Rate {
                    metric: RateMetric::Error,
                    bound: Bound::Baseline {
                        times: 1.2,
                        plus: 0.0,
                    },
                },
            ),
        ];
        for (text, gate) in cases {
            assert_eq!(text.parse::<Gate>().unwrap(), gate, "{text}");
        }
    }

    #[test]
    fn bad_gates_say_what_is_accepted() {
        for (text, hint) in [
            ("new.error_rate >= 1%", "expected"),
            ("legacy.error_rate <= 1%", "start with new."),
            ("new.p97 <= 100ms", "accepted: error_rate"),
            ("new.p95 <= 100", "no unit"),
            ("new.error_rate <= 150%", "between 0 and 1"),
            ("new.p95 <= legacy.p99 * 1.2", "legacy.p95"),
            ("new.p95 <= legacy.p95 * -1", "above 0"),
            ("agreement() >= 0.8", "field path"),
        ] {
            let err = text.parse::<Gate>().unwrap_err().to_string();
            assert!(err.contains(hint), "{text}: {err}");
            assert!(err.contains(text), "{text}: {err}");
        }
    }
}

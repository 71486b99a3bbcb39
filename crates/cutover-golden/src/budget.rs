//! Subject latency per case: the quantiles a report shows, and the budget a run can be held to
//! (`p50=50ms,p95=100ms`, requirement 000's gate: p50 under 50 ms, p95 under 100 ms).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::GoldenError;
// Budgets and timeouts read durations in the core's one grammar (`250ms`, `1.5s`, `500us`).
use cutover_core::duration::parse_duration;

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A quantile by its percent, `max` being 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantile(u8);

impl fmt::Display for Quantile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 100 {
            f.write_str("max")
        } else {
            write!(f, "p{}", self.0)
        }
    }
}

/// Nearest-rank quantile of sorted samples: the smallest sample with at least `q` % of the
/// samples at or below it. `None` without samples.
fn quantile(sorted: &[Duration], q: Quantile) -> Option<Duration> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (usize::from(q.0) * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Latency quantiles of one subject over the cases it answered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencyStats {
    pub samples: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Samples sorted once, for the stats and the budget.
#[derive(Debug, Clone, Default)]
pub(crate) struct Latencies {
    sorted: Vec<Duration>,
}

impl Latencies {
    pub(crate) fn new(mut samples: Vec<Duration>) -> Latencies {
        samples.sort_unstable();
        Latencies { sorted: samples }
    }

    pub(crate) fn at(&self, q: Quantile) -> Option<Duration> {
        quantile(&self.sorted, q)
    }

    pub(crate) fn stats(&self) -> Option<LatencyStats> {
        let ms = |p| self.at(Quantile(p)).map_or(0.0, millis);
        (!self.sorted.is_empty()).then(|| LatencyStats {
            samples: self.sorted.len() as u64,
            p50_ms: ms(50),
            p95_ms: ms(95),
            p99_ms: ms(99),
            max_ms: ms(100),
        })
    }
}

/// Latency limits; each quantile must come in strictly under its limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    text: String,
    limits: Vec<(Quantile, Duration)>,
}

impl FromStr for Budget {
    type Err = GoldenError;

    fn from_str(text: &str) -> Result<Budget, GoldenError> {
        let bad = |why: String| GoldenError::InvalidBudget {
            text: text.to_owned(),
            why,
        };
        let mut limits = Vec::new();
        for part in text.split(',').map(str::trim) {
            let (q, limit) = part
                .split_once('=')
                .ok_or_else(|| bad(format!("{part:?} is not QUANTILE=DURATION")))?;
            let q = match q.trim() {
                "max" => Quantile(100),
                other => other
                    .strip_prefix('p')
                    .and_then(|p| p.parse::<u8>().ok())
                    .filter(|p| (1..=99).contains(p))
                    .map(Quantile)
                    .ok_or_else(|| bad(format!("unknown quantile {other:?}")))?,
            };
            let limit = parse_duration(limit).map_err(|e| bad(e.to_string()))?;
            if limits.iter().any(|(seen, _)| *seen == q) {
                return Err(bad(format!("{q} is given twice")));
            }
            limits.push((q, limit));
        }
        Ok(Budget {
            text: text.to_owned(),
            limits,
        })
    }
}

/// One limit of a budget against what was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitCheck {
    pub quantile: String,
    pub limit_ms: f64,
    /// `None` when the subject answered no case.
    pub measured_ms: Option<f64>,
    pub passed: bool,
}

/// A budget held against one subject's latencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetCheck {
    pub budget: String,
    /// Which subject it was held against (`subject`, or `new` in a comparison).
    pub subject: String,
    pub limits: Vec<LimitCheck>,
    pub passed: bool,
}

impl Budget {
    pub(crate) fn check(&self, subject: &str, latencies: &Latencies) -> BudgetCheck {
        let limits: Vec<LimitCheck> = self
            .limits
            .iter()
            .map(|(q, limit)| {
                let measured = latencies.at(*q);
                LimitCheck {
                    quantile: q.to_string(),
                    limit_ms: millis(*limit),
                    measured_ms: measured.map(millis),
                    passed: measured.is_some_and(|m| m < *limit),
                }
            })
            .collect();
        BudgetCheck {
            budget: self.text.clone(),
            subject: subject.to_owned(),
            passed: limits.iter().all(|l| l.passed),
            limits,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms").unwrap(), ms(250));
        assert_eq!(parse_duration("1.5s").unwrap(), ms(1500));
        assert_eq!(parse_duration("500us").unwrap(), Duration::from_micros(500));
        for bad in ["", "10", "ms", "10 min", "-1s", "1e3ms"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nearest_rank_quantiles() {
        let l = Latencies::new((1..=100).rev().map(ms).collect());
        assert_eq!(l.at(Quantile(50)), Some(ms(50)));
        assert_eq!(l.at(Quantile(95)), Some(ms(95)));
        assert_eq!(l.at(Quantile(100)), Some(ms(100)));
        let one = Latencies::new(vec![ms(7)]);
        assert_eq!(one.at(Quantile(1)), Some(ms(7)));
        assert_eq!(Latencies::default().stats(), None);
    }

    #[test]
    fn budgets_are_strict_upper_limits() {
        let b: Budget = "p50=50ms, p95=100ms".parse().unwrap();
        let l = Latencies::new((1..=100).map(ms).collect());
        let c = b.check("new", &l);
        assert!(!c.limits[0].passed, "p50 = 50 ms is not under 50 ms");
        assert!(c.limits[1].passed);
        assert!(!c.passed);
        let none = b.check("new", &Latencies::default());
        assert!(!none.passed, "no answers cannot meet a budget");
        for (bad, needle) in [
            ("p50", "not QUANTILE=DURATION"),
            ("p0=1ms", "unknown quantile"),
            ("p100=1ms", "unknown quantile"),
            ("p50=fast", "invalid duration"),
            ("p50=1ms,p50=2ms", "given twice"),
        ] {
            let err = bad.parse::<Budget>().unwrap_err().to_string();
            assert!(err.contains(needle), "{bad}: {err}");
        }
        assert!("max=1s".parse::<Budget>().is_ok());
    }
}

//! Judging a rollout's gates from its figures: one verdict per gate with the numbers behind it,
//! and the verdict of the step, which only critical gates decide. The server's guard loop,
//! `cutover slo status` and the simulator all call [`assess`]. The statistics are in
//! `docs/guard.md`.

use serde::{Deserialize, Serialize};

use super::decide::Verdict;
use super::gate::{Bound, DEFAULT_GATE, Gate, RateMetric};
use super::gate_expr::{GateExpr, Severity};
use super::rate::{ArmEvents, RATIOS, add_logs, bernoulli_log_lrs, log_mixture, share_log_lrs};
use crate::arm_metrics::{ArmCounts, bucket_floor};
use crate::compare::tally::ShadowCounts;
use crate::verdict::{Standing, VerdictSource, Verdicts, standing_of, standing_of_all};
use jiff::Timestamp;

/// What both arms did during one step of constant exposure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepFigures {
    pub legacy: ArmCounts,
    pub new: ArmCounts,
    #[serde(default)]
    pub shadow: ShadowCounts,
}

/// The unit of a gate's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A share, 0 to 1.
    Ratio,
    Microseconds,
    /// Passed (1) or failed (0).
    Outcome,
}

/// One gate's verdict with its numbers, as the guard records and alerts them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateReading {
    /// The gate's condition, without its severity label.
    pub gate: String,
    /// Whether a failure acts (critical) or only alerts (warning). Records written before
    /// severities existed read as critical, which is what every gate then was.
    #[serde(default)]
    pub severity: Severity,
    pub verdict: Verdict,
    pub unit: Unit,
    /// The new arm's figure in the current step.
    pub new: Option<f64>,
    /// The legacy arm's figure in the current step, when the gate compares with it.
    pub legacy: Option<f64>,
    /// The bound the new arm's figure must stay under (over, for agreement).
    pub threshold: Option<f64>,
    /// Observations of the new arm in the current step (calls, timed calls or comparisons).
    pub samples: u64,
    pub legacy_samples: u64,
    /// log of the sequential statistic over the rollout so far; the gate fails at `fail_at`.
    pub log_statistic: f64,
    pub fail_at: f64,
    /// What to look at if this gate breaks.
    pub suggested_action: String,
}

impl GateReading {
    /// One line with the numbers: `new.error_rate <= legacy.error_rate: fail (new 5.00 %, ...)`,
    /// the condition after `warning: ` for a warning gate.
    pub fn summary(&self) -> String {
        let show = |v: Option<f64>| match (v, self.unit) {
            (None, _) => "-".to_owned(),
            (Some(v), Unit::Ratio) => format!("{:.2} %", v * 100.0),
            (Some(v), Unit::Microseconds) => format!("{:.1} ms", v / 1000.0),
            (Some(v), Unit::Outcome) => (if v >= 1.0 { "passed" } else { "failed" }).to_owned(),
        };
        let verdict = match self.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
        };
        let label = match self.severity {
            Severity::Critical => "",
            Severity::Warning => "warning: ",
        };
        format!(
            "{label}{}: {verdict} (new {} over {} samples, legacy {} over {}, threshold {}, \
             evidence {:.2} of {:.2})",
            self.gate,
            show(self.new),
            self.samples,
            show(self.legacy),
            self.legacy_samples,
            show(self.threshold),
            self.log_statistic,
            self.fail_at,
        )
    }
}

/// The step's verdict, which only critical gates decide: it fails if any critical gate fails,
/// passes when every critical gate passes. Warning gates are judged and kept in `gates` with
/// their verdicts, so the guard can alert on them, but a failing or undecided warning gate
/// never holds a step back nor moves the flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub verdict: Verdict,
    pub gates: Vec<GateReading>,
}

impl Assessment {
    /// The verdict with the numbers of the critical gates that decided it, for audit reasons
    /// and alerts.
    pub fn summary(&self) -> String {
        let deciding: Vec<String> = self
            .gates
            .iter()
            .filter(|g| g.severity == Severity::Critical)
            .filter(|g| g.verdict == self.verdict || self.verdict == Verdict::Pass)
            .map(GateReading::summary)
            .collect();
        deciding.join("; ")
    }

    /// The warning gates that fail: each is worth an alert, none moves the flag.
    pub fn breached_warnings(&self) -> impl Iterator<Item = &GateReading> {
        self.gates
            .iter()
            .filter(|g| g.severity == Severity::Warning && g.verdict == Verdict::Fail)
    }
}

/// What a gate needs besides the arms' figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judging<'a> {
    /// Calls (or comparisons) the current step needs per arm before a gate may pass.
    pub min_samples: u64,
    /// The current step sends everyone to `new`: there is no legacy arm to wait for.
    pub full_exposure: bool,
    /// The bound on a false failure over the whole rollout, shared by the statistical gates.
    pub alpha: f64,
    /// The flag's named verdicts, which `golden`, `verdict(NAME)` and `verdicts(all)` read,
    /// and the instant they are read at (a verdict may have expired).
    pub verdicts: &'a Verdicts,
    pub now: Timestamp,
    /// The legacy arm's figures over the plan's baseline window before the rollout started,
    /// for `baseline.` gates.
    pub baseline: Option<&'a ArmCounts>,
}

/// Judges every gate over `steps`: the figures of each step since the rollout started (or was
/// last resumed), oldest first, the last being the current step.
pub fn assess(gates: &[GateExpr], steps: &[StepFigures], judging: Judging<'_>) -> Assessment {
    let mut judged: Vec<(Gate, &str, Severity)> = gates
        .iter()
        .map(|g| (g.gate(), g.condition(), g.severity()))
        .collect();
    // A plan naming no gate, or only warnings, is still guarded: the default gate acts for it.
    if !judged.iter().any(|(_, _, s)| *s == Severity::Critical) {
        let default = DEFAULT_GATE.parse().unwrap_or(Gate::Golden);
        judged.insert(0, (default, DEFAULT_GATE, Severity::Critical));
    }
    // Bonferroni within each severity: the statistical gates of one severity share alpha, so
    // the chance that any critical gate fails a healthy rollout stays under alpha, and so does
    // the chance of a false warning. Sharing it across severities would let adding a warning
    // gate make the critical ones slower, and warnings must never change what the guard does.
    let fail_at = |severity: Severity| {
        let statistical = judged
            .iter()
            .filter(|(g, _, s)| *s == severity && !g.is_outcome())
            .count()
            .max(1);
        (statistical as f64 / judging.alpha).ln()
    };
    let (critical_at, warning_at) = (fail_at(Severity::Critical), fail_at(Severity::Warning));
    let empty = StepFigures::default();
    let current = steps.last().unwrap_or(&empty);
    let readings: Vec<GateReading> = judged
        .iter()
        .map(|(gate, condition, severity)| {
            let at = match severity {
                Severity::Critical => critical_at,
                Severity::Warning => warning_at,
            };
            let mut r = judge(gate, steps, current, &judging, at);
            r.gate = (*condition).to_owned();
            r.severity = *severity;
            r
        })
        .collect();
    let mut deciding = readings
        .iter()
        .filter(|r| r.severity == Severity::Critical)
        .map(|r| r.verdict);
    let verdict = if deciding.clone().any(|v| v == Verdict::Fail) {
        Verdict::Fail
    } else if deciding.all(|v| v == Verdict::Pass) {
        Verdict::Pass
    } else {
        Verdict::Inconclusive
    };
    Assessment {
        verdict,
        gates: readings,
    }
}

fn events(counts: &ArmCounts, metric: &RateMetric) -> u64 {
    match metric {
        RateMetric::Error => counts.errors,
        RateMetric::Fallback => counts.fallbacks,
        RateMetric::Retry => counts.retries,
        RateMetric::Custom(name) => counts.custom.get(name).copied().unwrap_or(0),
    }
}

fn rate(events: u64, calls: u64) -> Option<f64> {
    (calls > 0).then(|| events.min(calls) as f64 / calls as f64)
}

/// Calls slower than `threshold` µs: only buckets lying wholly above it count, so the
/// sketch's resolution never turns a fast call into a slow one.
fn slower_than(counts: &ArmCounts, threshold: f64) -> u64 {
    counts
        .latency
        .buckets
        .iter()
        .filter(|(b, _)| bucket_floor(usize::from(*b)) as f64 > threshold)
        .map(|(_, c)| c)
        .sum()
}

fn pooled_legacy(steps: &[StepFigures]) -> ArmCounts {
    let mut all = ArmCounts::default();
    for s in steps {
        all.merge(&s.legacy);
    }
    all
}

fn judge(
    gate: &Gate,
    steps: &[StepFigures],
    current: &StepFigures,
    judging: &Judging<'_>,
    fail_at: f64,
) -> GateReading {
    let mut logs = [0.0; RATIOS.len()];
    let mut reading = GateReading {
        gate: String::new(),
        severity: Severity::Critical,
        verdict: Verdict::Inconclusive,
        unit: Unit::Ratio,
        new: None,
        legacy: None,
        threshold: None,
        samples: current.new.calls,
        legacy_samples: current.legacy.calls,
        log_statistic: 0.0,
        fail_at,
        suggested_action: gate.suggested_action(),
    };
    // Whether the current step has the data a pass needs, besides the test itself.
    let mut enough = reading.samples >= judging.min_samples
        && (judging.full_exposure || reading.legacy_samples >= judging.min_samples);
    match gate {
        Gate::Golden | Gate::Verdict(_) | Gate::AllVerdicts => {
            let (verdicts, now) = (judging.verdicts, judging.now);
            let standing = match gate {
                Gate::Verdict(name) => standing_of(verdicts, name, now),
                Gate::AllVerdicts => standing_of_all(verdicts, now, |_| true),
                _ => standing_of_all(verdicts, now, |v| v.source == VerdictSource::Golden),
            };
            reading.unit = Unit::Outcome;
            reading.threshold = Some(1.0);
            reading.fail_at = 0.0;
            (reading.new, reading.verdict) = match standing {
                Standing::Passed => (Some(1.0), Verdict::Pass),
                Standing::Failed => (Some(0.0), Verdict::Fail),
                // Not known now: wait for the check to run (again), as for too few calls.
                Standing::Expired | Standing::Missing => (None, Verdict::Inconclusive),
            };
            return reading;
        }
        Gate::Rate { metric, bound } => {
            reading.new = rate(events(&current.new, metric), current.new.calls);
            reading.legacy = rate(events(&current.legacy, metric), current.legacy.calls);
            match *bound {
                Bound::Fixed(p0) => {
                    reading.threshold = Some(p0);
                    enough = reading.samples >= judging.min_samples;
                    for s in steps {
                        add_logs(
                            &mut logs,
                            bernoulli_log_lrs(events(&s.new, metric), s.new.calls, p0),
                        );
                    }
                }
                Bound::Legacy { times, plus: 0.0 } => {
                    reading.threshold = reading.legacy.map(|l| l * times);
                    for s in steps {
                        let e = ArmEvents {
                            new_calls: s.new.calls,
                            new_events: events(&s.new, metric),
                            legacy_calls: s.legacy.calls,
                            legacy_events: events(&s.legacy, metric),
                        };
                        add_logs(&mut logs, share_log_lrs(&e, times));
                    }
                }
                Bound::Baseline { times, plus } => {
                    // Before the rollout every call was legacy: a rate from that window is
                    // known far better than anything the legacy arm gives during a rollout.
                    let Some(base) = judging
                        .baseline
                        .filter(|b| b.calls >= judging.min_samples)
                        .and_then(|b| rate(events(b, metric), b.calls))
                    else {
                        return reading;
                    };
                    let p0 = (base * times + plus).min(1.0);
                    reading.threshold = Some(p0);
                    enough = reading.samples >= judging.min_samples;
                    for s in steps {
                        add_logs(
                            &mut logs,
                            bernoulli_log_lrs(events(&s.new, metric), s.new.calls, p0),
                        );
                    }
                }
                Bound::Legacy { times, plus } => {
                    // An additive margin has no exact conditional test: the legacy rate, pooled
                    // over the rollout, stands in for the truth (documented as approximate).
                    let legacy = pooled_legacy(steps);
                    let Some(base) = rate(events(&legacy, metric), legacy.calls) else {
                        return reading;
                    };
                    let p0 = (base * times + plus).min(1.0);
                    reading.threshold = Some(p0);
                    for s in steps {
                        add_logs(
                            &mut logs,
                            bernoulli_log_lrs(events(&s.new, metric), s.new.calls, p0),
                        );
                    }
                }
            }
        }
        Gate::Latency { quantile, bound } => {
            reading.unit = Unit::Microseconds;
            reading.samples = current.new.latency.count();
            reading.legacy_samples = current.legacy.latency.count();
            let q = quantile.q();
            reading.new = current.new.latency.quantile(q).map(|v| v as f64);
            reading.legacy = current.legacy.latency.quantile(q).map(|v| v as f64);
            let threshold = match *bound {
                Bound::Fixed(t) => {
                    enough = reading.samples >= judging.min_samples;
                    Some(t)
                }
                Bound::Legacy { times, plus } => {
                    let legacy = pooled_legacy(steps);
                    enough = reading.samples >= judging.min_samples
                        && legacy.latency.count() >= judging.min_samples;
                    legacy.latency.quantile(q).map(|v| v as f64 * times + plus)
                }
                Bound::Baseline { times, plus } => {
                    enough = reading.samples >= judging.min_samples;
                    judging
                        .baseline
                        .filter(|b| b.latency.count() >= judging.min_samples)
                        .and_then(|b| b.latency.quantile(q))
                        .map(|v| v as f64 * times + plus)
                }
            };
            let Some(threshold) = threshold else {
                return reading;
            };
            reading.threshold = Some(threshold);
            // The new arm's quantile is under the threshold exactly when at most 1 - q of its
            // calls are slower than it: a rate test on "slower than the threshold".
            let p0 = 1.0 - q;
            for s in steps {
                add_logs(
                    &mut logs,
                    bernoulli_log_lrs(slower_than(&s.new, threshold), s.new.latency.count(), p0),
                );
            }
        }
        Gate::Agreement { field, min } => {
            let tally = |s: &StepFigures| s.shadow.tally.fields.get(field).copied();
            let now = tally(current).unwrap_or_default();
            reading.new = now.ratio();
            reading.legacy = None;
            reading.threshold = Some(*min);
            reading.samples = now.compared;
            reading.legacy_samples = 0;
            enough = now.compared >= judging.min_samples;
            for s in steps {
                let t = tally(s).unwrap_or_default();
                add_logs(
                    &mut logs,
                    bernoulli_log_lrs(t.compared - t.agreed.min(t.compared), t.compared, 1.0 - min),
                );
            }
        }
    }
    reading.log_statistic = log_mixture(&logs);
    reading.verdict = if reading.log_statistic >= fail_at {
        Verdict::Fail
    } else if enough {
        Verdict::Pass
    } else {
        Verdict::Inconclusive
    };
    reading
}

#[cfg(test)]
#[path = "assess_tests.rs"]
mod tests;

//! Judging a rollout's gates from its figures: one verdict per gate with the numbers behind it,
//! and the verdict of the step. The server's guard loop, `cutover slo status` and the simulator
//! all call [`assess`]. The statistics are in `docs/guard.md`.

use serde::{Deserialize, Serialize};

use super::decide::Verdict;
use super::gate::{Bound, Gate, GateExpr, RateMetric};
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
    pub gate: String,
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
    /// One line with the numbers: `new.error_rate <= legacy.error_rate: fail (new 5.00 %, ...)`.
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
        format!(
            "{}: {verdict} (new {} over {} samples, legacy {} over {}, threshold {}, evidence \
             {:.2} of {:.2})",
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

/// The step's verdict: it fails if any gate fails, passes when every gate passes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub verdict: Verdict,
    pub gates: Vec<GateReading>,
}

impl Assessment {
    /// The verdict with the numbers of the gates that decided it, for audit reasons and alerts.
    pub fn summary(&self) -> String {
        let deciding: Vec<String> = self
            .gates
            .iter()
            .filter(|g| g.verdict == self.verdict || self.verdict == Verdict::Pass)
            .map(GateReading::summary)
            .collect();
        deciding.join("; ")
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
    let parsed: Vec<Gate> = if gates.is_empty() {
        vec![super::gate::DEFAULT_GATE.parse().unwrap_or(Gate::Golden)]
    } else {
        gates.iter().map(GateExpr::gate).collect()
    };
    let names: Vec<String> = if gates.is_empty() {
        vec![super::gate::DEFAULT_GATE.to_owned()]
    } else {
        gates.iter().map(|g| g.as_str().to_owned()).collect()
    };
    // Bonferroni: each statistical gate gets an equal share of alpha, so the chance that any
    // of them fails a healthy rollout stays under alpha.
    let statistical = parsed.iter().filter(|g| !g.is_outcome()).count().max(1);
    let fail_at = (statistical as f64 / judging.alpha).ln();
    let empty = StepFigures::default();
    let current = steps.last().unwrap_or(&empty);
    let readings: Vec<GateReading> = parsed
        .iter()
        .zip(names)
        .map(|(gate, name)| {
            let mut r = judge(gate, steps, current, &judging, fail_at);
            r.gate = name;
            r
        })
        .collect();
    let verdict = if readings.iter().any(|r| r.verdict == Verdict::Fail) {
        Verdict::Fail
    } else if readings.iter().all(|r| r.verdict == Verdict::Pass) {
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
mod tests {
    use super::*;
    use crate::arm_metrics::{LatencySketch, latency_bucket};

    fn arm(calls: u64, errors: u64, latency_us: u64) -> ArmCounts {
        ArmCounts {
            calls,
            errors,
            latency: LatencySketch::from_counts([(latency_bucket(latency_us), calls)]),
            ..ArmCounts::default()
        }
    }

    static NO_VERDICTS: Verdicts = Verdicts::new();

    fn judging(min_samples: u64) -> Judging<'static> {
        Judging {
            min_samples,
            full_exposure: false,
            alpha: 0.01,
            verdicts: &NO_VERDICTS,
            now: Timestamp::UNIX_EPOCH,
            baseline: None,
        }
    }

    fn gates(texts: &[&str]) -> Vec<GateExpr> {
        texts.iter().map(|t| GateExpr::new(t).unwrap()).collect()
    }

    #[test]
    fn no_data_is_inconclusive_never_a_pass() {
        let a = assess(&gates(&[]), &[], judging(200));
        assert_eq!(a.verdict, Verdict::Inconclusive);
        assert_eq!(a.gates[0].gate, "new.error_rate <= legacy.error_rate");
        let a = assess(&gates(&["golden"]), &[StepFigures::default()], judging(0));
        assert_eq!(a.verdict, Verdict::Inconclusive);
    }

    #[test]
    fn equal_arms_pass_and_a_fivefold_error_rate_fails() {
        let same = StepFigures {
            legacy: arm(19_000, 190, 20_000),
            new: arm(1_000, 10, 20_000),
            ..StepFigures::default()
        };
        let g = gates(&[
            "new.error_rate <= legacy.error_rate",
            "new.p95 <= legacy.p95 * 1.2",
        ]);
        assert_eq!(
            assess(&g, std::slice::from_ref(&same), judging(200)).verdict,
            Verdict::Pass
        );
        let worse = StepFigures {
            new: arm(1_000, 50, 20_000),
            ..same
        };
        let a = assess(&g, &[worse], judging(200));
        assert_eq!(a.verdict, Verdict::Fail);
        assert_eq!(a.gates[0].verdict, Verdict::Fail);
        assert_eq!(a.gates[1].verdict, Verdict::Pass);
        assert!(a.summary().contains("5.00 %"), "{}", a.summary());
    }

    #[test]
    fn a_slower_new_arm_fails_its_latency_gates() {
        let slow = StepFigures {
            legacy: arm(5_000, 0, 20_000),
            new: arm(500, 0, 30_000),
            ..StepFigures::default()
        };
        for g in [
            "new.p95 <= legacy.p95 * 1.2",
            "new.p95 <= 25ms",
            "new.p50 <= legacy.p50 + 5ms",
        ] {
            let a = assess(&gates(&[g]), std::slice::from_ref(&slow), judging(200));
            assert_eq!(a.verdict, Verdict::Fail, "{g}: {}", a.summary());
        }
        let a = assess(&gates(&["new.p95 <= 40ms"]), &[slow], judging(200));
        assert_eq!(a.verdict, Verdict::Pass, "{}", a.summary());
    }

    #[test]
    fn agreement_below_its_floor_fails_and_needs_data_to_pass() {
        let mut shadow = ShadowCounts::default();
        shadow.tally.fields.insert(
            "selected_agent".into(),
            crate::compare::tally::FieldTally {
                compared: 400,
                agreed: 240,
                disagreed: 160,
                ..Default::default()
            },
        );
        let step = StepFigures {
            shadow,
            ..StepFigures::default()
        };
        let g = gates(&["agreement(selected_agent) >= 0.80"]);
        assert_eq!(
            assess(&g, std::slice::from_ref(&step), judging(200)).verdict,
            Verdict::Fail
        );
        let g = gates(&["agreement(routing_policy) >= 0.80"]);
        assert_eq!(
            assess(&g, &[step], judging(200)).verdict,
            Verdict::Inconclusive
        );
    }

    #[test]
    fn evidence_adds_up_across_steps() {
        // Each step alone is short of proof; together they fail.
        let step = StepFigures {
            legacy: arm(9_500, 95, 20_000),
            new: arm(500, 13, 20_000),
            ..StepFigures::default()
        };
        let g = gates(&[]);
        let one = assess(&g, std::slice::from_ref(&step), judging(200));
        assert_ne!(one.verdict, Verdict::Fail, "{}", one.summary());
        let three = assess(&g, &[step.clone(), step.clone(), step], judging(200));
        assert_eq!(three.verdict, Verdict::Fail, "{}", three.summary());
    }

    #[test]
    fn baseline_gates_need_a_baseline_and_judge_against_it() {
        let step = StepFigures {
            legacy: arm(1_000, 10, 20_000),
            new: arm(1_000, 25, 30_000),
            ..StepFigures::default()
        };
        let g = gates(&[
            "new.error_rate <= baseline.error_rate",
            "new.p95 <= baseline.p95 * 1.2",
        ]);
        let none = assess(&g, std::slice::from_ref(&step), judging(200));
        assert_eq!(none.verdict, Verdict::Inconclusive, "{}", none.summary());
        let before = arm(100_000, 1_000, 20_000);
        let j = Judging {
            baseline: Some(&before),
            ..judging(200)
        };
        let a = assess(&g, std::slice::from_ref(&step), j);
        assert_eq!(a.gates[0].verdict, Verdict::Fail, "{}", a.summary());
        assert_eq!(a.gates[0].threshold, Some(0.01));
        assert_eq!(a.gates[1].verdict, Verdict::Fail, "{}", a.summary());
    }

    #[test]
    fn a_custom_counter_is_a_rate_like_the_others() {
        let with = |calls: u64, n: u64| ArmCounts {
            calls,
            custom: [("invalid_json".to_owned(), n)].into(),
            ..ArmCounts::default()
        };
        let step = StepFigures {
            legacy: with(9_000, 90),
            new: with(1_000, 50),
            ..StepFigures::default()
        };
        let g = gates(&["new.invalid_json_rate <= legacy.invalid_json_rate"]);
        let a = assess(&g, std::slice::from_ref(&step), judging(200));
        assert_eq!(a.verdict, Verdict::Fail, "{}", a.summary());
        assert_eq!(a.gates[0].new, Some(0.05));
        assert!(a.gates[0].suggested_action.contains("invalid_json"));
        let fine = StepFigures {
            new: with(1_000, 10),
            ..step
        };
        let a = assess(&g, std::slice::from_ref(&fine), judging(200));
        assert_eq!(a.verdict, Verdict::Pass, "{}", a.summary());
    }

    #[test]
    fn outcome_gates_follow_the_named_verdicts_and_wait_for_missing_or_expired_ones() {
        use crate::verdict::{Verdict as Named, VerdictName};
        let now: Timestamp = "2026-12-02T00:00:00Z".parse().unwrap();
        let named = |passed, source, expires: Option<&str>| Named {
            passed,
            source,
            at: "2026-12-01T00:00:00Z".parse().unwrap(),
            by: "ci".into(),
            expires_at: expires.map(|t| t.parse().unwrap()),
            url: None,
            details: None,
            golden: None,
        };
        let mut book = Verdicts::new();
        book.insert(
            VerdictName::new("verify").unwrap(),
            named(true, VerdictSource::Golden, None),
        );
        book.insert(
            VerdictName::new("integration").unwrap(),
            named(true, VerdictSource::Recorded, Some("2026-12-01T06:00:00Z")),
        );
        let judge = |book: &Verdicts, gate: &str| {
            let j = Judging {
                verdicts: book,
                now,
                ..judging(0)
            };
            assess(&gates(&[gate]), &[], j).verdict
        };
        assert_eq!(judge(&book, "golden"), Verdict::Pass);
        assert_eq!(judge(&book, "verdict(verify)"), Verdict::Pass);
        assert_eq!(
            judge(&book, "verdict(integration)"),
            Verdict::Inconclusive,
            "expired"
        );
        assert_eq!(
            judge(&book, "verdict(load-test)"),
            Verdict::Inconclusive,
            "missing"
        );
        assert_eq!(judge(&book, "verdicts(all)"), Verdict::Inconclusive);
        // A red cross-validation is not masked by the green verify beside it.
        book.insert(
            VerdictName::new("cross-validation").unwrap(),
            named(false, VerdictSource::Golden, None),
        );
        assert_eq!(judge(&book, "golden"), Verdict::Fail);
        assert_eq!(judge(&book, "verdicts(all)"), Verdict::Fail);
        assert_eq!(judge(&book, "verdict(verify)"), Verdict::Pass);
        assert_eq!(judge(&Verdicts::new(), "golden"), Verdict::Inconclusive);
    }
}

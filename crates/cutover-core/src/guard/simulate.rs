//! What-if simulation: the real decision code (`assess`, `decide`) run over synthetic
//! traffic with a simulated clock. Teams use it to choose bake times for their traffic; the
//! figures in `docs/guard.md` come from it.

use std::time::Duration;

use serde::Serialize;

use super::assess::{Judging, StepFigures, assess};
use super::decide::{Action, decide};
use super::plan::RolloutPlan;
use crate::arm_metrics::{ArmCounts, LatencySketch, latency_bucket};
use crate::verdict::Verdicts;
use jiff::Timestamp;

/// A simulated flag holds no verdicts.
static NO_VERDICTS: Verdicts = Verdicts::new();

/// The traffic of a simulated service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Traffic {
    pub rps: f64,
    pub legacy_error: f64,
    pub new_error: f64,
    /// Each arm's p95 latency in microseconds; latencies are simulated only when both are set.
    pub legacy_p95_us: Option<f64>,
    pub new_p95_us: Option<f64>,
}

impl Traffic {
    pub fn errors(rps: f64, legacy_error: f64, new_error: f64) -> Traffic {
        Traffic {
            rps,
            legacy_error,
            new_error,
            legacy_p95_us: None,
            new_p95_us: None,
        }
    }
}

/// How one simulated rollout ended, and when (seconds after it started).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Ending {
    Completed { after_s: u64 },
    RolledBack { after_s: u64, step: usize },
    Paused { after_s: u64, step: usize },
}

/// A small, seeded generator: simulations must be reproducible from `--seed`.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn binomial(&mut self, n: u64, p: f64) -> u64 {
        if n > 10_000 {
            // A long window: the normal approximation, one draw instead of n.
            let mean = n as f64 * p;
            let z = normal_quantile(self.unit().clamp(1e-12, 1.0 - 1e-12));
            return (mean + z * (mean * (1.0 - p)).sqrt())
                .round()
                .clamp(0.0, n as f64) as u64;
        }
        (0..n).filter(|_| self.unit() < p).count() as u64
    }
}

/// The inverse of the standard normal CDF (Acklam's rational approximation, relative error
/// below 1.2e-9): enough to shape simulated latencies.
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Latencies of one arm: log-normal with a spread of σ = 0.5 (p95 ≈ 2.3 × median), drawn
/// from 256 equally likely points so a second's calls fold into a small sketch.
struct LatencyShape {
    buckets: [u16; 256],
}

impl LatencyShape {
    const SIGMA: f64 = 0.5;

    fn with_p95(p95_us: f64) -> LatencyShape {
        let median = p95_us / (Self::SIGMA * normal_quantile(0.95)).exp();
        let mut buckets = [0u16; 256];
        for (i, b) in buckets.iter_mut().enumerate() {
            let z = normal_quantile((i as f64 + 0.5) / 256.0);
            let us = (median * (Self::SIGMA * z).exp()).max(1.0) as u64;
            *b = u16::try_from(latency_bucket(us)).unwrap_or(u16::MAX);
        }
        LatencyShape { buckets }
    }

    /// `calls` spread evenly over the shape's points: a long window's sketch, without drawing.
    fn expected(&self, calls: u64) -> LatencySketch {
        let mut counts = std::collections::BTreeMap::new();
        for b in self.buckets {
            *counts.entry(usize::from(b)).or_insert(0u64) += calls / 256;
        }
        LatencySketch::from_counts(counts)
    }

    fn draw(&self, rng: &mut SplitMix, calls: u64) -> LatencySketch {
        let counts =
            (0..calls).map(|_| (usize::from(self.buckets[(rng.next() >> 56) as usize]), 1));
        let mut dense = std::collections::BTreeMap::new();
        for (b, c) in counts {
            *dense.entry(b).or_insert(0u64) += c;
        }
        LatencySketch::from_counts(dense)
    }
}

/// Runs one rollout, looking every simulated second, for at most `limit`: the figures of each
/// step go through [`assess`] and [`decide`], the functions the guard loop calls.
pub fn simulate_once(
    plan: &RolloutPlan,
    traffic: Traffic,
    alpha: f64,
    seed: u64,
    limit: Duration,
) -> Ending {
    let mut rng = SplitMix(seed);
    let shapes = match (traffic.legacy_p95_us, traffic.new_p95_us) {
        (Some(l), Some(n)) => Some((LatencyShape::with_p95(l), LatencyShape::with_p95(n))),
        _ => None,
    };
    // The legacy path's figures over the baseline window before the start, at full traffic.
    let baseline = plan
        .gates
        .iter()
        .any(|g| g.gate().uses_baseline())
        .then(|| {
            let calls = (traffic.rps * plan.baseline_window.as_secs_f64()) as u64;
            ArmCounts {
                calls,
                errors: rng.binomial(calls, traffic.legacy_error),
                latency: shapes
                    .as_ref()
                    .map(|(legacy, _)| legacy.expected(calls))
                    .unwrap_or_default(),
                ..ArmCounts::default()
            }
        });
    let (mut step, mut extensions) = (0usize, 0u32);
    let mut steps = vec![StepFigures::default()];
    let mut step_started = 0u64;
    // Fractions of a call carried between seconds, so low rates are simulated faithfully.
    let (mut carry_new, mut carry_legacy) = (0.0f64, 0.0f64);
    for now in 1..=limit.as_secs() {
        let exposure = plan.steps[step].rollout.percent() / 100.0;
        carry_new += traffic.rps * exposure;
        carry_legacy += traffic.rps * (1.0 - exposure);
        let (n, l) = (carry_new.floor(), carry_legacy.floor());
        carry_new -= n;
        carry_legacy -= l;
        let (n, l) = (n as u64, l as u64);
        let second = StepFigures {
            new: ArmCounts {
                calls: n,
                errors: rng.binomial(n, traffic.new_error),
                latency: shapes
                    .as_ref()
                    .map(|(_, s)| s.draw(&mut rng, n))
                    .unwrap_or_default(),
                ..ArmCounts::default()
            },
            legacy: ArmCounts {
                calls: l,
                errors: rng.binomial(l, traffic.legacy_error),
                latency: shapes
                    .as_ref()
                    .map(|(s, _)| s.draw(&mut rng, l))
                    .unwrap_or_default(),
                ..ArmCounts::default()
            },
            ..StepFigures::default()
        };
        if let Some(current) = steps.last_mut() {
            current.new.merge(&second.new);
            current.legacy.merge(&second.legacy);
        }

        let current = &plan.steps[step];
        let judging = Judging {
            min_samples: current.min_samples,
            full_exposure: current.rollout.bps() == 10_000,
            alpha,
            // The simulator plays the arms' figures; outcome gates wait as with no verdict.
            verdicts: &NO_VERDICTS,
            now: Timestamp::UNIX_EPOCH,
            baseline: baseline.as_ref(),
        };
        let verdict = assess(&plan.gates, &steps, judging).verdict;
        let elapsed = Duration::from_secs(now - step_started);
        match decide(plan, step, extensions, verdict, elapsed) {
            Action::Hold => {}
            Action::Extend => extensions += 1,
            Action::Advance { .. } => {
                steps.push(StepFigures::default());
                step += 1;
                extensions = 0;
                step_started = now;
            }
            Action::Complete => return Ending::Completed { after_s: now },
            Action::Rollback | Action::StepDown { .. } => {
                return Ending::RolledBack { after_s: now, step };
            }
            Action::Pause => return Ending::Paused { after_s: now, step },
        }
    }
    Ending::Paused {
        after_s: limit.as_secs(),
        step,
    }
}

/// Many runs with seeds `seed, seed + 1, ...`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SimulationReport {
    pub runs: u64,
    pub completed: u64,
    pub rolled_back: u64,
    pub paused: u64,
    /// Seconds to roll back / to complete, at the 50th, 90th and 99th percentiles.
    pub rollback_s: Option<[u64; 3]>,
    pub complete_s: Option<[u64; 3]>,
}

fn percentiles(mut v: Vec<u64>) -> Option<[u64; 3]> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let at = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
    Some([at(0.5), at(0.9), at(0.99)])
}

pub fn simulate(
    plan: &RolloutPlan,
    traffic: Traffic,
    alpha: f64,
    runs: u64,
    seed: u64,
) -> SimulationReport {
    let total: Duration = plan.steps.iter().map(|s| s.bake).sum();
    let limit = total * (2 + plan.max_extensions);
    let mut report = SimulationReport {
        runs,
        ..SimulationReport::default()
    };
    let (mut back, mut done) = (Vec::new(), Vec::new());
    for run in 0..runs {
        match simulate_once(plan, traffic, alpha, seed.wrapping_add(run), limit) {
            Ending::Completed { after_s } => {
                report.completed += 1;
                done.push(after_s);
            }
            Ending::RolledBack { after_s, .. } => {
                report.rolled_back += 1;
                back.push(after_s);
            }
            Ending::Paused { .. } => report.paused += 1,
        }
    }
    report.rollback_s = percentiles(back);
    report.complete_s = percentiles(done);
    report
}

//! What-if simulation: the real decision code (`rate_verdict`, `decide`) run over synthetic
//! traffic with a simulated clock. Teams use it to choose bake times for their traffic; the
//! figures in `docs/guard.md` come from it.

use std::time::Duration;

use serde::Serialize;

use super::decide::{Action, decide, rate_verdict};
use super::plan::RolloutPlan;
use super::rate::{ArmEvents, RateEvidence};

/// The traffic of a simulated service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Traffic {
    pub rps: f64,
    pub legacy_error: f64,
    pub new_error: f64,
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
        (0..n).filter(|_| self.unit() < p).count() as u64
    }
}

/// Runs one rollout, looking every simulated second, for at most `limit`.
pub fn simulate_once(
    plan: &RolloutPlan,
    traffic: Traffic,
    alpha: f64,
    seed: u64,
    limit: Duration,
) -> Ending {
    let mut rng = SplitMix(seed);
    let mut evidence = RateEvidence::default();
    let (mut step, mut extensions) = (0usize, 0u32);
    let mut events = ArmEvents::default();
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
        events.new_calls += n;
        events.legacy_calls += l;
        events.new_events += rng.binomial(n, traffic.new_error);
        events.legacy_events += rng.binomial(l, traffic.legacy_error);

        let current = &plan.steps[step];
        let full = current.rollout.bps() == 10_000;
        let verdict = rate_verdict(&evidence, &events, current.min_samples, full, alpha);
        let elapsed = Duration::from_secs(now - step_started);
        match decide(plan, step, extensions, verdict.verdict, elapsed) {
            Action::Hold => {}
            Action::Extend => extensions += 1,
            Action::Advance { .. } => {
                evidence.carry(&events);
                events = ArmEvents::default();
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

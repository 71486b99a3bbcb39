//! Is the new arm's event rate (errors, fallbacks, retries) worse than the legacy arm's?
//! An anytime-valid sequential test, so the guard may look every second without inflating its
//! false rollback rate.
//!
//! Conditioned on the total number of events, the number that fell in the new arm is binomial:
//! with `c_new` and `c_legacy` calls, under H0 (equal rates) an event is the new arm's with
//! probability `q0 = c_new / (c_new + c_legacy)`; if the new arm's rate is `r` times the legacy
//! one, with `q_r = r c_new / (r c_new + c_legacy)`. The likelihood ratio of `r` against 1 is
//!
//! `LR(r) = (q_r / q0)^e_new · ((1 - q_r) / (1 - q0))^e_legacy`
//!
//! and the test statistic is a mixture over a grid of ratios, `M = Σ w_r LR(r)` (weights summing
//! to 1). Under H0, `M` is a non-negative martingale with mean 1, so by Ville's inequality
//! `P(sup M ≥ 1/α) ≤ α`: the test rejects ("the new arm is worse") when `M ≥ 1/α`, however often
//! it is checked. Exposure changes between steps are handled by multiplying the steps' ratios
//! (each step's `q0` is its own): the product is still a martingale.
//!
//! Baseline: both arms' events share what is common to both (traffic mix, upstream incidents),
//! so a comparison between arms needs no absolute threshold to be useful.

use serde::{Deserialize, Serialize};

/// Rate ratios the mixture weighs. A ratio with weight `w` pays `ln(1/w)` nats of evidence
/// before it can fire, so the weight sits where a rollback matters most (a doubled rate) and
/// the rest keeps the test sensitive from +50 % to 5x (a 10x regression gives the 5x ratio a
/// steep likelihood too).
pub(super) const RATIOS: [f64; 4] = [1.5, 2.0, 3.0, 5.0];
const WEIGHTS: [f64; 4] = [0.15, 0.55, 0.15, 0.15];

/// Events and calls of both arms over one span of constant exposure (a step).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmEvents {
    pub new_calls: u64,
    pub new_events: u64,
    pub legacy_calls: u64,
    pub legacy_events: u64,
}

/// The log of each ratio's likelihood ratio, accumulated over finished steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateEvidence {
    carried: [f64; RATIOS.len()],
}

impl Default for RateEvidence {
    fn default() -> Self {
        RateEvidence {
            carried: [0.0; RATIOS.len()],
        }
    }
}

fn log_lrs(e: &ArmEvents) -> [f64; RATIOS.len()] {
    share_log_lrs(e, 1.0)
}

/// Each ratio's log likelihood ratio for the share of events the new arm took, against the
/// null hypothesis that its rate is `factor` times the legacy one (1 for "no worse").
pub(super) fn share_log_lrs(e: &ArmEvents, factor: f64) -> [f64; RATIOS.len()] {
    let mut out = [0.0; RATIOS.len()];
    if e.new_calls == 0 || e.legacy_calls == 0 {
        return out;
    }
    // A null factor scales the new arm's calls: its events then share like equal rates.
    let (cn, cl) = (e.new_calls as f64 * factor, e.legacy_calls as f64);
    // Events beyond calls would be a broken report; clamp rather than produce NaN.
    let en = e.new_events.min(e.new_calls) as f64;
    let el = e.legacy_events.min(e.legacy_calls) as f64;
    let q0 = cn / (cn + cl);
    for (i, r) in RATIOS.iter().enumerate() {
        let qr = r * cn / (r * cn + cl);
        out[i] = en * (qr / q0).ln() + el * ((1.0 - qr) / (1.0 - q0)).ln();
    }
    out
}

/// Each ratio's log likelihood ratio for `events` in `trials` against the null hypothesis
/// that the event probability is at most `p0`; the alternatives are `r · p0` (kept below 1).
pub(super) fn bernoulli_log_lrs(events: u64, trials: u64, p0: f64) -> [f64; RATIOS.len()] {
    let mut out = [0.0; RATIOS.len()];
    let events = events.min(trials);
    if trials == 0 || p0 >= 1.0 {
        return out;
    }
    if p0 <= 0.0 {
        // Nothing may happen at all: one event is proof.
        let v = if events > 0 { f64::INFINITY } else { 0.0 };
        return [v; RATIOS.len()];
    }
    let (e, rest) = (events as f64, (trials - events) as f64);
    for (i, r) in RATIOS.iter().enumerate() {
        let p1 = (r * p0).min((1.0 + p0) / 2.0);
        out[i] = e * (p1 / p0).ln() + rest * ((1.0 - p1) / (1.0 - p0)).ln();
    }
    out
}

/// Adds one span's log likelihood ratios onto another's (the product of the ratios).
pub(super) fn add_logs(total: &mut [f64; RATIOS.len()], more: [f64; RATIOS.len()]) {
    for (t, m) in total.iter_mut().zip(more) {
        *t += m;
    }
}

pub(super) fn log_mixture(logs: &[f64; RATIOS.len()]) -> f64 {
    // log Σ w_i exp(l_i), computed stably.
    let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max.is_infinite() {
        return max;
    }
    let sum: f64 = logs
        .iter()
        .zip(WEIGHTS)
        .map(|(l, w)| w * (l - max).exp())
        .sum();
    max + sum.ln()
}

impl RateEvidence {
    /// The log of the mixture statistic with the current step's events added.
    pub fn log_statistic(&self, current: &ArmEvents) -> f64 {
        let now = log_lrs(current);
        let mut total = self.carried;
        for (t, n) in total.iter_mut().zip(now) {
            *t += n;
        }
        log_mixture(&total)
    }

    /// Whether the new arm is worse, at false-alarm level `alpha` (over all looks).
    pub fn worse(&self, current: &ArmEvents, alpha: f64) -> bool {
        self.log_statistic(current) >= (1.0 / alpha).ln()
    }

    /// Folds a finished step in, so the next step's events multiply onto it.
    pub fn carry(&mut self, finished: &ArmEvents) {
        for (t, n) in self.carried.iter_mut().zip(log_lrs(finished)) {
            *t += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_data_and_equal_rates_are_no_evidence() {
        let e = RateEvidence::default();
        assert!(!e.worse(&ArmEvents::default(), 0.01));
        let same = ArmEvents {
            new_calls: 1000,
            new_events: 10,
            legacy_calls: 19_000,
            legacy_events: 190,
        };
        assert!(e.log_statistic(&same) < 0.0);
    }

    #[test]
    fn a_doubled_rate_is_found_and_a_better_one_is_not() {
        let e = RateEvidence::default();
        let doubled = ArmEvents {
            new_calls: 3000,
            new_events: 60,
            legacy_calls: 57_000,
            legacy_events: 570,
        };
        assert!(e.worse(&doubled, 0.01), "{}", e.log_statistic(&doubled));
        let better = ArmEvents {
            new_events: 10,
            ..doubled
        };
        assert!(!e.worse(&better, 0.01));
    }
}

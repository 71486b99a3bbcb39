//! What an arm (the legacy or the new path of one flag) did over a time window: counts of
//! calls, errors, fallbacks and retries, and a latency sketch. SDKs fill these, the server adds
//! them up per window, and guarded rollouts read error rates and latency percentiles from them.
//!
//! The latency sketch is a log-linear histogram: each power of two is split into
//! [`SUB_BUCKETS`] equal buckets, so any quantile it reports is within 1/32 (3.125 %) of the true
//! value above it. It merges exactly, which a sampled or averaged summary would not.

pub(crate) mod check;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::variant::Variant;

/// Buckets per power of two.
pub const SUB_BUCKETS: u32 = 32;
const SUB_BITS: u32 = 5;
/// Latencies are kept in microseconds, from 1 µs to 2^45 µs (about a year), in this many
/// buckets.
pub const LATENCY_BUCKETS: usize = (41 * SUB_BUCKETS) as usize;

/// The bucket of a latency in microseconds.
#[inline]
pub fn latency_bucket(micros: u64) -> usize {
    let v = micros.max(1);
    let octave = 63 - v.leading_zeros();
    if octave < SUB_BITS {
        // Below 32 µs every microsecond has its own bucket.
        return v as usize;
    }
    let sub = (v >> (octave - SUB_BITS)) & u64::from(SUB_BUCKETS - 1);
    let index = (octave - SUB_BITS + 1) * SUB_BUCKETS + sub as u32;
    (index as usize).min(LATENCY_BUCKETS - 1)
}

/// The smallest latency (µs) that falls in a bucket.
pub fn bucket_floor(index: usize) -> u64 {
    let index = index as u32;
    if index < SUB_BUCKETS {
        return u64::from(index);
    }
    let octave = index / SUB_BUCKETS + SUB_BITS - 1;
    let sub = u64::from(index % SUB_BUCKETS);
    (1u64 << octave) + (sub << (octave - SUB_BITS))
}

/// A mergeable latency histogram, stored sparsely as (bucket, count) pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencySketch {
    /// Sorted by bucket, no zero counts.
    #[serde(deserialize_with = "crate::count::pairs")]
    pub buckets: Vec<(u16, u64)>,
}

impl LatencySketch {
    pub fn from_counts(counts: impl IntoIterator<Item = (usize, u64)>) -> Self {
        let mut buckets: Vec<(u16, u64)> = counts
            .into_iter()
            .filter(|(_, c)| *c > 0)
            .filter_map(|(i, c)| u16::try_from(i).ok().map(|i| (i, c)))
            .collect();
        buckets.sort_unstable();
        LatencySketch { buckets }
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|(_, c)| c).sum()
    }

    pub fn merge(&mut self, other: &LatencySketch) {
        let mut merged = Vec::with_capacity(self.buckets.len() + other.buckets.len());
        let (mut a, mut b) = (
            self.buckets.iter().peekable(),
            other.buckets.iter().peekable(),
        );
        loop {
            match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    merged.push((x.0, x.1 + y.1));
                    a.next();
                    b.next();
                }
                (Some(x), Some(y)) if x.0 < y.0 => {
                    merged.push(**x);
                    a.next();
                }
                (Some(_), Some(y)) => {
                    merged.push(**y);
                    b.next();
                }
                (Some(x), None) => {
                    merged.push(**x);
                    a.next();
                }
                (None, Some(y)) => {
                    merged.push(**y);
                    b.next();
                }
                (None, None) => break,
            }
        }
        self.buckets = merged;
    }

    /// The latency (µs) at quantile `q` (0..=1): the floor of the bucket holding it, so the
    /// true value is at most 1/32 above it. `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, count) in &self.buckets {
            seen += count;
            if seen >= rank {
                return Some(bucket_floor(usize::from(*bucket)));
            }
        }
        self.buckets
            .last()
            .map(|(b, _)| bucket_floor(usize::from(*b)))
    }
}

/// One arm's figures over a window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmCounts {
    #[serde(deserialize_with = "crate::count::whole")]
    pub calls: u64,
    #[serde(deserialize_with = "crate::count::whole")]
    pub errors: u64,
    #[serde(deserialize_with = "crate::count::whole")]
    pub fallbacks: u64,
    #[serde(deserialize_with = "crate::count::whole")]
    pub retries: u64,
    pub latency: LatencySketch,
    /// Counters the service named itself (calls that were `invalid_json`, ...), by name.
    #[serde(
        default,
        skip_serializing_if = "std::collections::BTreeMap::is_empty",
        deserialize_with = "crate::count::map"
    )]
    pub custom: std::collections::BTreeMap<String, u64>,
}

impl ArmCounts {
    pub fn merge(&mut self, other: &ArmCounts) {
        self.calls += other.calls;
        self.errors += other.errors;
        self.fallbacks += other.fallbacks;
        self.retries += other.retries;
        self.latency.merge(&other.latency);
        for (name, n) in &other.custom {
            *self.custom.entry(name.clone()).or_insert(0) += n;
        }
    }

    fn rate(&self, n: u64) -> Option<f64> {
        (self.calls > 0).then(|| n as f64 / self.calls as f64)
    }

    pub fn error_rate(&self) -> Option<f64> {
        self.rate(self.errors)
    }

    pub fn fallback_rate(&self) -> Option<f64> {
        self.rate(self.fallbacks)
    }

    pub fn retry_rate(&self) -> Option<f64> {
        self.rate(self.retries)
    }
}

/// One flag's arm over one window, as an SDK uploads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmReport {
    pub flag: String,
    pub arm: Variant,
    #[serde(flatten)]
    pub counts: ArmCounts,
}

/// One flag's shadow runs over one window, as an SDK uploads them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagShadow {
    pub flag: String,
    #[serde(flatten)]
    pub counts: crate::compare::tally::ShadowCounts,
}

/// What one upload carries: `POST /api/v1/metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsBatch {
    pub window_start: Timestamp,
    pub window_end: Timestamp,
    pub arms: Vec<ArmReport>,
    /// What shadow runs found in the window, per flag.
    #[serde(default)]
    pub shadows: Vec<FlagShadow>,
    /// Batches the uploading process dropped since its last successful upload.
    #[serde(default, deserialize_with = "crate::count::whole")]
    pub dropped_batches: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotone_and_floors_invert_them() {
        let mut last = 0;
        for v in (1..100_000u64).chain([1 << 30, 1 << 39, u64::MAX]) {
            let b = latency_bucket(v);
            assert!(b >= last, "{v}");
            last = b;
            let floor = bucket_floor(b);
            assert!(floor <= v, "{v}: floor {floor}");
            if b < LATENCY_BUCKETS - 1 {
                // Within 1/32 of the value: the stated error.
                assert!((v - floor) as f64 <= v as f64 / 32.0, "{v}: floor {floor}");
            }
        }
    }

    #[test]
    fn quantiles_of_a_known_distribution() {
        // 1..=10_000 µs, once each.
        let mut counts = vec![0u64; LATENCY_BUCKETS];
        for v in 1..=10_000u64 {
            counts[latency_bucket(v)] += 1;
        }
        let sketch = LatencySketch::from_counts(counts.into_iter().enumerate());
        for (q, truth) in [(0.5, 5_000.0), (0.9, 9_000.0), (0.99, 9_900.0)] {
            let got = sketch.quantile(q).unwrap() as f64;
            assert!(
                got <= truth && truth - got <= truth / 32.0,
                "p{q}: {got} vs {truth}"
            );
        }
    }

    #[test]
    fn merging_is_adding() {
        let a = LatencySketch::from_counts([(3, 2), (40, 1)]);
        let b = LatencySketch::from_counts([(3, 1), (10, 5)]);
        let mut m = a.clone();
        m.merge(&b);
        assert_eq!(m.buckets, vec![(3, 3), (10, 5), (40, 1)]);
        let mut arm = ArmCounts {
            calls: 10,
            errors: 1,
            ..ArmCounts::default()
        };
        arm.merge(&ArmCounts {
            calls: 30,
            errors: 3,
            ..ArmCounts::default()
        });
        assert_eq!(arm.error_rate(), Some(0.1));
    }
}

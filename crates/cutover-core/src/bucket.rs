//! Sticky bucketing: which of 10,000 buckets a stickiness value falls in for a given flag.
//!
//! The rule, fixed forever (pinned vectors below fail if it changes):
//!
//! ```text
//! seed   = XXH3_64(utf8(salt), seed = 0)
//! bucket = XXH3_64(utf8(stickiness value), seed = seed) mod 10000
//! ```
//!
//! A context is on the new path when `bucket < rollout_bps`, so raising the rollout only adds
//! buckets: nobody already on `new` is moved back (monotone). XXH3 is specified, has
//! implementations in every mainstream language, and hashes short keys in a few nanoseconds;
//! seeding with the salt's hash means no string is concatenated per evaluation. The modulo
//! bias of 2^64 mod 10^4 is below 10^-15 per bucket. See `docs/bucketing.md`.

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// Number of buckets: one per basis point of rollout.
pub const BUCKETS: u16 = 10_000;

/// The per-flag hash seed derived from the flag's salt; computed once when a snapshot compiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed(u64);

impl Seed {
    pub fn from_salt(salt: &str) -> Self {
        Seed(xxh3_64(salt.as_bytes()))
    }
}

/// The bucket, in `0..10000`, of a stickiness value under a flag's seed.
#[inline]
pub fn bucket_of(seed: Seed, value: &str) -> u16 {
    (xxh3_64_with_seed(value.as_bytes(), seed.0) % u64::from(BUCKETS)) as u16
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Cross-checked with the independent Python `xxhash` package (see docs/bucketing.md).
    /// Changing any of these moves real users between arms: never edit them.
    const PINNED: [(&str, &str, u16); 24] = [
        ("checkout-v2", "user-1", 3638),
        ("checkout-v2", "user-2", 5702),
        ("checkout-v2", "user-3", 4516),
        ("checkout-v2", "user-42", 8622),
        ("checkout-v2", "user-1000", 797),
        ("checkout-v2", "alice@example.com", 4323),
        ("checkout-v2", "", 77),
        ("checkout-v2", "ü-unicode-ß", 2701),
        ("use-onex.routing_nodes", "user-1", 6043),
        ("use-onex.routing_nodes", "session-456", 8260),
        ("use-onex.routing_nodes", "user-123", 1606),
        ("use-onex.routing_nodes", "tenant-acme", 8419),
        ("awf.bundle", "user-1", 7939),
        ("awf.bundle", "user-2", 3774),
        ("awf.bundle", "9f1c2b7e-3d4a-4b5c-8e6f-0a1b2c3d4e5f", 5239),
        (
            "awf.bundle",
            "a-very-long-stickiness-value-that-spans-more-than-sixty-four-bytes-of-input-data",
            6019,
        ),
        ("salt-b", "user-1", 9440),
        ("salt-b", "user-2", 7603),
        ("", "user-1", 8139),
        ("", "", 3),
        ("phase4_online_learning", "user_alice", 5099),
        ("phase4_online_learning", "user_bob", 6125),
        ("phase4_online_learning", "user_charlie", 1414),
        ("modular-monitor", "instance-7", 8381),
    ];

    #[test]
    fn pinned_vectors_never_change() {
        for (salt, value, bucket) in PINNED {
            assert_eq!(
                bucket_of(Seed::from_salt(salt), value),
                bucket,
                "salt {salt:?} value {value:?}"
            );
        }
    }

    #[test]
    fn salts_decorrelate_flags() {
        let (a, b) = (Seed::from_salt("flag-a"), Seed::from_salt("flag-b"));
        let same = (0..10_000).filter(|i| {
            let v = format!("user-{i}");
            (bucket_of(a, &v) < 5_000) == (bucket_of(b, &v) < 5_000)
        });
        let share = same.count() as f64 / 10_000.0;
        assert!(
            (share - 0.5).abs() < 0.03,
            "arms of two flags agree {share} of the time"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        /// For 100,000 random keys, every whole rollout percentage admits its share of them
        /// within one percentage point.
        #[test]
        fn uniform_within_one_point(salt in "[a-z0-9._-]{1,24}", prefix in "[a-zA-Z0-9]{0,12}") {
            let seed = Seed::from_salt(&salt);
            let mut counts = vec![0u32; usize::from(BUCKETS)];
            let mut value = String::new();
            for i in 0..100_000u32 {
                value.clear();
                use std::fmt::Write;
                let _ = write!(value, "{prefix}{i:x}-{}", i.wrapping_mul(2_654_435_761));
                counts[usize::from(bucket_of(seed, &value))] += 1;
            }
            let mut below = 0u32;
            for percent in 0..=100usize {
                let share = f64::from(below) / 1_000.0; // of 100,000, in percent
                prop_assert!((share - percent as f64).abs() <= 1.0, "{percent}% admitted {share}%");
                if percent < 100 {
                    below += counts[percent * 100..(percent + 1) * 100].iter().sum::<u32>();
                }
            }
        }

        #[test]
        fn sticky_same_input_same_bucket(salt in ".{0,40}", value in ".{0,80}") {
            let seed = Seed::from_salt(&salt);
            prop_assert_eq!(bucket_of(seed, &value), bucket_of(Seed::from_salt(&salt), &value.clone()));
            prop_assert!(bucket_of(seed, &value) < BUCKETS);
        }
    }
}

use super::*;
use crate::Variant;
use crate::compare::tally::{FieldTally, Tally};
use crate::{ArmReport, LatencySketch};

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn at(seconds_from_now: i64) -> Timestamp {
    now()
        .checked_add(SignedDuration::from_secs(seconds_from_now))
        .unwrap()
}

fn counts(calls: u64, errors: u64) -> ArmCounts {
    ArmCounts {
        calls,
        errors,
        latency: LatencySketch::from_counts([(40, calls)]),
        ..ArmCounts::default()
    }
}

fn batch(arms: Vec<ArmCounts>) -> MetricsBatch {
    MetricsBatch {
        window_start: at(-5),
        window_end: at(0),
        arms: arms
            .into_iter()
            .zip([Variant::Legacy, Variant::New])
            .map(|(counts, arm)| ArmReport {
                flag: "checkout".into(),
                arm,
                counts,
            })
            .collect(),
        shadows: Vec::new(),
        dropped_batches: 0,
    }
}

fn refused(b: &MetricsBatch, field: &str, needle: &str) {
    match b.check(now()) {
        Err(CoreError::InvalidMetrics { field: f, why }) => {
            assert_eq!(f, field, "{why}");
            assert!(why.contains(needle), "{why} lacks {needle}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_batch_that_could_be_true_passes() {
    let mut b = batch(vec![counts(10, 1), counts(0, 0)]);
    b.arms[0].counts.custom.insert("invalid_json".into(), 10);
    assert_eq!(b.check(now()), Ok(()));
}

#[test]
fn counts_are_checked_against_their_whole() {
    refused(
        &batch(vec![counts(3, 5)]),
        "arms.errors",
        "5 errors in 3 calls",
    );
    let mut b = batch(vec![counts(3, 0)]);
    b.arms[0].counts.retries = 4;
    refused(&b, "arms.retries", "4 retries");
    let mut b = batch(vec![counts(3, 0)]);
    b.arms[0].counts.custom.insert("cache_miss".into(), 4);
    refused(&b, "arms.custom", "4 cache_miss in 3 calls");
    let mut b = batch(vec![counts(3, 0)]);
    b.arms[0].counts.custom.insert("Bad Name".into(), 1);
    refused(&b, "arms.custom", "\"Bad Name\"");
    refused(
        &batch(vec![counts(u64::MAX, 0)]),
        "arms.calls",
        "18446744073709551615",
    );
    let mut b = batch(vec![counts(3, 0)]);
    b.arms[0].counts.latency.buckets = vec![(40, 1)];
    refused(&b, "arms.latency", "1 latencies for 3 calls");
    b.arms[0].counts.latency.buckets = vec![(41, 1), (40, 2)];
    refused(&b, "arms.latency", "out of order");
    b.arms[0].counts.latency.buckets = vec![(u16::MAX, 3)];
    refused(&b, "arms.latency", "65535");
    // Overflowing sums are caught, not wrapped.
    b.arms[0].counts.latency.buckets = vec![(1, u64::MAX), (2, 4)];
    refused(&b, "arms.latency", "latencies for 3 calls");
}

#[test]
fn the_window_is_near_the_servers_now() {
    let mut b = batch(vec![counts(3, 0)]);
    b.window_start = Timestamp::from_second(-62_135_596_800).unwrap();
    refused(&b, "window_start", "10 minutes");
    let mut b = batch(vec![counts(3, 0)]);
    b.window_end = at(3600);
    refused(&b, "window_end", "1 minute ahead");
    let mut b = batch(vec![counts(3, 0)]);
    b.window_start = at(-599);
    b.window_end = at(59);
    assert_eq!(b.check(now()), Ok(()), "within the tolerance");
    b.window_end = at(-600);
    refused(&b, "window_end", "before window_start");
}

#[test]
fn the_same_arm_twice_and_unknown_flag_spellings_are_refused() {
    let mut b = batch(vec![counts(3, 0)]);
    b.arms.push(b.arms[0].clone());
    refused(&b, "arms", "appears twice");
    let mut b = batch(vec![counts(3, 0)]);
    b.arms[0].flag = "Not A Key".into();
    refused(&b, "arms.flag", "Not A Key");
}

fn shadow(runs: u64, compared: u64, field: FieldTally) -> FlagShadow {
    let mut tally = Tally {
        cases: compared,
        cases_agreed: field.agreed.min(compared),
        ..Tally::default()
    };
    tally.fields.insert("total".into(), field);
    FlagShadow {
        flag: "checkout".into(),
        counts: ShadowCounts {
            runs,
            compared,
            tally,
            ..ShadowCounts::default()
        },
    }
}

#[test]
fn shadow_tallies_must_agree_with_themselves() {
    let field = |compared, agreed, disagreed| FieldTally {
        compared,
        agreed,
        disagreed,
        ..FieldTally::default()
    };
    let mut b = batch(vec![]);
    b.shadows = vec![shadow(5, 5, field(5, 4, 1))];
    assert_eq!(b.check(now()), Ok(()));
    b.shadows = vec![shadow(2, 5, field(5, 5, 0))];
    refused(&b, "shadows.runs", "in 2 runs");
    b.shadows = vec![shadow(5, 5, field(5, 5, 3))];
    refused(&b, "shadows.tally", "\"total\"");
    // Fields under arrays are compared once per element.
    b.shadows = vec![shadow(5, 5, field(9, 9, 0))];
    assert_eq!(b.check(now()), Ok(()));
    let mut s = shadow(5, 5, field(5, 5, 0));
    s.counts.tally.cases = 4;
    b.shadows = vec![s];
    refused(&b, "shadows.tally", "4 cases");
}

#[test]
fn samples_are_made_to_fit_and_a_fitted_batch_passes() {
    let big = serde_json::Value::String("v".repeat(5000));
    let sample = MismatchSample {
        path: "items[].name".into(),
        legacy: Some(big.clone()),
        new: Some(serde_json::json!([1, 2, 3])),
        context: (0..20)
            .map(|i| (format!("a{i}"), "x".repeat(2000)))
            .collect(),
    };
    assert!(!sample.fits());
    let fitted = sample.clone().fitted().unwrap();
    assert!(fitted.fits(), "{fitted:?}");
    assert_eq!(fitted.new, sample.new, "small values are kept as they are");
    let long_path = MismatchSample {
        path: "p".repeat(300),
        ..sample
    };
    assert_eq!(long_path.clone().fitted(), None);

    let mut b = batch(vec![]);
    let mut s = shadow(
        1,
        1,
        FieldTally {
            compared: 1,
            disagreed: 1,
            ..FieldTally::default()
        },
    );
    s.counts.tally.cases_agreed = 0;
    s.counts.tally.fields.insert(
        "p".repeat(300),
        FieldTally {
            compared: 1,
            agreed: 1,
            ..FieldTally::default()
        },
    );
    s.counts.mismatches = vec![long_path];
    b.shadows = vec![s];
    assert!(b.check(now()).is_err());
    b.shadows[0].counts.fit_for_upload();
    assert_eq!(b.check(now()), Ok(()));
    assert_eq!(b.shadows[0].counts.mismatches_dropped, 1);
    assert_eq!(b.shadows[0].counts.tally.fields.len(), 1);
}

//! Arm metrics and shadow findings in time windows: which window an upload is counted in, the
//! span a read covers, and the figures people and guards read from the sums.
//!
//! Counts are kept per second: a guarded step may bake for seconds, and its figures must not
//! mix with the step before.

use std::collections::BTreeMap;

use cutover_api::{
    ArmSummary, ControlError, CounterSummary, FieldAgreement, IgnoredReports, MetricsSpan,
    Quantiles,
};
use cutover_core::{
    ArmCounts, ArmWindow, FlagKey, MetricsBatch, ShadowCounts, ShadowWindow, Timestamp,
};

/// The length of a window, in milliseconds.
const WINDOW_MS: i64 = 1_000;

/// How far back a read goes when it names no `since`.
const DEFAULT_SPAN_MINUTES: i64 = 15;

/// The start of the window `at` falls in.
pub(crate) fn window_of(at: Timestamp) -> Timestamp {
    let ms = at.as_millisecond();
    Timestamp::from_millisecond(ms - ms.rem_euclid(WINDOW_MS)).unwrap_or(at)
}

/// The span a read covers: `[since, until)`, 15 minutes up to `now` by default.
pub(crate) fn span_of(
    span: MetricsSpan,
    now: Timestamp,
) -> Result<(Timestamp, Timestamp), ControlError> {
    let until = span.until.unwrap_or(now);
    let since = match span.since {
        Some(since) => since,
        None => until
            .checked_sub(jiff::SignedDuration::from_mins(DEFAULT_SPAN_MINUTES))
            .unwrap_or(until),
    };
    if since >= until {
        return Err(ControlError::invalid(
            "since",
            format!("since {since} is not before until {until}"),
        ));
    }
    Ok((since, until))
}

/// A batch split into the windows to add, and the reports set aside because `known` does not
/// know their flag. The whole batch belongs to the window it closed in.
pub(crate) struct Sorted {
    pub arms: Vec<ArmWindow>,
    pub shadows: Vec<ShadowWindow>,
    pub ignored: IgnoredReports,
    pub start: Timestamp,
}

pub(crate) fn sort_batch(
    batch: MetricsBatch,
    known: impl Fn(&FlagKey) -> bool,
) -> Result<Sorted, ControlError> {
    let start = window_of(batch.window_end);
    let mut ignored = IgnoredReports::default();
    let mut arms = Vec::with_capacity(batch.arms.len());
    for report in batch.arms {
        let flag = FlagKey::new(&report.flag)?;
        if !known(&flag) {
            ignored.arms += 1;
            ignored.unknown_flags.insert(report.flag);
            continue;
        }
        arms.push(ArmWindow {
            flag,
            arm: report.arm,
            start,
            counts: report.counts,
        });
    }
    let mut shadows = Vec::with_capacity(batch.shadows.len());
    for report in batch.shadows {
        let flag = FlagKey::new(&report.flag)?;
        if !known(&flag) {
            ignored.shadows += 1;
            ignored.unknown_flags.insert(report.flag);
            continue;
        }
        shadows.push(ShadowWindow {
            flag,
            start,
            counts: report.counts,
        });
    }
    Ok(Sorted {
        arms,
        shadows,
        ignored,
        start,
    })
}

/// One arm's counts as people and guards read them.
pub(crate) fn summary(counts: &ArmCounts) -> ArmSummary {
    let q = |q: f64| counts.latency.quantile(q).map(|us| us as f64 / 1000.0);
    let latency_ms = match (q(0.5), q(0.9), q(0.95), q(0.99)) {
        (Some(p50), Some(p90), Some(p95), Some(p99)) => Some(Quantiles { p50, p90, p95, p99 }),
        _ => None,
    };
    ArmSummary {
        calls: counts.calls,
        errors: counts.errors,
        fallbacks: counts.fallbacks,
        retries: counts.retries,
        error_rate: counts.error_rate(),
        fallback_rate: counts.fallback_rate(),
        retry_rate: counts.retry_rate(),
        latency_ms,
        counters: counts
            .custom
            .iter()
            .map(|(name, n)| {
                let rate = (counts.calls > 0).then(|| *n as f64 / counts.calls as f64);
                (name.clone(), CounterSummary { count: *n, rate })
            })
            .collect(),
    }
}

/// Each compared field's agreement, with its ratio and interval.
pub(crate) fn agreement(counts: &ShadowCounts) -> BTreeMap<String, FieldAgreement> {
    counts
        .tally
        .fields
        .iter()
        .map(|(path, t)| {
            let agreement = FieldAgreement {
                counts: *t,
                ratio: t.ratio(),
                interval95: t.interval95(),
            };
            (path.clone(), agreement)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn an_instant_falls_in_the_second_it_is_in() {
        assert_eq!(
            window_of(at("2026-11-24T09:00:05.999Z")),
            at("2026-11-24T09:00:05Z")
        );
        assert_eq!(
            window_of(at("2026-11-24T09:00:05Z")),
            at("2026-11-24T09:00:05Z")
        );
        // Before 1970 the floor still goes back in time, not towards zero.
        assert_eq!(
            window_of(at("1969-12-31T23:59:59.5Z")),
            at("1969-12-31T23:59:59Z")
        );
    }

    #[test]
    fn a_span_defaults_to_the_last_fifteen_minutes() {
        let now = at("2026-11-24T09:00:00Z");
        assert_eq!(
            span_of(MetricsSpan::default(), now).unwrap(),
            (at("2026-11-24T08:45:00Z"), now)
        );
        let until = at("2026-11-24T08:00:00Z");
        let span = MetricsSpan {
            since: None,
            until: Some(until),
        };
        assert_eq!(
            span_of(span, now).unwrap(),
            (at("2026-11-24T07:45:00Z"), until)
        );
    }

    #[test]
    fn a_span_that_ends_before_it_starts_is_refused() {
        let now = at("2026-11-24T09:00:00Z");
        let span = MetricsSpan {
            since: Some(now),
            until: Some(now),
        };
        let err = span_of(span, now).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("since"));
        assert_eq!(err.code, "invalid");
    }

    #[test]
    fn a_summary_rates_counters_per_call() {
        let mut counts = ArmCounts {
            calls: 4,
            errors: 1,
            ..ArmCounts::default()
        };
        counts.custom.insert("cache_miss".into(), 2);
        let s = summary(&counts);
        assert_eq!(s.error_rate, Some(0.25));
        assert_eq!(s.counters["cache_miss"].rate, Some(0.5));
        assert_eq!(s.latency_ms, None);
    }
}

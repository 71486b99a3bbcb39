//! What an uploaded batch must satisfy before any of it is kept: guarded rollouts act on these
//! figures, so a faulty or hostile SDK token must not be able to make a gate read an error
//! rate of 5.0, a count of 2^64-1, or counts filed in year 1 or next week.
//!
//! Every count is checked against its whole (errors, fallbacks, retries and each counter at
//! most the calls; the latency sketch adds up to the calls exactly; shadow outcomes at most the
//! runs, each field's outcomes adding up to its comparisons), against what one process could
//! physically record in the window, and the window against the server's clock. The SDK runs the
//! same checks before it sends, so it never sends what a server refuses.

use std::collections::BTreeSet;

use jiff::SignedDuration;
use jiff::Timestamp;

use super::{ArmCounts, FlagShadow, LATENCY_BUCKETS, MetricsBatch};
use crate::compare::tally::{MismatchSample, ShadowCounts};
use crate::error::CoreError;
use crate::guard::gate::is_counter_name;
use crate::key::FlagKey;

/// How far before the server's now a batch's window may start.
pub const UPLOAD_WINDOW_PAST: SignedDuration = SignedDuration::from_mins(10);
/// How far after the server's now a batch's window may end (clocks drift a little).
pub const UPLOAD_WINDOW_AHEAD: SignedDuration = SignedDuration::from_mins(1);
/// Calls one process may report per second of its window: well above what a process can
/// record (each record is a handful of atomic additions), far below what overflows a sum.
pub const MAX_CALLS_PER_SECOND: u64 = 100_000_000;
/// Named counters one arm may report (the SDK's client names at most this many).
pub const MAX_COUNTERS: usize = 16;
/// A field path of a shadow tally or mismatch sample, in bytes (a gate names it).
pub const MAX_FIELD_PATH_BYTES: usize = 256;
/// Distinct field paths one flag's shadow tally may report per batch.
pub const MAX_SHADOW_FIELDS: usize = 1000;
/// A mismatch sample's legacy or new value, as JSON, in bytes.
pub const MAX_SAMPLE_VALUE_BYTES: usize = 1024;
/// Context pairs a mismatch sample keeps.
pub const MAX_SAMPLE_CONTEXT: usize = 8;
/// Batches an SDK may say it dropped since its last upload.
pub const MAX_DROPPED_BATCHES: u64 = 1_000_000_000;

fn invalid(field: &'static str, why: String) -> CoreError {
    CoreError::InvalidMetrics { field, why }
}

impl MetricsBatch {
    /// Checks the whole batch against the rules above, `now` being the receiver's clock.
    pub fn check(&self, now: Timestamp) -> Result<(), CoreError> {
        let (start, end) = (self.window_start, self.window_end);
        if end < start {
            return Err(invalid(
                "window_end",
                format!("window_end {end} is before window_start {start}"),
            ));
        }
        let earliest = now.checked_sub(UPLOAD_WINDOW_PAST).unwrap_or(now);
        if start < earliest {
            return Err(invalid(
                "window_start",
                format!(
                    "window_start {start} is more than 10 minutes before the server's time \
                     {now}; accepted: windows that start at most 10 minutes back and end at most \
                     1 minute ahead (check the clock of the uploading host)"
                ),
            ));
        }
        let latest = now.checked_add(UPLOAD_WINDOW_AHEAD).unwrap_or(now);
        if end > latest {
            return Err(invalid(
                "window_end",
                format!(
                    "window_end {end} is more than 1 minute after the server's time {now}; \
                     accepted: windows that start at most 10 minutes back and end at most 1 \
                     minute ahead (check the clock of the uploading host)"
                ),
            ));
        }
        if self.dropped_batches > MAX_DROPPED_BATCHES {
            return Err(invalid(
                "dropped_batches",
                format!(
                    "dropped_batches {} is not a count a process could reach; accepted: at most \
                     {MAX_DROPPED_BATCHES}",
                    self.dropped_batches
                ),
            ));
        }
        // A window counts as at least a second: a batch cut twice in a millisecond is fine.
        let seconds = (end.duration_since(start).as_secs().max(0) as u64).max(1);
        let most = seconds
            .saturating_add(1)
            .saturating_mul(MAX_CALLS_PER_SECOND);
        let mut seen = BTreeSet::new();
        for report in &self.arms {
            let flag =
                FlagKey::new(&report.flag).map_err(|e| invalid("arms.flag", e.to_string()))?;
            if !seen.insert((flag.to_string(), report.arm)) {
                return Err(invalid(
                    "arms",
                    format!(
                        "arm {} of flag {flag} appears twice in one batch; add its counts up",
                        report.arm
                    ),
                ));
            }
            let who = format!("arm {} of flag {flag}", report.arm);
            report.counts.check(&who, most)?;
        }
        let mut seen = BTreeSet::new();
        for shadow in &self.shadows {
            check_shadow(shadow, most, &mut seen)?;
        }
        Ok(())
    }
}

impl ArmCounts {
    /// Every count against its whole, and the calls against `most`.
    fn check(&self, who: &str, most: u64) -> Result<(), CoreError> {
        if self.calls > most {
            return Err(invalid(
                "arms.calls",
                format!(
                    "{who} reports {} calls, more than one process records in its window \
                     (accepted: at most {MAX_CALLS_PER_SECOND} a second)",
                    self.calls
                ),
            ));
        }
        for (field, name, n) in [
            ("arms.errors", "errors", self.errors),
            ("arms.fallbacks", "fallbacks", self.fallbacks),
            ("arms.retries", "retries", self.retries),
        ] {
            if n > self.calls {
                return Err(invalid(
                    field,
                    format!(
                        "{who} reports {n} {name} in {} calls; accepted: errors, fallbacks, \
                         retries and every counter at most the calls",
                        self.calls
                    ),
                ));
            }
        }
        if self.custom.len() > MAX_COUNTERS {
            return Err(invalid(
                "arms.custom",
                format!(
                    "{who} reports {} counters; accepted: at most {MAX_COUNTERS}",
                    self.custom.len()
                ),
            ));
        }
        for (name, n) in &self.custom {
            if !is_counter_name(name) {
                return Err(invalid(
                    "arms.custom",
                    format!(
                        "{who} names a counter {:?}; accepted: 1 to 64 of a-z, 0-9 and '_', \
                         starting with a letter",
                        crate::limits::clip(name, 80)
                    ),
                ));
            }
            if *n > self.calls {
                return Err(invalid(
                    "arms.custom",
                    format!(
                        "{who} counts {n} {name} in {} calls; accepted: every counter at most \
                         the calls",
                        self.calls
                    ),
                ));
            }
        }
        let mut total: u64 = 0;
        let mut last: Option<u16> = None;
        for (bucket, count) in &self.latency.buckets {
            if usize::from(*bucket) >= LATENCY_BUCKETS {
                return Err(invalid(
                    "arms.latency",
                    format!(
                        "{who} has latency bucket {bucket}; accepted: 0 to {}",
                        LATENCY_BUCKETS - 1
                    ),
                ));
            }
            if last.is_some_and(|l| l >= *bucket) || *count == 0 {
                return Err(invalid(
                    "arms.latency",
                    format!(
                        "{who} has latency buckets out of order, repeated or empty at bucket \
                         {bucket}; accepted: buckets in increasing order, each counting at least \
                         one call"
                    ),
                ));
            }
            last = Some(*bucket);
            total = total.saturating_add(*count);
        }
        if total != self.calls {
            return Err(invalid(
                "arms.latency",
                format!(
                    "{who} has {total} latencies for {} calls; accepted: one latency per call",
                    self.calls
                ),
            ));
        }
        Ok(())
    }
}

fn check_shadow(
    shadow: &FlagShadow,
    most: u64,
    seen: &mut BTreeSet<String>,
) -> Result<(), CoreError> {
    let flag = FlagKey::new(&shadow.flag).map_err(|e| invalid("shadows.flag", e.to_string()))?;
    if !seen.insert(flag.to_string()) {
        return Err(invalid(
            "shadows",
            format!("the shadow runs of flag {flag} appear twice in one batch; add them up"),
        ));
    }
    let c = &shadow.counts;
    let who = format!("shadow runs of flag {flag}");
    if c.runs > most {
        return Err(invalid(
            "shadows.runs",
            format!(
                "{who}: {} runs, more than one process records in its window",
                c.runs
            ),
        ));
    }
    let outcomes = c
        .compared
        .saturating_add(c.new_errors)
        .saturating_add(c.new_panics)
        .saturating_add(c.timeouts);
    if outcomes > c.runs {
        return Err(invalid(
            "shadows.runs",
            format!(
                "{who}: {} compared, {} errors, {} panics and {} timeouts in {} runs; accepted: \
                 each run ends one way, so together at most the runs",
                c.compared, c.new_errors, c.new_panics, c.timeouts, c.runs
            ),
        ));
    }
    let tally = &c.tally;
    if tally.cases != c.compared || tally.cases_agreed > tally.cases {
        return Err(invalid(
            "shadows.tally",
            format!(
                "{who}: the tally has {} cases ({} agreed) for {} comparisons; accepted: one \
                 case per comparison, agreed at most the cases",
                tally.cases, tally.cases_agreed, c.compared
            ),
        ));
    }
    if tally.fields.len() > MAX_SHADOW_FIELDS {
        return Err(invalid(
            "shadows.tally",
            format!(
                "{who}: {} field paths; accepted: at most {MAX_SHADOW_FIELDS}",
                tally.fields.len()
            ),
        ));
    }
    for (path, t) in &tally.fields {
        crate::limits::check_text("shadows.tally", path, MAX_FIELD_PATH_BYTES)?;
        let sum = t
            .agreed
            .saturating_add(t.disagreed)
            .saturating_add(t.missing)
            .saturating_add(t.extra);
        // A field under an array (`items[].id`) is compared once per element, so a field's
        // comparisons are not bounded by the cases; each of them ends exactly one way.
        if sum != t.compared {
            return Err(invalid(
                "shadows.tally",
                format!(
                    "{who}: field {path:?} was compared {} times but agreed {}, disagreed {}, \
                     missing {} and extra {} times; accepted: each comparison of a field ends \
                     one way",
                    t.compared, t.agreed, t.disagreed, t.missing, t.extra
                ),
            ));
        }
    }
    if c.mismatches.len() > ShadowCounts::SAMPLE {
        return Err(invalid(
            "shadows.mismatches",
            format!(
                "{who}: {} mismatch samples; accepted: at most {}",
                c.mismatches.len(),
                ShadowCounts::SAMPLE
            ),
        ));
    }
    for sample in &c.mismatches {
        if !sample.fits() {
            return Err(invalid(
                "shadows.mismatches",
                format!(
                    "{who}: a mismatch sample of field {:?} is over its limits; accepted: a path \
                     of at most {MAX_FIELD_PATH_BYTES} bytes, values of at most \
                     {MAX_SAMPLE_VALUE_BYTES} bytes as JSON, at most {MAX_SAMPLE_CONTEXT} \
                     context pairs of at most 1024 bytes",
                    crate::limits::clip(&sample.path, 80)
                ),
            ));
        }
    }
    Ok(())
}

fn json_len(value: Option<&serde_json::Value>) -> usize {
    value.map_or(0, |v| serde_json::to_vec(v).map_or(usize::MAX, |j| j.len()))
}

impl MismatchSample {
    /// Whether the sample is within the limits a batch is checked against.
    pub fn fits(&self) -> bool {
        self.path.len() <= MAX_FIELD_PATH_BYTES
            && json_len(self.legacy.as_ref()) <= MAX_SAMPLE_VALUE_BYTES
            && json_len(self.new.as_ref()) <= MAX_SAMPLE_VALUE_BYTES
            && self.context.len() <= MAX_SAMPLE_CONTEXT
            && self.context.iter().all(|(name, value)| {
                name.len() <= 128 && value.len() <= crate::limits::MAX_VALUE_BYTES
            })
    }

    /// The sample made to fit, for a sender: a value too large to keep becomes a string of its
    /// JSON's start (marked "…"), a context value is cut, extra context pairs are left out.
    /// `None` when its path alone is too long to keep.
    pub fn fitted(mut self) -> Option<MismatchSample> {
        if self.path.len() > MAX_FIELD_PATH_BYTES {
            return None;
        }
        for value in [&mut self.legacy, &mut self.new].into_iter().flatten() {
            if json_len(Some(value)) > MAX_SAMPLE_VALUE_BYTES {
                let text = serde_json::to_string(value).unwrap_or_default();
                // The string's own JSON quotes and escapes take room: leave a margin.
                let preview = crate::limits::clip(&text, MAX_SAMPLE_VALUE_BYTES / 2);
                *value = serde_json::Value::String(preview);
            }
        }
        self.context.truncate(MAX_SAMPLE_CONTEXT);
        for (name, value) in &mut self.context {
            *name = crate::limits::clip(name, 128);
            *value = crate::limits::clip(value, crate::limits::MAX_VALUE_BYTES);
        }
        Some(self)
    }
}

impl ShadowCounts {
    /// Makes the counts fit what a batch may carry, for a sender: field paths too long for a
    /// gate to name, and fields past [`MAX_SHADOW_FIELDS`], are left out of the tally; samples
    /// are made to fit, and the ones that cannot are counted as dropped.
    pub fn fit_for_upload(&mut self) {
        self.tally
            .fields
            .retain(|path, _| path.len() <= MAX_FIELD_PATH_BYTES);
        while self.tally.fields.len() > MAX_SHADOW_FIELDS {
            self.tally.fields.pop_last();
        }
        let samples = std::mem::take(&mut self.mismatches);
        for sample in samples {
            match sample.fitted() {
                Some(s) if self.mismatches.len() < Self::SAMPLE => self.mismatches.push(s),
                _ => self.mismatches_dropped += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests;

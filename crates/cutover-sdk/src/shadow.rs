//! Shadow runs: serve the legacy result, run the new path beside it, compare the two under a
//! comparison spec, and count what happened, without the new path ever reaching the caller.
//!
//! The new path's panics and errors are caught and counted, never propagated; it gets a
//! [`ReadOnly`] marker so it can skip its writes; a sticky percentage picks which contexts are
//! shadowed. Results are aggregated per flag: per-field agreement tallies, error, panic and
//! timeout counts, and a bounded sample of mismatches to review; uploaded with the arm metrics.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};

use std::time::{Duration, Instant};

use cutover_core::{
    Attributes, ComparisonSpec, FieldResult, MismatchSample, Rollout, Seed, ShadowCounts, bucket_of,
};
use futures_util::FutureExt;
use serde::Serialize;

use crate::client::Client;
use crate::shadow_book::ShadowReport;

/// Handed to the new path of a shadow run: whatever it does must not write, since its result is
/// thrown away and the legacy path already did the work.
#[derive(Debug, Clone, Copy)]
pub struct ReadOnly(());

/// What the new path of a shadow run did. [`Shadow::run`] and [`Shadow::run_async`] find it
/// themselves; a host that runs the new path on its own (an asyncio coroutine, a JavaScript
/// Promise) hands it to [`Shadow::record`].
#[derive(Debug, Clone, PartialEq)]
pub enum NewOutcome<T> {
    /// It returned this value, to compare with the legacy one.
    Done(T),
    /// It failed with this error.
    Error(String),
    /// It panicked (or, in a host language, crashed in a way that is not an error value).
    Panicked,
    /// It did not finish within the timeout.
    TimedOut,
}

/// A shadow run being set up: `client.shadow("flag", &ctx).sample(10.0).compare(spec)...`.
pub struct Shadow<'a, A: Attributes + ?Sized> {
    client: &'a Client,
    flag: &'a str,
    ctx: &'a A,
    spec: ComparisonSpec,
    sample: Rollout,
    timeout: Duration,
}

impl Client {
    /// Starts a shadow run of `flag` for this context. Defaults: every context, exact
    /// comparison, a 1 s timeout for the new path.
    pub fn shadow<'a, A: Attributes + ?Sized>(
        &'a self,
        flag: &'a str,
        ctx: &'a A,
    ) -> Shadow<'a, A> {
        Shadow {
            client: self,
            flag,
            ctx,
            spec: ComparisonSpec::default(),
            sample: Rollout::FULL,
            timeout: Duration::from_secs(1),
        }
    }

    /// What the shadow runs of `flag` found so far in this process.
    pub fn shadow_report(&self, flag: &str) -> ShadowReport {
        self.inner.recorder.shadows.report(flag)
    }
}

impl<'a, A: Attributes + ?Sized> Shadow<'a, A> {
    pub fn compare(mut self, spec: ComparisonSpec) -> Self {
        self.spec = spec;
        self
    }

    /// Shadows this share of contexts, stickily: the same context is always in or always out.
    pub fn sample(mut self, rollout: Rollout) -> Self {
        self.sample = rollout;
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The timeout the new path is given.
    pub fn time_limit(&self) -> Duration {
        self.timeout
    }

    /// Whether this context is shadowed: its stickiness value, bucketed with a salt of its own
    /// so the shadowed share is independent of the flag's rollout. A host running the new path
    /// itself asks this first and skips the new path when it is `false`.
    pub fn sampled(&self) -> bool {
        if self.sample.bps() >= 10_000 {
            return true;
        }
        let current = self.client.inner.live.current.load();
        let value = current
            .snapshot
            .get(self.flag)
            .and_then(|f| f.stickiness_value(self.ctx))
            .or_else(|| self.ctx.attribute("user_id"));
        let Some(value) = value else { return false };
        let seed = Seed::from_salt(&format!("shadow:{}", self.flag));
        bucket_of(seed, value) < self.sample.bps()
    }

    /// Runs the legacy path and returns its result; if sampled, then runs the new path on this
    /// thread and compares. A synchronous closure cannot be interrupted: one that overruns the
    /// timeout is counted as timed out and its result discarded (use [`Shadow::run_async`] to
    /// bound the wait itself).
    pub fn run<T, E>(
        self,
        legacy: impl FnOnce() -> T,
        new: impl FnOnce(ReadOnly) -> Result<T, E>,
    ) -> T
    where
        T: Serialize,
        E: std::fmt::Display,
    {
        let result = legacy();
        if !self.sampled() {
            return result;
        }
        let started = Instant::now();
        let outcome = match catch_unwind(AssertUnwindSafe(|| new(ReadOnly(())))) {
            Ok(_) if started.elapsed() > self.timeout => NewOutcome::TimedOut,
            Ok(Ok(value)) => NewOutcome::Done(value),
            Ok(Err(e)) => NewOutcome::Error(e.to_string()),
            Err(_) => NewOutcome::Panicked,
        };
        self.record(&result, outcome);
        result
    }

    /// Runs both paths concurrently and returns the legacy result as soon as it is ready and the
    /// new path has finished or timed out.
    pub async fn run_async<T, E, L, N>(self, legacy: L, new: impl FnOnce(ReadOnly) -> N) -> T
    where
        T: Serialize,
        E: std::fmt::Display,
        L: Future<Output = T>,
        N: Future<Output = Result<T, E>>,
    {
        if !self.sampled() {
            return legacy.await;
        }
        let new = AssertUnwindSafe(new(ReadOnly(()))).catch_unwind();
        let new = tokio::time::timeout(self.timeout, new);
        let (result, outcome) = tokio::join!(legacy, new);
        let outcome = match outcome {
            Err(_) => NewOutcome::TimedOut,
            Ok(Err(_)) => NewOutcome::Panicked,
            Ok(Ok(Ok(value))) => NewOutcome::Done(value),
            Ok(Ok(Err(e))) => NewOutcome::Error(e.to_string()),
        };
        self.record(&result, outcome);
        result
    }

    /// Counts one run whose new path the caller ran itself (see [`NewOutcome`]): compares a
    /// `Done` value with `legacy` under the spec, and adds the findings to the flag's report
    /// exactly as [`Shadow::run`] does.
    pub fn record<T: Serialize>(&self, legacy: &T, outcome: NewOutcome<T>) {
        let mut run = ShadowCounts {
            runs: 1,
            ..ShadowCounts::default()
        };
        let comparison = match outcome {
            NewOutcome::Done(new) => {
                match (serde_json::to_value(legacy), serde_json::to_value(&new)) {
                    (Ok(l), Ok(n)) => Some(self.spec.compare(&l, &n)),
                    _ => None,
                }
            }
            NewOutcome::Error(e) => {
                run.new_errors = 1;
                tracing::debug!(flag = self.flag, error = %e, "shadow: the new path failed");
                None
            }
            NewOutcome::Panicked => {
                run.new_panics = 1;
                None
            }
            NewOutcome::TimedOut => {
                run.timeouts = 1;
                None
            }
        };
        if let Some(comparison) = comparison {
            run.compared = 1;
            run.tally.add(&comparison);
            let mut context = Vec::new();
            for name in ["user_id", "session_id", "targetingKey", "tenant"] {
                if let Some(v) = self.ctx.attribute(name) {
                    context.push((name.to_owned(), v.to_owned()));
                }
            }
            for field in comparison.mismatches() {
                let (legacy, new) = match &field.result {
                    FieldResult::Disagreed { legacy, new } => {
                        (Some(legacy.clone()), Some(new.clone()))
                    }
                    FieldResult::Missing { legacy } => (Some(legacy.clone()), None),
                    FieldResult::Extra { new } => (None, Some(new.clone())),
                    FieldResult::Agreed => continue,
                };
                run.mismatches.push(MismatchSample {
                    path: field.path.clone(),
                    legacy,
                    new,
                    context: context.clone(),
                });
            }
        }
        self.client.inner.recorder.shadows.add(self.flag, &run);
    }
}

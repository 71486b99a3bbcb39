//! Arm metrics: what each path of each flag did (calls, errors, fallbacks, retries, latency),
//! counted in the SDK and uploaded in batches, the input of guarded rollouts.
//!
//! Recording is a handful of relaxed atomic additions into a fixed table per flag and arm: it
//! never allocates after a flag's first record, never takes a lock, never waits on the network.
//! The uploader swaps the counters out every interval; batches the server cannot take are kept
//! in a bounded queue, and what falls off it is counted as dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use cutover_core::{
    ArmCounts, ArmReport, LATENCY_BUCKETS, LatencySketch, MetricsBatch, Timestamp, Variant,
    latency_bucket,
};

/// What happened on one call through an arm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    pub latency: Duration,
    /// The call failed.
    pub error: bool,
    /// The call gave up on this path and fell back to the other one.
    pub fallback: bool,
    /// The call had to be retried.
    pub retry: bool,
    /// The service's own counters this call counts in (see [`crate::ClientBuilder::counters`]).
    pub counters: Counters,
}

impl Outcome {
    /// This outcome, also counted in `counter`.
    pub fn count(mut self, counter: Counter) -> Self {
        self.counters = self.counters.with(counter);
        self
    }

    /// This outcome, counted in `counter` when `yes`.
    pub fn count_if(self, yes: bool, counter: Counter) -> Self {
        if yes { self.count(counter) } else { self }
    }
}

/// Counters a client may name, at most (what a server takes per arm).
pub const MAX_COUNTERS: usize = cutover_core::MAX_COUNTERS;

/// One of the client's named counters ([`crate::Client::counter`]), to count calls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter(u8);

/// A set of counters, as bits: copying an outcome stays free.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters(u16);

impl Counters {
    pub fn with(self, counter: Counter) -> Counters {
        Counters(self.0 | (1 << counter.0))
    }

    pub fn contains(self, counter: Counter) -> bool {
        self.0 & (1 << counter.0) != 0
    }
}

/// The names of a client's counters, in the order of their indices.
#[derive(Debug, Clone, Default)]
pub(crate) struct CounterNames(Arc<[Box<str>]>);

impl CounterNames {
    pub(crate) fn new<'a>(
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<CounterNames, crate::error::SdkError> {
        let mut all: Vec<Box<str>> = Vec::new();
        for name in names {
            if !cutover_core::guard::is_counter_name(name) {
                return Err(crate::error::SdkError::InvalidCounter {
                    name: name.to_owned(),
                    why: "a counter name is 1 to 64 of a-z, 0-9 and '_', starting with a letter",
                });
            }
            if all.iter().any(|n| &**n == name) {
                return Err(crate::error::SdkError::InvalidCounter {
                    name: name.to_owned(),
                    why: "named twice",
                });
            }
            all.push(name.into());
        }
        if all.len() > MAX_COUNTERS {
            return Err(crate::error::SdkError::InvalidCounter {
                name: all[MAX_COUNTERS].to_string(),
                why: "a client names at most 16 counters",
            });
        }
        Ok(CounterNames(all.into()))
    }

    pub(crate) fn find(&self, name: &str) -> Option<Counter> {
        self.0
            .iter()
            .position(|n| &**n == name)
            .and_then(|i| u8::try_from(i).ok())
            .map(Counter)
    }
}

struct ArmCells {
    calls: AtomicU64,
    errors: AtomicU64,
    fallbacks: AtomicU64,
    retries: AtomicU64,
    latency: Box<[AtomicU64]>,
    custom: [AtomicU64; MAX_COUNTERS],
}

impl ArmCells {
    fn new() -> Self {
        ArmCells {
            calls: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            latency: (0..LATENCY_BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            custom: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    #[inline]
    fn record(&self, outcome: &Outcome) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if outcome.error {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        if outcome.fallback {
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
        }
        if outcome.retry {
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(outcome.latency.as_micros()).unwrap_or(u64::MAX);
        self.latency[latency_bucket(micros)].fetch_add(1, Ordering::Relaxed);
        let mut bits = outcome.counters.0;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            self.custom[i].fetch_add(1, Ordering::Relaxed);
            bits &= bits - 1;
        }
    }

    /// Takes the counts recorded so far, leaving zeros.
    fn take(&self, names: &CounterNames) -> ArmCounts {
        let mut custom = std::collections::BTreeMap::new();
        for (cell, name) in self.custom.iter().zip(names.0.iter()) {
            let n = cell.swap(0, Ordering::Relaxed);
            if n > 0 {
                custom.insert(name.to_string(), n);
            }
        }
        ArmCounts {
            custom,
            calls: self.calls.swap(0, Ordering::Relaxed),
            errors: self.errors.swap(0, Ordering::Relaxed),
            fallbacks: self.fallbacks.swap(0, Ordering::Relaxed),
            retries: self.retries.swap(0, Ordering::Relaxed),
            latency: LatencySketch::from_counts(
                self.latency
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (i, c.swap(0, Ordering::Relaxed))),
            ),
        }
    }
}

/// Legacy and new cells of one flag.
struct FlagCells {
    arms: [ArmCells; 2],
}

fn arm_index(variant: Variant) -> usize {
    match variant {
        Variant::Legacy => 0,
        Variant::New => 1,
    }
}

/// Batches kept while the server is unreachable (a few minutes at the default interval).
const PENDING_LIMIT: usize = 60;

pub(crate) struct Recorder {
    flags: ArcSwap<HashMap<Arc<str>, Arc<FlagCells>>>,
    pub(crate) counters: CounterNames,
    pub(crate) shadows: crate::shadow_book::ShadowBook,
    pub(crate) window_start: Mutex<Timestamp>,
    pending: Mutex<VecDeque<MetricsBatch>>,
    pub(crate) dropped: AtomicU64,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            flags: ArcSwap::from_pointee(HashMap::new()),
            counters: CounterNames::default(),
            shadows: Default::default(),
            window_start: Mutex::new(Timestamp::now()),
            pending: Mutex::new(VecDeque::new()),
            dropped: AtomicU64::new(0),
        }
    }
}

impl Recorder {
    pub(crate) fn with_counters(counters: CounterNames) -> Recorder {
        Recorder {
            counters,
            ..Recorder::default()
        }
    }

    #[inline]
    pub(crate) fn record(&self, flag: &str, arm: Variant, outcome: &Outcome) {
        if let Some(cells) = self.flags.load().get(flag) {
            cells.arms[arm_index(arm)].record(outcome);
            return;
        }
        // First record of this flag: add its cells (copy-on-write; rare).
        let cells = Arc::new(FlagCells {
            arms: [ArmCells::new(), ArmCells::new()],
        });
        self.flags.rcu(|flags| {
            let mut flags = HashMap::clone(flags);
            flags
                .entry(Arc::from(flag))
                .or_insert_with(|| cells.clone());
            flags
        });
        if let Some(cells) = self.flags.load().get(flag) {
            cells.arms[arm_index(arm)].record(outcome);
        }
    }

    /// Closes the current window into a batch and queues it (dropping the oldest when full).
    pub(crate) fn cut(&self) {
        let now = Timestamp::now();
        let start = std::mem::replace(
            &mut *self
                .window_start
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            now,
        );
        let mut arms = Vec::new();
        for (flag, cells) in self.flags.load().iter() {
            for arm in [Variant::Legacy, Variant::New] {
                let counts = cells.arms[arm_index(arm)].take(&self.counters);
                if counts.calls > 0 {
                    arms.push(ArmReport {
                        flag: flag.to_string(),
                        arm,
                        counts,
                    });
                }
            }
        }
        let shadows = self.shadows.take_window();
        if arms.is_empty() && shadows.is_empty() {
            return;
        }
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.len() >= PENDING_LIMIT {
            pending.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        pending.push_back(MetricsBatch {
            window_start: start,
            window_end: now,
            arms,
            shadows,
            dropped_batches: 0,
        });
    }

    /// The oldest queued batch, to upload; put it back with `requeue` if the upload fails.
    pub(crate) fn next_batch(&self) -> Option<MetricsBatch> {
        let mut batch = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()?;
        batch.dropped_batches = self.dropped.swap(0, Ordering::Relaxed);
        Some(batch)
    }

    pub(crate) fn requeue(&self, batch: MetricsBatch) {
        self.dropped
            .fetch_add(batch.dropped_batches, Ordering::Relaxed);
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.len() >= PENDING_LIMIT {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            pending.push_front(MetricsBatch {
                dropped_batches: 0,
                ..batch
            });
        }
    }

    /// Lets a batch go for good, counting it (and what it said it dropped) as dropped.
    pub(crate) fn drop_batch(&self, batch: MetricsBatch) {
        self.dropped
            .fetch_add(batch.dropped_batches.saturating_add(1), Ordering::Relaxed);
    }

    pub(crate) fn pending(&self) -> usize {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

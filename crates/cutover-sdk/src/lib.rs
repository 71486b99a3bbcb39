//! The cutover SDK: link it to gate a legacy and a new code path.
//!
//! [`Client::connect`] follows a cutover server's change stream and keeps a compiled snapshot of
//! every flag; [`Client::is_new`] evaluates against that snapshot in memory: no network, no
//! allocation, no lock. While the server is away the client keeps answering from the last
//! snapshot it had (and, with a cache file, from the last one it saved), reconnects with
//! exponential backoff and jitter, and resumes with `Last-Event-ID`.
//!
//! **Architecture invariant**: this crate depends on `cutover-core` and never on the store or the
//! server; the decision rules it runs are the core's, the same the server and the CLI run.

mod client;
mod error;
mod handle;
mod live;
mod metrics;
mod provider;
mod shadow;
mod shadow_book;
mod stream;
mod upload;
mod view;

pub use client::{Client, ClientBuilder, Measure, Status};
pub use error::SdkError;
pub use handle::SdkFlag;
pub use live::Change;
pub use metrics::{Counter, Counters, MAX_COUNTERS, Outcome};
pub use provider::OpenFeatureProvider;
pub use shadow::{NewOutcome, ReadOnly, Shadow};
pub use shadow_book::ShadowReport;
pub use view::FlagView;

pub use cutover_core::{
    ArmCounts, ArmReport, ComparisonSpec, Context, Decision, FlagShadow, MetricsBatch,
    MismatchSample, Reason, Rollout, ShadowCounts, Variant,
};

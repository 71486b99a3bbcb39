//! The interface of cutover's application layer: [`Control`], every use case people, scripts
//! and SDKs perform through the admin API, as one typed trait. `cutover-control` implements it
//! over a store, `cutover-client` over HTTP; the server's handlers and the CLI call it and do not
//! care which one they hold.
//!
//! **Architecture invariant**: this crate holds no logic and does no I/O. Its inputs and outputs
//! are plain data (most of them the core's records), and its one error, [`ControlError`], carries
//! exactly what an error answer of the admin API carries, so a client rebuilds from an answer the
//! error the local layer would have returned, and a command prints the same text both ways.

mod control;
mod error;
mod types;

pub use control::Control;
pub use error::{ControlError, ErrorKind};
pub use types::{
    ArmSummary, AuditPage, CounterSummary, CreatedToken, FieldAgreement, FlagMetrics,
    FlagShadowReport, IgnoredReports, Look, MetricsSpan, NewToken, NextStage, Quantiles,
    RolloutStatus, UploadReport,
};

// The records that cross the interface are the core's; named here so a caller of the layer
// needs no other crate to spell them.
pub use cutover_core::{
    ArmFigures, AuditQuery, BackupReport, ChangeMeta, Committed, GuardRecord, ImportChange,
    ImportOptions, ImportReport, TokenRecord,
};

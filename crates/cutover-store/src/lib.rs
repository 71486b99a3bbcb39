//! Persistence for cutover: flags, overrides, presets and the hash-chained audit log behind one
//! [`Store`] trait.
//!
//! **Architecture invariant**: every change is one transaction that writes the new state and its
//! audit entry together, and every backend runs the same transaction scripts (`script`) over
//! its own [`script::Tx`] primitives, so the rules (optimistic concurrency, no-op detection, the
//! audit chain) cannot drift between SQLite and PostgreSQL.

mod copy;
mod error;
mod model;
mod postgres;
mod row;
mod script;
mod scripted;
mod sqlite;
mod store;
mod verify;

pub use copy::{CopiedTable, CopyReport, CopySource, CopyTarget, copy};
pub use error::StoreError;
// The records shared with the application layer are the core's; these paths keep working.
pub use cutover_core::{
    ArmFigures, ArmWindow, AuditQuery, ChangeMeta, Committed, GuardRecord, ImportChange,
    ImportOptions, ImportReport, ShadowWindow, TokenRecord, TrustReport,
};
pub use model::{BackupReport, ChangeSignals, GuardLease, StoreState};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use store::Store;

//! Persistence for cutover: flags, overrides, presets and the hash-chained audit log behind
//! narrow traits by concern ([`FlagStore`], [`AuditStore`], ...) and [`Store`], all of them.
//!
//! **Architecture invariant**: every change is one transaction that writes the new state and its
//! audit entry together, and every backend runs the same transaction scripts (`script`) over
//! the same [`script::Tx`] primitives (`sql/`, written once over sqlx's driver traits), so the
//! rules (optimistic concurrency, no-op detection, the audit chain) cannot drift between SQLite
//! and PostgreSQL. A backend (`backend::Backend`) says only what differs.

mod backend;
mod copy;
mod error;
mod model;
mod postgres;
mod row;
mod script;
mod scripted;
mod sql;
mod sql_store;
mod sqlite;
mod store;
mod verify;

pub use copy::ends::{CopySource, CopyTarget};
pub use copy::run::{CopiedTable, CopyReport, copy};
pub use error::StoreError;
// The records shared with the application layer are the core's; these paths keep working.
pub use cutover_core::BackupReport;
pub use cutover_core::{
    ArmFigures, ArmWindow, AuditQuery, ChangeMeta, Committed, GuardRecord, ImportChange,
    ImportOptions, ImportReport, ShadowWindow, TokenRecord, TrustReport,
};
pub use model::{ChangeSignals, GuardLease, StoreState};
pub use postgres::connect::{PgBackend, PgStore};
pub use sql_store::SqlStore;
pub use sqlite::open::{SqliteBackend, SqliteStore};
pub use store::{
    AuditStore, ChangeFeedStore, FlagStore, MaintenanceStore, MeasurementStore, RolloutGuardStore,
    Store, TokenStore,
};

/// Every store trait, for calling their methods on a concrete store (`SqliteStore`,
/// `PgStore`): `use cutover_store::prelude::*;`. A `dyn Store` needs only `Store`.
pub mod prelude {
    pub use crate::store::{
        AuditStore as _, ChangeFeedStore as _, FlagStore as _, MaintenanceStore as _,
        MeasurementStore as _, RolloutGuardStore as _, Store, TokenStore as _,
    };
}

//! cutover's application layer: [`StoreControl`] carries out every use case of
//! [`cutover_api::Control`] over a [`Store`]. The rules stay in the core and the SQL in the store;
//! this crate composes them (read, ask the core, write through the store) and reports the
//! store's errors as the admin API does ([`cutover_api::ControlError`]). The server's handlers and
//! the local CLI both call it.
//!
//! It also offers what a node's own tasks need from the store (the live follower, the rollout
//! guard: looks, records, the lease), so the server reaches the store only through this crate.

mod audit;
mod figures;
mod prerequisites;
mod refusal;
pub mod requested;
mod rollout;
mod secret;
mod store_control;
mod verdicts;

pub use rollout::Judgement;
pub use secret::new_token_secret;
pub use store_control::StoreControl;

pub use cutover_api::{Control, ControlError, ErrorKind};

// What a node's follower and guard use of the store directly: reading the log after a head,
// the change signals, the guard lease. Re-exported so the server depends on this crate alone.
pub use cutover_store::{ChangeSignals, GuardLease, Store, StoreError, StoreState};

// What the CLI's commands about a store itself need (init, serve, store copy, store backup):
// opening a store of either backend, copying one into another, backing one up. Re-exported so
// the CLI, like the server, reaches the store only through this crate.
pub use cutover_store::{BackupReport, CopyReport, PgStore, SqliteStore, copy};

//! The transaction scripts every backend runs: read, check the expected version, apply the pure
//! change from the core, write, and append the audit entry, all inside one transaction.
//!
//! Backends provide only the primitives of [`Tx`] (`tx.rs`); the rules live here once: the
//! audit append (`audit.rs`), flags, presets, tokens and the import. This file only declares
//! them and re-exports what the store's methods call; the scripts name each other by file.

mod audit;
mod flags;
mod import;
mod presets;
mod tokens;
mod tx;

pub(crate) use audit::append;
pub(crate) use flags::{change_flag, create_flag, delete_flag, sweep_expired};
pub(crate) use import::import;
pub(crate) use presets::{apply_preset, define_preset, delete_preset};
pub(crate) use tokens::{create_token, revoke_token, token_state};
pub(crate) use tx::{HeadRow, Tx};

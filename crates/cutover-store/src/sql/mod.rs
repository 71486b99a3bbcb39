//! The SQL both backends run, written once over sqlx's driver traits: the driver bounds
//! (`dialect.rs`), statement arguments (`args.rs`), statements outside a transaction
//! (`pooled.rs`), the transaction primitives (`tx.rs`), the audit and token reads, measurements,
//! the guard's history and the copy's table access. What a backend says differently lives in its
//! [`Backend`] impl.
//!
//! Statements number their parameters `$1`, `$2`, ...: PostgreSQL's syntax, which SQLite reads
//! as the same numbered parameters.
//!
//! [`Backend`]: crate::backend::Backend

pub(crate) mod args;
pub(crate) mod copy;
pub(crate) mod dialect;
pub(crate) mod guard;
pub(crate) mod lookups;
pub(crate) mod metrics;
pub(crate) mod pooled;
pub(crate) mod tx;

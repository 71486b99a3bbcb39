//! The PostgreSQL backend: the same transaction scripts as SQLite over PostgreSQL primitives, a
//! write lock per change, and `NOTIFY` on every commit so every node of a cluster follows.
//! Connecting (`connect.rs`), the [`Backend`](crate::backend::Backend) impl (`backend.rs`), what
//! its errors mean (`classify.rs`), change signals (`signals.rs`), the guard's lease
//! (`lease.rs`) and its schema (`schema.rs`).

mod backend;
mod classify;
pub(crate) mod connect;
mod lease;
mod schema;
mod signals;

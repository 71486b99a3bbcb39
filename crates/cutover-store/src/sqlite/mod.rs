//! The embedded backend: one SQLite file, created by the commands that create a store, nothing
//! to install. Opening a store (`open.rs`), the [`Backend`](crate::backend::Backend) impl
//! (`backend.rs`), what its errors mean (`classify.rs`), backups (`backup.rs`), the file's
//! header check (`file_check.rs`) and its schema (`schema.rs`).

mod backend;
pub(crate) mod backup;
mod classify;
mod file_check;
pub(crate) mod open;
mod schema;

//! What the two backends do differently, and nothing else: opening transactions (SQLite's
//! `BEGIN IMMEDIATE`, PostgreSQL's advisory write lock and `REPEATABLE READ` snapshots), what
//! an error means, the few statements whose SQL differs, and what differs in kind (change
//! signals, the guard lease, backups). Everything else is written once, in `sql/` over
//! [`Dialect`] and in `scripted.rs` over [`Backend`].

use std::path::Path;

use async_trait::async_trait;
use sqlx::{Pool, Transaction};

use crate::copy::tables::Column;
use crate::sql::args::Args;
use crate::sql::dialect::Dialect;
use crate::sql_store::SqlStore;
use crate::{BackupReport, ChangeSignals, GuardLease, StoreError};

/// What a transaction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A change: holds the store's write lock from its first statement, so what it reads cannot
    /// change before it commits (the scripts' read-check-write needs no retry).
    Write,
    /// One consistent snapshot for several reads.
    Read,
    /// Adding measurements up: read, merge and write rows of one window without losing a
    /// concurrent upload.
    Tally,
}

/// The statements that add measurements to a window: `seed` (if any) makes sure the row exists,
/// `read` reads it (locking it where the backend locks rows), `write` writes the merged row.
/// All three take the window's key as their first parameters; `write` takes the values after.
pub(crate) struct TallySql {
    pub seed: Option<&'static str>,
    pub read: &'static str,
    pub write: &'static str,
}

#[async_trait]
pub(crate) trait Backend: Send + Sync + Sized + 'static {
    type Db: Dialect;

    fn pool(&self) -> &Pool<Self::Db>;

    /// Where the store is, for messages: the file's path, or "the PostgreSQL database".
    fn place(&self) -> String;

    /// What a database error means for the user (a damaged file, a busy lock, a database that
    /// cannot be reached, or a plain database error).
    fn classify(&self, err: sqlx::Error) -> StoreError;

    async fn begin(&self, mode: Mode) -> Result<Transaction<'static, Self::Db>, StoreError>;

    /// Run in the transaction of every audit append, bound to the new entry's id: how other
    /// nodes learn of the change when it commits.
    const ANNOUNCE: Option<&'static str>;

    /// Adds the condition "`action` starts with `prefix`" to a query.
    fn action_prefix(sql: &mut String, args: &mut Args<Self::Db>, prefix: String);

    const ARM_TALLY: TallySql;
    const SHADOW_TALLY: TallySql;

    /// A column as a copy selects it, so that it decodes as its
    /// [`Kind`](crate::copy::tables::Kind).
    fn copy_column(column: &Column) -> String;

    /// Run after a copy inserted its rows: moves whatever hands out ids past the copied ones.
    const SETTLE: Option<&'static str>;

    async fn change_signals(&self) -> Result<ChangeSignals, StoreError>;

    async fn guard_lease(&self) -> Result<Option<Box<dyn GuardLease>>, StoreError>;

    async fn backup(store: &SqlStore<Self>, path: &Path) -> Result<BackupReport, StoreError>;

    async fn close(&self) {
        self.pool().close().await;
    }
}

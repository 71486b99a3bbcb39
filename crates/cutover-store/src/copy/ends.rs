//! The two ends of a copy, as each backend opens them: one read transaction over every table
//! of the source and one write transaction on the target. They sit apart from the copy itself
//! because the store traits hand them out ([`crate::store::MaintenanceStore`]) while the copy
//! takes whole stores.

use async_trait::async_trait;
use cutover_core::VerifyReport;

use super::tables::{Cell, Table};
use crate::error::StoreError;

/// A store opened for reading every table in one snapshot; see
/// [`MaintenanceStore::copy_source`](crate::store::MaintenanceStore::copy_source).
pub struct CopySource(pub(crate) Box<dyn ReadTables>);

/// A store opened for a copy to fill, in one write transaction; see
/// [`MaintenanceStore::copy_target`](crate::store::MaintenanceStore::copy_target).
pub struct CopyTarget(pub(crate) Box<dyn WriteTables>);

/// One read transaction over every table of a store.
#[async_trait]
pub(crate) trait ReadTables: Send {
    /// The recorded audit head in this snapshot: the last entry's id and hash.
    async fn head(&mut self) -> Result<(u64, String), StoreError>;

    /// Hands every row of `table`, in key order, to `target` in batches of at most
    /// [`BATCH_ROWS`](super::tables::BATCH_ROWS); returns how many rows there were.
    async fn pour(
        &mut self,
        table: &'static Table,
        target: &mut dyn WriteTables,
    ) -> Result<u64, StoreError>;
}

/// One write transaction on the target; dropping it without `commit` rolls everything back.
#[async_trait]
pub(crate) trait WriteTables: Send {
    /// Where this is, for messages: the file's path, or "the PostgreSQL database".
    fn place(&self) -> String;

    /// How many rows each table holds that count as content (see [`Table::held`]).
    async fn held(&mut self, table: &'static Table) -> Result<u64, StoreError>;

    async fn insert(&mut self, table: &'static Table, rows: &[Vec<Cell>])
    -> Result<(), StoreError>;

    /// Removes the rows the migrations put in `table`, before the copy's own.
    async fn clear(&mut self, table: &'static Table) -> Result<(), StoreError>;

    /// Moves whatever hands out ids past the copied ones (PostgreSQL's sequences).
    async fn settle(&mut self) -> Result<(), StoreError>;

    /// `audit verify` over what this transaction holds now.
    async fn verify(&mut self) -> Result<VerifyReport, StoreError>;

    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

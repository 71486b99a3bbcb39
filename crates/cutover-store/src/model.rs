//! The values that cross the store boundary and stay in it; the records shared with the
//! application layer live in `cutover_core::records` and are re-exported from this crate.

use std::pin::Pin;

use cutover_core::Flag;
use futures_util::Stream;
use serde::Serialize;

/// The flags and the id of the last audit entry, read in one transaction: a state a follower
/// can start from and then apply every later audit entry to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreState {
    pub flags: Vec<Flag>,
    /// The last committed audit id; 0 for an empty log.
    pub head: u64,
}

/// Wake-ups telling a follower that some writer, maybe in another process or on another node,
/// may have committed: it should read the audit entries after the last one it applied. A
/// wake-up can be spurious; one is also sent after a lost connection comes back, since
/// notifications may have been missed meanwhile.
pub type ChangeSignals = Pin<Box<dyn Stream<Item = ()> + Send>>;

/// The right to run the guard loop, held by one node at a time.
#[async_trait::async_trait]
pub trait GuardLease: Send {
    /// Whether this node still holds it; once `false`, it stays lost (ask for a new one).
    async fn still_held(&mut self) -> bool;
}

/// What a backup wrote, and its own verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupReport {
    /// The backup file.
    pub path: String,
    /// How it was taken: `sqlite_vacuum_into` (a SQLite store's file) or `store_copy` (a store
    /// of another backend, copied into a new SQLite file).
    pub method: String,
    /// The backup's audit head: the last entry's id and hash.
    pub head_id: u64,
    pub head_hash: String,
    /// `audit verify` of the backup file.
    pub verify: cutover_core::VerifyReport,
}

//! The values that cross the store boundary and stay in it; the records shared with the
//! application layer live in `cutover_core::records` and are re-exported from this crate.

use std::pin::Pin;

use cutover_core::Flag;
use futures_util::Stream;

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

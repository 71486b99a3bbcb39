//! The values that cross the store boundary besides the core model.

use cutover_core::{FlagKey, Timestamp};
use serde::Serialize;

/// Who makes a change, why, and when. The actor comes from the caller's authentication (the OS
/// user or `--actor` locally, the token name on a server), never from the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeMeta {
    pub actor: String,
    pub reason: Option<String>,
    pub at: Timestamp,
}

/// The result of a change: the state after it, and the audit entry that recorded it, or `None`
/// when the change left everything as it was (no version bump, no audit entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Committed<T> {
    pub value: T,
    pub audit_id: Option<u64>,
}

impl<T> Committed<T> {
    pub fn changed(&self) -> bool {
        self.audit_id.is_some()
    }
}

/// A filter over the audit log; every set field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub actor: Option<String>,
    /// Entries about this flag.
    pub flag: Option<FlagKey>,
    /// An exact action (`flag.rollout`) or a family ending in `.*` (`override.*`).
    pub action: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// At most this many entries; the newest when `newest_first`.
    pub limit: Option<u32>,
    pub newest_first: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    pub deleted: Vec<String>,
    pub presets_defined: Vec<String>,
    pub presets_deleted: Vec<String>,
}

//! Records that cross the application layer, the store and the admin API: who made a change
//! and what it committed, audit queries, imports, tokens as stored, measurements and the guard's
//! looks. Plain data: the store persists them, the application layer and its clients pass them on.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::access::{Role, TokenName};
use crate::arm_metrics::ArmCounts;
use crate::audit_check::VerifyReport;
use crate::compare::tally::ShadowCounts;
use crate::key::FlagKey;
use crate::variant::Variant;

/// Who makes a change, why, and when. The actor comes from the caller's authentication (the OS
/// user or `--actor` locally, the token name on a server), never from the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeMeta {
    pub actor: String,
    pub reason: Option<String>,
    pub at: Timestamp,
    /// The caller's role through a server; `None` for the store's own user on the command line,
    /// who may do anything. Stage prerequisites may ask for a role.
    pub role: Option<Role>,
    /// Go ahead although stage prerequisites are missing (needs a reason; audited as forced).
    pub force: bool,
}

/// The result of a change: the state after it, and the audit entry that recorded it, or `None`
/// when the change left everything as it was (no version bump, no audit entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Only entries after this id: what a follower missed since the last entry it applied, or
    /// the cursor of the next page when reading oldest first.
    pub after_id: Option<u64>,
    /// Only entries before this id: the cursor of the next page when reading newest first.
    pub before_id: Option<u64>,
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    pub deleted: Vec<String>,
    pub presets_defined: Vec<String>,
    pub presets_deleted: Vec<String>,
    /// Every field an update changes, with its value before and after.
    #[serde(default)]
    pub changes: Vec<ImportChange>,
    /// Nothing was written: this is what the import would do.
    #[serde(default)]
    pub dry_run: bool,
}

/// One field of one flag that an import changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportChange {
    pub flag: String,
    pub field: String,
    /// `null` when the field was absent.
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// How an import treats the store it lands in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Also delete the flags and presets the document does not name.
    pub prune: bool,
    /// Overwrite flags that changed in the store since the document's versions of them.
    pub force: bool,
    /// Work out the report, then write nothing.
    pub dry_run: bool,
}

/// What `--trust-state` accepted: one sentence per finding, and the audit entries that record
/// the acceptance (none when the store agreed with its log).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustReport {
    pub accepted: Vec<String>,
    pub audit_ids: Vec<u64>,
}

/// An API token as stored: the secret itself is never kept, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub name: TokenName,
    pub role: Role,
    /// `token_hash` of the secret. Not serialised: it never appears in the audit
    /// log or in an API answer.
    #[serde(skip)]
    pub hash: String,
    pub created_at: Timestamp,
    pub created_by: String,
    /// After this instant the token no longer authenticates and its change streams end; `None`
    /// never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// What one arm of one flag did in one window (the server keeps one a second), as SDKs report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmWindow {
    pub flag: FlagKey,
    pub arm: Variant,
    /// The start of the window the counts belong to.
    pub start: Timestamp,
    pub counts: ArmCounts,
}

/// Both arms of a flag, summed over a span of windows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmFigures {
    pub legacy: ArmCounts,
    pub new: ArmCounts,
    /// Rows summed (one per arm and window that had counts).
    pub windows: u64,
}

/// What shadow runs of one flag found in one window (the server keeps one a second).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShadowWindow {
    pub flag: FlagKey,
    pub start: Timestamp,
    pub counts: ShadowCounts,
}

/// One look of the guard at a flag's rollout: the action it took (`hold` when none) and every
/// gate's verdict with its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardRecord {
    pub flag: FlagKey,
    pub at: Timestamp,
    pub step: usize,
    #[serde(rename = "rollout_percent")]
    pub rollout: crate::rollout::Rollout,
    pub action: String,
    pub assessment: crate::guard::assess::Assessment,
}

/// What a backup wrote, and its verification: a consistent copy of a whole store in a new
/// SQLite file, which a person keeps and may later serve or copy into an empty store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub verify: VerifyReport,
}

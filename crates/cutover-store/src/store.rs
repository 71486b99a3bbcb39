//! What the CLI and the server need from persistence, by concern: flags and presets, the audit
//! log, tokens, measurements, the rollout guard's records, change signals, and the store as a
//! whole (copy, backup, close). [`Store`] is all of them: what a caller holding the whole store
//! (`Arc<dyn Store>`) calls, while code that needs one concern can ask for just that trait.
//!
//! The methods of every narrow trait can be called on a `dyn Store` (and on any `T: Store`)
//! with only `Store` in scope; on a concrete store (`SqliteStore`, `PgStore`) the narrow trait
//! must be in scope, which `use cutover_store::prelude::*` brings.

use async_trait::async_trait;
use cutover_core::{
    Anchor, ArmFigures, ArmWindow, AuditEntry, AuditQuery, BackupReport, ChangeMeta, Committed,
    Flag, FlagChange, FlagDocument, FlagKey, GuardRecord, ImportOptions, ImportReport, Preset,
    ShadowCounts, ShadowWindow, Timestamp, TokenName, TokenRecord, TrustReport, VerifyReport,
};

use crate::copy::ends::{CopySource, CopyTarget};
use crate::error::StoreError;
use crate::model::{ChangeSignals, GuardLease, StoreState};

/// Flags, their overrides and presets, and the import/export document that holds them.
///
/// Every method that changes state runs in one transaction with its audit entries; methods that
/// take `expected_version` refuse with [`StoreError::VersionConflict`] when the flag moved on,
/// and `None` applies the change to whatever version is current (still atomically).
#[async_trait]
pub trait FlagStore: Send + Sync {
    async fn flags(&self) -> Result<Vec<Flag>, StoreError>;

    async fn flag(&self, key: &FlagKey) -> Result<Flag, StoreError>;

    /// Every flag and the audit head, read in one transaction.
    async fn state(&self) -> Result<StoreState, StoreError>;

    async fn create_flag(
        &self,
        flag: Flag,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, StoreError>;

    async fn change_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        changes: &[FlagChange],
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, StoreError>;

    /// Deletes a flag; the committed value is the flag as it was.
    async fn delete_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, StoreError>;

    async fn presets(&self) -> Result<Vec<Preset>, StoreError>;

    /// Creates or replaces a preset; every flag it names must exist.
    async fn define_preset(
        &self,
        preset: Preset,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, StoreError>;

    async fn delete_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, StoreError>;

    /// Applies every entry of a preset in one transaction: all flags change or none does.
    async fn apply_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, StoreError>;

    /// Removes overrides whose expiry is at or before `meta.at`, auditing each flag it touches.
    async fn sweep_expired_overrides(
        &self,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, StoreError>;

    /// Makes the store hold the document's flags and presets, all or nothing. With `prune`,
    /// flags and presets the document does not name are deleted. A flag whose version in the
    /// document is older than the store's is refused ([`StoreError::StaleImport`]) unless
    /// `force`; with `dry_run` the report says what would change and nothing is written.
    async fn import(
        &self,
        doc: &FlagDocument,
        options: ImportOptions,
        meta: &ChangeMeta,
    ) -> Result<ImportReport, StoreError>;

    async fn export(&self) -> Result<FlagDocument, StoreError>;
}

/// Reading and checking the hash-chained audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError>;

    /// Verifies the audit log: walks the chain against the recorded head, replays it into the
    /// flags, presets and tokens it describes and compares them with the rows, checks the seal
    /// when the store was given an audit key, and holds the log to `anchor` when one is given.
    async fn verify_audit_with(&self, anchor: Option<&Anchor>) -> Result<VerifyReport, StoreError>;

    /// [`AuditStore::verify_audit_with`] without an anchor.
    async fn verify_audit(&self) -> Result<VerifyReport, StoreError> {
        self.verify_audit_with(None).await
    }

    /// The recorded audit head: the last entry's id and hash (0 and the genesis hash for an
    /// empty log). Not verified: keep it as an anchor after `verify` passed.
    async fn audit_head(&self) -> Result<(u64, String), StoreError>;

    /// Accepts the rows as they are where they disagree with the log (and, with a key, what
    /// was written without it), recording each acceptance in the audit log; see
    /// `cutover serve --trust-state`.
    async fn trust_state(&self, meta: &ChangeMeta) -> Result<TrustReport, StoreError>;
}

/// The API's bearer tokens (their hashes; the secrets are never stored).
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Every token, by name.
    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;

    /// The token stored under this hash, if any: how a request's bearer token is checked.
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError>;

    /// Stores a new token (audited as `token.create`, with a digest of its hash, never the hash).
    async fn create_token(
        &self,
        token: TokenRecord,
        meta: &ChangeMeta,
    ) -> Result<Committed<TokenRecord>, StoreError>;

    /// Deletes a token so it stops working at once (audited as `token.revoke`); the committed
    /// value is the token as it was.
    async fn revoke_token(
        &self,
        name: &TokenName,
        meta: &ChangeMeta,
    ) -> Result<Committed<TokenRecord>, StoreError>;
}

/// What services measured: arm metrics and shadow findings, per flag and time window. Not
/// audited: these are measurements, not changes.
#[async_trait]
pub trait MeasurementStore: Send + Sync {
    /// Adds arm counts to the windows they name (counts of the same flag, arm and window add
    /// up).
    async fn add_arm_metrics(&self, windows: &[ArmWindow]) -> Result<(), StoreError>;

    /// Both arms of a flag summed over the windows starting in `[since, until)`.
    async fn arm_metrics(
        &self,
        flag: &FlagKey,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<ArmFigures, StoreError>;

    /// Adds shadow findings to the windows they name (they add up like arm counts).
    async fn add_shadow_counts(&self, windows: &[ShadowWindow]) -> Result<(), StoreError>;

    /// A flag's shadow findings summed over the windows starting in `[since, until)`.
    async fn shadow_counts(
        &self,
        flag: &FlagKey,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<ShadowCounts, StoreError>;
}

/// The rollout guard's records and the lease that elects the one node running it.
#[async_trait]
pub trait RolloutGuardStore: Send + Sync {
    /// Keeps one look of the guard at a rollout. Not audited: the audit log has the changes
    /// the guard made, this has every verdict behind them.
    async fn add_guard_record(&self, record: &GuardRecord) -> Result<(), StoreError>;

    /// A flag's guard history, newest first, at most `limit` records.
    async fn guard_history(
        &self,
        flag: &FlagKey,
        limit: u32,
    ) -> Result<Vec<GuardRecord>, StoreError>;

    /// Asks to become the node that runs the guard loop: `None` while another node holds it.
    async fn guard_lease(&self) -> Result<Option<Box<dyn GuardLease>>, StoreError>;
}

/// Wake-ups for a follower of the audit log.
#[async_trait]
pub trait ChangeFeedStore: Send + Sync {
    /// See [`ChangeSignals`].
    async fn change_signals(&self) -> Result<ChangeSignals, StoreError>;
}

/// The store as a whole: copies, backups, and closing it.
#[async_trait]
pub trait MaintenanceStore: Send + Sync {
    /// Opens one read transaction over every table, for [`copy`](fn@crate::copy) to read from:
    /// one snapshot, so a store being written to copies a consistent state.
    async fn copy_source(&self) -> Result<CopySource, StoreError>;

    /// Opens one write transaction for [`copy`](fn@crate::copy) to fill; the store should hold
    /// nothing yet (the copy checks inside the transaction).
    async fn copy_target(&self) -> Result<CopyTarget, StoreError>;

    /// Writes a consistent copy of the store to a new SQLite file at `path` (never replacing a
    /// file) and verifies it: a SQLite store's file through `VACUUM INTO`, any other store
    /// through a copy. Runs beside servers and writers.
    async fn backup(&self, path: &std::path::Path) -> Result<BackupReport, StoreError>;

    /// Releases connections before the process ends (SQLite folds its write-ahead log back
    /// into the file).
    async fn close(&self) {}
}

/// Persistence of flags, presets, tokens, measurements and the audit log: every narrow trait
/// of this module. Implemented for everything that implements them all.
pub trait Store:
    FlagStore
    + AuditStore
    + TokenStore
    + MeasurementStore
    + RolloutGuardStore
    + ChangeFeedStore
    + MaintenanceStore
{
}

impl<T> Store for T where
    T: FlagStore
        + AuditStore
        + TokenStore
        + MeasurementStore
        + RolloutGuardStore
        + ChangeFeedStore
        + MaintenanceStore
        + ?Sized
{
}

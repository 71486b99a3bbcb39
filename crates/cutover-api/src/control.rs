//! The trait of every use case.

use std::path::Path;

use async_trait::async_trait;
use cutover_core::{
    Anchor, AuditEntry, AuditQuery, BackupReport, ChangeMeta, Committed, Flag, FlagChange,
    FlagDocument, FlagKey, GuardRecord, ImportOptions, ImportReport, MetricsBatch, Override,
    Preset, TokenName, TokenRecord, VerifyReport,
};

use crate::error::ControlError;
use crate::types::{
    AuditPage, CreatedToken, FlagMetrics, FlagShadowReport, MetricsSpan, NewToken, RolloutStatus,
    UploadReport,
};

/// Every use case of cutover's admin API, one method each.
///
/// Changes take the audit metadata of who makes them ([`ChangeMeta`]); a layer behind a server
/// records the token's name as the actor whatever the caller says. Methods that take
/// `expected_version` refuse with a `version_conflict` when the flag moved on; `None` applies
/// the change to whatever version is current (still atomically). Time, where a use case needs
/// it and the caller does not give it, is the serving side's clock.
#[async_trait]
pub trait Control: Send + Sync {
    /// Every flag, by key.
    async fn flags(&self) -> Result<Vec<Flag>, ControlError>;

    async fn flag(&self, key: &FlagKey) -> Result<Flag, ControlError>;

    async fn create_flag(
        &self,
        flag: Flag,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError>;

    /// Applies `changes` together to one flag: its fields, rollout and stage, kill switch,
    /// overrides, plan and the moves of a guarded rollout (start, pause, resume, promote, abort).
    async fn change_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        changes: &[FlagChange],
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError>;

    /// Deletes a flag; the committed value is the flag as it was.
    async fn delete_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError>;

    /// A flag's overrides.
    async fn overrides(&self, key: &FlagKey) -> Result<Vec<Override>, ControlError>;

    /// Removes overrides whose expiry is at or before `meta.at` from every flag, auditing each
    /// flag it touches.
    async fn sweep_expired_overrides(
        &self,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, ControlError>;

    /// Where a flag's rollout stands now: its plan and run, every gate's figures and verdict,
    /// and what the plan would do.
    async fn rollout_status(&self, key: &FlagKey) -> Result<RolloutStatus, ControlError>;

    /// The guard's looks at a flag's rollout, newest first, at most `limit` (1 to 10,000).
    async fn guard_history(
        &self,
        key: &FlagKey,
        limit: u32,
    ) -> Result<Vec<GuardRecord>, ControlError>;

    async fn presets(&self) -> Result<Vec<Preset>, ControlError>;

    /// Creates or replaces a preset; every flag it names must exist.
    async fn define_preset(
        &self,
        preset: Preset,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, ControlError>;

    async fn delete_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, ControlError>;

    /// Applies every entry of a preset in one transaction: all flags change or none does.
    async fn apply_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, ControlError>;

    /// Makes the store hold the document's flags and presets, all or nothing (see
    /// [`ImportOptions`]).
    async fn import(
        &self,
        doc: &FlagDocument,
        options: ImportOptions,
        meta: &ChangeMeta,
    ) -> Result<ImportReport, ControlError>;

    async fn export(&self) -> Result<FlagDocument, ControlError>;

    /// Every audit entry the query matches, at most `query.limit` of them (all without one).
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, ControlError>;

    /// One page of the audit log: at most `query.limit` entries (100 by default, 500 at most)
    /// and about 1 MiB of them (always one entry), and whether more follow.
    async fn audit_page(&self, query: &AuditQuery) -> Result<AuditPage, ControlError>;

    /// Verifies the audit log (chain, rows, seal) and holds it to `anchor` when one is given.
    async fn verify_audit(&self, anchor: Option<&Anchor>) -> Result<VerifyReport, ControlError>;

    /// The recorded audit head: the last entry's id and hash (0 and the genesis hash for an
    /// empty log). Not verified: keep it as an anchor after a verification passed.
    async fn audit_head(&self) -> Result<(u64, String), ControlError>;

    /// Every token, by name, without secrets or hashes.
    async fn tokens(&self) -> Result<Vec<TokenRecord>, ControlError>;

    /// Creates a token with a secret the layer draws; the answer is the only place it appears.
    async fn create_token(
        &self,
        token: NewToken,
        meta: &ChangeMeta,
    ) -> Result<Committed<CreatedToken>, ControlError>;

    /// Deletes a token so it stops working at once; the committed value is the token as it was.
    async fn revoke_token(
        &self,
        name: &TokenName,
        meta: &ChangeMeta,
    ) -> Result<Committed<TokenRecord>, ControlError>;

    /// Counts an SDK's batch of arm and shadow reports in the window (a second) it closed in.
    /// A batch that cannot be true is refused whole; reports for unknown flags are set aside.
    async fn upload_metrics(&self, batch: MetricsBatch) -> Result<UploadReport, ControlError>;

    /// Both arms of a flag over a span.
    async fn arm_metrics(
        &self,
        key: &FlagKey,
        span: MetricsSpan,
    ) -> Result<FlagMetrics, ControlError>;

    /// What shadow runs of a flag found over a span.
    async fn shadow_report(
        &self,
        key: &FlagKey,
        span: MetricsSpan,
    ) -> Result<FlagShadowReport, ControlError>;

    /// Writes a consistent copy of the whole store, taken while writers go on, to the new SQLite
    /// file `to` on the caller's machine, and verifies it; never replaces a file (`to` existing
    /// is a 409 `exists`). A store whose log does not verify still gets its backup, and the
    /// report says so. Through a server, the copy is taken there and its bytes are checked
    /// against the server's digest on arrival.
    async fn backup(&self, to: &Path) -> Result<BackupReport, ControlError>;
}

//! INTERIM: the store-backed layer until cutover-control (branch control, step B) lands; then
//! `session::layer` uses `cutover_control::StoreControl` and this file goes. Arm metrics and uploads
//! are not here (they answer `interim`).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::sync::Arc;

use async_trait::async_trait;
use cutover_api::*;
use cutover_core::*;
use cutover_store::{Store, StoreError};

pub(crate) struct Interim(pub Arc<dyn Store>);

fn e(err: StoreError) -> ControlError {
    let message = err.to_string();
    let (kind, code) = match err {
        StoreError::FlagNotFound { .. }
        | StoreError::PresetNotFound { .. }
        | StoreError::TokenNotFound { .. } => (ErrorKind::NotFound, "not_found"),
        StoreError::FlagExists { .. } | StoreError::TokenExists { .. } => {
            (ErrorKind::Conflict, "already_exists")
        }
        StoreError::FlagIdentityTaken { .. } => (ErrorKind::Conflict, "identity_taken"),
        StoreError::LastAdminToken { .. } => (ErrorKind::Conflict, "last_admin"),
        StoreError::VersionConflict { .. } => (ErrorKind::Conflict, "version_conflict"),
        StoreError::FlagInPreset { .. } => (ErrorKind::Conflict, "in_use"),
        StoreError::StaleImport { .. } => (ErrorKind::Conflict, "stale_import"),
        StoreError::Invalid(core) => return ControlError::from(core),
        StoreError::Busy { .. } | StoreError::Unavailable { .. } => {
            (ErrorKind::Unavailable, "store_unavailable")
        }
        _ => (ErrorKind::Failure, "store_failure"),
    };
    ControlError::new(kind, code, message)
}

#[async_trait]
impl Control for Interim {
    async fn flags(&self) -> Result<Vec<Flag>, ControlError> {
        self.0.flags().await.map_err(e)
    }
    async fn flag(&self, key: &FlagKey) -> Result<Flag, ControlError> {
        self.0.flag(key).await.map_err(e)
    }
    async fn create_flag(
        &self,
        flag: Flag,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        self.0.create_flag(flag, meta).await.map_err(e)
    }
    async fn change_flag(
        &self,
        key: &FlagKey,
        v: Option<u64>,
        changes: &[FlagChange],
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        self.0.change_flag(key, v, changes, meta).await.map_err(e)
    }
    async fn delete_flag(
        &self,
        key: &FlagKey,
        v: Option<u64>,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        self.0.delete_flag(key, v, meta).await.map_err(e)
    }
    async fn overrides(&self, key: &FlagKey) -> Result<Vec<Override>, ControlError> {
        Ok(self.0.flag(key).await.map_err(e)?.overrides)
    }
    async fn sweep_expired_overrides(
        &self,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, ControlError> {
        self.0.sweep_expired_overrides(meta).await.map_err(e)
    }
    async fn rollout_status(&self, key: &FlagKey) -> Result<RolloutStatus, ControlError> {
        let s = cutover_server::guard::status(&*self.0, key, Timestamp::now(), Default::default())
            .await
            .map_err(e)?;
        Ok(serde_json::from_value(serde_json::to_value(s).unwrap()).unwrap())
    }
    async fn guard_history(
        &self,
        key: &FlagKey,
        limit: u32,
    ) -> Result<Vec<GuardRecord>, ControlError> {
        self.0.flag(key).await.map_err(e)?;
        self.0.guard_history(key, limit).await.map_err(e)
    }
    async fn presets(&self) -> Result<Vec<Preset>, ControlError> {
        self.0.presets().await.map_err(e)
    }
    async fn define_preset(
        &self,
        p: Preset,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, ControlError> {
        self.0.define_preset(p, meta).await.map_err(e)
    }
    async fn delete_preset(
        &self,
        n: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, ControlError> {
        self.0.delete_preset(n, meta).await.map_err(e)
    }
    async fn apply_preset(
        &self,
        n: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, ControlError> {
        self.0.apply_preset(n, meta).await.map_err(e)
    }
    async fn import(
        &self,
        doc: &FlagDocument,
        o: ImportOptions,
        meta: &ChangeMeta,
    ) -> Result<ImportReport, ControlError> {
        self.0.import(doc, o, meta).await.map_err(e)
    }
    async fn export(&self) -> Result<FlagDocument, ControlError> {
        self.0.export().await.map_err(e)
    }
    async fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, ControlError> {
        self.0.audit(q).await.map_err(e)
    }
    async fn audit_page(&self, q: &AuditQuery) -> Result<AuditPage, ControlError> {
        let size = q.limit.unwrap_or(100);
        let mut q2 = q.clone();
        q2.limit = Some(size + 1);
        let mut entries = self.0.audit(&q2).await.map_err(e)?;
        let more = entries.len() > size as usize;
        entries.truncate(size as usize);
        Ok(AuditPage { entries, more })
    }
    async fn verify_audit(&self, a: Option<&Anchor>) -> Result<VerifyReport, ControlError> {
        self.0.verify_audit_with(a).await.map_err(e)
    }
    async fn audit_head(&self) -> Result<(u64, String), ControlError> {
        self.0.audit_head().await.map_err(e)
    }
    async fn tokens(&self) -> Result<Vec<TokenRecord>, ControlError> {
        self.0.tokens().await.map_err(e)
    }
    async fn create_token(
        &self,
        t: NewToken,
        meta: &ChangeMeta,
    ) -> Result<Committed<CreatedToken>, ControlError> {
        let secret = cutover_server::new_token_secret().unwrap();
        let rec = TokenRecord {
            name: t.name.clone(),
            role: t.role,
            hash: token_hash(&secret),
            created_at: Timestamp::now(),
            created_by: meta.actor.clone(),
            expires_at: t.expires_at,
        };
        let done = self.0.create_token(rec, meta).await.map_err(e)?;
        Ok(Committed {
            value: CreatedToken {
                name: t.name,
                role: t.role,
                expires_at: t.expires_at,
                token: secret,
            },
            audit_id: done.audit_id,
        })
    }
    async fn revoke_token(
        &self,
        n: &TokenName,
        meta: &ChangeMeta,
    ) -> Result<Committed<TokenRecord>, ControlError> {
        self.0.revoke_token(n, meta).await.map_err(e)
    }
    async fn upload_metrics(&self, _b: MetricsBatch) -> Result<UploadReport, ControlError> {
        Err(ControlError::failure("interim", "interim"))
    }
    async fn arm_metrics(
        &self,
        _k: &FlagKey,
        _s: MetricsSpan,
    ) -> Result<FlagMetrics, ControlError> {
        Err(ControlError::failure("interim", "interim"))
    }
    async fn shadow_report(
        &self,
        _k: &FlagKey,
        _s: MetricsSpan,
    ) -> Result<FlagShadowReport, ControlError> {
        Err(ControlError::failure("interim", "interim"))
    }
}

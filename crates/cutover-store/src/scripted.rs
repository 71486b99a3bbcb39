//! The one implementation of the store traits, for every backend: a method opens a transaction
//! of the backend, runs a shared script over it (`script`, `verify`) or a shared statement
//! (`sql/`), and commits. A backend ([`Backend`]) provides only what differs.

use async_trait::async_trait;
use cutover_core::{
    Anchor, AuditEntry, Flag, FlagChange, FlagDocument, FlagKey, Preset, ShadowCounts, Timestamp,
    TokenName, VerifyReport,
};

use crate::backend::{Backend, Mode};
use crate::sql::{self, tx::SqlTx};
use crate::sql_store::SqlStore;
use crate::store::{
    AuditStore, ChangeFeedStore, FlagStore, MaintenanceStore, MeasurementStore, RolloutGuardStore,
    TokenStore,
};
use crate::{
    ArmFigures, ArmWindow, AuditQuery, BackupReport, ChangeMeta, ChangeSignals, Committed,
    CopySource, CopyTarget, GuardLease, GuardRecord, ImportOptions, ImportReport, ShadowWindow,
    StoreError, StoreState, TokenRecord, TrustReport, script,
};

// `Backend` is crate-private on purpose: the backends are this crate's two, and outside it a
// store is used through its traits and constructors, never through its backend.
#[allow(private_bounds)]
impl<B: Backend> SqlStore<B> {
    /// Closes every connection (SQLite folds the write-ahead log back into the file).
    pub async fn close(&self) {
        self.backend.close().await;
    }

    pub(crate) async fn begin(&self, mode: Mode) -> Result<SqlTx<B>, StoreError> {
        let tx = self.backend.begin(mode).await?;
        Ok(SqlTx::new(tx, self.backend.clone(), self.key.clone()))
    }

    /// Commits on success; on failure the transaction is dropped, which rolls it back.
    async fn finish<T>(tx: SqlTx<B>, result: Result<T, StoreError>) -> Result<T, StoreError> {
        let value = result?;
        tx.commit().await?;
        Ok(value)
    }
}

#[async_trait]
impl<B: Backend> FlagStore for SqlStore<B> {
    async fn flags(&self) -> Result<Vec<Flag>, StoreError> {
        let mut tx = self.begin(Mode::Read).await?;
        script::Tx::flags(&mut tx).await
    }

    async fn flag(&self, key: &FlagKey) -> Result<Flag, StoreError> {
        let mut tx = self.begin(Mode::Read).await?;
        script::Tx::flag(&mut tx, key)
            .await?
            .ok_or_else(|| StoreError::FlagNotFound {
                key: key.to_string(),
            })
    }

    async fn state(&self) -> Result<StoreState, StoreError> {
        let mut tx = self.begin(Mode::Read).await?;
        let flags = script::Tx::flags(&mut tx).await?;
        let (head, _) = script::Tx::audit_head(&mut tx).await?;
        Ok(StoreState { flags, head })
    }

    async fn create_flag(
        &self,
        flag: Flag,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, StoreError> {
        let mut tx = self.begin(Mode::Write).await?;
        let out = script::create_flag(&mut tx, flag, meta).await;
        Self::finish(tx, out).await
    }

    async fn change_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        changes: &[FlagChange],
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, StoreError> {
        let mut tx = self.begin(Mode::Write).await?;
        let out = script::change_flag(&mut tx, key, expected_version, changes, None, meta).await;
        Self::finish(tx, out).await
    }

    async fn delete_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, StoreError> {
        let mut tx = self.begin(Mode::Write).await?;
        let out = script::delete_flag(&mut tx, key, expected_version, meta).await;
        Self::finish(tx, out).await
    }

    async fn presets(&self) -> Result<Vec<Preset>, StoreError> {
        let mut tx = self.begin(Mode::Read).await?;
        script::Tx::presets(&mut tx).await
    }

    async fn define_preset(
        &self,
        preset: Preset,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, StoreError> {
        let mut tx = self.begin(Mode::Write).await?;
        let out = script::define_preset(&mut tx, preset, meta).await;
        Self::finish(tx, out).await
    }

    async fn delete_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, StoreError> {
        let mut tx = self.begin(Mode::Write).await?;
        let out = script::delete_preset(&mut tx, name, meta).await;
        Self::finish(tx, out).await
    }

    async fn apply_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, StoreError> {
        let mut tx = self.begin(Mode::Write).await?;
        let out = script::apply_preset(&mut tx, name, meta).await;
        Self::finish(tx, out).await
    }

    async fn sweep_expired_overrides(
        &self,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, StoreError> {
        let mut tx = self.begin(Mode::Write).await?;
        let out = script::sweep_expired(&mut tx, meta).await;
        Self::finish(tx, out).await
    }

    async fn import(
        &self,
        doc: &FlagDocument,
        options: ImportOptions,
        meta: &ChangeMeta,
    ) -> Result<ImportReport, StoreError> {
        let mut tx = self.begin(Mode::Write).await?;
        let out = script::import(&mut tx, doc, options, meta).await;
        if options.dry_run {
            // Dropping the transaction rolls back everything the script wrote.
            drop(tx);
            return out;
        }
        Self::finish(tx, out).await
    }

    async fn export(&self) -> Result<FlagDocument, StoreError> {
        let mut tx = self.begin(Mode::Read).await?;
        let flags = script::Tx::flags(&mut tx).await?;
        let presets = script::Tx::presets(&mut tx).await?;
        Ok(FlagDocument { flags, presets })
    }
}

#[async_trait]
impl<B: Backend> AuditStore for SqlStore<B> {
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        sql::lookups::query(&*self.backend, query).await
    }

    async fn verify_audit_with(&self, anchor: Option<&Anchor>) -> Result<VerifyReport, StoreError> {
        let mut tx = self.begin(Mode::Read).await?;
        crate::verify::verify(&mut tx, anchor.cloned()).await
    }

    async fn audit_head(&self) -> Result<(u64, String), StoreError> {
        let mut tx = self.begin(Mode::Read).await?;
        script::Tx::audit_head(&mut tx).await
    }

    async fn trust_state(&self, meta: &ChangeMeta) -> Result<TrustReport, StoreError> {
        let mut tx = self.begin(Mode::Write).await?;
        let out = crate::verify::trust(&mut tx, meta).await;
        Self::finish(tx, out).await
    }
}

#[async_trait]
impl<B: Backend> TokenStore for SqlStore<B> {
    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        sql::lookups::tokens(&*self.backend).await
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        sql::lookups::token_by_hash(&*self.backend, hash).await
    }

    async fn create_token(
        &self,
        token: TokenRecord,
        meta: &ChangeMeta,
    ) -> Result<Committed<TokenRecord>, StoreError> {
        let mut tx = self.begin(Mode::Write).await?;
        let out = script::create_token(&mut tx, token, meta).await;
        Self::finish(tx, out).await
    }

    async fn revoke_token(
        &self,
        name: &TokenName,
        meta: &ChangeMeta,
    ) -> Result<Committed<TokenRecord>, StoreError> {
        let mut tx = self.begin(Mode::Write).await?;
        let out = script::revoke_token(&mut tx, name, meta).await;
        Self::finish(tx, out).await
    }
}

#[async_trait]
impl<B: Backend> MeasurementStore for SqlStore<B> {
    async fn add_arm_metrics(&self, windows: &[ArmWindow]) -> Result<(), StoreError> {
        let mut tx = self.begin(Mode::Tally).await?;
        let out = sql::metrics::add(&mut tx, windows).await;
        Self::finish(tx, out).await
    }

    async fn arm_metrics(
        &self,
        flag: &FlagKey,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<ArmFigures, StoreError> {
        sql::metrics::sum(&*self.backend, flag, since, until).await
    }

    async fn add_shadow_counts(&self, windows: &[ShadowWindow]) -> Result<(), StoreError> {
        let mut tx = self.begin(Mode::Tally).await?;
        let out = sql::metrics::add_shadow(&mut tx, windows).await;
        Self::finish(tx, out).await
    }

    async fn shadow_counts(
        &self,
        flag: &FlagKey,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<ShadowCounts, StoreError> {
        sql::metrics::sum_shadow(&*self.backend, flag, since, until).await
    }
}

#[async_trait]
impl<B: Backend> RolloutGuardStore for SqlStore<B> {
    async fn add_guard_record(&self, record: &GuardRecord) -> Result<(), StoreError> {
        sql::guard::add(&*self.backend, record).await
    }

    async fn guard_history(
        &self,
        flag: &FlagKey,
        limit: u32,
    ) -> Result<Vec<GuardRecord>, StoreError> {
        sql::guard::history(&*self.backend, flag, limit).await
    }

    async fn guard_lease(&self) -> Result<Option<Box<dyn GuardLease>>, StoreError> {
        self.backend.guard_lease().await
    }
}

#[async_trait]
impl<B: Backend> ChangeFeedStore for SqlStore<B> {
    async fn change_signals(&self) -> Result<ChangeSignals, StoreError> {
        self.backend.change_signals().await
    }
}

#[async_trait]
impl<B: Backend> MaintenanceStore for SqlStore<B> {
    async fn copy_source(&self) -> Result<CopySource, StoreError> {
        let tx = self.begin(Mode::Read).await?;
        Ok(CopySource(Box::new(sql::copy::CopyRead(tx))))
    }

    async fn copy_target(&self) -> Result<CopyTarget, StoreError> {
        let tx = self.begin(Mode::Write).await?;
        Ok(CopyTarget(Box::new(sql::copy::CopyWrite(tx))))
    }

    async fn backup(&self, path: &std::path::Path) -> Result<BackupReport, StoreError> {
        B::backup(self, path).await
    }

    async fn close(&self) {
        self.backend.close().await;
    }
}

//! The `Store` methods that only open a transaction, run a shared script and commit: the same
//! for every backend, written once. A backend provides `begin` (a write transaction holding the
//! store's write lock), `begin_read` (one consistent snapshot) and `finish` (commit on success),
//! and its own methods for what differs (audit queries, tokens by hash, signals, metrics).

macro_rules! scripted_store {
    ($store:ident { $($own:tt)* }) => {
        #[async_trait::async_trait]
        impl $crate::Store for $store {

    async fn flags(&self) -> Result<Vec<Flag>, StoreError> {
        let mut tx = self.begin_read().await?;
        script::Tx::flags(&mut tx).await
    }

    async fn flag(&self, key: &FlagKey) -> Result<Flag, StoreError> {
        let mut tx = self.begin_read().await?;
        script::Tx::flag(&mut tx, key)
            .await?
            .ok_or_else(|| StoreError::FlagNotFound {
                key: key.to_string(),
            })
    }

    async fn state(&self) -> Result<StoreState, StoreError> {
        let mut tx = self.begin_read().await?;
        let flags = script::Tx::flags(&mut tx).await?;
        let (head, _) = script::Tx::audit_head(&mut tx).await?;
        Ok(StoreState { flags, head })
    }

    async fn create_flag(
        &self,
        flag: Flag,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, StoreError> {
        let mut tx = self.begin().await?;
        let out = script::create_flag(&mut tx, flag, meta).await;
        self.finish(tx, out).await
    }

    async fn change_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        changes: &[FlagChange],
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, StoreError> {
        let mut tx = self.begin().await?;
        let out = script::change_flag(&mut tx, key, expected_version, changes, None, meta).await;
        self.finish(tx, out).await
    }

    async fn delete_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, StoreError> {
        let mut tx = self.begin().await?;
        let out = script::delete_flag(&mut tx, key, expected_version, meta).await;
        self.finish(tx, out).await
    }

    async fn presets(&self) -> Result<Vec<Preset>, StoreError> {
        let mut tx = self.begin_read().await?;
        script::Tx::presets(&mut tx).await
    }

    async fn define_preset(
        &self,
        preset: Preset,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, StoreError> {
        let mut tx = self.begin().await?;
        let out = script::define_preset(&mut tx, preset, meta).await;
        self.finish(tx, out).await
    }

    async fn delete_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, StoreError> {
        let mut tx = self.begin().await?;
        let out = script::delete_preset(&mut tx, name, meta).await;
        self.finish(tx, out).await
    }

    async fn apply_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, StoreError> {
        let mut tx = self.begin().await?;
        let out = script::apply_preset(&mut tx, name, meta).await;
        self.finish(tx, out).await
    }

    async fn sweep_expired_overrides(
        &self,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, StoreError> {
        let mut tx = self.begin().await?;
        let out = script::sweep_expired(&mut tx, meta).await;
        self.finish(tx, out).await
    }

    async fn import(
        &self,
        doc: &FlagDocument,
        options: $crate::ImportOptions,
        meta: &ChangeMeta,
    ) -> Result<ImportReport, StoreError> {
        let mut tx = self.begin().await?;
        let out = script::import(&mut tx, doc, options, meta).await;
        if options.dry_run {
            // Dropping the transaction rolls back everything the script wrote.
            drop(tx);
            return out;
        }
        self.finish(tx, out).await
    }

    async fn export(&self) -> Result<FlagDocument, StoreError> {
        let mut tx = self.begin_read().await?;
        let flags = script::Tx::flags(&mut tx).await?;
        let presets = script::Tx::presets(&mut tx).await?;
        Ok(FlagDocument { flags, presets })
    }

    async fn create_token(
        &self,
        token: TokenRecord,
        meta: &ChangeMeta,
    ) -> Result<Committed<TokenRecord>, StoreError> {
        let mut tx = self.begin().await?;
        let out = script::create_token(&mut tx, token, meta).await;
        self.finish(tx, out).await
    }

    async fn revoke_token(
        &self,
        name: &TokenName,
        meta: &ChangeMeta,
    ) -> Result<Committed<TokenRecord>, StoreError> {
        let mut tx = self.begin().await?;
        let out = script::revoke_token(&mut tx, name, meta).await;
        self.finish(tx, out).await
    }

    async fn verify_audit_with(
        &self,
        anchor: Option<&cutover_core::Anchor>,
    ) -> Result<cutover_core::VerifyReport, StoreError> {
        let mut tx = self.begin_read().await?;
        crate::verify::verify(&mut tx, anchor.cloned()).await
    }

    async fn audit_head(&self) -> Result<(u64, String), StoreError> {
        let mut tx = self.begin_read().await?;
        script::Tx::audit_head(&mut tx).await
    }

    async fn trust_state(&self, meta: &ChangeMeta) -> Result<crate::TrustReport, StoreError> {
        let mut tx = self.begin().await?;
        let out = crate::verify::trust(&mut tx, meta).await;
        self.finish(tx, out).await
    }

            $($own)*
        }
    };
}

pub(crate) use scripted_store;

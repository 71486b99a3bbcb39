//! [`StoreControl`]: every use case over a store.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use cutover_api::{
    AuditPage, Control, ControlError, CreatedToken, FlagMetrics, FlagShadowReport, Look,
    MetricsSpan, NewToken, RolloutStatus, UploadReport,
};
use cutover_core::guard::Action;
use cutover_core::{
    Anchor, AuditEntry, AuditQuery, BackupReport, ChangeMeta, Committed, Flag, FlagChange,
    FlagDocument, FlagKey, GUARD_ACTOR, GuardRecord, ImportOptions, ImportReport, MetricsBatch,
    Override, Preset, Timestamp, TokenName, TokenRecord, VerifyReport, token_hash,
};
use cutover_store::{GuardLease, Store, StoreError};

use crate::refusal::from_store;
use crate::rollout::{self, Judgement};
use crate::{audit, figures, prerequisites, requested, secret, verdicts};

/// Whether a flag is known, for uploads: a node answers from its live view rather than the
/// database.
type KnownFlags = Arc<dyn Fn(&FlagKey) -> bool + Send + Sync>;

/// Where the layer reads time.
type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The most guard records one history read returns.
const MAX_HISTORY: u32 = 10_000;

/// The application layer over one store.
#[derive(Clone)]
pub struct StoreControl {
    store: Arc<dyn Store>,
    judgement: Judgement,
    clock: Clock,
    known: Option<KnownFlags>,
}

impl std::fmt::Debug for StoreControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreControl")
            .field("judgement", &self.judgement)
            .field("known", &self.known.is_some())
            .finish_non_exhaustive()
    }
}

impl StoreControl {
    /// The layer over `store`, judging rollouts with the default [`Judgement`] and reading the
    /// system clock.
    pub fn new(store: Arc<dyn Store>) -> Self {
        StoreControl {
            store,
            judgement: Judgement::default(),
            clock: Arc::new(Timestamp::now),
            known: None,
        }
    }

    /// Judges rollouts (status and the guard's looks) with `judgement`.
    pub fn with_judgement(mut self, judgement: Judgement) -> Self {
        self.judgement = judgement;
        self
    }

    /// Reads time from `clock`: a command pins one instant for its whole run, tests pin it too.
    pub fn with_clock(mut self, clock: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Decides which flags an upload may count for with `known` instead of reading them from
    /// the store (a node knows them from its live view, without a database read per upload).
    pub fn with_known_flags(
        mut self,
        known: impl Fn(&FlagKey) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.known = Some(Arc::new(known));
        self
    }

    pub fn judgement(&self) -> Judgement {
        self.judgement
    }

    /// The store, for a node's follower (it reads the log after its head and waits on the
    /// store's change signals).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Looks at `flag`'s rollout at `now`: every gate's figures and verdict and what the plan
    /// decides; `None` when it has no plan or never started.
    pub async fn look(&self, flag: &Flag, now: Timestamp) -> Result<Option<Look>, ControlError> {
        rollout::look(&*self.store, flag, now, self.judgement)
            .await
            .map_err(from_store)
    }

    /// Keeps one look of the guard at a rollout in its history.
    pub async fn record_look(&self, record: &GuardRecord) -> Result<(), ControlError> {
        self.store
            .add_guard_record(record)
            .await
            .map_err(from_store)
    }

    /// Asks to become the node that runs the rollout guard: `None` while another node holds
    /// the lease.
    pub async fn guard_lease(&self) -> Result<Option<Box<dyn GuardLease>>, ControlError> {
        self.store.guard_lease().await.map_err(from_store)
    }

    /// Carries out the guard's `decision` on `flag` as it was judged (its version and `step`),
    /// audited under the guard's actor with `reason`. `None` when someone moved the rollout
    /// since the look: the next look sees their move.
    pub async fn guard_act(
        &self,
        flag: &Flag,
        decision: Action,
        step: usize,
        reason: String,
        at: Timestamp,
    ) -> Result<Option<Committed<Flag>>, ControlError> {
        let (decision, reason) = prerequisites::guard_decision(flag, decision, step, reason, at);
        let meta = ChangeMeta {
            role: None,
            force: false,
            actor: GUARD_ACTOR.to_owned(),
            reason: Some(reason.clone()),
            at,
        };
        let change = FlagChange::GuardAction {
            decision,
            step,
            reason,
        };
        match self
            .store
            .change_flag(&flag.key, Some(flag.version), &[change], &meta)
            .await
        {
            Ok(done) => Ok(Some(done)),
            Err(StoreError::VersionConflict { .. }) => Ok(None),
            Err(e) => Err(from_store(e)),
        }
    }

    /// Whether each flag is known, as uploads judge it.
    async fn known_flags(&self) -> Result<KnownFlags, ControlError> {
        if let Some(known) = &self.known {
            return Ok(known.clone());
        }
        let keys: BTreeSet<FlagKey> = self
            .store
            .flags()
            .await
            .map_err(from_store)?
            .into_iter()
            .map(|f| f.key)
            .collect();
        Ok(Arc::new(move |key| keys.contains(key)))
    }
}

#[async_trait]
impl Control for StoreControl {
    async fn flags(&self) -> Result<Vec<Flag>, ControlError> {
        self.store.flags().await.map_err(from_store)
    }

    async fn flag(&self, key: &FlagKey) -> Result<Flag, ControlError> {
        self.store.flag(key).await.map_err(from_store)
    }

    async fn create_flag(
        &self,
        flag: Flag,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        self.store.create_flag(flag, meta).await.map_err(from_store)
    }

    async fn change_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        changes: &[FlagChange],
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        requested::at_least_one(changes)?;
        for change in changes {
            requested::by_a_person(change)?;
        }
        let now = (self.clock)();
        let changes = verdicts::stamped(changes, meta, now);
        // A move into another stage is judged on the flag as read here, and committed only on
        // that version (read again when another writer came between).
        let mut attempts = 0;
        loop {
            let flag = self.store.flag(key).await.map_err(from_store)?;
            let admitted = prerequisites::admit(&flag, &changes, now, meta)?;
            let pinned = expected_version.or(Some(flag.version));
            match self
                .store
                .change_flag(key, pinned, &changes, &admitted)
                .await
            {
                Err(StoreError::VersionConflict { .. })
                    if expected_version.is_none() && attempts < 3 =>
                {
                    attempts += 1;
                }
                done => return done.map_err(from_store),
            }
        }
    }

    async fn delete_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        self.store
            .delete_flag(key, expected_version, meta)
            .await
            .map_err(from_store)
    }

    async fn overrides(&self, key: &FlagKey) -> Result<Vec<Override>, ControlError> {
        Ok(self.flag(key).await?.overrides)
    }

    async fn sweep_expired_overrides(
        &self,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, ControlError> {
        self.store
            .sweep_expired_overrides(meta)
            .await
            .map_err(from_store)
    }

    async fn rollout_status(&self, key: &FlagKey) -> Result<RolloutStatus, ControlError> {
        let flag = self.flag(key).await?;
        rollout::status(&*self.store, flag, (self.clock)(), self.judgement)
            .await
            .map_err(from_store)
    }

    async fn guard_history(
        &self,
        key: &FlagKey,
        limit: u32,
    ) -> Result<Vec<GuardRecord>, ControlError> {
        if limit == 0 || limit > MAX_HISTORY {
            return Err(ControlError::invalid(
                "limit",
                format!("limit {limit} is out of range; accepted: 1 to {MAX_HISTORY}"),
            ));
        }
        // A flag that does not exist is not found, not an empty history.
        self.flag(key).await?;
        self.store
            .guard_history(key, limit)
            .await
            .map_err(from_store)
    }

    async fn presets(&self) -> Result<Vec<Preset>, ControlError> {
        self.store.presets().await.map_err(from_store)
    }

    async fn define_preset(
        &self,
        preset: Preset,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, ControlError> {
        self.store
            .define_preset(preset, meta)
            .await
            .map_err(from_store)
    }

    async fn delete_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, ControlError> {
        self.store
            .delete_preset(name, meta)
            .await
            .map_err(from_store)
    }

    async fn apply_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, ControlError> {
        self.store
            .apply_preset(name, meta)
            .await
            .map_err(from_store)
    }

    async fn import(
        &self,
        doc: &FlagDocument,
        options: ImportOptions,
        meta: &ChangeMeta,
    ) -> Result<ImportReport, ControlError> {
        self.store
            .import(doc, options, meta)
            .await
            .map_err(from_store)
    }

    async fn export(&self) -> Result<FlagDocument, ControlError> {
        self.store.export().await.map_err(from_store)
    }

    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, ControlError> {
        self.store.audit(query).await.map_err(from_store)
    }

    async fn audit_page(&self, query: &AuditQuery) -> Result<AuditPage, ControlError> {
        let size = audit::page_size(query.limit)?;
        // One more than the page: whether it comes tells whether there is a next page.
        let read = AuditQuery {
            limit: Some(size + 1),
            ..query.clone()
        };
        let entries = self.audit(&read).await?;
        Ok(audit::page(entries, size))
    }

    async fn verify_audit(&self, anchor: Option<&Anchor>) -> Result<VerifyReport, ControlError> {
        self.store
            .verify_audit_with(anchor)
            .await
            .map_err(from_store)
    }

    async fn backup(&self, to: &Path) -> Result<BackupReport, ControlError> {
        self.store.backup(to).await.map_err(from_store)
    }

    async fn audit_head(&self) -> Result<(u64, String), ControlError> {
        self.store.audit_head().await.map_err(from_store)
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>, ControlError> {
        let mut tokens = self.store.tokens().await.map_err(from_store)?;
        tokens.iter_mut().for_each(without_hash);
        Ok(tokens)
    }

    async fn create_token(
        &self,
        token: NewToken,
        meta: &ChangeMeta,
    ) -> Result<Committed<CreatedToken>, ControlError> {
        let secret = secret::draw()?;
        let record = TokenRecord {
            name: token.name.clone(),
            role: token.role,
            hash: token_hash(&secret),
            created_at: (self.clock)(),
            created_by: meta.actor.clone(),
            expires_at: token.expires_at,
        };
        let done = self
            .store
            .create_token(record, meta)
            .await
            .map_err(from_store)?;
        Ok(Committed {
            value: CreatedToken {
                name: token.name,
                role: token.role,
                expires_at: token.expires_at,
                token: secret,
            },
            audit_id: done.audit_id,
        })
    }

    async fn revoke_token(
        &self,
        name: &TokenName,
        meta: &ChangeMeta,
    ) -> Result<Committed<TokenRecord>, ControlError> {
        let mut revoked = self
            .store
            .revoke_token(name, meta)
            .await
            .map_err(from_store)?;
        without_hash(&mut revoked.value);
        Ok(revoked)
    }

    async fn upload_metrics(&self, batch: MetricsBatch) -> Result<UploadReport, ControlError> {
        // The guard acts on these figures: a batch that cannot be true is refused whole.
        batch.check((self.clock)())?;
        let known = self.known_flags().await?;
        let sorted = figures::sort_batch(batch, |key| known(key))?;
        if !sorted.shadows.is_empty() {
            self.store
                .add_shadow_counts(&sorted.shadows)
                .await
                .map_err(from_store)?;
        }
        if !sorted.arms.is_empty() {
            self.store
                .add_arm_metrics(&sorted.arms)
                .await
                .map_err(from_store)?;
        }
        Ok(UploadReport {
            arms: sorted.arms.len(),
            shadows: sorted.shadows.len(),
            window_start: sorted.start,
            ignored: sorted.ignored,
        })
    }

    async fn arm_metrics(
        &self,
        key: &FlagKey,
        span: MetricsSpan,
    ) -> Result<FlagMetrics, ControlError> {
        let (since, until) = figures::span_of(span, (self.clock)())?;
        // A flag that does not exist is not found, not a span of zeros.
        self.flag(key).await?;
        // Include the window `since` falls in.
        let sums = self
            .store
            .arm_metrics(key, figures::window_of(since), until)
            .await
            .map_err(from_store)?;
        Ok(FlagMetrics {
            flag: key.clone(),
            since,
            until,
            legacy: figures::summary(&sums.legacy),
            new: figures::summary(&sums.new),
        })
    }

    async fn shadow_report(
        &self,
        key: &FlagKey,
        span: MetricsSpan,
    ) -> Result<FlagShadowReport, ControlError> {
        let (since, until) = figures::span_of(span, (self.clock)())?;
        self.flag(key).await?;
        let counts = self
            .store
            .shadow_counts(key, figures::window_of(since), until)
            .await
            .map_err(from_store)?;
        Ok(FlagShadowReport {
            flag: key.clone(),
            since,
            until,
            fields: figures::agreement(&counts),
            counts,
        })
    }
}

/// A token as the layer hands it out: the hash that authenticates it stays in the store (the
/// trait promises records without secrets or hashes, and a hash is as good as the secret to
/// anyone who can write it back).
fn without_hash(token: &mut TokenRecord) {
    token.hash.clear();
}

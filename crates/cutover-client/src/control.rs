//! Every use case over HTTP: [`Control`] for [`AdminClient`]. Each method is one admin route;
//! an error answer becomes the [`ControlError`] it carries, so a caller sees the same code and
//! message the store-backed layer gives in-process.

use std::path::Path;

use async_trait::async_trait;
use cutover_api::{
    AuditPage, AuditQuery, BackupReport, ChangeMeta, Committed, Control, ControlError,
    CreatedToken, FlagMetrics, FlagShadowReport, GuardRecord, ImportOptions, ImportReport,
    MetricsSpan, NewToken, RolloutStatus, TokenRecord, UploadReport,
};
use cutover_core::{
    Anchor, AuditEntry, Flag, FlagChange, FlagDocument, FlagKey, GENESIS_HASH, MetricsBatch,
    Override, Preset, TokenName, VerifyReport,
};
use reqwest::Method;
use serde_json::json;

use crate::http::{AdminClient, if_match};

/// `since`/`until` as query parameters, each only when given (the server defaults them).
fn span_params(span: MetricsSpan) -> Vec<(&'static str, String)> {
    let mut params = Vec::new();
    if let Some(since) = span.since {
        params.push(("since", since.to_string()));
    }
    if let Some(until) = span.until {
        params.push(("until", until.to_string()));
    }
    params
}

#[async_trait]
impl Control for AdminClient {
    /// `GET /flags`.
    async fn flags(&self) -> Result<Vec<Flag>, ControlError> {
        self.json("flag list", self.request(Method::GET, "/flags"))
            .await
    }

    /// `GET /flags/{key}`.
    async fn flag(&self, key: &FlagKey) -> Result<Flag, ControlError> {
        let request = self.request(Method::GET, &format!("/flags/{key}"));
        self.json("flag get", request).await
    }

    /// `POST /flags`.
    async fn create_flag(
        &self,
        flag: Flag,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        let request = self.change(Method::POST, "/flags", meta).json(&flag);
        self.committed("flag create", request).await
    }

    /// `POST /flags/{key}/changes`: the server checks each change against the token's role.
    async fn change_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        changes: &[FlagChange],
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        let body = json!({ "changes": changes, "expected_version": expected_version });
        let request = self.change(Method::POST, &format!("/flags/{key}/changes"), meta);
        self.committed("flag change", request.json(&body)).await
    }

    /// `DELETE /flags/{key}` with `If-Match`; the committed value is the flag as it was.
    async fn delete_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        let request = self.change(Method::DELETE, &format!("/flags/{key}"), meta);
        self.committed("flag delete", if_match(request, expected_version))
            .await
    }

    /// `GET /flags/{key}/overrides`.
    async fn overrides(&self, key: &FlagKey) -> Result<Vec<Override>, ControlError> {
        let request = self.request(Method::GET, &format!("/flags/{key}/overrides"));
        self.json("override list", request).await
    }

    /// `POST /overrides/sweep`; the server's clock says what has expired.
    async fn sweep_expired_overrides(
        &self,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, ControlError> {
        let request = self.change(Method::POST, "/overrides/sweep", meta);
        self.json("override sweep", request).await
    }

    /// `GET /flags/{key}/rollout`.
    async fn rollout_status(&self, key: &FlagKey) -> Result<RolloutStatus, ControlError> {
        let request = self.request(Method::GET, &format!("/flags/{key}/rollout"));
        self.json("rollout status", request).await
    }

    /// `GET /flags/{key}/rollout/history?limit=N`.
    async fn guard_history(
        &self,
        key: &FlagKey,
        limit: u32,
    ) -> Result<Vec<GuardRecord>, ControlError> {
        let request = self
            .request(Method::GET, &format!("/flags/{key}/rollout/history"))
            .query(&[("limit", limit)]);
        self.json("rollout history", request).await
    }

    /// `GET /presets`.
    async fn presets(&self) -> Result<Vec<Preset>, ControlError> {
        self.json("preset list", self.request(Method::GET, "/presets"))
            .await
    }

    /// `PUT /presets/{name}`.
    async fn define_preset(
        &self,
        preset: Preset,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, ControlError> {
        let request = self.change(Method::PUT, &format!("/presets/{}", preset.name), meta);
        self.committed("preset define", request.json(&preset)).await
    }

    /// `DELETE /presets/{name}`.
    async fn delete_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Committed<Preset>, ControlError> {
        let request = self.change(Method::DELETE, &format!("/presets/{name}"), meta);
        self.committed("preset delete", request).await
    }

    /// `POST /presets/{name}/apply`.
    async fn apply_preset(
        &self,
        name: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Vec<Committed<Flag>>, ControlError> {
        let request = self.change(Method::POST, &format!("/presets/{name}/apply"), meta);
        self.json("preset apply", request).await
    }

    /// `POST /import?prune&force&dry_run`.
    async fn import(
        &self,
        doc: &FlagDocument,
        options: ImportOptions,
        meta: &ChangeMeta,
    ) -> Result<ImportReport, ControlError> {
        let request = self
            .change(Method::POST, "/import", meta)
            .query(&[
                ("prune", options.prune),
                ("force", options.force),
                ("dry_run", options.dry_run),
            ])
            .json(doc);
        self.json("import", request).await
    }

    /// `GET /export`.
    async fn export(&self) -> Result<FlagDocument, ControlError> {
        self.json("export", self.request(Method::GET, "/export"))
            .await
    }

    /// `GET /audit`, page after page.
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, ControlError> {
        self.get_audit(query).await
    }

    /// `GET /audit`, one page.
    async fn audit_page(&self, query: &AuditQuery) -> Result<AuditPage, ControlError> {
        self.get_audit_page(query).await
    }

    /// `GET /audit/verify?expect_head=ID:HASH`: the server verifies with its own audit key, if
    /// it has one.
    /// `GET /backup`, into the file `to` (see `backup.rs`).
    async fn backup(&self, to: &Path) -> Result<BackupReport, ControlError> {
        self.download_backup(to).await
    }

    async fn verify_audit(&self, anchor: Option<&Anchor>) -> Result<VerifyReport, ControlError> {
        let params: Vec<(&str, String)> = anchor
            .map(|a| ("expect_head", a.to_string()))
            .into_iter()
            .collect();
        let request = self.request(Method::GET, "/audit/verify").query(&params);
        self.json("audit verify", request).await
    }

    /// The newest entry (`GET /audit?order=newest&limit=1`): the head as the API shows it.
    async fn audit_head(&self) -> Result<(u64, String), ControlError> {
        let newest = self
            .get_audit_page(&AuditQuery {
                limit: Some(1),
                newest_first: true,
                ..AuditQuery::default()
            })
            .await?;
        Ok(newest
            .entries
            .into_iter()
            .next()
            .map_or((0, GENESIS_HASH.to_owned()), |e| (e.id, e.hash)))
    }

    /// `GET /tokens`.
    async fn tokens(&self) -> Result<Vec<TokenRecord>, ControlError> {
        self.json("token list", self.request(Method::GET, "/tokens"))
            .await
    }

    /// `POST /tokens`: the server draws the secret and answers with it, once.
    async fn create_token(
        &self,
        token: NewToken,
        meta: &ChangeMeta,
    ) -> Result<Committed<CreatedToken>, ControlError> {
        let request = self.change(Method::POST, "/tokens", meta).json(&token);
        self.committed("token create", request).await
    }

    /// `DELETE /tokens/{name}`.
    async fn revoke_token(
        &self,
        name: &TokenName,
        meta: &ChangeMeta,
    ) -> Result<Committed<TokenRecord>, ControlError> {
        let request = self.change(Method::DELETE, &format!("/tokens/{name}"), meta);
        self.committed("token revoke", request).await
    }

    /// `POST /metrics`.
    async fn upload_metrics(&self, batch: MetricsBatch) -> Result<UploadReport, ControlError> {
        let request = self.request(Method::POST, "/metrics").json(&batch);
        self.json("metrics upload", request).await
    }

    /// `GET /flags/{key}/metrics?since&until`.
    async fn arm_metrics(
        &self,
        key: &FlagKey,
        span: MetricsSpan,
    ) -> Result<FlagMetrics, ControlError> {
        let request = self
            .request(Method::GET, &format!("/flags/{key}/metrics"))
            .query(&span_params(span));
        self.json("arm metrics", request).await
    }

    /// `GET /flags/{key}/shadow?since&until`.
    async fn shadow_report(
        &self,
        key: &FlagKey,
        span: MetricsSpan,
    ) -> Result<FlagShadowReport, ControlError> {
        let request = self
            .request(Method::GET, &format!("/flags/{key}/shadow"))
            .query(&span_params(span));
        self.json("shadow report", request).await
    }
}

//! The client as an OpenFeature provider: `OpenFeature::singleton_mut().await
//! .set_provider(client.openfeature_provider())`, then any OpenFeature code asks cutover.
//!
//! Cutover flags are booleans to OpenFeature (`true` = the new path), with variant `legacy` or
//! `new`, the OpenFeature reason of the decision, and the flag version and cutover's own reason
//! as flag metadata. Asking for another type is a type mismatch.

use async_trait::async_trait;
use cutover_core::Context;
use open_feature::provider::{
    FeatureProvider, ProviderMetadata, ProviderStatus, ResolutionDetails,
};
use open_feature::{
    EvaluationContext, EvaluationContextFieldValue, EvaluationError, EvaluationErrorCode,
    EvaluationReason, EvaluationResult, FlagMetadata, StructValue,
};

use crate::client::Client;

pub struct OpenFeatureProvider {
    client: Client,
    metadata: ProviderMetadata,
}

impl Client {
    pub fn openfeature_provider(&self) -> OpenFeatureProvider {
        OpenFeatureProvider {
            client: self.clone(),
            metadata: ProviderMetadata::new("cutover"),
        }
    }
}

/// The attributes cutover rules can read: the targeting key as `targetingKey` (the last link
/// of every stickiness chain) and every scalar custom field in its plain spelling.
fn context_of(ctx: &EvaluationContext) -> Context {
    let mut out = Context::new();
    if let Some(key) = &ctx.targeting_key {
        out.set("targetingKey", key);
    }
    for (name, value) in &ctx.custom_fields {
        match value {
            EvaluationContextFieldValue::String(s) => out.set(name, s),
            EvaluationContextFieldValue::Bool(b) => {
                out.set(name, if *b { "true" } else { "false" })
            }
            EvaluationContextFieldValue::Int(i) => out.set(name, &i.to_string()),
            EvaluationContextFieldValue::Float(f) => out.set(name, &f.to_string()),
            // Dates and structures match no cutover rule.
            EvaluationContextFieldValue::DateTime(_) | EvaluationContextFieldValue::Struct(_) => {}
        }
    }
    out
}

fn reason(name: &str) -> EvaluationReason {
    match name {
        "STATIC" => EvaluationReason::Static,
        "TARGETING_MATCH" => EvaluationReason::TargetingMatch,
        "SPLIT" => EvaluationReason::Split,
        "DISABLED" => EvaluationReason::Disabled,
        "DEFAULT" => EvaluationReason::Default,
        _ => EvaluationReason::Unknown,
    }
}

fn type_mismatch<T>(flag: &str) -> EvaluationResult<T> {
    Err(EvaluationError {
        code: EvaluationErrorCode::TypeMismatch,
        message: Some(format!(
            "cutover flag {flag:?} is a boolean (true = the new path); ask for a boolean"
        )),
    })
}

#[async_trait]
impl FeatureProvider for OpenFeatureProvider {
    fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    fn status(&self) -> ProviderStatus {
        let status = self.client.status();
        if status.connected || status.staleness.is_some() {
            ProviderStatus::Ready
        } else {
            ProviderStatus::NotReady
        }
    }

    async fn resolve_bool_value(
        &self,
        flag_key: &str,
        evaluation_context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<bool>> {
        let ctx = context_of(evaluation_context);
        let decision = self.client.decide(flag_key, &ctx);
        if decision.reason.kind() == "flag_not_found" {
            return Err(EvaluationError {
                code: EvaluationErrorCode::FlagNotFound,
                message: Some(format!("cutover has no flag {flag_key:?}")),
            });
        }
        let metadata = FlagMetadata::default()
            .with_value("flagVersion", decision.flag_version as i64)
            .with_value("cutoverReason", decision.reason.kind())
            .with_value("explanation", decision.reason.to_string());
        Ok(ResolutionDetails {
            value: decision.is_new(),
            variant: Some(decision.variant.as_str().to_owned()),
            reason: Some(reason(decision.reason.openfeature())),
            flag_metadata: Some(metadata),
        })
    }

    async fn resolve_int_value(
        &self,
        flag_key: &str,
        _: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<i64>> {
        type_mismatch(flag_key)
    }

    async fn resolve_float_value(
        &self,
        flag_key: &str,
        _: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<f64>> {
        type_mismatch(flag_key)
    }

    async fn resolve_string_value(
        &self,
        flag_key: &str,
        _: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<String>> {
        type_mismatch(flag_key)
    }

    async fn resolve_struct_value(
        &self,
        flag_key: &str,
        _: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<StructValue>> {
        type_mismatch(flag_key)
    }
}

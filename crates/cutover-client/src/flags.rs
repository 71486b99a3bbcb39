//! The routes that make one kind of change to one flag (`PATCH /flags/{key}`, rollout, stage,
//! kill switch, plan, rollout moves, overrides): typed methods beside [`Control`], which sends
//! every change through the general `POST /flags/{key}/changes`.
//!
//! [`Control`]: cutover_api::Control

use cutover_api::{ChangeMeta, Committed, ControlError};
use cutover_core::guard::{RolloutPlan, RunMove};
use cutover_core::{AttributeName, Constraint, Flag, FlagKey, Override, Rollout, Stage};
use reqwest::Method;
use serde::Serialize;
use serde_json::json;

use crate::http::AdminClient;

/// `PATCH /flags/{key}`: the fields to set; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlagUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stickiness: Option<AttributeName>,
    /// `Some(None)` goes back to the default salt (the key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salt: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<Constraint>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_version: Option<u64>,
}

/// The path segment of `POST /flags/{key}/rollout/{move}` for a move (`promote` with
/// `"full": true` for [`RunMove::PromoteFull`]).
fn move_path(movement: RunMove) -> &'static str {
    match movement {
        RunMove::Start => "start",
        RunMove::Pause => "pause",
        RunMove::Resume => "resume",
        RunMove::Promote | RunMove::PromoteFull => "promote",
        RunMove::Abort => "abort",
    }
}

impl AdminClient {
    /// `PATCH /flags/{key}`.
    pub async fn update_flag(
        &self,
        key: &FlagKey,
        update: &FlagUpdate,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        let request = self.change(Method::PATCH, &format!("/flags/{key}"), meta);
        self.committed("flag update", request.json(update)).await
    }

    /// `PUT /flags/{key}/rollout`.
    pub async fn set_rollout(
        &self,
        key: &FlagKey,
        rollout: Rollout,
        expected_version: Option<u64>,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        // The percentage as its exact text, never through a float.
        let percent = rollout.to_string().trim_end_matches('%').to_owned();
        let body = json!({ "percent": percent, "expected_version": expected_version });
        let request = self.change(Method::PUT, &format!("/flags/{key}/rollout"), meta);
        self.committed("rollout set", request.json(&body)).await
    }

    /// `PUT /flags/{key}/stage`.
    pub async fn set_stage(
        &self,
        key: &FlagKey,
        stage: Stage,
        expected_version: Option<u64>,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        let body = json!({ "stage": stage.to_string(), "expected_version": expected_version });
        let request = self.change(Method::PUT, &format!("/flags/{key}/stage"), meta);
        self.committed("stage set", request.json(&body)).await
    }

    /// `POST /flags/{key}/kill`.
    pub async fn kill(
        &self,
        key: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        let request = self.change(Method::POST, &format!("/flags/{key}/kill"), meta);
        self.committed("kill", request).await
    }

    /// `DELETE /flags/{key}/kill`.
    pub async fn unkill(
        &self,
        key: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        let request = self.change(Method::DELETE, &format!("/flags/{key}/kill"), meta);
        self.committed("unkill", request).await
    }

    /// `PUT /flags/{key}/plan`; `None` removes the plan.
    pub async fn set_plan(
        &self,
        key: &FlagKey,
        plan: Option<&RolloutPlan>,
        expected_version: Option<u64>,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        let body = json!({ "plan": plan, "expected_version": expected_version });
        let request = self.change(Method::PUT, &format!("/flags/{key}/plan"), meta);
        self.committed("rollout plan", request.json(&body)).await
    }

    /// `POST /flags/{key}/rollout/{move}`; `plan` goes with `Start` only.
    pub async fn move_rollout(
        &self,
        key: &FlagKey,
        movement: RunMove,
        plan: Option<&RolloutPlan>,
        expected_version: Option<u64>,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        let mut body = serde_json::Map::new();
        if let Some(plan) = plan {
            body.insert("plan".into(), json!(plan));
        }
        if movement == RunMove::PromoteFull {
            body.insert("full".into(), true.into());
        }
        if let Some(v) = expected_version {
            body.insert("expected_version".into(), v.into());
        }
        let path = format!("/flags/{key}/rollout/{}", move_path(movement));
        let request = self.change(Method::POST, &path, meta).json(&body);
        self.committed("rollout move", request).await
    }

    /// `POST /flags/{key}/overrides`.
    pub async fn add_override(
        &self,
        key: &FlagKey,
        rule: &Override,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        let request = self.change(Method::POST, &format!("/flags/{key}/overrides"), meta);
        self.committed("override add", request.json(rule)).await
    }

    /// `DELETE /flags/{key}/overrides?attribute=A&value=V`.
    pub async fn remove_override(
        &self,
        key: &FlagKey,
        attribute: &AttributeName,
        value: &str,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        let request = self
            .change(Method::DELETE, &format!("/flags/{key}/overrides"), meta)
            .query(&[("attribute", attribute.as_str()), ("value", value)]);
        self.committed("override remove", request).await
    }

    /// `DELETE /flags/{key}/overrides?all=true`.
    pub async fn clear_overrides(
        &self,
        key: &FlagKey,
        meta: &ChangeMeta,
    ) -> Result<Committed<Flag>, ControlError> {
        let request = self
            .change(Method::DELETE, &format!("/flags/{key}/overrides"), meta)
            .query(&[("all", "true")]);
        self.committed("override clear", request).await
    }

    /// `GET /api/v1/openapi.json`: the API's description, as the server serves it.
    pub async fn openapi(&self) -> Result<serde_json::Value, ControlError> {
        self.json("openapi.json", self.request(Method::GET, "/openapi.json"))
            .await
    }

    /// `GET /readyz`: the id of the newest audit entry the server has applied.
    pub async fn ready_head(&self) -> Result<u64, ControlError> {
        #[derive(serde::Deserialize)]
        struct Ready {
            head: u64,
        }
        let ready: Ready = self.json("readyz", self.plain("/readyz")).await?;
        Ok(ready.head)
    }
}

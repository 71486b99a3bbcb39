//! Flags and everything that moves one: `/flags`, `/flags/{key}/...`, `/overrides/sweep`.

use cutover_core::guard::RolloutPlan;
use cutover_core::{
    AttributeName, Constraint, Flag, FlagChange, FlagKey, Override, Rollout, Stage,
};
use reqwest::Method;
use serde::Serialize;
use serde_json::json;

use crate::http::if_match;
use crate::records::{Committed, GuardRecord};
use crate::{AdminClient, ClientError};

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

/// The moves of `POST /flags/{key}/rollout/{move}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutMove {
    Start,
    Pause,
    Resume,
    Promote,
    /// Promote straight to 100 %.
    PromoteFull,
    Abort,
}

impl RolloutMove {
    fn path(self) -> &'static str {
        match self {
            RolloutMove::Start => "start",
            RolloutMove::Pause => "pause",
            RolloutMove::Resume => "resume",
            RolloutMove::Promote | RolloutMove::PromoteFull => "promote",
            RolloutMove::Abort => "abort",
        }
    }
}

impl AdminClient {
    /// `GET /flags`.
    pub async fn list_flags(&self) -> Result<Vec<Flag>, ClientError> {
        self.json("flag list", self.request(Method::GET, "/flags"))
            .await
    }

    /// `GET /flags/{key}`.
    pub async fn get_flag(&self, key: &FlagKey) -> Result<Flag, ClientError> {
        self.json(
            "flag get",
            self.request(Method::GET, &format!("/flags/{key}")),
        )
        .await
    }

    /// `POST /flags`.
    pub async fn create_flag(&self, flag: &Flag) -> Result<Committed<Flag>, ClientError> {
        self.committed(
            "flag create",
            self.change(Method::POST, "/flags").json(flag),
        )
        .await
    }

    /// `PATCH /flags/{key}`.
    pub async fn update_flag(
        &self,
        key: &FlagKey,
        update: &FlagUpdate,
    ) -> Result<Committed<Flag>, ClientError> {
        let request = self.change(Method::PATCH, &format!("/flags/{key}"));
        self.committed("flag update", request.json(update)).await
    }

    /// `DELETE /flags/{key}`; the committed value is the flag as it was.
    pub async fn delete_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
    ) -> Result<Committed<Flag>, ClientError> {
        let request = self.change(Method::DELETE, &format!("/flags/{key}"));
        self.committed("flag delete", if_match(request, expected_version))
            .await
    }

    /// `POST /flags/{key}/changes`: any list of changes, applied together (each checked
    /// against the token's role).
    pub async fn change_flag(
        &self,
        key: &FlagKey,
        expected_version: Option<u64>,
        changes: &[FlagChange],
    ) -> Result<Committed<Flag>, ClientError> {
        let body = json!({ "changes": changes, "expected_version": expected_version });
        let request = self.change(Method::POST, &format!("/flags/{key}/changes"));
        self.committed("flag change", request.json(&body)).await
    }

    /// `PUT /flags/{key}/rollout`.
    pub async fn set_rollout(
        &self,
        key: &FlagKey,
        rollout: Rollout,
        expected_version: Option<u64>,
    ) -> Result<Committed<Flag>, ClientError> {
        // The percentage as its exact text, never through a float.
        let body = json!({ "percent": rollout.to_string().trim_end_matches('%'),
                           "expected_version": expected_version });
        let request = self.change(Method::PUT, &format!("/flags/{key}/rollout"));
        self.committed("rollout set", request.json(&body)).await
    }

    /// `PUT /flags/{key}/stage`.
    pub async fn set_stage(
        &self,
        key: &FlagKey,
        stage: Stage,
        expected_version: Option<u64>,
    ) -> Result<Committed<Flag>, ClientError> {
        let body = json!({ "stage": stage.to_string(), "expected_version": expected_version });
        let request = self.change(Method::PUT, &format!("/flags/{key}/stage"));
        self.committed("stage set", request.json(&body)).await
    }

    /// `POST /flags/{key}/kill`.
    pub async fn kill(&self, key: &FlagKey) -> Result<Committed<Flag>, ClientError> {
        let request = self.change(Method::POST, &format!("/flags/{key}/kill"));
        self.committed("kill", request).await
    }

    /// `DELETE /flags/{key}/kill`.
    pub async fn unkill(&self, key: &FlagKey) -> Result<Committed<Flag>, ClientError> {
        let request = self.change(Method::DELETE, &format!("/flags/{key}/kill"));
        self.committed("unkill", request).await
    }

    /// `PUT /flags/{key}/plan`; `None` removes the plan.
    pub async fn set_plan(
        &self,
        key: &FlagKey,
        plan: Option<&RolloutPlan>,
        expected_version: Option<u64>,
    ) -> Result<Committed<Flag>, ClientError> {
        let body = json!({ "plan": plan, "expected_version": expected_version });
        let request = self.change(Method::PUT, &format!("/flags/{key}/plan"));
        self.committed("rollout plan", request.json(&body)).await
    }

    /// `POST /flags/{key}/rollout/{move}`; `plan` goes with `Start` only.
    pub async fn move_rollout(
        &self,
        key: &FlagKey,
        movement: RolloutMove,
        plan: Option<&RolloutPlan>,
        expected_version: Option<u64>,
    ) -> Result<Committed<Flag>, ClientError> {
        let mut body = serde_json::Map::new();
        if let Some(plan) = plan {
            body.insert("plan".into(), json!(plan));
        }
        if movement == RolloutMove::PromoteFull {
            body.insert("full".into(), true.into());
        }
        if let Some(v) = expected_version {
            body.insert("expected_version".into(), v.into());
        }
        let path = format!("/flags/{key}/rollout/{}", movement.path());
        let request = self.change(Method::POST, &path).json(&body);
        self.committed("rollout move", request).await
    }

    /// `GET /flags/{key}/rollout/history`: the guard's looks, newest first.
    pub async fn rollout_history(
        &self,
        key: &FlagKey,
        limit: u32,
    ) -> Result<Vec<GuardRecord>, ClientError> {
        let request = self
            .request(Method::GET, &format!("/flags/{key}/rollout/history"))
            .query(&[("limit", limit)]);
        self.json("rollout history", request).await
    }

    /// `GET /flags/{key}/overrides`.
    pub async fn list_overrides(&self, key: &FlagKey) -> Result<Vec<Override>, ClientError> {
        let request = self.request(Method::GET, &format!("/flags/{key}/overrides"));
        self.json("override list", request).await
    }

    /// `POST /flags/{key}/overrides`.
    pub async fn add_override(
        &self,
        key: &FlagKey,
        rule: &Override,
    ) -> Result<Committed<Flag>, ClientError> {
        let request = self.change(Method::POST, &format!("/flags/{key}/overrides"));
        self.committed("override add", request.json(rule)).await
    }

    /// `DELETE /flags/{key}/overrides?attribute=A&value=V`.
    pub async fn remove_override(
        &self,
        key: &FlagKey,
        attribute: &AttributeName,
        value: &str,
    ) -> Result<Committed<Flag>, ClientError> {
        let request = self
            .change(Method::DELETE, &format!("/flags/{key}/overrides"))
            .query(&[("attribute", attribute.as_str()), ("value", value)]);
        self.committed("override remove", request).await
    }

    /// `DELETE /flags/{key}/overrides?all=true`.
    pub async fn clear_overrides(&self, key: &FlagKey) -> Result<Committed<Flag>, ClientError> {
        let request = self
            .change(Method::DELETE, &format!("/flags/{key}/overrides"))
            .query(&[("all", "true")]);
        self.committed("override clear", request).await
    }

    /// `POST /overrides/sweep`: removes expired overrides from every flag.
    pub async fn sweep_overrides(&self) -> Result<Vec<Committed<Flag>>, ClientError> {
        self.json(
            "override sweep",
            self.change(Method::POST, "/overrides/sweep"),
        )
        .await
    }
}

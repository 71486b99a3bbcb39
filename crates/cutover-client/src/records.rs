//! Presets, tokens and the whole flag set (`/presets`, `/tokens`, `/import`, `/export`), and the
//! plain types that cross the API.

use cutover_core::{Flag, FlagDocument, FlagKey, Preset, Role, Timestamp, TokenName};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::{AdminClient, ClientError};

pub(crate) use cutover_store::{
    AuditQuery, Committed, GuardRecord, ImportOptions, ImportReport, TokenRecord,
};

/// A token the server created, with the secret it drew (shown in this answer only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedToken {
    pub name: TokenName,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    pub token: String,
}

impl AdminClient {
    /// `GET /presets`.
    pub async fn list_presets(&self) -> Result<Vec<Preset>, ClientError> {
        self.json("preset list", self.request(Method::GET, "/presets"))
            .await
    }

    /// `PUT /presets/{name}`: creates or replaces the preset.
    pub async fn define_preset(&self, preset: &Preset) -> Result<Committed<Preset>, ClientError> {
        let request = self.change(Method::PUT, &format!("/presets/{}", preset.name));
        self.committed("preset define", request.json(preset)).await
    }

    /// `DELETE /presets/{name}`; the committed value is the preset as it was.
    pub async fn delete_preset(&self, name: &FlagKey) -> Result<Committed<Preset>, ClientError> {
        let request = self.change(Method::DELETE, &format!("/presets/{name}"));
        self.committed("preset delete", request).await
    }

    /// `POST /presets/{name}/apply`: every flag of the preset in one transaction.
    pub async fn apply_preset(&self, name: &FlagKey) -> Result<Vec<Committed<Flag>>, ClientError> {
        let request = self.change(Method::POST, &format!("/presets/{name}/apply"));
        self.json("preset apply", request).await
    }

    /// `POST /import?prune&force&dry_run`.
    pub async fn import(
        &self,
        doc: &FlagDocument,
        options: ImportOptions,
    ) -> Result<ImportReport, ClientError> {
        let request = self
            .change(Method::POST, "/import")
            .query(&[
                ("prune", options.prune),
                ("force", options.force),
                ("dry_run", options.dry_run),
            ])
            .json(doc);
        self.json("import", request).await
    }

    /// `GET /export`.
    pub async fn export(&self) -> Result<FlagDocument, ClientError> {
        self.json("export", self.request(Method::GET, "/export"))
            .await
    }

    /// `GET /tokens` (never their secrets).
    pub async fn list_tokens(&self) -> Result<Vec<TokenRecord>, ClientError> {
        self.json("token list", self.request(Method::GET, "/tokens"))
            .await
    }

    /// `POST /tokens`: the server draws the secret and answers with it, once.
    pub async fn create_token(
        &self,
        name: &TokenName,
        role: Role,
        expires_at: Option<Timestamp>,
    ) -> Result<Committed<CreatedToken>, ClientError> {
        #[derive(Serialize)]
        struct Request<'a> {
            name: &'a TokenName,
            role: Role,
            #[serde(skip_serializing_if = "Option::is_none")]
            expires_at: Option<Timestamp>,
        }
        let body = Request {
            name,
            role,
            expires_at,
        };
        let request = self.change(Method::POST, "/tokens").json(&body);
        self.committed("token create", request).await
    }

    /// `DELETE /tokens/{name}`: it stops working at once.
    pub async fn revoke_token(
        &self,
        name: &TokenName,
    ) -> Result<Committed<TokenRecord>, ClientError> {
        let request = self.change(Method::DELETE, &format!("/tokens/{name}"));
        self.committed("token revoke", request).await
    }

    /// `GET /readyz`: the id of the newest audit entry the server has applied.
    pub async fn ready_head(&self) -> Result<u64, ClientError> {
        #[derive(Deserialize)]
        struct Ready {
            head: u64,
        }
        let ready: Ready = self.json("readyz", self.plain("/readyz")).await?;
        Ok(ready.head)
    }
}

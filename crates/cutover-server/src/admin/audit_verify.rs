//! `GET /api/v1/audit/verify`: the audit log checked in one pass against its hash chain, the
//! rows it describes (flags, presets, tokens), the server's audit key when it has one, and an
//! anchor when the caller gives one (`expect_head`).

use axum::Json;
use axum::extract::State;
use cutover_api::Control;
use cutover_core::{Anchor, VerifyReport};
use serde::{Deserialize, Serialize};

use super::Params;
use crate::api_error::ApiError;
use crate::prometheus::store_call;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyParams {
    /// `ID:HASH` or `HASH`, as `cutover audit head` prints it.
    expect_head: Option<String>,
}

/// The report, with its verdict and every problem in words, so a client needs no rules of its
/// own to read it.
#[derive(Debug, Serialize)]
pub(crate) struct VerifyAnswer {
    intact: bool,
    problems: Vec<String>,
    #[serde(flatten)]
    report: VerifyReport,
}

pub(crate) async fn verify(
    State(state): State<AppState>,
    Params(params): Params<VerifyParams>,
) -> Result<Json<VerifyAnswer>, ApiError> {
    let anchor = params
        .expect_head
        .map(|text| text.parse::<Anchor>())
        .transpose()
        .map_err(|e| ApiError::invalid("expect_head", e.to_string()))?;
    let report = store_call("verify_audit", state.control.verify_audit(anchor.as_ref())).await?;
    Ok(Json(VerifyAnswer {
        intact: report.is_intact(),
        problems: report.problems(),
        report,
    }))
}

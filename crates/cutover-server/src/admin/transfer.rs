//! The whole flag set as one document: import all or nothing, export.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use cutover_api::Control;
use cutover_core::FlagDocument;
use cutover_core::{ImportOptions, ImportReport};
use serde::Deserialize;

use super::{Body, CallerExt, Params, applied, meta};
use crate::api_error::ApiError;
use crate::prometheus::store_call;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportQuery {
    #[serde(default)]
    prune: bool,
    #[serde(default)]
    force: bool,
    #[serde(default)]
    dry_run: bool,
}

pub(crate) async fn import(
    State(state): State<AppState>,
    caller: CallerExt,
    headers: HeaderMap,
    Params(q): Params<ImportQuery>,
    Body(doc): Body<FlagDocument>,
) -> Result<Json<ImportReport>, ApiError> {
    let meta = meta(&caller, &headers)?;
    let options = ImportOptions {
        prune: q.prune,
        force: q.force,
        dry_run: q.dry_run,
    };
    let report = store_call("import", state.control.import(&doc, options, &meta)).await?;
    if !options.dry_run {
        applied(&state).await;
    }
    Ok(Json(report))
}

pub(crate) async fn export(State(state): State<AppState>) -> Result<Json<FlagDocument>, ApiError> {
    Ok(Json(store_call("export", state.control.export()).await?))
}

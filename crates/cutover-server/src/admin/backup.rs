//! `GET /api/v1/backup`: a consistent, verified copy of the node's store, sent as the SQLite
//! file itself. The application layer takes it into a private temporary directory (the same
//! backup `cutover store backup` writes locally); the answer streams it from there and the
//! directory goes when the answer ends, sent or not.

use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cutover_api::Control as _;
use cutover_core::wire::{
    BACKUP_REPORT_HEADER, REPR_DIGEST_HEADER, SQLITE_MEDIA_TYPE, backup_report_header, repr_digest,
};
use futures_util::StreamExt as _;
use sha2::{Digest as _, Sha256};
use tokio::sync::Semaphore;
use tokio_util::io::ReaderStream;

use super::CallerExt;
use crate::api_error::ApiError;
use crate::prometheus::store_call;
use crate::state::AppState;

/// One backup at a time per node: each is a whole copy of the store on the node's disk, so a
/// second request waits for the first to be sent rather than doubling that.
pub(crate) fn one_at_a_time() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(1))
}

pub(crate) async fn backup(
    State(state): State<AppState>,
    caller: CallerExt,
) -> Result<Response, ApiError> {
    let turn = state
        .backups
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| failure("the node is shutting down"))?;
    let dir = tempfile::Builder::new()
        .prefix("cutover-backup-")
        .tempdir()
        .map_err(|e| failure(format!("cannot make a temporary directory: {e}")))?;
    let path = dir.path().join("store.db");
    let report = store_call("backup", state.control.backup(&path)).await?;
    let (digest, length) = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || digest_of(&path))
            .await
            .map_err(|e| failure(format!("the digest task failed: {e}")))?
            .map_err(|e| failure(format!("cannot read the snapshot back: {e}")))?
    };
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| failure(format!("cannot open the snapshot: {e}")))?;
    tracing::info!(
        actor = &*caller.name,
        head_id = report.head_id,
        bytes = length,
        intact = report.verify.is_intact(),
        "sending a backup of the store"
    );
    // The directory and the turn live as long as the body: dropped when it is sent or the
    // caller goes away.
    let kept = (dir, turn);
    let body = ReaderStream::new(file).map(move |chunk| {
        let _ = &kept;
        chunk
    });
    let headers = [
        (header::CONTENT_TYPE, value(SQLITE_MEDIA_TYPE)?),
        (header::CONTENT_LENGTH, value(&length.to_string())?),
        (
            header::CONTENT_DISPOSITION,
            value(&format!(
                "attachment; filename=\"cutover-backup-{}.db\"",
                report.head_id
            ))?,
        ),
        (header::CACHE_CONTROL, value("no-store")?),
        (
            header::HeaderName::from_static(REPR_DIGEST_HEADER),
            value(&repr_digest(&digest))?,
        ),
        (
            header::HeaderName::from_static(BACKUP_REPORT_HEADER),
            value(&backup_report_header(&report))?,
        ),
    ];
    Ok((headers, Body::from_stream(body)).into_response())
}

/// The SHA-256 digest and the length of a file.
fn digest_of(path: &Path) -> std::io::Result<([u8; 32], u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut length = 0u64;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        length += read as u64;
    }
    Ok((hasher.finalize().into(), length))
}

fn value(text: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(text).map_err(|e| failure(format!("cannot send header {text:?}: {e}")))
}

fn failure(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "backup_failed", message)
}

//! `GET /backup` into a file, for [`Control::backup`]: the bytes go to a hidden temporary file
//! beside the target while their SHA-256 is taken, and only a file whose length and digest are
//! the server's is synced and linked to its name. A transfer cut short or damaged leaves nothing
//! under the name, and an existing file is never replaced.
//!
//! [`Control::backup`]: cutover_api::Control::backup

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use cutover_api::{BackupReport, ControlError, ErrorKind};
use cutover_core::wire::{
    BACKUP_REPORT_HEADER, REPR_DIGEST_HEADER, parse_backup_report_header, parse_repr_digest,
};
use futures_util::StreamExt as _;
use reqwest::Method;
use sha2::{Digest as _, Sha256};

use crate::AdminClient;
use crate::http::bad_answer;

/// The longest a download may pause between two chunks before it is given up; a whole backup
/// of a large store takes as long as it takes.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// The bound on a whole download, in place of the client's usual one for a JSON answer.
const DOWNLOAD_LIMIT: Duration = Duration::from_secs(24 * 3600);

impl AdminClient {
    pub(crate) async fn download_backup(&self, to: &Path) -> Result<BackupReport, ControlError> {
        let shown = to.display().to_string();
        // Asked before the server takes a snapshot for nothing; asked again, atomically, when
        // the file is linked to its name.
        if std::fs::symlink_metadata(to).is_ok() {
            return Err(ControlError::backup_exists(&shown));
        }
        let Some(text) = to.to_str() else {
            return Err(ControlError::backup_target(
                &shown,
                "the path is not valid UTF-8",
            ));
        };
        let Some(name) = to.file_name() else {
            return Err(ControlError::backup_target(&shown, "it names no file"));
        };
        let dir = match to.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(ControlError::backup_target(
                &shown,
                format!("the directory {} does not exist", dir.display()),
            ));
        }
        let mut file = tempfile::Builder::new()
            .prefix(&format!(".{}.backup-", name.to_string_lossy()))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| ControlError::backup_target(&shown, e))?;

        let request = self.request(Method::GET, "/backup").timeout(DOWNLOAD_LIMIT);
        let response = self.send(request).await?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let digest = header(REPR_DIGEST_HEADER)
            .as_deref()
            .and_then(parse_repr_digest)
            .ok_or_else(|| bad_answer("backup", "no sha-256 Repr-Digest header"))?;
        let report = header(BACKUP_REPORT_HEADER)
            .ok_or_else(|| bad_answer("backup", "no X-Cutover-Backup-Report header"))
            .and_then(|v| parse_backup_report_header(&v).map_err(|e| bad_answer("backup", e)))?;
        let length = response.content_length();

        let mut hasher = Sha256::new();
        let mut received = 0u64;
        let mut body = response.bytes_stream();
        loop {
            let chunk = match tokio::time::timeout(IDLE_LIMIT, body.next()).await {
                Err(_) => {
                    return Err(cut_short(format!(
                        "nothing arrived for {} s after {received} bytes",
                        IDLE_LIMIT.as_secs()
                    )));
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => return Err(cut_short(format!("after {received} bytes: {e}"))),
                Ok(Some(Ok(chunk))) => chunk,
            };
            hasher.update(&chunk);
            received += chunk.len() as u64;
            file.write_all(&chunk)
                .map_err(|e| ControlError::backup_target(&shown, e))?;
        }
        let got: [u8; 32] = hasher.finalize().into();
        if length.is_some_and(|l| l != received) || got != digest {
            return Err(ControlError::new(
                ErrorKind::Failure,
                "backup_damaged",
                format!(
                    "the backup arrived damaged: {received} bytes with sha-256 {}, where the \
                     server sent {} bytes with sha-256 {}; nothing was written to {shown}",
                    hex(&got),
                    length.map_or_else(|| "?".to_owned(), |l| l.to_string()),
                    hex(&digest),
                ),
            ));
        }
        file.as_file()
            .sync_all()
            .map_err(|e| ControlError::backup_target(&shown, e))?;
        file.persist_noclobber(to).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                ControlError::backup_exists(&shown)
            } else {
                ControlError::backup_target(&shown, e.error)
            }
        })?;
        // The new name is durable once its directory is.
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(BackupReport {
            path: text.to_owned(),
            ..report
        })
    }
}

/// The connection failed or stalled mid-transfer: nothing is known about the file.
fn cut_short(what: String) -> ControlError {
    ControlError::new(
        ErrorKind::Unavailable,
        "backup_cut_short",
        format!("the backup download was cut short ({what}); nothing was written"),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

//! `cutover store backup` of a SQLite store: a consistent copy of the file taken while servers
//! and the CLI go on writing to it.
//!
//! `VACUUM INTO` reads the store in one read transaction (in WAL mode, one snapshot that
//! writers do not wait for) and writes a compact copy of it to a new file. SQLite neither syncs
//! that file nor makes it appear at once, so the copy goes to a temporary name beside the
//! target, is synced, switched to WAL like every store, verified, and only then linked to its
//! name: a crash leaves no half-written file under the name, and an existing file is never
//! replaced.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use cutover_core::AuditKey;
use sqlx::{Connection, SqliteConnection};

use super::classify::classify;
use super::open::SqliteStore;
use crate::store::AuditStore;
use crate::{BackupReport, Store, StoreError};

/// A backup of a store of another backend: a store copy into a new SQLite file at `path`,
/// sealed with `key` when the store is.
pub(crate) async fn backup_store(
    source: &dyn Store,
    key: Option<Arc<AuditKey>>,
    path: &Path,
) -> Result<BackupReport, StoreError> {
    backup(BackupSource::Copy(source, key), path).await
}

/// What a backup is taken from.
pub(super) enum BackupSource<'a> {
    /// A SQLite store: its file, through `VACUUM INTO`.
    Sqlite(&'a SqliteStore),
    /// Any other store: a store copy into a new SQLite file, sealed with `key` when it is.
    Copy(&'a dyn Store, Option<Arc<AuditKey>>),
}

/// The temporary name of a backup in progress: hidden, beside the target, and naming this
/// process, so two backups to the same name do not share it.
fn temporary(path: &Path) -> Result<PathBuf, StoreError> {
    let name = path
        .file_name()
        .ok_or_else(|| StoreError::BackupTarget {
            path: path.display().to_string(),
            why: "it names no file".into(),
        })?
        .to_string_lossy();
    Ok(path.with_file_name(format!(".{name}.backup-{}.tmp", std::process::id())))
}

fn io_error(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::BackupTarget {
        path: path.display().to_string(),
        why: e.to_string(),
    }
}

/// Removes a backup in progress and the files SQLite keeps beside it.
fn discard(tmp: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = tmp.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// Writes a consistent copy of `source` to the SQLite file `path`, which must not exist, and
/// verifies it. The report carries the verification: a SQLite store whose log does not verify
/// still gets its backup (it is the same as the store), and the report says so; a copy refuses
/// such a store (see `crate::copy`).
pub(super) async fn backup(
    source: BackupSource<'_>,
    path: &Path,
) -> Result<BackupReport, StoreError> {
    let shown = path.display().to_string();
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(StoreError::BackupExists { path: shown });
    }
    let target = path.to_str().ok_or_else(|| StoreError::BackupTarget {
        path: shown.clone(),
        why: "the path is not valid UTF-8".into(),
    })?;
    let tmp = temporary(path)?;
    // Said plainly here rather than as the database error SQLite gives for a file it cannot
    // create.
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(StoreError::BackupTarget {
            path: shown,
            why: format!("the directory {} does not exist", dir.display()),
        });
    }
    let tmp_text = tmp.to_string_lossy().into_owned();
    let result = match source {
        BackupSource::Sqlite(store) => store.vacuum_into(&tmp, &tmp_text).await,
        BackupSource::Copy(store, key) => copy_into(store, key, &tmp, &tmp_text).await,
    };
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            discard(&tmp);
            return Err(e);
        }
    };
    // A hard link fails where a file exists, so a file that appeared meanwhile is kept.
    let linked = std::fs::hard_link(&tmp, path);
    discard(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(StoreError::BackupExists { path: shown });
        }
        Err(e) => return Err(io_error(path, e)),
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The new name is durable once its directory is.
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(BackupReport {
        path: target.to_owned(),
        ..report
    })
}

/// A backup of a store of another backend: a store copy into a new SQLite file.
async fn copy_into(
    source: &dyn Store,
    key: Option<Arc<AuditKey>>,
    tmp: &Path,
    tmp_text: &str,
) -> Result<BackupReport, StoreError> {
    let mut file = SqliteStore::open(tmp).await?;
    file.key = key;
    let copied = crate::copy::run::copy(source, &file).await;
    file.close().await;
    let copied = copied?;
    std::fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| io_error(tmp, e))?;
    Ok(BackupReport {
        path: tmp_text.to_owned(),
        method: "store_copy".into(),
        head_id: copied.head_id,
        head_hash: copied.head_hash,
        verify: copied.target,
    })
}

impl SqliteStore {
    async fn vacuum_into(&self, tmp: &Path, tmp_text: &str) -> Result<BackupReport, StoreError> {
        let shown = self.path();
        let mut conn = self
            .backend
            .pool
            .acquire()
            .await
            .map_err(|e| classify(e, shown))?;
        sqlx::query("VACUUM INTO ?1")
            .bind(tmp_text)
            .execute(&mut *conn)
            .await
            .map_err(|e| classify(e, shown))?;
        drop(conn);
        std::fs::File::open(tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| io_error(tmp, e))?;
        // The copy comes out in rollback-journal mode; a restored store should run as every
        // store does, readers beside a writer.
        let mut copy = SqliteConnection::connect_with(
            &sqlx::sqlite::SqliteConnectOptions::new().filename(tmp),
        )
        .await
        .map_err(|e| classify(e, tmp_text))?;
        sqlx::query_scalar::<_, String>("PRAGMA journal_mode = WAL")
            .fetch_one(&mut copy)
            .await
            .map_err(|e| classify(e, tmp_text))?;
        copy.close().await.map_err(|e| classify(e, tmp_text))?;
        let mut backup = SqliteStore::open_existing(tmp).await?;
        backup.key = self.key.clone();
        let verified = backup.verify_audit().await;
        backup.close().await;
        let verified = verified?;
        std::fs::File::open(tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| io_error(tmp, e))?;
        Ok(BackupReport {
            path: tmp_text.to_owned(),
            method: "sqlite_vacuum_into".into(),
            head_id: verified.head_id,
            head_hash: verified.head_hash.clone(),
            verify: verified,
        })
    }
}

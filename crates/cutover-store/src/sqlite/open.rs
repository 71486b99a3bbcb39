//! Opening a SQLite store: the file is inspected before SQLite touches it, then migrated.

use std::path::Path;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::classify::{BUSY_TIMEOUT, classify};
use super::{file_check, schema};
use crate::error::StoreError;
use crate::sql_store::SqlStore;

/// A cutover store in one SQLite file.
pub type SqliteStore = SqlStore<SqliteBackend>;

/// The SQLite side of a [`SqliteStore`]: its connections and its file's path.
#[derive(Debug)]
pub struct SqliteBackend {
    pub(super) pool: SqlitePool,
    pub(super) path: String,
}

impl SqlStore<SqliteBackend> {
    /// Opens the store at `path`, creating it if nothing is there: for the commands that create
    /// a store (`init`, `serve`, `flag create`, `import`). A file that is not a cutover store, an
    /// empty one, a damaged one, or one from a newer cutover is refused without being modified.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_as(path.as_ref(), true).await
    }

    /// Opens the store at `path`, which must already be one: a missing path is
    /// [`StoreError::NoStore`] and nothing is created, so a typo in `--db` is not a new store.
    pub async fn open_existing(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_as(path.as_ref(), false).await
    }

    async fn open_as(path: &Path, create: bool) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        match file_check::inspect(path)? {
            file_check::FileState::Missing if !create => {
                return Err(StoreError::NoStore { path: shown });
            }
            file_check::FileState::Empty => return Err(StoreError::EmptyFile { path: shown }),
            file_check::FileState::Missing | file_check::FileState::Sqlite => {}
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(BUSY_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| classify(e, &shown))?;
        let mut conn = pool.acquire().await.map_err(|e| classify(e, &shown))?;
        schema::prepare(&mut conn, &shown, create).await?;
        drop(conn);
        Ok(SqlStore::new(SqliteBackend { pool, path: shown }))
    }

    pub fn path(&self) -> &str {
        &self.backend.path
    }
}

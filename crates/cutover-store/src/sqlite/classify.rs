//! What SQLite's errors mean for the user, for every file of the backend.

use std::time::Duration;

use crate::error::StoreError;

/// How long a writer waits for another process's write lock before giving up.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Maps SQLite's errors to what they mean for the user: a damaged file, a busy lock, or a plain
/// database error.
pub(super) fn classify(err: sqlx::Error, path: &str) -> StoreError {
    let code = match &err {
        sqlx::Error::Database(db) => db.code().and_then(|c| c.parse::<i64>().ok()),
        _ => None,
    };
    match code.map(|c| c & 0xff) {
        // SQLITE_CORRUPT, SQLITE_NOTADB
        Some(11 | 26) => StoreError::Corrupt {
            path: path.to_owned(),
            detail: err.to_string(),
        },
        // SQLITE_BUSY, SQLITE_LOCKED
        Some(5 | 6) => StoreError::Busy {
            seconds: BUSY_TIMEOUT.as_secs(),
        },
        _ => StoreError::Database(err),
    }
}

//! What PostgreSQL's errors mean for the user, for every file of the backend.

use crate::error::StoreError;

/// Maps PostgreSQL's errors to what they mean for the user: the database cannot be reached
/// (retry later), or a plain database error.
pub(super) fn classify(err: sqlx::Error) -> StoreError {
    let unavailable = match &err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exceptions; 57P0x: the server is shutting down or terminated us;
            // 55000: the database does not accept connections right now.
            code.starts_with("08") || code.starts_with("57P") || code == "55000"
        }),
        _ => false,
    };
    if unavailable {
        StoreError::Unavailable {
            what: format!("PostgreSQL: {err}"),
        }
    } else {
        StoreError::Database(err)
    }
}

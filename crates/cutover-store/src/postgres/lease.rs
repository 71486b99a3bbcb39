//! The rollout guard's lease in PostgreSQL: a session advisory lock on a connection of its
//! own. When the node holding it dies, PostgreSQL ends its session and frees the lock, and
//! the next node that asks gets it.

use std::time::Duration;

use sqlx::{Connection, PgConnection, PgPool};

use super::classify::classify;
use crate::{GuardLease, StoreError};

/// The advisory lock key of the guard loop ("CUTOGRD" in ASCII).
const GUARD_LOCK: i64 = 0x0043_5554_4f47_5244;

/// How long a liveness probe of the lease's connection may take before the lease is given up.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

struct AdvisoryLease {
    conn: Option<PgConnection>,
}

pub(super) async fn try_lease(pool: &PgPool) -> Result<Option<Box<dyn GuardLease>>, StoreError> {
    // A connection of its own: the lock lives as long as this session, not a pooled one.
    let mut conn = pool.acquire().await.map_err(classify)?.detach();
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(GUARD_LOCK)
        .fetch_one(&mut conn)
        .await
        .map_err(classify)?;
    if got {
        Ok(Some(Box::new(AdvisoryLease { conn: Some(conn) })))
    } else {
        let _ = conn.close().await;
        Ok(None)
    }
}

#[async_trait::async_trait]
impl GuardLease for AdvisoryLease {
    async fn still_held(&mut self) -> bool {
        let Some(conn) = self.conn.as_mut() else {
            return false;
        };
        // The lock is the session's: while the session answers, it holds the lock.
        let alive = tokio::time::timeout(PROBE_TIMEOUT, conn.ping())
            .await
            .is_ok_and(|r| r.is_ok());
        if !alive {
            // Drop the session so the server frees the lock if it still holds it.
            self.conn = None;
        }
        alive
    }
}

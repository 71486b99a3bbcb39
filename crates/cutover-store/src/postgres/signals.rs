//! Wake-ups from `LISTEN cutover_change`: one per committed change on any node, and one after
//! every reconnection, since notifications sent while the connection was down are lost and the
//! follower must read the log to catch up.

use std::time::Duration;

use futures_util::stream;
use sqlx::PgPool;
use sqlx::postgres::PgListener;

use crate::ChangeSignals;

/// The channel commits are announced on; the payload is the new audit id.
macro_rules! channel {
    () => {
        "cutover_change"
    };
}
// The announcing statement (`Backend::ANNOUNCE`) spells the same name, in a `concat!`.
pub(super) use channel;

const CHANNEL: &str = channel!();

const RETRY: Duration = Duration::from_millis(500);

pub(super) fn listen(pool: PgPool) -> ChangeSignals {
    Box::pin(stream::unfold(
        (pool, None::<PgListener>),
        |(pool, mut listener)| async move {
            loop {
                let Some(l) = listener.as_mut() else {
                    // Failed attempts are retried; the follower's timer covers the gap.
                    if let Ok(mut l) = PgListener::connect_with(&pool).await
                        && l.listen(CHANNEL).await.is_ok()
                    {
                        // (Re)connected: whatever happened meanwhile must be read.
                        return Some(((), (pool, Some(l))));
                    }
                    tokio::time::sleep(RETRY).await;
                    continue;
                };
                match l.try_recv().await {
                    Ok(Some(_)) => return Some(((), (pool, listener))),
                    // The connection dropped; the listener reconnects on the next call, and
                    // anything sent meanwhile was lost: wake the follower to catch up.
                    Ok(None) => return Some(((), (pool, listener))),
                    Err(_) => {
                        listener = None;
                        tokio::time::sleep(RETRY).await;
                    }
                }
            }
        },
    ))
}

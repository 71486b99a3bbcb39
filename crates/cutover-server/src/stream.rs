//! `GET /api/v1/stream`: server-sent events. A snapshot on connect (or exactly the changes
//! missed, for a client that sends `Last-Event-ID`), then every change as it is applied, each
//! with its audit id as the event id, and a comment every heartbeat so dead connections show.
//!
//! `?format=ofrep` sends OFREP's `refetchEvaluation` notifications instead, for OpenFeature
//! providers that evaluate remotely.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use cutover_core::wire::{RefetchMessage, SnapshotMessage, StreamEventKind};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::watch;

use crate::admin::Params;
use crate::auth::TokenHash;
use crate::live::window::{Pull, StreamEvent};
use crate::live::{Caller, Live, Missed, View};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct StreamQuery {
    /// Any other value is a 400 (the document's enum), not the default stream.
    #[serde(default)]
    format: Option<StreamFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StreamFormat {
    Ofrep,
}

fn snapshot_event(view: &View, ofrep: bool) -> Event {
    if ofrep {
        return refetch(view.head);
    }
    let data = SnapshotMessage {
        seq: view.head,
        flags: view.flags.values().collect(),
    };
    let json = serde_json::to_string(&data).unwrap_or_else(|_| "{}".into());
    Event::default()
        .event(StreamEventKind::Snapshot.as_str())
        .id(view.head.to_string())
        .data(json)
}

fn refetch(seq: u64) -> Event {
    let message = RefetchMessage {
        etag: seq.to_string(),
    };
    Event::default()
        .event(StreamEventKind::Message.as_str())
        .id(seq.to_string())
        .data(serde_json::to_string(&message).unwrap_or_else(|_| "{}".into()))
}

fn change_event(event: &StreamEvent, ofrep: bool) -> Event {
    if ofrep {
        return refetch(event.seq);
    }
    Event::default()
        .event(event.kind)
        .id(event.seq.to_string())
        .data(&event.data)
}

/// Events a stream takes from the window at once.
const PULL: usize = 64;

/// Counts a client while its stream lives.
struct Connected;

impl Connected {
    fn new() -> Self {
        crate::prometheus::stream_clients(1.0);
        Connected
    }
}

impl Drop for Connected {
    fn drop(&mut self) {
        crate::prometheus::stream_clients(-1.0);
    }
}

pub(crate) async fn follow(
    State(state): State<AppState>,
    Extension(token): Extension<TokenHash>,
    Extension(caller): Extension<Caller>,
    Params(query): Params<StreamQuery>,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let ofrep = query.format == Some(StreamFormat::Ofrep);
    // Subscribe before reading the view, so no change falls between the two.
    let heads = state.live.subscribe();
    let generation = state.live.generation();
    let live = state.live.clone();
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if last_seen.is_some_and(|seen| seen > live.current().head) {
        // The client saw more than this node has applied (it came from a node that is ahead):
        // catch up first rather than send it back in time.
        let _ = live.catch_up().await;
    }
    let view = live.view();
    let sent = view.head;
    let first: Vec<Event> = match last_seen {
        None => vec![snapshot_event(&view, ofrep)],
        Some(seen) => match live.missed(seen, view.head).await {
            Missed::Changes(events) => events.iter().map(|e| change_event(e, ofrep)).collect(),
            Missed::Snapshot => vec![snapshot_event(&view, ofrep)],
        },
    };
    drop(view);
    let follower = Follower {
        first: first.into(),
        heads,
        generation,
        sent,
        closing: live.closing(),
        tokens_moved: {
            // Checked once at the start too: the token may have gone since it was authenticated.
            let mut moved = live.tokens_moved();
            moved.mark_changed();
            moved
        },
        token,
        expires: caller.expires_at.map(|at| {
            let left = at.duration_since(cutover_core::Timestamp::now());
            tokio::time::Instant::now() + std::time::Duration::try_from(left).unwrap_or_default()
        }),
        live,
        ofrep,
        _connected: Connected::new(),
    };
    let stream = futures_util::stream::unfold(follower, |mut f| async move {
        let event = f.next().await?;
        Some((Ok(event), f))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(state.heartbeat).text("heartbeat"))
}

/// One client's position in the change stream.
struct Follower {
    first: VecDeque<Event>,
    /// Moves when the node adds events to its window.
    heads: watch::Receiver<u64>,
    /// The window generation this client follows; a new one means start over from a snapshot.
    generation: u64,
    /// The last sequence this client was sent.
    sent: u64,
    live: Arc<Live>,
    closing: tokio::sync::watch::Receiver<bool>,
    /// The stream ends as soon as the token it was opened with is revoked: it would otherwise go
    /// on receiving every change, override values included.
    tokens_moved: tokio::sync::watch::Receiver<u64>,
    token: TokenHash,
    /// When the token expires: the stream ends then.
    expires: Option<tokio::time::Instant>,
    ofrep: bool,
    _connected: Connected,
}

impl Follower {
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.first.pop_front() {
                return Some(event);
            }
            // Seen before pulling: an event added after the pull moves `heads` again.
            self.heads.borrow_and_update();
            match self.live.pull(self.sent, self.generation, PULL) {
                Pull::Events(events) if !events.is_empty() => {
                    for event in &events {
                        self.sent = event.seq;
                        self.first.push_back(change_event(event, self.ofrep));
                    }
                    continue;
                }
                Pull::Events(_) => {}
                Pull::Restart { generation } => {
                    // Too slow to keep up, or the node reloaded: start over from the current
                    // state.
                    let view = self.live.view();
                    self.sent = view.head;
                    self.generation = generation;
                    return Some(snapshot_event(&view, self.ofrep));
                }
            }
            tokio::select! {
                moved = self.heads.changed() => {
                    if moved.is_err() {
                        return None;
                    }
                }
                _ = self.closing.wait_for(|closing| *closing) => return None,
                () = async {
                    match self.expires {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                } => {
                    tracing::info!("change stream ended: its token expired");
                    return None;
                }
                moved = self.tokens_moved.changed() => {
                    if moved.is_err() || !self.live.current().tokens.contains_key(&self.token.0) {
                        tracing::info!("change stream ended: its token was revoked");
                        return None;
                    }
                }
            }
        }
    }
}

//! Following the server's change stream: connect, apply, and on any failure reconnect with
//! exponential backoff and jitter, resuming from the last applied sequence.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use cutover_core::Flag;
use cutover_core::wire::{ChangeMessage, ChangesMessage, SnapshotMessage, StreamEventKind};
use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};

use crate::live::Live;

const BACKOFF_START: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

pub(crate) struct Target {
    pub url: reqwest::Url,
    pub token: String,
    pub idle_timeout: Duration,
}

/// A delay drawn uniformly from [d/2, d): clients that lost the same server do not all come
/// back in the same millisecond.
fn jittered(delay: Duration) -> Duration {
    let random = RandomState::new().build_hasher().finish();
    let half = delay / 2;
    half + Duration::from_nanos(random % (half.as_nanos().max(1) as u64))
}

pub(crate) async fn follow(
    live: Arc<Live>,
    target: Target,
    first: tokio::sync::oneshot::Sender<()>,
) {
    let http = reqwest::Client::new();
    let mut first = Some(first);
    let mut backoff = BACKOFF_START;
    loop {
        let outcome = session(&live, &http, &target, &mut first, &mut backoff).await;
        if live.connected.swap(false, Ordering::AcqRel) {
            // The flags were current up to this moment.
            live.touch();
        }
        if let Err(why) = outcome {
            tracing::warn!(url = %target.url, %why, "change stream lost; serving the last known flags");
        }
        tokio::time::sleep(jittered(backoff)).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// A stream of chunks that fails when the server says nothing (not even a heartbeat) for
/// `idle`: a half-open connection must not look connected forever.
fn with_idle_timeout<S, B, E>(stream: S, idle: Duration) -> impl Stream<Item = Result<B, String>>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    E: std::fmt::Display,
{
    futures_util::stream::unfold(Some(stream), move |stream| async move {
        let mut stream = stream?;
        match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(stream))),
            Ok(Some(Err(e))) => Some((Err(e.to_string()), None)),
            Ok(None) => None,
            Err(_) => Some((Err(format!("nothing from the server for {idle:?}")), None)),
        }
    })
}

async fn session(
    live: &Live,
    http: &reqwest::Client,
    target: &Target,
    first: &mut Option<tokio::sync::oneshot::Sender<()>>,
    backoff: &mut Duration,
) -> Result<(), String> {
    let mut request = http.get(target.url.clone()).bearer_auth(&target.token);
    let seq = live.seq.load(Ordering::Acquire);
    if seq > 0 {
        request = request.header("last-event-id", seq.to_string());
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        return Err(format!("the server answered {status}: {body}"));
    }
    live.connected.store(true, Ordering::Release);
    live.touch();
    let chunks = with_idle_timeout(response.bytes_stream(), target.idle_timeout);
    let mut events = Box::pin(chunks.eventsource());
    while let Some(event) = events.next().await {
        let event = event.map_err(|e| e.to_string())?;
        match StreamEventKind::parse(&event.event) {
            Some(StreamEventKind::Snapshot) => {
                let data: SnapshotMessage<Flag> = serde_json::from_str(&event.data)
                    .map_err(|e| format!("unreadable snapshot: {e}"))?;
                live.replace_all(data.flags, data.seq);
            }
            Some(StreamEventKind::Change) => {
                let data: ChangeMessage<'_, Flag> = serde_json::from_str(&event.data)
                    .map_err(|e| format!("unreadable change: {e}"))?;
                live.apply(data.seq, vec![(data.key.into_owned(), data.flag)]);
            }
            Some(StreamEventKind::Changes) => {
                let data: ChangesMessage<'_, Flag> = serde_json::from_str(&event.data)
                    .map_err(|e| format!("unreadable changes: {e}"))?;
                let changed = data
                    .changes
                    .into_iter()
                    .map(|c| (c.key.into_owned(), c.flag))
                    .collect();
                live.apply(data.seq, changed);
            }
            Some(StreamEventKind::Message) | None => continue,
        }
        *backoff = BACKOFF_START;
        if let Some(first) = first.take() {
            let _ = first.send(());
        }
        live.save_cache().await;
    }
    Ok(())
}

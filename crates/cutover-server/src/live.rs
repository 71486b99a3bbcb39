//! A node's live view of the store, moved forward by reading the audit log.
//!
//! The audit log is the change feed: every committed change is one entry with a gapless,
//! increasing id, and a flag entry carries the flag's state after the change. Following it gives
//! every node the same sequence, which is also the SSE event id, so a client can reconnect to
//! any node with `Last-Event-ID` and get exactly what it missed.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use cutover_core::{AuditEntry, EnvOverrides, Flag, FlagKey, Role, Snapshot, Timestamp};
use cutover_store::{AuditQuery, Store, StoreError, TokenRecord};
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::broadcast;

/// How many change events a node keeps to replay to reconnecting clients without reading the
/// store.
const RECENT_EVENTS: usize = 4096;

/// Audit entries read per query while catching up.
const CATCH_UP_PAGE: u32 = 512;

/// Who a request comes from, as its token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub name: Arc<str>,
    pub role: Role,
    /// Set on a request that arrived with the token's change budget spent: the handler lets it
    /// through only if it is a retreat (see `cutover_core::is_retreat`), else answers 429 after
    /// this many seconds.
    pub over_budget: Option<u64>,
}

/// Everything a request reads without touching the store.
#[derive(Debug)]
pub struct View {
    pub snapshot: Snapshot,
    pub flags: BTreeMap<FlagKey, Flag>,
    /// The id of the last audit entry this view includes.
    pub head: u64,
    pub(crate) tokens: HashMap<String, Caller>,
}

/// One message of the change stream, serialised once for every client.
#[derive(Debug)]
pub(crate) enum StreamEvent {
    Change {
        seq: u64,
        data: String,
    },
    /// The node reloaded its whole state (it found a hole in the log it follows): clients get a
    /// fresh snapshot.
    Reset,
}

/// What a reconnecting client missed.
pub(crate) enum Missed {
    /// The changes after its last event id, up to the view's head.
    Changes(Vec<Arc<StreamEvent>>),
    /// Too much or unknown: start over from a snapshot.
    Snapshot,
}

#[derive(Serialize)]
struct ChangeData<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    seq: u64,
    action: &'a str,
    key: &'a str,
    at: Timestamp,
    /// The flag after the change; `null` when it was deleted.
    flag: Option<&'a RawValue>,
}

struct Recent {
    /// Every change after this id is in `events`.
    floor: u64,
    events: VecDeque<Arc<StreamEvent>>,
}

pub struct Live {
    view: ArcSwap<View>,
    store: Arc<dyn Store>,
    env: EnvOverrides,
    events: broadcast::Sender<Arc<StreamEvent>>,
    recent: Mutex<Recent>,
    /// One catch-up at a time, so entries are applied once and in order.
    apply: tokio::sync::Mutex<()>,
    /// Set when the node shuts down: open change streams end so the shutdown can finish.
    closing: tokio::sync::watch::Sender<bool>,
    /// Moves whenever the set of tokens may have changed: open change streams check that the
    /// token they were opened with is still there.
    tokens_moved: tokio::sync::watch::Sender<u64>,
}

fn tokens_by_hash(tokens: Vec<TokenRecord>) -> HashMap<String, Caller> {
    tokens
        .into_iter()
        .map(|t| {
            let caller = Caller {
                name: Arc::from(t.name.as_str()),
                role: t.role,
                over_budget: None,
            };
            (t.hash, caller)
        })
        .collect()
}

impl Live {
    /// Reads the whole state once; the node starts serving from it.
    pub async fn load(store: Arc<dyn Store>, env: EnvOverrides) -> Result<Arc<Live>, StoreError> {
        let view = Self::read_view(&*store, &env).await?;
        let (events, _) = broadcast::channel(RECENT_EVENTS);
        Ok(Arc::new(Live {
            recent: Mutex::new(Recent {
                floor: view.head,
                events: VecDeque::new(),
            }),
            view: ArcSwap::from_pointee(view),
            store,
            env,
            events,
            apply: tokio::sync::Mutex::new(()),
            closing: tokio::sync::watch::Sender::new(false),
            tokens_moved: tokio::sync::watch::Sender::new(0),
        }))
    }

    async fn read_view(store: &dyn Store, env: &EnvOverrides) -> Result<View, StoreError> {
        let state = store.state().await?;
        let tokens = tokens_by_hash(store.tokens().await?);
        let flags: BTreeMap<FlagKey, Flag> = state
            .flags
            .into_iter()
            .map(|f| (f.key.clone(), f))
            .collect();
        Ok(View {
            snapshot: Snapshot::compile(flags.values(), env),
            flags,
            head: state.head,
            tokens,
        })
    }

    pub fn view(&self) -> Arc<View> {
        self.view.load_full()
    }

    /// A cheap borrow of the current view for one request.
    pub(crate) fn current(&self) -> arc_swap::Guard<Arc<View>> {
        self.view.load()
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<StreamEvent>> {
        self.events.subscribe()
    }

    /// Ends every open change stream (clients reconnect, to another node if there is one).
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    pub(crate) fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Wakes whenever tokens may have been created or revoked.
    pub(crate) fn tokens_moved(&self) -> tokio::sync::watch::Receiver<u64> {
        self.tokens_moved.subscribe()
    }

    pub(crate) fn caller(&self, token_hash: &str) -> Option<Caller> {
        self.view.load().tokens.get(token_hash).cloned()
    }

    /// Applies every audit entry committed after the view's head, by this node or any other.
    pub async fn catch_up(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.apply.lock().await;
        let current = self.view.load_full();
        let mut head = current.head;
        let mut flags: Option<BTreeMap<FlagKey, Flag>> = None;
        let mut tokens_changed = false;
        let mut fresh = Vec::new();
        loop {
            let page = self
                .store
                .audit(&AuditQuery {
                    after_id: Some(head),
                    limit: Some(CATCH_UP_PAGE),
                    ..AuditQuery::default()
                })
                .await?;
            let full_page = page.len() == CATCH_UP_PAGE as usize;
            for entry in &page {
                if entry.id != head + 1 {
                    tracing::warn!(
                        expected = head + 1,
                        found = entry.id,
                        "hole in the audit log; reloading the whole state"
                    );
                    return self.reset().await;
                }
                head = entry.id;
                tracing::info!(
                    seq = entry.id,
                    action = %entry.action,
                    entity = %entry.entity,
                    actor = %entry.actor,
                    "change applied"
                );
                if let Some(key) = entry.entity.strip_prefix("flag:") {
                    let flags = flags.get_or_insert_with(|| current.flags.clone());
                    match self.apply_flag(flags, key, entry) {
                        Some(event) => fresh.push((event, entry.at)),
                        None => return self.reset().await,
                    }
                } else if entry.entity.starts_with("token:") {
                    tokens_changed = true;
                }
            }
            if !full_page {
                break;
            }
        }
        if head == current.head {
            return Ok(());
        }
        let tokens = if tokens_changed {
            tokens_by_hash(self.store.tokens().await?)
        } else {
            current.tokens.clone()
        };
        let flags = flags.unwrap_or_else(|| current.flags.clone());
        self.view.store(Arc::new(View {
            snapshot: Snapshot::compile(flags.values(), &self.env),
            flags,
            head,
            tokens,
        }));
        if tokens_changed {
            self.tokens_moved.send_modify(|generation| *generation += 1);
        }
        let now = Timestamp::now();
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        for (event, at) in fresh {
            let event = Arc::new(event);
            recent.events.push_back(event.clone());
            if recent.events.len() > RECENT_EVENTS
                && let Some(old) = recent.events.pop_front()
                && let StreamEvent::Change { seq, .. } = &*old
            {
                recent.floor = *seq;
            }
            // No receivers is not an error: nobody is streaming.
            let _ = self.events.send(event);
            crate::metrics::change_applied(now.duration_since(at));
        }
        Ok(())
    }

    /// Moves one flag to its state after `entry`; `None` when the entry cannot be read, which
    /// only a store edited by hand produces.
    fn apply_flag(
        &self,
        flags: &mut BTreeMap<FlagKey, Flag>,
        key: &str,
        entry: &AuditEntry,
    ) -> Option<StreamEvent> {
        let key = FlagKey::new(key).ok()?;
        let after = match &entry.after {
            Some(json) => {
                let flag: Flag = serde_json::from_str(json).ok()?;
                flags.insert(key.clone(), flag);
                Some(RawValue::from_string(json.clone()).ok()?)
            }
            None => {
                flags.remove(&key);
                None
            }
        };
        let data = serde_json::to_string(&ChangeData {
            kind: "change",
            seq: entry.id,
            action: &entry.action,
            key: key.as_str(),
            at: entry.at,
            flag: after.as_deref(),
        })
        .ok()?;
        Some(StreamEvent::Change {
            seq: entry.id,
            data,
        })
    }

    /// Reloads everything and tells every stream to start over from a snapshot.
    async fn reset(&self) -> Result<(), StoreError> {
        let view = Self::read_view(&*self.store, &self.env).await?;
        let head = view.head;
        self.view.store(Arc::new(view));
        self.tokens_moved.send_modify(|generation| *generation += 1);
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent.events.clear();
        recent.floor = head;
        let _ = self.events.send(Arc::new(StreamEvent::Reset));
        Ok(())
    }

    /// What a client whose last event was `last_seen` missed, up to `head` (the head of the view
    /// it is about to be served from).
    pub(crate) async fn missed(&self, last_seen: u64, head: u64) -> Missed {
        if last_seen >= head {
            return if last_seen == head {
                Missed::Changes(Vec::new())
            } else {
                Missed::Snapshot
            };
        }
        {
            let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
            if last_seen >= recent.floor {
                return Missed::Changes(
                    recent
                        .events
                        .iter()
                        .filter(|e| matches!(&***e, StreamEvent::Change { seq, .. } if *seq > last_seen && *seq <= head))
                        .cloned()
                        .collect(),
                );
            }
        }
        // Older than this node remembers (it restarted, or the client was away long): read the
        // log, if the store answers and the gap is not huge.
        self.missed_from_store(last_seen, head)
            .await
            .unwrap_or(Missed::Snapshot)
    }

    async fn missed_from_store(&self, last_seen: u64, head: u64) -> Option<Missed> {
        if head - last_seen > RECENT_EVENTS as u64 {
            return None;
        }
        let entries = self
            .store
            .audit(&AuditQuery {
                after_id: Some(last_seen),
                limit: Some(u32::try_from(head - last_seen).ok()?),
                ..AuditQuery::default()
            })
            .await
            .ok()?;
        let mut expected = last_seen + 1;
        let mut scratch = BTreeMap::new();
        let mut out = Vec::new();
        for entry in entries.iter().take_while(|e| e.id <= head) {
            if entry.id != expected {
                return None;
            }
            expected += 1;
            if let Some(key) = entry.entity.strip_prefix("flag:") {
                out.push(Arc::new(self.apply_flag(&mut scratch, key, entry)?));
            }
        }
        (expected == head + 1).then_some(Missed::Changes(out))
    }
}

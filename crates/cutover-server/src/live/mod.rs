//! A node's live view of the store, moved forward by reading the audit log.
//!
//! The audit log is the change feed: every committed change is one entry with a gapless,
//! increasing id, and a flag entry carries the flag's state after the change. Following it gives
//! every node the same sequence, which is also the SSE event id, so a client can reconnect to
//! any node with `Last-Event-ID` and get exactly what it missed.

mod events;
pub(crate) mod window;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arc_swap::ArcSwap;
use cutover_control::{Store, StoreError};
use cutover_core::{
    AuditEntry, AuditQuery, EntityKind, EnvOverrides, Flag, FlagKey, Role, Snapshot, Timestamp,
    TokenRecord,
};
use tokio::sync::watch;

use window::{Pull, StreamEvent, WINDOW_EVENTS, Window};

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
    /// When the token stops working (its streams end then too).
    pub expires_at: Option<Timestamp>,
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

/// What a reconnecting client missed.
pub(crate) enum Missed {
    /// The changes after its last event id, up to the view's head.
    Changes(Vec<Arc<StreamEvent>>),
    /// Too much or unknown: start over from a snapshot.
    Snapshot,
}

pub struct Live {
    view: ArcSwap<View>,
    store: Arc<dyn Store>,
    env: EnvOverrides,
    /// The recent change events streams read; `heads` moves after each addition.
    window: Mutex<Window>,
    heads: watch::Sender<u64>,
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
                expires_at: t.expires_at,
            };
            (t.hash, caller)
        })
        .collect()
}

impl Live {
    /// Reads the whole state once; the node starts serving from it.
    pub async fn load(store: Arc<dyn Store>, env: EnvOverrides) -> Result<Arc<Live>, StoreError> {
        let view = Self::read_view(&*store, &env).await?;
        Ok(Arc::new(Live {
            window: Mutex::new(Window::new(view.head)),
            heads: watch::Sender::new(view.head),
            view: ArcSwap::from_pointee(view),
            store,
            env,
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
        warn_env_problems(env, flags.values());
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

    /// Wakes when events are added to the window.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.heads.subscribe()
    }

    fn window(&self) -> MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The generation of the window a new stream starts in.
    pub(crate) fn generation(&self) -> u64 {
        self.window().generation()
    }

    /// Up to `max` events after `after`, for a stream of `generation`.
    pub(crate) fn pull(&self, after: u64, generation: u64, max: usize) -> Pull {
        self.window().pull(after, generation, max)
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
        let mut tokens_changed = false;
        let mut fresh: Vec<AuditEntry> = Vec::new();
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
            for entry in page {
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
                match EntityKind::split(&entry.entity) {
                    Some((EntityKind::Flag, _)) => fresh.push(entry),
                    Some((EntityKind::Token, _)) => tokens_changed = true,
                    _ => {}
                }
            }
            if !full_page {
                break;
            }
        }
        if head == current.head {
            return Ok(());
        }
        // A store read whole commits at a time, so the last page ends a transaction: grouping
        // the entries read here never splits one.
        let mut flags = current.flags.clone();
        let Some(events) = events::apply_entries(&mut flags, &fresh) else {
            return self.reset().await;
        };
        let tokens = if tokens_changed {
            tokens_by_hash(self.store.tokens().await?)
        } else {
            current.tokens.clone()
        };
        // Only the flags this batch changed: the others' problems were logged when they came.
        warn_env_problems(
            &self.env,
            flags
                .iter()
                .filter(|(key, flag)| current.flags.get(*key) != Some(*flag))
                .map(|(_, flag)| flag),
        );
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
        for entry in &fresh {
            crate::prometheus::change_applied(now.duration_since(entry.at));
        }
        {
            let mut window = self.window();
            for event in events {
                window.push(Arc::new(event));
            }
        }
        self.heads.send_replace(head);
        Ok(())
    }

    /// Reloads everything and tells every stream to start over from a snapshot.
    async fn reset(&self) -> Result<(), StoreError> {
        let view = Self::read_view(&*self.store, &self.env).await?;
        let head = view.head;
        self.view.store(Arc::new(view));
        self.tokens_moved.send_modify(|generation| *generation += 1);
        self.window().restart(head);
        self.heads.send_replace(head);
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
        let remembered = self.window().between(last_seen, head);
        if let Some(events) = remembered {
            return Missed::Changes(events);
        }
        // Older than this node remembers (it restarted, or the client was away long): read the
        // log, if the store answers and the gap is not huge.
        self.missed_from_store(last_seen, head)
            .await
            .unwrap_or(Missed::Snapshot)
    }

    async fn missed_from_store(&self, last_seen: u64, head: u64) -> Option<Missed> {
        if head - last_seen > WINDOW_EVENTS as u64 {
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
        let entries: Vec<AuditEntry> = entries.into_iter().take_while(|e| e.id <= head).collect();
        let gapless = entries
            .iter()
            .zip(last_seen + 1..)
            .all(|(entry, expected)| entry.id == expected);
        if !gapless || entries.last().map(|e| e.id) != Some(head) {
            return None;
        }
        let events = events::apply_entries(&mut BTreeMap::new(), &entries)?;
        Some(Missed::Changes(events.into_iter().map(Arc::new).collect()))
    }
}

/// Logs the malformed values of the environment variables `flags` declare: this process read
/// its environment at start, and such a variable is left out of its evaluations.
fn warn_env_problems<'a>(env: &EnvOverrides, flags: impl IntoIterator<Item = &'a Flag>) {
    for problem in env.problems(flags) {
        tracing::warn!(%problem, "environment variable left out of evaluation");
    }
}

//! The client's current state: the compiled snapshot evaluation reads, and the flags it was
//! compiled from, moved forward by stream events.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use arc_swap::ArcSwap;
use cutover_core::{CompiledFlag, EnvOverrides, Flag, FlagDocument, FlagKey, Snapshot, Timestamp};
use serde::{Deserialize, Serialize};

/// A compiled snapshot and its generation: a resolved [`crate::SdkFlag`] re-resolves when the
/// generation moves.
pub(crate) struct Current {
    pub snapshot: Snapshot,
    pub generation: u64,
}

/// What changed, for change callbacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A whole new state (first connection, a reconnect that could not resume, a cache load).
    Snapshot { seq: u64, flags: usize },
    /// One flag changed (`deleted` when it is gone).
    Flag {
        seq: u64,
        key: String,
        deleted: bool,
    },
}

type Callback = Box<dyn Fn(&Change) + Send + Sync>;

pub(crate) struct Live {
    pub current: ArcSwap<Current>,
    flags: Mutex<BTreeMap<FlagKey, Flag>>,
    env: EnvOverrides,
    pub seq: AtomicU64,
    pub connected: AtomicBool,
    /// Unix milliseconds when the flags were last known current (an event, a connection, a
    /// disconnection); 0 before any.
    pub updated_ms: AtomicI64,
    callbacks: Mutex<Vec<Callback>>,
    cache: Option<PathBuf>,
    /// The malformed values among the variables the current flags declare (left out of
    /// evaluation), and every one logged so far, so each is logged once.
    env_problems: Mutex<(Vec<String>, BTreeSet<String>)>,
}

/// The on-disk cache: the flags and the sequence they are at.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cached {
    seq: u64,
    flags: Vec<Flag>,
}

impl Live {
    pub(crate) fn new(env: EnvOverrides, cache: Option<PathBuf>) -> Self {
        Live {
            current: ArcSwap::from_pointee(Current {
                snapshot: Snapshot::compile(std::iter::empty(), &env),
                generation: 0,
            }),
            flags: Mutex::new(BTreeMap::new()),
            env,
            seq: AtomicU64::new(0),
            connected: AtomicBool::new(false),
            updated_ms: AtomicI64::new(0),
            callbacks: Mutex::new(Vec::new()),
            cache,
            env_problems: Mutex::default(),
        }
    }

    /// Notes that the flags are known current now.
    pub(crate) fn touch(&self) {
        self.updated_ms
            .store(Timestamp::now().as_millisecond(), Ordering::Release);
    }

    pub(crate) fn on_change(&self, callback: Callback) {
        self.callbacks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(callback);
    }

    /// Compiles and swaps in one snapshot, then tells the callbacks each change it holds.
    fn publish(&self, flags: &BTreeMap<FlagKey, Flag>, seq: u64, changes: &[Change]) {
        let generation = self.current.load().generation + 1;
        self.current.store(std::sync::Arc::new(Current {
            snapshot: Snapshot::compile(flags.values(), &self.env),
            generation,
        }));
        self.note_env_problems(flags);
        self.seq.store(seq, Ordering::Release);
        self.updated_ms
            .store(Timestamp::now().as_millisecond(), Ordering::Release);
        for callback in self
            .callbacks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            for change in changes {
                callback(change);
            }
        }
    }

    /// Keeps the malformed values of the variables `flags` declare, and logs each new one: the
    /// process reads its environment once, before it knows the names its flags will declare,
    /// so a bad value can only be reported when a flag declaring it arrives.
    fn note_env_problems(&self, flags: &BTreeMap<FlagKey, Flag>) {
        let problems: Vec<String> = self
            .env
            .problems(flags.values())
            .iter()
            .map(ToString::to_string)
            .collect();
        let mut state = self
            .env_problems
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for problem in &problems {
            if state.1.insert(problem.clone()) {
                tracing::warn!(%problem, "environment variable left out of evaluation");
            }
        }
        state.0 = problems;
    }

    /// The malformed values among the variables the current flags declare.
    pub(crate) fn env_problems(&self) -> Vec<String> {
        self.env_problems
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .clone()
    }

    pub(crate) fn replace_all(&self, all: Vec<Flag>, seq: u64) {
        let mut flags = self.flags.lock().unwrap_or_else(PoisonError::into_inner);
        *flags = all.into_iter().map(|f| (f.key.clone(), f)).collect();
        let change = Change::Snapshot {
            seq,
            flags: flags.len(),
        };
        self.publish(&flags, seq, &[change]);
    }

    /// Applies the flags one transaction changed (`None`: deleted) and compiles once, so no
    /// evaluation ever sees some of them changed and others not.
    pub(crate) fn apply(&self, seq: u64, changed: Vec<(FlagKey, Option<Flag>)>) {
        let mut flags = self.flags.lock().unwrap_or_else(PoisonError::into_inner);
        let mut changes = Vec::with_capacity(changed.len());
        for (key, flag) in changed {
            changes.push(Change::Flag {
                seq,
                key: key.to_string(),
                deleted: flag.is_none(),
            });
            match flag {
                Some(flag) => {
                    flags.insert(key, flag);
                }
                None => {
                    flags.remove(&key);
                }
            }
        }
        self.publish(&flags, seq, &changes);
    }

    /// Writes the current flags where the next start can find them (atomically: a temporary
    /// file renamed over the old one, so a crash never leaves half a cache).
    pub(crate) async fn save_cache(&self) {
        let Some(path) = &self.cache else { return };
        let text = {
            let flags = self.flags.lock().unwrap_or_else(PoisonError::into_inner);
            let cached = Cached {
                seq: self.seq.load(Ordering::Acquire),
                flags: flags.values().cloned().collect(),
            };
            match serde_json::to_string(&cached) {
                Ok(text) => text,
                Err(_) => return,
            }
        };
        let tmp = path.with_extension("tmp");
        let saved = match tokio::fs::write(&tmp, text).await {
            Ok(()) => tokio::fs::rename(&tmp, path).await,
            Err(e) => Err(e),
        };
        if let Err(e) = saved {
            tracing::warn!(error = %e, path = %path.display(), "cannot save the flag cache");
        }
    }

    /// Loads the cache, if there is one and it reads; the stream replaces it when it connects.
    pub(crate) fn load_cache(&self) -> bool {
        let Some(path) = &self.cache else {
            return false;
        };
        match read_document(path) {
            Ok((flags, seq)) => {
                self.replace_all(flags, seq);
                true
            }
            Err(why) => {
                tracing::info!(path = %path.display(), %why, "no usable flag cache");
                false
            }
        }
    }
}

/// Reads a flag file: the cache (with its sequence) or a `cutover export` document (sequence 0).
pub(crate) fn read_document(path: &Path) -> Result<(Vec<Flag>, u64), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    if let Ok(cached) = serde_json::from_str::<Cached>(&text) {
        return Ok((cached.flags, cached.seq));
    }
    let document: FlagDocument = serde_json::from_str(&text)
        .map_err(|e| format!("it is neither a cutover export (JSON) nor a client cache: {e}"))?;
    document.validate().map_err(|e| e.to_string())?;
    Ok((document.flags, 0))
}

/// The instant an evaluation runs at. Only flags with expiring overrides need the real time;
/// the others skip the clock read, which would cost more than the evaluation itself.
#[inline]
pub(crate) fn instant_for(flag: &CompiledFlag) -> Timestamp {
    if flag.reads_clock() {
        Timestamp::now()
    } else {
        Timestamp::UNIX_EPOCH
    }
}

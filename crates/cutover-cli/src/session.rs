//! What every command needs: the application layer it works through, who is acting, and the
//! time of the run.

use anyhow::{Context as _, bail};
use cutover_api::{ChangeMeta, Control};
use cutover_core::Timestamp;
use std::sync::Arc;

use cutover_control::{PgStore, SqliteStore, Store};

use crate::global::Global;

pub(crate) struct Session {
    /// Every use case goes through this: the store-backed layer in this process (`--db`,
    /// `--postgres`), or the same layer behind a server (`--server URL --token T`). Commands
    /// do not know which.
    pub control: Arc<dyn Control>,
    pub json: bool,
    /// One instant for the whole run, so a batch is evaluated at a single point in time.
    pub now: Timestamp,
    actor: Option<String>,
    actor_typed: bool,
    /// Through a server, the token's name is the actor and none need be known here.
    actor_needed: bool,
    reason: Option<String>,
    force: bool,
    /// The store the layer runs on in this process, closed at the end of the run (SQLite folds
    /// its write-ahead log back into the file). Never used for a use case.
    store: Option<Arc<dyn Store>>,
}

impl Session {
    /// Opens the layer of `global`: over its store (only with `create` may a store come into
    /// being, see [`open_store`]), or over HTTP with `--server`.
    pub(crate) async fn open(global: &Global, create: bool) -> anyhow::Result<Self> {
        let (control, store): (Arc<dyn Control>, _) = match &global.server {
            Some(url) => {
                let token = global
                    .token
                    .as_deref()
                    .context("--server needs a token: pass --token TOKEN or set CUTOVER_TOKEN")?;
                let note: cutover_client::RateLimitNote = Arc::new(|wait| {
                    eprintln!(
                        "note: the server limits this token's change rate; sending again in {} s",
                        wait.as_secs()
                    );
                });
                let client = cutover_client::AdminClient::new(url, token)?.on_rate_limit(note);
                (Arc::new(client), None)
            }
            None => {
                let store = open_store(global, create).await?;
                (layer(store.clone()), Some(store))
            }
        };
        Ok(Session {
            actor_needed: store.is_some(),
            control,
            store,
            json: global.json,
            now: Timestamp::now(),
            actor: global.actor.clone(),
            actor_typed: global.actor_typed,
            reason: global.reason.clone(),
            force: global.force,
        })
    }

    /// The audit metadata of a change: `--actor`, else `CUTOVER_ACTOR`, else the OS user. A
    /// server records the token's name instead, whatever is sent.
    pub(crate) fn meta(&self) -> anyhow::Result<ChangeMeta> {
        let actor = if self.actor_needed {
            actor(self.actor.as_deref())?
        } else {
            self.actor.clone().unwrap_or_else(|| "token".into())
        };
        Ok(ChangeMeta {
            role: None,
            force: self.force,
            actor,
            reason: self.reason.clone(),
            at: self.now,
        })
    }

    /// The actor to filter audit reads by: only one typed as `--actor`, never CUTOVER_ACTOR.
    pub(crate) fn actor_filter(&self) -> Option<String> {
        if self.actor_typed {
            self.actor.clone()
        } else {
            None
        }
    }

    pub(crate) async fn close(self) {
        if let Some(store) = self.store {
            store.close().await;
        }
    }
}

/// The application layer over a store this process opened.
pub(crate) fn layer(store: Arc<dyn Store>) -> Arc<dyn Control> {
    Arc::new(cutover_control::StoreControl::new(store))
}

/// The store a command works on: the SQLite file by default, PostgreSQL with `--postgres`.
/// Without `create`, a missing file or a database without cutover's schema is an error and
/// nothing is created: only `init`, `serve`, `flag create` and `import` create a store. With an
/// audit key (`--audit-key-file`), the store seals the audit head on every append.
pub(crate) async fn open_store(global: &Global, create: bool) -> anyhow::Result<Arc<dyn Store>> {
    let key = global.audit_key.clone();
    Ok(match (&global.postgres, create) {
        (Some(url), create) => {
            let store = if create {
                PgStore::connect(url).await?
            } else {
                PgStore::connect_existing(url).await?
            };
            Arc::new(match key {
                Some(key) => store.with_audit_key(key),
                None => store,
            })
        }
        (None, create) => {
            let store = if create {
                SqliteStore::open(&global.db).await?
            } else {
                SqliteStore::open_existing(&global.db).await?
            };
            Arc::new(match key {
                Some(key) => store.with_audit_key(key),
                None => store,
            })
        }
    })
}

/// Who acts: `--actor` (or `CUTOVER_ACTOR`) as given, else the OS user. A command that creates
/// a store calls this before opening it, so a bad environment creates nothing.
pub(crate) fn actor(given: Option<&str>) -> anyhow::Result<String> {
    let actor = match given {
        Some(a) => a.to_owned(),
        None => os_user().context("cannot tell who is making this change")?,
    };
    if actor.trim().is_empty() {
        bail!("the actor is empty; pass --actor NAME or set CUTOVER_ACTOR");
    }
    Ok(actor)
}

fn os_user() -> anyhow::Result<String> {
    for var in ["USER", "LOGNAME", "USERNAME"] {
        match std::env::var(var) {
            Ok(name) if !name.is_empty() => return Ok(name),
            Err(std::env::VarError::NotUnicode(value)) => bail!(
                "{var} is {value:?}, which is not valid UTF-8, so it cannot name the actor; pass \
                 --actor NAME"
            ),
            _ => {}
        }
    }
    // No variable (a container, CI, a systemd service): the account the process runs as.
    match whoami::username() {
        Ok(name) if !name.trim().is_empty() => Ok(name),
        _ => bail!(
            "no --actor, no CUTOVER_ACTOR, no USER/LOGNAME in the environment and no account name \
             for this process's user; pass --actor NAME or set CUTOVER_ACTOR"
        ),
    }
}

//! What every command needs: the open store, who is acting, and the time of the run.

use anyhow::{Context as _, bail};
use cutover_core::Timestamp;
use std::sync::Arc;

use cutover_store::{ChangeMeta, PgStore, SqliteStore, Store};

use crate::global::Global;
use crate::remote::RemoteStore;

pub(crate) struct Session {
    pub store: Arc<dyn Store>,
    /// Set when commands go through a server's API (`--server`).
    pub remote: Option<Arc<RemoteStore>>,
    pub json: bool,
    /// One instant for the whole run, so a batch is evaluated at a single point in time.
    pub now: Timestamp,
    actor: Option<String>,
    actor_typed: bool,
    reason: Option<String>,
}

impl Session {
    /// Opens the store of `global`; only with `create` may a store come into being (see
    /// [`open_store`]).
    pub(crate) async fn open(global: &Global, create: bool) -> anyhow::Result<Self> {
        let (store, remote) = match &global.server {
            Some(url) => {
                let token = global
                    .token
                    .as_deref()
                    .context("--server needs a token: pass --token TOKEN or set CUTOVER_TOKEN")?;
                let remote = Arc::new(RemoteStore::new(url, token)?);
                (remote.clone() as Arc<dyn Store>, Some(remote))
            }
            None => (open_store(global, create).await?, None),
        };
        Ok(Session {
            store,
            remote,
            json: global.json,
            now: Timestamp::now(),
            actor: global.actor.clone(),
            actor_typed: global.actor_typed,
            reason: global.reason.clone(),
        })
    }

    /// The audit metadata of a change: `--actor`, else `CUTOVER_ACTOR`, else the OS user.
    pub(crate) fn meta(&self) -> anyhow::Result<ChangeMeta> {
        if self.remote.is_some() {
            // The server records the token's name; nothing sent from here can claim otherwise.
            return Ok(ChangeMeta {
                actor: "token".into(),
                reason: self.reason.clone(),
                at: self.now,
            });
        }
        Ok(ChangeMeta {
            actor: actor(self.actor.as_deref())?,
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
        self.store.close().await;
    }
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

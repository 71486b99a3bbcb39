//! What every command needs: the open store, who is acting, and the time of the run.

use anyhow::{Context as _, bail};
use cutover_core::Timestamp;
use std::sync::Arc;

use cutover_store::{ChangeMeta, SqliteStore, Store};

use crate::args::Global;
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
    pub(crate) async fn open(global: &Global) -> anyhow::Result<Self> {
        let (store, remote) = match &global.server {
            Some(url) => {
                let token = global
                    .token
                    .as_deref()
                    .context("--server needs a token: pass --token TOKEN or set CUTOVER_TOKEN")?;
                let remote = Arc::new(RemoteStore::new(url, token)?);
                (remote.clone() as Arc<dyn Store>, Some(remote))
            }
            None => (open_store(global).await?, None),
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
        let actor = match &self.actor {
            Some(a) => a.clone(),
            None => os_user().context("cannot tell who is making this change")?,
        };
        if actor.trim().is_empty() {
            bail!("the actor is empty; pass --actor NAME or set CUTOVER_ACTOR");
        }
        Ok(ChangeMeta {
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
        self.store.close().await;
    }
}

/// The store a command works on: the SQLite file by default, PostgreSQL with `--postgres`.
pub(crate) async fn open_store(global: &Global) -> anyhow::Result<Arc<dyn Store>> {
    let key = global.audit_key.clone();
    Ok(match &global.postgres {
        Some(url) => {
            let store = cutover_store::PgStore::connect(url).await?;
            Arc::new(match key {
                Some(key) => store.with_audit_key(key),
                None => store,
            })
        }
        None => {
            let store = SqliteStore::open(&global.db).await?;
            Arc::new(match key {
                Some(key) => store.with_audit_key(key),
                None => store,
            })
        }
    })
}

fn os_user() -> anyhow::Result<String> {
    for var in ["USER", "LOGNAME", "USERNAME"] {
        if let Ok(name) = std::env::var(var)
            && !name.is_empty()
        {
            return Ok(name);
        }
    }
    bail!("no --actor, no CUTOVER_ACTOR and no USER/LOGNAME in the environment; pass --actor NAME")
}

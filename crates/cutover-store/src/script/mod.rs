//! The transaction scripts every backend runs: read, check the expected version, apply the pure
//! change from the core, write, and append the audit entry, all inside one transaction.
//!
//! Backends provide only the primitives of [`Tx`]; the rules live here once.

use async_trait::async_trait;
use cutover_core::{
    AuditAction, AuditEntity, AuditEntry, AuditKey, Flag, FlagChange, FlagKey, HeadSeal,
    NewAuditEntry, Preset, Role, TokenName, TokenState, env_name_collision, env_var_name,
    token_binding,
};
use serde::Serialize;

mod import;

pub(crate) use import::import;

use crate::{ChangeMeta, Committed, StoreError, TokenRecord};

/// The primitives a backend offers inside one open transaction.
///
/// Reading a flag inside a transaction must keep it from changing until the transaction ends
/// (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: `SELECT ... FOR UPDATE`), and reading the audit head
/// must serialise appends.
#[async_trait]
pub(crate) trait Tx: Send {
    async fn flag(&mut self, key: &FlagKey) -> Result<Option<Flag>, StoreError>;
    async fn flags(&mut self) -> Result<Vec<Flag>, StoreError>;
    async fn insert_flag(&mut self, flag: &Flag, meta: &ChangeMeta) -> Result<(), StoreError>;
    async fn update_flag(&mut self, flag: &Flag, meta: &ChangeMeta) -> Result<(), StoreError>;
    async fn delete_flag(&mut self, key: &FlagKey) -> Result<(), StoreError>;
    async fn presets(&mut self) -> Result<Vec<Preset>, StoreError>;
    async fn upsert_preset(&mut self, preset: &Preset, meta: &ChangeMeta)
    -> Result<(), StoreError>;
    async fn delete_preset(&mut self, name: &FlagKey) -> Result<(), StoreError>;
    async fn token(&mut self, name: &TokenName) -> Result<Option<TokenRecord>, StoreError>;
    async fn tokens(&mut self) -> Result<Vec<TokenRecord>, StoreError>;
    async fn insert_token(&mut self, token: &TokenRecord) -> Result<(), StoreError>;
    async fn delete_token(&mut self, name: &TokenName) -> Result<(), StoreError>;
    /// The last committed audit id and hash (0 and the genesis hash for an empty log).
    async fn audit_head(&mut self) -> Result<(u64, String), StoreError>;
    /// Inserts the entry and moves the head to it.
    async fn append_audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// The id of the first entry this transaction appended, kept by the transaction: every
    /// entry it appends names it as its `txn`.
    fn first_entry(&mut self) -> &mut Option<u64>;

    /// The key this process seals the audit head with, if it was given one.
    fn audit_key(&self) -> Option<&AuditKey>;
    /// The head row with its seal; `None` when the row is gone (only tampering removes it).
    async fn head_row(&mut self) -> Result<Option<HeadRow>, StoreError>;
    async fn set_head_seal(&mut self, seal: &HeadSeal) -> Result<(), StoreError>;
    /// The hash of entry `id`, if there is one.
    async fn audit_hash(&mut self, id: u64) -> Result<Option<String>, StoreError>;
    /// Hands every audit entry to `visit`, in id order, without holding the log in memory.
    async fn walk_audit(
        &mut self,
        visit: &mut (dyn for<'e> FnMut(&'e AuditEntry) + Send),
    ) -> Result<(), StoreError>;
}

/// The audit head as stored: the last entry's id and hash, and the seal beside them.
#[derive(Debug, Clone)]
pub(crate) struct HeadRow {
    pub id: u64,
    pub hash: String,
    pub seal: Option<HeadSeal>,
}

/// A token as its audit entries record it: bound to its stored hash by a digest of it.
pub(crate) fn token_state(token: &TokenRecord) -> TokenState {
    TokenState {
        name: token.name.clone(),
        role: token.role,
        created_at: token.created_at,
        created_by: token.created_by.clone(),
        hash_binding: Some(token_binding(&token.hash)),
        expires_at: token.expires_at,
    }
}

fn flag_entity(key: &FlagKey) -> String {
    AuditEntity::Flag(key.clone()).to_string()
}

fn preset_entity(name: &FlagKey) -> String {
    AuditEntity::Preset(name.clone()).to_string()
}

fn to_json<T: Serialize>(value: Option<&T>) -> Result<Option<String>, StoreError> {
    value
        .map(|v| serde_json::to_string(v).map_err(StoreError::bad_row))
        .transpose()
}

/// Appends one audit entry after the current head and returns its id.
async fn audit<T: Tx, B: Serialize, A: Serialize>(
    tx: &mut T,
    meta: &ChangeMeta,
    action: AuditAction,
    entity: String,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<u64, StoreError> {
    let (before, after) = (to_json(before)?, to_json(after)?);
    append(tx, meta, action, entity, before, after, false).await
}

/// Appends an entry whose `before` and `after` are JSON text already, then seals the new head.
/// `accept` clears what the seal carried as unsealed (an audited `--trust-state`).
pub(crate) async fn append<T: Tx>(
    tx: &mut T,
    meta: &ChangeMeta,
    action: AuditAction,
    entity: String,
    before: Option<String>,
    after: Option<String>,
    accept: bool,
) -> Result<u64, StoreError> {
    // Every write ends here, whichever way it came in: the metadata is held to its limits
    // before it joins the chain (a refusal rolls the whole transaction back).
    cutover_core::limits::check_actor(&meta.actor)?;
    if let Some(reason) = &meta.reason {
        cutover_core::limits::check_reason(reason)?;
    }
    let (last_id, last_hash) = tx.audit_head().await?;
    let entry = NewAuditEntry {
        at: meta.at,
        actor: meta.actor.clone(),
        action: action.as_str().to_owned(),
        entity,
        before,
        after,
        reason: meta.reason.clone(),
    }
    .seal(last_id + 1, &last_hash);
    let entry = AuditEntry {
        txn: *tx.first_entry().get_or_insert(entry.id),
        ..entry
    };
    tx.append_audit(&entry).await?;
    seal_head(tx, last_id, &last_hash, &entry, accept).await?;
    Ok(entry.id)
}

/// Seals the head after `entry` was appended onto `head_id`. A process without the key may
/// not write to a store whose head is sealed: its entries would be indistinguishable from a
/// forger's, so it is refused before anything is committed.
async fn seal_head<T: Tx>(
    tx: &mut T,
    head_id: u64,
    head_hash: &str,
    entry: &AuditEntry,
    accept: bool,
) -> Result<(), StoreError> {
    let current = tx.head_row().await?.and_then(|h| h.seal);
    let Some(key) = tx.audit_key().cloned() else {
        return match current {
            Some(_) => Err(StoreError::SealedWithoutKey),
            None => Ok(()),
        };
    };
    let sealed_hash = match &current {
        Some(seal) if seal.id == head_id => Some(head_hash.to_owned()),
        Some(seal) => tx.audit_hash(seal.id).await?,
        None => None,
    };
    let next = key.next_seal(
        current.as_ref(),
        sealed_hash.as_deref(),
        head_id,
        entry.id,
        &entry.hash,
        accept,
    );
    tx.set_head_seal(&next).await
}

fn check_version(flag: &Flag, expected: Option<u64>) -> Result<(), StoreError> {
    match expected {
        Some(expected) if expected != flag.version => Err(StoreError::VersionConflict {
            key: flag.key.to_string(),
            expected,
            actual: flag.version,
        }),
        _ => Ok(()),
    }
}

/// Refuses `key` when one of `others` answers to the same `CUTOVER_FLAG_*` variable (the core's
/// rule): the environment could not tell the two apart.
fn check_identity<'a>(
    key: &FlagKey,
    others: impl IntoIterator<Item = &'a FlagKey>,
) -> Result<(), StoreError> {
    match env_name_collision(key, others) {
        Some(existing) => Err(StoreError::FlagIdentityTaken {
            key: key.to_string(),
            existing: existing.to_string(),
            var: env_var_name(key),
        }),
        None => Ok(()),
    }
}

pub(crate) async fn create_flag<T: Tx>(
    tx: &mut T,
    flag: Flag,
    meta: &ChangeMeta,
) -> Result<Committed<Flag>, StoreError> {
    let keys: Vec<FlagKey> = tx.flags().await?.into_iter().map(|f| f.key).collect();
    check_identity(&flag.key, &keys)?;
    insert_new_flag(tx, flag, meta).await
}

/// Creates a flag whose identity was checked by the caller.
async fn insert_new_flag<T: Tx>(
    tx: &mut T,
    mut flag: Flag,
    meta: &ChangeMeta,
) -> Result<Committed<Flag>, StoreError> {
    flag.validate()?;
    flag.check_limits()?;
    // A rollout in progress and a golden verdict come only from audited moves on a flag that
    // exists: a new flag (created or imported) cannot arrive already running or already passed.
    flag.run = None;
    flag.golden = None;
    if let Some(existing) = tx.flag(&flag.key).await? {
        return Err(StoreError::FlagExists {
            key: existing.key.to_string(),
            version: existing.version,
        });
    }
    flag.version = 1;
    tx.insert_flag(&flag, meta).await?;
    let id = audit(
        tx,
        meta,
        AuditAction::FlagCreate,
        flag_entity(&flag.key),
        None::<&Flag>,
        Some(&flag),
    )
    .await?;
    Ok(Committed {
        value: flag,
        audit_id: Some(id),
    })
}

/// Applies `changes` to one flag. `action` replaces the action derived from the changes (a
/// preset application records `preset.apply`).
pub(crate) async fn change_flag<T: Tx>(
    tx: &mut T,
    key: &FlagKey,
    expected: Option<u64>,
    changes: &[FlagChange],
    action: Option<AuditAction>,
    meta: &ChangeMeta,
) -> Result<Committed<Flag>, StoreError> {
    let flag = tx
        .flag(key)
        .await?
        .ok_or_else(|| StoreError::FlagNotFound {
            key: key.to_string(),
        })?;
    check_version(&flag, expected)?;
    let Some(next) = FlagChange::apply_all(&flag, changes, meta.at)? else {
        return Ok(Committed {
            value: flag,
            audit_id: None,
        });
    };
    tx.update_flag(&next, meta).await?;
    let action = action.unwrap_or_else(|| FlagChange::action_of(changes));
    let id = audit(tx, meta, action, flag_entity(key), Some(&flag), Some(&next)).await?;
    Ok(Committed {
        value: next,
        audit_id: Some(id),
    })
}

pub(crate) async fn delete_flag<T: Tx>(
    tx: &mut T,
    key: &FlagKey,
    expected: Option<u64>,
    meta: &ChangeMeta,
) -> Result<Committed<Flag>, StoreError> {
    let flag = tx
        .flag(key)
        .await?
        .ok_or_else(|| StoreError::FlagNotFound {
            key: key.to_string(),
        })?;
    check_version(&flag, expected)?;
    if let Some(preset) = tx
        .presets()
        .await?
        .into_iter()
        .find(|p| p.entries.iter().any(|e| &e.flag == key))
    {
        return Err(StoreError::FlagInPreset {
            key: key.to_string(),
            preset: preset.name.to_string(),
        });
    }
    tx.delete_flag(key).await?;
    let id = audit(
        tx,
        meta,
        AuditAction::FlagDelete,
        flag_entity(key),
        Some(&flag),
        None::<&Flag>,
    )
    .await?;
    Ok(Committed {
        value: flag,
        audit_id: Some(id),
    })
}

pub(crate) async fn define_preset<T: Tx>(
    tx: &mut T,
    preset: Preset,
    meta: &ChangeMeta,
) -> Result<Committed<Preset>, StoreError> {
    preset.validate()?;
    preset.check_limits()?;
    for entry in &preset.entries {
        if tx.flag(&entry.flag).await?.is_none() {
            return Err(StoreError::FlagNotFound {
                key: entry.flag.to_string(),
            });
        }
    }
    let existing = tx
        .presets()
        .await?
        .into_iter()
        .find(|p| p.name == preset.name);
    if existing.as_ref() == Some(&preset) {
        return Ok(Committed {
            value: preset,
            audit_id: None,
        });
    }
    tx.upsert_preset(&preset, meta).await?;
    let id = audit(
        tx,
        meta,
        AuditAction::PresetDefine,
        preset_entity(&preset.name),
        existing.as_ref(),
        Some(&preset),
    )
    .await?;
    Ok(Committed {
        value: preset,
        audit_id: Some(id),
    })
}

async fn find_preset<T: Tx>(tx: &mut T, name: &FlagKey) -> Result<Preset, StoreError> {
    tx.presets()
        .await?
        .into_iter()
        .find(|p| &p.name == name)
        .ok_or_else(|| StoreError::PresetNotFound {
            name: name.to_string(),
        })
}

pub(crate) async fn delete_preset<T: Tx>(
    tx: &mut T,
    name: &FlagKey,
    meta: &ChangeMeta,
) -> Result<Committed<Preset>, StoreError> {
    let preset = find_preset(tx, name).await?;
    tx.delete_preset(name).await?;
    let id = audit(
        tx,
        meta,
        AuditAction::PresetDelete,
        preset_entity(name),
        Some(&preset),
        None::<&Preset>,
    )
    .await?;
    Ok(Committed {
        value: preset,
        audit_id: Some(id),
    })
}

pub(crate) async fn apply_preset<T: Tx>(
    tx: &mut T,
    name: &FlagKey,
    meta: &ChangeMeta,
) -> Result<Vec<Committed<Flag>>, StoreError> {
    let preset = find_preset(tx, name).await?;
    let meta = ChangeMeta {
        // The preset's name goes before the person's reason; the two together are kept within
        // the reason's limit rather than refused for what cutover added.
        reason: Some(cutover_core::limits::clip(
            &match &meta.reason {
                Some(why) => format!("preset {name}: {why}"),
                None => format!("preset {name}"),
            },
            cutover_core::limits::MAX_REASON_BYTES,
        )),
        ..meta.clone()
    };
    let mut out = Vec::with_capacity(preset.entries.len());
    for entry in &preset.entries {
        out.push(
            change_flag(
                tx,
                &entry.flag,
                None,
                &entry.changes(),
                Some(AuditAction::PresetApply),
                &meta,
            )
            .await?,
        );
    }
    Ok(out)
}

pub(crate) async fn sweep_expired<T: Tx>(
    tx: &mut T,
    meta: &ChangeMeta,
) -> Result<Vec<Committed<Flag>>, StoreError> {
    let mut out = Vec::new();
    for flag in tx.flags().await? {
        if flag.overrides.iter().any(|o| !o.is_active(meta.at)) {
            out.push(
                change_flag(
                    tx,
                    &flag.key,
                    None,
                    &[FlagChange::RemoveExpiredOverrides],
                    None,
                    meta,
                )
                .await?,
            );
        }
    }
    Ok(out)
}

pub(crate) async fn create_token<T: Tx>(
    tx: &mut T,
    token: TokenRecord,
    meta: &ChangeMeta,
) -> Result<Committed<TokenRecord>, StoreError> {
    token.name.check_not_reserved()?;
    cutover_core::limits::check_actor(&token.created_by)?;
    if let Some(expires_at) = token.expires_at
        && expires_at <= meta.at
    {
        return Err(cutover_core::CoreError::TokenAlreadyExpired {
            expires_at,
            now: meta.at,
        }
        .into());
    }
    if tx.token(&token.name).await?.is_some() {
        return Err(StoreError::TokenExists {
            name: token.name.to_string(),
        });
    }
    tx.insert_token(&token).await?;
    let entity = AuditEntity::Token(token.name.clone()).to_string();
    let id = audit(
        tx,
        meta,
        AuditAction::TokenCreate,
        entity,
        None::<&TokenState>,
        Some(&token_state(&token)),
    )
    .await?;
    Ok(Committed {
        value: token,
        audit_id: Some(id),
    })
}

pub(crate) async fn revoke_token<T: Tx>(
    tx: &mut T,
    name: &TokenName,
    meta: &ChangeMeta,
) -> Result<Committed<TokenRecord>, StoreError> {
    let token = tx
        .token(name)
        .await?
        .ok_or_else(|| StoreError::TokenNotFound {
            name: name.to_string(),
        })?;
    // Without an admin token nobody can administer the store through the API, and a new one
    // could then only come from direct access to the store (`cutover token recover`).
    if token.role == Role::Admin {
        let admins = tx.tokens().await?;
        if admins.iter().filter(|t| t.role == Role::Admin).count() <= 1 {
            return Err(StoreError::LastAdminToken {
                name: name.to_string(),
            });
        }
    }
    tx.delete_token(name).await?;
    let entity = AuditEntity::Token(name.clone()).to_string();
    let id = audit(
        tx,
        meta,
        AuditAction::TokenRevoke,
        entity,
        Some(&token_state(&token)),
        None::<&TokenState>,
    )
    .await?;
    Ok(Committed {
        value: token,
        audit_id: Some(id),
    })
}

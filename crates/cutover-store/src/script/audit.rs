//! Appending to the audit log inside a script's transaction, and sealing the new head.

use cutover_core::{AuditAction, AuditEntity, AuditEntry, FlagKey, NewAuditEntry};
use serde::Serialize;

use super::tx::Tx;
use crate::{ChangeMeta, StoreError};

pub(super) fn flag_entity(key: &FlagKey) -> String {
    AuditEntity::Flag(key.clone()).to_string()
}

pub(super) fn preset_entity(name: &FlagKey) -> String {
    AuditEntity::Preset(name.clone()).to_string()
}

fn to_json<T: Serialize>(value: Option<&T>) -> Result<Option<String>, StoreError> {
    value
        .map(|v| serde_json::to_string(v).map_err(StoreError::bad_row))
        .transpose()
}

/// Appends one audit entry after the current head and returns its id.
pub(super) async fn audit<T: Tx, B: Serialize, A: Serialize>(
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

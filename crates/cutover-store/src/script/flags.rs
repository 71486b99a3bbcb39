//! The scripts that create, change and delete flags, and sweep expired overrides.

use cutover_core::{AuditAction, Flag, FlagChange, FlagKey, env_name_collision, env_var_name};

use super::audit::{audit, flag_entity};
use super::tx::Tx;
use crate::{ChangeMeta, Committed, StoreError};

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
pub(super) fn check_identity<'a>(
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
pub(super) async fn insert_new_flag<T: Tx>(
    tx: &mut T,
    mut flag: Flag,
    meta: &ChangeMeta,
) -> Result<Committed<Flag>, StoreError> {
    flag.validate()?;
    flag.check_limits()?;
    // A rollout in progress and verdicts come only from audited moves on a flag that
    // exists: a new flag (created or imported) cannot arrive already running or already passed.
    flag.run = None;
    flag.verdicts.clear();
    // It enters its first stage now (to the millisecond, as the row keeps it).
    flag.stage_since = cutover_core::Timestamp::from_millisecond(meta.at.as_millisecond()).ok();
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

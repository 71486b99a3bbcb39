//! The scripts that create, change and delete flags, and sweep expired overrides.

use cutover_core::{AuditAction, Flag, FlagChange, FlagKey, env_conflict};

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

/// Refuses `flag` when it would read an environment variable one of `others` reads: its derived
/// `CUTOVER_FLAG_<KEY>` or a name it declares (the core's rule, `env_conflict`).
pub(super) fn check_env_names<'a>(
    flag: &Flag,
    others: impl IntoIterator<Item = &'a Flag>,
) -> Result<(), StoreError> {
    match env_conflict(flag, others) {
        Some(conflict) => Err(StoreError::FlagIdentityTaken { conflict }),
        None => Ok(()),
    }
}

pub(crate) async fn create_flag<T: Tx>(
    tx: &mut T,
    flag: Flag,
    meta: &ChangeMeta,
) -> Result<Committed<Flag>, StoreError> {
    let others = tx.flags().await?;
    // A name declared twice within the flag is its own mistake, reported before any conflict.
    flag.validate()?;
    check_env_names(&flag, &others)?;
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
    // It enters its first stage now (to the millisecond, as the row keeps it), unless it comes
    // with the time it entered it elsewhere (a document exported from another store).
    if flag.stage_since.is_none() {
        flag.stage_since = cutover_core::Timestamp::from_millisecond(meta.at.as_millisecond()).ok();
    }
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
/// preset application records `preset.apply`). A change of the environment names the flag
/// reads is held to the rule that no other flag reads them.
pub(crate) async fn change_flag<T: Tx>(
    tx: &mut T,
    key: &FlagKey,
    expected: Option<u64>,
    changes: &[FlagChange],
    action: Option<AuditAction>,
    meta: &ChangeMeta,
) -> Result<Committed<Flag>, StoreError> {
    change_flag_checked(
        tx,
        key,
        expected,
        changes,
        action,
        meta,
        EnvCheck::AgainstStore,
    )
    .await
}

/// Whether a change is checked against the other flags' environment names here, or was checked
/// by its caller against the state it leads to (an import moves names between flags, so its
/// steps one by one may pass through a state where two flags read one name).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum EnvCheck {
    AgainstStore,
    ByCaller,
}

pub(super) async fn change_flag_checked<T: Tx>(
    tx: &mut T,
    key: &FlagKey,
    expected: Option<u64>,
    changes: &[FlagChange],
    action: Option<AuditAction>,
    meta: &ChangeMeta,
    env_check: EnvCheck,
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
    if env_check == EnvCheck::AgainstStore
        && next.env != flag.env
        && changes.iter().any(FlagChange::touches_env)
    {
        check_env_names(&next, &tx.flags().await?)?;
    }
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

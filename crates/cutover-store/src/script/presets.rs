//! The scripts that define, delete and apply presets.

use cutover_core::{AuditAction, Flag, FlagKey, Preset};

use super::audit::{audit, preset_entity};
use super::flags::change_flag;
use super::tx::Tx;
use crate::{ChangeMeta, Committed, StoreError};

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

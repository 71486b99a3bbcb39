//! The import script: the store made to hold a document's flags and presets, all or nothing,
//! through the same scripts as single changes (so every change is audited as itself).

use cutover_core::{Flag, FlagChange, FlagDocument, FlagKey};

use super::flags::{EnvCheck, change_flag_checked, check_env_names, delete_flag, insert_new_flag};
use super::presets::{define_preset, delete_preset};
use super::tx::Tx;
use crate::{ChangeMeta, ImportReport, StoreError};

pub(crate) async fn import<T: Tx>(
    tx: &mut T,
    doc: &FlagDocument,
    options: crate::ImportOptions,
    meta: &ChangeMeta,
) -> Result<ImportReport, StoreError> {
    doc.validate()?;
    let prune = options.prune;
    let current = tx.flags().await?;
    // A document names the version each flag had when it was exported: one the store has moved
    // past would undo changes made since. (Version 0, a file written by hand without versions,
    // claims nothing.)
    let stale: Vec<String> = doc
        .flags
        .iter()
        .filter_map(|f| {
            let now = current.iter().find(|c| c.key == f.key)?;
            (f.version != 0 && f.version < now.version).then(|| {
                format!(
                    "{} (document v{}, store v{})",
                    f.key, f.version, now.version
                )
            })
        })
        .collect();
    if !stale.is_empty() && !options.force {
        return Err(StoreError::StaleImport { flags: stale });
    }
    let existing: Vec<FlagKey> = current.iter().map(|f| f.key.clone()).collect();
    let in_doc = |key: &FlagKey| doc.flags.iter().any(|f| &f.key == key);
    // The flags the store keeps as they are besides the document's: no flag of the document may
    // read an environment variable one of them reads. (The document's flags were checked
    // against each other by `validate`, and replace their own stored state.)
    let kept: Vec<&Flag> = current
        .iter()
        .filter(|f| !prune && !in_doc(&f.key))
        .collect();
    for flag in &doc.flags {
        check_env_names(flag, kept.iter().copied())?;
    }
    let mut report = ImportReport::default();
    let existing_presets = tx.presets().await?;
    if prune {
        // Presets go first so that deleting their flags is allowed.
        for preset in existing_presets
            .iter()
            .filter(|p| !doc.presets.iter().any(|d| d.name == p.name))
        {
            delete_preset(tx, &preset.name, meta).await?;
            report.presets_deleted.push(preset.name.to_string());
        }
    }
    for flag in &doc.flags {
        // An override already expired never applies again: the import leaves it out, as a sweep
        // would, rather than refusing a file exported before it expired (the API refuses to
        // add one; the report's changes show it gone from a flag the store had it on).
        let mut flag = flag.clone();
        flag.overrides.retain(|o| o.is_active(meta.at));
        let flag = &flag;
        let key = flag.key.to_string();
        if existing.contains(&flag.key) {
            let replace = [FlagChange::Replace {
                flag: Box::new(flag.clone()),
            }];
            let before = current.iter().find(|c| c.key == flag.key);
            let done = change_flag_checked(
                tx,
                &flag.key,
                None,
                &replace,
                None,
                meta,
                EnvCheck::ByCaller,
            )
            .await?;
            if done.changed() {
                if let Some(before) = before {
                    report.changes.extend(field_changes(before, &done.value));
                }
                report.updated.push(key)
            } else {
                report.unchanged.push(key)
            }
        } else {
            insert_new_flag(tx, flag.clone(), meta).await?;
            report.created.push(key);
        }
    }
    if prune {
        for key in existing
            .iter()
            .filter(|k| !doc.flags.iter().any(|f| &f.key == *k))
        {
            delete_flag(tx, key, None, meta).await?;
            report.deleted.push(key.to_string());
        }
    }
    for preset in &doc.presets {
        if define_preset(tx, preset.clone(), meta).await?.changed() {
            report.presets_defined.push(preset.name.to_string());
        }
    }
    report.dry_run = options.dry_run;
    Ok(report)
}

/// The top-level fields of a flag that differ between two states (its version aside).
fn field_changes(before: &Flag, after: &Flag) -> Vec<crate::ImportChange> {
    let (Ok(serde_json::Value::Object(b)), Ok(serde_json::Value::Object(a))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    let mut fields: Vec<&String> = b.keys().chain(a.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter(|f| f.as_str() != "version" && b.get(*f) != a.get(*f))
        .map(|f| crate::ImportChange {
            flag: after.key.to_string(),
            field: f.clone(),
            before: b.get(f).cloned().unwrap_or(serde_json::Value::Null),
            after: a.get(f).cloned().unwrap_or(serde_json::Value::Null),
        })
        .collect()
}

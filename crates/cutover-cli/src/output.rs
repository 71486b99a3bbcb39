//! How results look: aligned plain tables for people, JSON for scripts.

use comfy_table::{Cell, Table, presets};
use cutover_core::{Flag, Timestamp};
use serde::Serialize;

pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A borderless table with a header row, like `kubectl get`.
pub(crate) fn table<const N: usize>(
    headers: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) {
    let mut t = Table::new();
    t.load_style(presets::NOTHING);
    t.set_header(headers.iter().map(Cell::new));
    for row in rows {
        t.add_row(row);
    }
    for line in t.to_string().lines() {
        println!("{}", line.strip_prefix(' ').unwrap_or(line).trim_end());
    }
}

/// Times for people: UTC, to the second.
pub(crate) fn time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%SZ").to_string()
}

pub(crate) fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// One line saying what state a flag is in.
pub(crate) fn summary(flag: &Flag) -> String {
    let mut parts = Vec::new();
    if flag.killed {
        parts.push("KILLED".to_owned());
    }
    parts.push(if flag.enabled {
        "enabled".to_owned()
    } else {
        "disabled".to_owned()
    });
    parts.push(format!("stage {}", flag.stage));
    if flag.rollout == flag.stage.rollout() {
        parts.push(format!("rollout {}", flag.rollout));
    } else {
        parts.push(format!("rollout {} (custom)", flag.rollout));
    }
    match flag.overrides.len() {
        0 => {}
        1 => parts.push("1 override".to_owned()),
        n => parts.push(format!("{n} overrides")),
    }
    if !flag.scope.is_empty() {
        let scope: Vec<String> = flag.scope.iter().map(ToString::to_string).collect();
        parts.push(format!("scope {}", scope.join(" and ")));
    }
    if let (Some(plan), Some(run)) = (&flag.plan, &flag.run) {
        parts.push(format!(
            "guarded rollout {} at step {} of {}",
            run.status.as_str(),
            run.step + 1,
            plan.steps.len()
        ));
    } else if flag.plan.is_some() {
        parts.push("guarded rollout planned".to_owned());
    }
    parts.join(", ")
}

/// A stable code for an error, for the JSON error object of `--json`: the same words the API
/// uses in its error answers. A use case's error carries its code, the same whether the layer ran
/// here or behind a server; the rest are the store's own, from commands that work on a store
/// itself.
pub(crate) fn error_code(e: &anyhow::Error) -> String {
    use cutover_control::StoreError as E;
    if let Some(control) = e.downcast_ref::<cutover_api::ControlError>() {
        return control.code.to_string();
    }
    let Some(store) = e.downcast_ref::<E>() else {
        return if e.downcast_ref::<cutover_core::CoreError>().is_some() {
            "invalid".into()
        } else {
            "failed".into()
        };
    };
    match store {
        E::FlagNotFound { .. } | E::PresetNotFound { .. } | E::TokenNotFound { .. } => "not_found",
        E::FlagExists { .. } | E::TokenExists { .. } => "already_exists",
        E::VersionConflict { .. } => "version_conflict",
        E::FlagIdentityTaken { .. } => "identity_taken",
        E::LastAdminToken { .. } => "last_admin",
        E::FlagInPreset { .. } => "in_use",
        E::Unavailable { .. } | E::Busy { .. } => "store_unavailable",
        E::Invalid(_) | E::BadUrl { .. } => "invalid",
        E::NoStore { .. } | E::EmptyFile { .. } | E::NoSchema { .. } => "no_store",
        E::NotAStore { .. } | E::Corrupt { .. } | E::NewerSchema { .. } | E::BadRow { .. } => {
            "damaged"
        }
        E::SealedWithoutKey | E::CannotTrust { .. } => "audit_seal",
        _ => "store_failure",
    }
    .into()
}

//! `cutover preset define|apply|list|delete`.

use clap::Subcommand;
use cutover_core::{FlagKey, Preset, PresetEntry};

use super::change;
use crate::output;
use crate::session::Session;
use crate::text_limit::TextLimit;
use crate::values::parse_key;

#[derive(Debug, Subcommand)]
pub(crate) enum PresetCmd {
    /// Define (or redefine) a preset.
    Define {
        #[arg(value_parser = parse_key)]
        name: FlagKey,
        /// KEY=SETTING[,SETTING...], repeatable. A setting is on, off, kill, unkill, a stage, or a
        /// percentage such as 25%.
        #[arg(long = "flag", value_parser = parse_preset_entry, value_name = "KEY=SETTINGS", required = true)]
        entries: Vec<PresetEntry>,
        #[arg(long, default_value = "", value_parser = TextLimit::DESCRIPTION)]
        description: String,
    },
    /// Apply a preset: every flag it names changes in one transaction, or none does.
    Apply {
        #[arg(value_parser = parse_key)]
        name: FlagKey,
    },
    /// List presets.
    List,
    /// Delete a preset.
    Delete {
        #[arg(value_parser = parse_key)]
        name: FlagKey,
    },
}

fn parse_preset_entry(s: &str) -> Result<PresetEntry, String> {
    PresetEntry::parse(s).map_err(|e| e.to_string())
}

pub(crate) async fn run(session: &Session, cmd: &PresetCmd) -> anyhow::Result<()> {
    match cmd {
        PresetCmd::Define {
            name,
            entries,
            description,
        } => {
            let preset = Preset::from_entries(name.clone(), description.clone(), entries.clone())?;
            let done = session
                .control
                .define_preset(preset, &session.meta()?)
                .await?;
            if session.json {
                return output::json(
                    &serde_json::json!({ "preset": done.value, "changed": done.changed(), "audit_id": done.audit_id }),
                );
            }
            match done.audit_id {
                Some(id) => println!(
                    "preset {} defined: {} (audit #{id})",
                    done.value.name,
                    entries_text(&done.value)
                ),
                None => println!(
                    "preset {} unchanged: {}",
                    done.value.name,
                    entries_text(&done.value)
                ),
            }
            Ok(())
        }
        PresetCmd::Apply { name } => {
            let applied = session.control.apply_preset(name, &session.meta()?).await?;
            if session.json {
                let out: Vec<_> = applied
                    .iter()
                    .map(|c| serde_json::json!({ "flag": c.value, "changed": c.changed(), "audit_id": c.audit_id }))
                    .collect();
                return output::json(&out);
            }
            println!("preset {name} applied to {} flags:", applied.len());
            for done in &applied {
                change::report(session, done)?;
            }
            Ok(())
        }
        PresetCmd::List => {
            let presets = session.control.presets().await?;
            if session.json {
                return output::json(&presets);
            }
            output::table(
                ["NAME", "FLAGS", "DESCRIPTION"],
                presets
                    .iter()
                    .map(|p| [p.name.to_string(), entries_text(p), p.description.clone()]),
            );
            Ok(())
        }
        PresetCmd::Delete { name } => {
            let done = session
                .control
                .delete_preset(name, &session.meta()?)
                .await?;
            if session.json {
                return output::json(
                    &serde_json::json!({ "deleted": done.value.name, "audit_id": done.audit_id }),
                );
            }
            println!(
                "preset {name} deleted (audit #{})",
                done.audit_id.unwrap_or(0)
            );
            Ok(())
        }
    }
}

/// The CLI form back: `planner=on,production bundler=25%`.
fn entries_text(preset: &Preset) -> String {
    preset
        .entries
        .iter()
        .map(entry_text)
        .collect::<Vec<_>>()
        .join(" ")
}

fn entry_text(e: &PresetEntry) -> String {
    let mut settings = Vec::new();
    if let Some(on) = e.enabled {
        settings.push(if on {
            "on".to_owned()
        } else {
            "off".to_owned()
        });
    }
    if let Some(stage) = e.stage {
        settings.push(stage.to_string());
    }
    if let Some(rollout) = e.rollout {
        settings.push(rollout.to_string());
    }
    if let Some(killed) = e.killed {
        settings.push(if killed {
            "kill".to_owned()
        } else {
            "unkill".to_owned()
        });
    }
    format!("{}={}", e.flag, settings.join(","))
}

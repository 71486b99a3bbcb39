//! Commands that change one flag: rollout, stage, kill switch and overrides all reduce to a list
//! of `FlagChange`s applied by the store in one audited transaction.

use clap::{Args, Subcommand};
use cutover_api::Committed;
use cutover_core::{AttributeName, Flag, FlagChange, FlagKey, Override, Rollout, Stage, Variant};
use serde::Serialize;

use crate::output;
use crate::session::Session;
use crate::text_limit::TextLimit;
use crate::values::{parse_attribute, parse_key, parse_variant};
use crate::when::When;

/// A change to one flag, optionally guarded by the version the caller last saw.
#[derive(Debug, Args)]
pub(crate) struct KeyChange {
    #[arg(value_parser = parse_key)]
    pub key: FlagKey,
    /// Refuse the change unless the flag is still at this version.
    #[arg(long, value_name = "N")]
    pub expect_version: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StageCmd {
    /// Enter a stage; it sets the rollout the stage implies.
    Set {
        #[command(flatten)]
        target: KeyChange,
        #[arg(value_parser = parse_stage)]
        stage: Stage,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum OverrideCmd {
    /// Add (or replace) an override.
    Add {
        #[command(flatten)]
        target: KeyChange,
        /// The context attribute: user_id, session_id, tenant, ...
        #[arg(long, value_parser = parse_attribute, value_name = "ATTR")]
        attr: AttributeName,
        #[arg(long, value_parser = TextLimit::VALUE)]
        value: String,
        #[arg(long, value_parser = parse_variant)]
        variant: Variant,
        /// When the override stops applying: an RFC 3339 time, a date, or a duration from now (2h, 7d).
        #[arg(long, value_parser = When::parse, value_name = "WHEN")]
        expires: Option<When>,
    },
    /// Remove one override.
    Remove {
        #[command(flatten)]
        target: KeyChange,
        #[arg(long, value_parser = parse_attribute, value_name = "ATTR")]
        attr: AttributeName,
        #[arg(long)]
        value: String,
    },
    /// List overrides of one flag, or of every flag.
    List {
        #[arg(value_parser = parse_key)]
        key: Option<FlagKey>,
    },
    /// Remove every override of a flag.
    ClearAll(KeyChange),
    /// Remove expired overrides of every flag (audited).
    Sweep,
}

fn parse_stage(s: &str) -> Result<Stage, String> {
    s.parse()
        .map_err(|e: cutover_core::CoreError| e.to_string())
}

#[derive(Serialize)]
struct ChangeOutput<'a> {
    flag: &'a Flag,
    changed: bool,
    audit_id: Option<u64>,
}

pub(crate) async fn apply(
    session: &Session,
    target: &KeyChange,
    changes: &[FlagChange],
) -> anyhow::Result<()> {
    let meta = session.meta()?;
    let done = session
        .control
        .change_flag(&target.key, target.expect_version, changes, &meta)
        .await?;
    report(session, &done)
}

pub(crate) fn report(session: &Session, done: &Committed<Flag>) -> anyhow::Result<()> {
    if session.json {
        return output::json(&ChangeOutput {
            flag: &done.value,
            changed: done.changed(),
            audit_id: done.audit_id,
        });
    }
    let flag = &done.value;
    match done.audit_id {
        Some(id) => println!(
            "{} v{}: {} (audit #{id})",
            flag.key,
            flag.version,
            output::summary(flag)
        ),
        None => println!(
            "{} unchanged at v{}: {}",
            flag.key,
            flag.version,
            output::summary(flag)
        ),
    }
    Ok(())
}

/// `rollout set`.
pub(crate) async fn rollout(
    session: &Session,
    target: &KeyChange,
    percent: Rollout,
) -> anyhow::Result<()> {
    apply(
        session,
        target,
        &[FlagChange::SetRollout {
            rollout_percent: percent,
        }],
    )
    .await
}

pub(crate) async fn stage(session: &Session, cmd: &StageCmd) -> anyhow::Result<()> {
    let StageCmd::Set { target, stage } = cmd;
    apply(session, target, &[FlagChange::SetStage { stage: *stage }]).await
}

pub(crate) async fn overrides(session: &Session, cmd: &OverrideCmd) -> anyhow::Result<()> {
    match cmd {
        OverrideCmd::Add {
            target,
            attr,
            value,
            variant,
            expires,
        } => {
            let expires_at = expires.as_ref().map(|w| w.after(session.now)).transpose()?;
            let rule = Override {
                attribute: attr.clone(),
                value: value.clone(),
                variant: *variant,
                expires_at,
            };
            apply(session, target, &[FlagChange::AddOverride { rule }]).await
        }
        OverrideCmd::Remove {
            target,
            attr,
            value,
        } => {
            apply(
                session,
                target,
                &[FlagChange::RemoveOverride {
                    attribute: attr.clone(),
                    value: value.clone(),
                }],
            )
            .await
        }
        OverrideCmd::ClearAll(target) => {
            apply(session, target, &[FlagChange::ClearOverrides]).await
        }
        OverrideCmd::List { key } => list(session, key.as_ref()).await,
        OverrideCmd::Sweep => {
            let swept = session
                .control
                .sweep_expired_overrides(&session.meta()?)
                .await?;
            if session.json {
                let out: Vec<ChangeOutput<'_>> = swept
                    .iter()
                    .map(|c| ChangeOutput {
                        flag: &c.value,
                        changed: c.changed(),
                        audit_id: c.audit_id,
                    })
                    .collect();
                return output::json(&out);
            }
            if swept.is_empty() {
                println!("no expired overrides");
            }
            for done in &swept {
                report(session, done)?;
            }
            Ok(())
        }
    }
}

#[derive(Serialize)]
struct OverrideLine<'a> {
    flag: &'a str,
    #[serde(flatten)]
    rule: &'a Override,
    active: bool,
}

async fn list(session: &Session, key: Option<&cutover_core::FlagKey>) -> anyhow::Result<()> {
    let flags = match key {
        Some(k) => vec![session.control.flag(k).await?],
        None => session.control.flags().await?,
    };
    let lines: Vec<OverrideLine<'_>> = flags
        .iter()
        .flat_map(|f| {
            f.overrides.iter().map(|o| OverrideLine {
                flag: f.key.as_str(),
                rule: o,
                active: o.is_active(session.now),
            })
        })
        .collect();
    if session.json {
        return output::json(&lines);
    }
    output::table(
        ["FLAG", "ATTRIBUTE", "VALUE", "VARIANT", "EXPIRES", "STATUS"],
        lines.iter().map(|l| {
            [
                l.flag.to_owned(),
                l.rule.attribute.to_string(),
                l.rule.value.clone(),
                l.rule.variant.to_string(),
                l.rule
                    .expires_at
                    .map_or_else(|| "-".to_owned(), output::time),
                if l.active { "active" } else { "expired" }.to_owned(),
            ]
        }),
    );
    Ok(())
}

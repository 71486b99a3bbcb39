//! `cutover flag create|get|list|set|delete`.

use clap::{Args, Subcommand};
use cutover_api::{ArmSummary, MetricsSpan};
use cutover_core::{AttributeName, Constraint, EnvMode, EnvVarName, Flag, FlagChange, FlagKey};

use super::change;
use super::change::KeyChange;
use crate::output;
use crate::session::Session;
use crate::text_limit::TextLimit;
use crate::values::{parse_attribute, parse_env_mode, parse_env_name, parse_key};
use crate::when::When;

#[derive(Debug, Subcommand)]
pub(crate) enum FlagCmd {
    /// Create a flag: enabled, stage `disabled` (0 %), so only overrides reach the new path.
    Create(FlagCreate),
    /// Show one flag.
    Get {
        #[arg(value_parser = parse_key)]
        key: FlagKey,
    },
    /// List every flag.
    List,
    /// Change a flag's settings.
    Set(FlagSet),
    /// Delete a flag.
    Delete(KeyChange),
    /// What entering a stage needs: verdict gates, a least time at the stage below, a role.
    Require(super::require::RequireArgs),
    /// What each arm did over a span, from the SDKs' uploads: calls, error, fallback and retry
    /// rates, latency quantiles and the service's own counters.
    Metrics(MetricsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct FlagCreate {
    #[arg(value_parser = parse_key)]
    pub key: FlagKey,
    #[arg(long, default_value = "", value_parser = TextLimit::DESCRIPTION)]
    pub description: String,
    #[arg(long, default_value = "", value_parser = TextLimit::OWNER)]
    pub owner: String,
    /// The attribute bucketing reads first (then session_id, then targetingKey).
    #[arg(long, value_parser = parse_attribute, value_name = "ATTR")]
    pub stickiness: Option<AttributeName>,
    /// Salt of the bucketing hash (default: the key).
    #[arg(long, value_parser = TextLimit::SALT)]
    pub salt: Option<String>,
    /// Create the flag switched off (everyone `legacy`, overrides included).
    #[arg(long)]
    pub disabled: bool,
    #[command(flatten)]
    pub env: EnvNameArgs,
}

/// The environment variables a flag answers to by their own names (docs/evaluation.md).
#[derive(Debug, Args)]
pub(crate) struct EnvNameArgs {
    /// A switch variable the flag answers to in every evaluating process, besides
    /// CUTOVER_FLAG_<KEY> (true/1/yes/on, false/0/no/off), such as USE_ONEX_ROUTING_NODES.
    #[arg(long, value_parser = parse_env_name, value_name = "NAME")]
    pub env: Option<EnvVarName>,
    /// What the switch does: force (new or legacy for everyone, the default) or enable (it is
    /// the flag's global switch there; the rollout still decides).
    #[arg(long, value_parser = parse_env_mode, value_name = "MODE", requires = "env")]
    pub env_mode: Option<EnvMode>,
    /// A variable whose value (25, 12.5) is the rollout percentage in an evaluating process.
    #[arg(long, value_parser = parse_env_name, value_name = "NAME")]
    pub env_percent: Option<EnvVarName>,
    /// A variable whose value (canary, beta, ...) is the stage, with its rollout, in an
    /// evaluating process.
    #[arg(long, value_parser = parse_env_name, value_name = "NAME")]
    pub env_stage: Option<EnvVarName>,
}

#[derive(Debug, Args)]
pub(crate) struct FlagSet {
    #[command(flatten)]
    pub target: KeyChange,
    #[arg(long, value_parser = TextLimit::DESCRIPTION)]
    pub description: Option<String>,
    #[arg(long, value_parser = TextLimit::OWNER)]
    pub owner: Option<String>,
    /// The global switch: false sends everyone to `legacy`, overrides included.
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub enabled: Option<bool>,
    #[arg(long, value_parser = parse_attribute, value_name = "ATTR")]
    pub stickiness: Option<AttributeName>,
    /// Changing the salt reshuffles who is in the rollout.
    #[arg(long, value_parser = TextLimit::SALT)]
    pub salt: Option<String>,
    /// Rollout scope constraint, repeatable: 'ATTR in A,B', 'ATTR not_in A,B' or 'ATTR exists'.
    /// Replaces the current scope.
    #[arg(long, value_parser = parse_constraint, value_name = "CONSTRAINT")]
    pub scope: Vec<Constraint>,
    /// Remove every scope constraint.
    #[arg(long, conflicts_with = "scope")]
    pub clear_scope: bool,
    #[command(flatten)]
    pub env: EnvNameArgs,
    /// Stop answering to the switch variable (CUTOVER_FLAG_<KEY> stays).
    #[arg(long, conflicts_with = "env")]
    pub clear_env: bool,
    #[arg(long, conflicts_with = "env_percent")]
    pub clear_env_percent: bool,
    #[arg(long, conflicts_with = "env_stage")]
    pub clear_env_stage: bool,
}

fn parse_constraint(s: &str) -> Result<Constraint, String> {
    Constraint::parse(s).map_err(|e| e.to_string())
}

fn parse_bool(s: &str) -> Result<bool, String> {
    cutover_core::parse_env_bool("--enabled", s)
        .map_err(|_| format!("{s:?} is not a boolean; accepted: true or false"))
}

/// `cutover flag metrics KEY [--since WHEN] [--until WHEN]`.
#[derive(Debug, clap::Args)]
pub(crate) struct MetricsArgs {
    #[arg(value_parser = parse_key)]
    pub key: FlagKey,
    /// The start of the span: a duration ago (`1h`) or an instant [default: 15 minutes before
    /// --until].
    #[arg(long, value_parser = When::parse, value_name = "WHEN")]
    pub since: Option<When>,
    /// The end of the span: a duration ago or an instant [default: now].
    #[arg(long, value_parser = When::parse, value_name = "WHEN")]
    pub until: Option<When>,
}

pub(crate) async fn run(session: &Session, cmd: &FlagCmd) -> anyhow::Result<()> {
    match cmd {
        FlagCmd::Create(args) => create(session, args).await,
        FlagCmd::Get { key } => {
            let flag = session.control.flag(key).await?;
            if session.json {
                output::json(&flag)
            } else {
                show(&flag, session)
            }
        }
        FlagCmd::List => {
            let flags = session.control.flags().await?;
            if session.json {
                return output::json(&flags);
            }
            output::table(
                [
                    "KEY",
                    "ENABLED",
                    "STAGE",
                    "ROLLOUT",
                    "KILLED",
                    "OVERRIDES",
                    "VERSION",
                    "OWNER",
                ],
                flags.iter().map(|f| {
                    [
                        f.key.to_string(),
                        output::yes_no(f.enabled).to_owned(),
                        f.stage.to_string(),
                        f.rollout.to_string(),
                        output::yes_no(f.killed).to_owned(),
                        f.overrides.len().to_string(),
                        f.version.to_string(),
                        f.owner.clone(),
                    ]
                }),
            );
            Ok(())
        }
        FlagCmd::Set(args) => set(session, args).await,
        FlagCmd::Require(args) => super::require::run(session, args).await,
        FlagCmd::Metrics(args) => metrics(session, args).await,
        FlagCmd::Delete(target) => {
            let done = session
                .control
                .delete_flag(&target.key, target.expect_version, &session.meta()?)
                .await?;
            if session.json {
                return output::json(
                    &serde_json::json!({ "deleted": done.value.key, "audit_id": done.audit_id }),
                );
            }
            println!(
                "{} deleted (was v{}; audit #{})",
                done.value.key,
                done.value.version,
                done.audit_id.unwrap_or(0)
            );
            Ok(())
        }
    }
}

async fn create(session: &Session, args: &FlagCreate) -> anyhow::Result<()> {
    let mut flag = Flag::new(args.key.clone());
    flag.description.clone_from(&args.description);
    flag.owner.clone_from(&args.owner);
    flag.enabled = !args.disabled;
    if let Some(s) = &args.stickiness {
        flag.stickiness = s.clone();
    }
    flag.salt.clone_from(&args.salt);
    flag.env.switch.clone_from(&args.env.env);
    flag.env.mode = args.env.env_mode.unwrap_or_default();
    flag.env.percent.clone_from(&args.env.env_percent);
    flag.env.stage.clone_from(&args.env.env_stage);
    let done = session.control.create_flag(flag, &session.meta()?).await?;
    change::report(session, &done)
}

async fn set(session: &Session, args: &FlagSet) -> anyhow::Result<()> {
    let mut changes = Vec::new();
    if let Some(d) = &args.description {
        changes.push(FlagChange::SetDescription {
            description: d.clone(),
        });
    }
    if let Some(o) = &args.owner {
        changes.push(FlagChange::SetOwner { owner: o.clone() });
    }
    if let Some(enabled) = args.enabled {
        changes.push(FlagChange::SetEnabled { enabled });
    }
    if let Some(attribute) = &args.stickiness {
        changes.push(FlagChange::SetStickiness {
            attribute: attribute.clone(),
        });
    }
    if let Some(salt) = &args.salt {
        changes.push(FlagChange::SetSalt {
            salt: Some(salt.clone()),
        });
    }
    if !args.scope.is_empty() || args.clear_scope {
        changes.push(FlagChange::SetScope {
            scope: args.scope.clone(),
        });
    }
    if args.env.env.is_some() || args.clear_env {
        changes.push(FlagChange::SetEnv {
            env: args.env.env.clone(),
            env_mode: args.env.env_mode.unwrap_or_default(),
        });
    }
    if args.env.env_percent.is_some() || args.clear_env_percent {
        changes.push(FlagChange::SetEnvPercent {
            env_percent: args.env.env_percent.clone(),
        });
    }
    if args.env.env_stage.is_some() || args.clear_env_stage {
        changes.push(FlagChange::SetEnvStage {
            env_stage: args.env.env_stage.clone(),
        });
    }
    if changes.is_empty() {
        anyhow::bail!(
            "nothing to change; give at least one of --description, --owner, --enabled, --stickiness, --salt, --scope, --clear-scope, --env, --clear-env, --env-percent, --clear-env-percent, --env-stage, --clear-env-stage"
        );
    }
    change::apply(session, &args.target, &changes).await
}

async fn metrics(session: &Session, args: &MetricsArgs) -> anyhow::Result<()> {
    let span = MetricsSpan {
        since: When::bound(args.since.as_ref(), session.now)?,
        until: When::bound(args.until.as_ref(), session.now)?,
    };
    let figures = session.control.arm_metrics(&args.key, span).await?;
    if session.json {
        return output::json(&figures);
    }
    println!(
        "{}: {} to {}",
        figures.flag,
        output::time(figures.since),
        output::time(figures.until)
    );
    let rate = |r: Option<f64>| r.map_or_else(|| "-".to_owned(), |r| format!("{:.2}%", r * 100.0));
    let row = |arm: &str, s: &ArmSummary| {
        let q = |pick: fn(&cutover_api::Quantiles) -> f64| {
            s.latency_ms
                .as_ref()
                .map_or_else(|| "-".to_owned(), |l| format!("{:.1}ms", pick(l)))
        };
        [
            arm.to_owned(),
            s.calls.to_string(),
            rate(s.error_rate),
            rate(s.fallback_rate),
            rate(s.retry_rate),
            q(|l| l.p50),
            q(|l| l.p95),
            q(|l| l.p99),
        ]
    };
    output::table(
        [
            "ARM",
            "CALLS",
            "ERRORS",
            "FALLBACKS",
            "RETRIES",
            "P50",
            "P95",
            "P99",
        ],
        [row("legacy", &figures.legacy), row("new", &figures.new)],
    );
    for (arm, s) in [("legacy", &figures.legacy), ("new", &figures.new)] {
        for (name, counter) in &s.counters {
            println!("{arm} {name}: {} ({})", counter.count, rate(counter.rate));
        }
    }
    Ok(())
}

fn show(flag: &Flag, session: &Session) -> anyhow::Result<()> {
    let chain: Vec<&str> = flag.stickiness_chain().collect();
    let scope: Vec<String> = flag.scope.iter().map(ToString::to_string).collect();
    let rows = [
        ("key", flag.key.to_string()),
        ("description", flag.description.clone()),
        ("owner", flag.owner.clone()),
        ("enabled", output::yes_no(flag.enabled).to_owned()),
        ("killed", output::yes_no(flag.killed).to_owned()),
        ("stage", flag.stage.to_string()),
        ("rollout", flag.rollout.to_string()),
        ("stickiness", chain.join(", then ")),
        ("salt", flag.salt().to_owned()),
        (
            "scope",
            if scope.is_empty() {
                "everyone".to_owned()
            } else {
                scope.join(" and ")
            },
        ),
        ("version", flag.version.to_string()),
        ("env override", cutover_core::env_var_name(&flag.key)),
    ];
    let declared = [
        (
            "env",
            flag.env
                .switch
                .as_ref()
                .map(|name| format!("{name} ({})", flag.env.mode)),
        ),
        (
            "env percent",
            flag.env.percent.as_ref().map(ToString::to_string),
        ),
        (
            "env stage",
            flag.env.stage.as_ref().map(ToString::to_string),
        ),
    ];
    let declared = declared
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)));
    for (name, value) in rows.into_iter().chain(declared) {
        println!("{name:<13} {value}");
    }
    if !flag.overrides.is_empty() {
        println!("overrides:");
        output::table(
            ["  ATTRIBUTE", "VALUE", "VARIANT", "EXPIRES"],
            flag.overrides.iter().map(|o| {
                let expires = match o.expires_at {
                    None => "-".to_owned(),
                    Some(at) if o.is_active(session.now) => output::time(at),
                    Some(at) => format!("{} (expired)", output::time(at)),
                };
                [
                    format!("  {}", o.attribute),
                    o.value.clone(),
                    o.variant.to_string(),
                    expires,
                ]
            }),
        );
    }
    Ok(())
}

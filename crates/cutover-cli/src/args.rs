//! The command line, as clap types. Values are parsed by the core's own validators, so a bad key,
//! percentage, stage or variant is a usage error (exit 2) that names the value and what is
//! accepted.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use cutover_core::{AttributeName, Constraint, FlagKey, PresetEntry, Rollout, Stage, Variant};

use crate::text_limit::TextLimit;
use crate::when::When;

const EXIT_CODES: &str = "\
Exit codes:
  0  success (for `audit verify`: the log is intact)
  1  the operation failed: not found, stale version, damaged store, tampered audit log, ...
  2  usage: an unknown command or option, or a value that is not accepted";

/// cutover: cut a live service over from a legacy code path to a new one, safely.
#[derive(Debug, Parser)]
#[command(name = "cutover", version, after_help = EXIT_CODES, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct Global {
    /// The store file (SQLite); `init`, `serve`, `flag create` and `import` create it, every other
    /// command needs it to exist.
    #[arg(
        long,
        global = true,
        env = "CUTOVER_DB",
        default_value = "cutover.db",
        value_name = "PATH"
    )]
    pub db: PathBuf,
    /// Work on a PostgreSQL store instead of the file (wins over --db), e.g. postgres://user@host/cutover.
    /// Its value is never shown in help, since the URL may hold a password.
    #[arg(
        long,
        global = true,
        env = "CUTOVER_POSTGRES",
        value_name = "URL",
        hide_env_values = true
    )]
    pub postgres: Option<String>,
    /// Go through a cutover server's API instead of opening a store, e.g. http://cutover:7070.
    #[arg(
        long,
        global = true,
        env = "CUTOVER_SERVER",
        value_name = "URL",
        hide_env_values = true,
        value_parser = parse_server_url
    )]
    pub server: Option<String>,
    /// The API token for --server (its name becomes the audit actor).
    #[arg(
        long,
        global = true,
        env = "CUTOVER_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Who makes the change, for the audit log (default: the OS user name). On `audit query` and
    /// `audit export`, `--actor` typed on the command line filters by actor instead.
    #[arg(long, global = true, env = "CUTOVER_ACTOR", value_name = "NAME", value_parser = TextLimit::ACTOR)]
    pub actor: Option<String>,
    /// Whether `--actor` was typed rather than taken from CUTOVER_ACTOR.
    #[arg(skip)]
    pub actor_typed: bool,
    /// Why, for the audit log.
    #[arg(long, global = true, value_name = "TEXT", value_parser = TextLimit::REASON)]
    pub reason: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// A file holding the audit key (at least 32 bytes): every change seals the audit head with
    /// it, and `audit verify` checks the seal. Every process writing to a sealed store needs it.
    #[arg(
        long = "audit-key-file",
        global = true,
        env = "CUTOVER_AUDIT_KEY_FILE",
        value_name = "FILE",
        value_parser = crate::audit_key::read
    )]
    pub audit_key: Option<cutover_core::AuditKey>,
}

/// A server URL with its scheme: `http://cutover:7070`, not `cutover:7070`.
fn parse_server_url(s: &str) -> Result<String, String> {
    let accepted =
        "accepted: http://HOST:PORT or https://HOST[:PORT], such as http://127.0.0.1:7070";
    match s.split_once("://") {
        Some(("http" | "https", rest)) if !rest.is_empty() && !rest.starts_with('/') => {
            Ok(s.to_owned())
        }
        Some((scheme, _)) => Err(format!(
            "server URL {s:?} has scheme {scheme:?}; {accepted}"
        )),
        None => Err(format!(
            "server URL {s:?} has no scheme; {accepted} (try http://{s})"
        )),
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a new, empty store at --db (or in the --postgres database). Only `init`, `serve`,
    /// `flag create` and `import` create a store; every other command needs one.
    Init,
    /// Print a shell completion script: `cutover completions bash > /etc/bash_completion.d/cutover`,
    /// `cutover completions zsh > "${fpath[1]}/_cutover"`, `cutover completions fish >
    /// ~/.config/fish/completions/cutover.fish`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Create, inspect, change and delete flags.
    #[command(subcommand)]
    Flag(FlagCmd),
    /// Rollouts: set a percentage by hand, or run a guarded rollout (plan, start, pause, resume,
    /// promote, abort, status, history) and simulate one first.
    #[command(subcommand)]
    Rollout(RolloutCmd),
    /// Move a flag along the stage ladder (disabled, canary, beta, production, legacy_disabled).
    #[command(subcommand)]
    Stage(StageCmd),
    /// Force `new` or `legacy` for one value of one context attribute.
    #[command(subcommand)]
    Override(OverrideCmd),
    /// Emergency fallback: send everyone to `legacy`, ignoring every other rule.
    Kill(KeyChange),
    /// Lift the kill switch; the flag's other state is as it was.
    Unkill(KeyChange),
    /// Named sets of flag states applied together (migration phases).
    #[command(subcommand)]
    Preset(PresetCmd),
    /// Evaluate a flag for a context, or a batch of JSON lines.
    Eval(EvalArgs),
    /// Read, query, verify and export the audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Make the store hold the flags and presets of a JSON or YAML file, all or nothing.
    Import(ImportArgs),
    /// Write every flag and preset as JSON or YAML.
    Export(ExportArgs),
    /// Run the HTTP control plane: admin API, OFREP evaluation, change stream, metrics.
    Serve(ServeArgs),
    /// API tokens for the server: create (the secret is shown once), list, revoke.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Synthetic traffic through the real SDK (evaluate, record each outcome, upload), to watch a
    /// rollout and its metrics on one machine. Needs --server and an sdk (or better) --token.
    Loadgen(LoadgenArgs),
    /// Golden corpora: record, verify and test a subject's outputs; cross-validate a legacy and a
    /// new subject (agreement per field, thresholds, invariants). Needs no store.
    #[command(subcommand)]
    Golden(crate::commands::golden::GoldenCmd),
    /// The gates of guarded rollouts, as the guard sees them now.
    #[command(subcommand)]
    Slo(SloCmd),
    /// Move and keep a whole store: copy it into another (SQLite <-> PostgreSQL), back it up
    /// while it serves.
    #[command(subcommand)]
    Store(StoreCmd),
}

#[derive(Debug, Subcommand)]
pub(crate) enum StoreCmd {
    /// Copy everything the store holds (flags, presets, tokens, plans and runs, golden verdicts,
    /// the whole audit log with its head and seal, metrics, guard history) into an empty store,
    /// row for row: the target verifies with the same audit head and every token works there.
    /// The source is the usual store (--db or --postgres); nothing is written to it.
    Copy {
        /// The target: a SQLite file path (created when missing) or a postgres:// URL (its
        /// schema is created when missing). It must hold nothing yet.
        #[arg(long, value_name = "PATH_OR_URL", value_parser = parse_copy_target)]
        to: CopyTo,
    },
    /// Write a consistent copy of the store to a new SQLite file while servers go on writing
    /// (SQLite: VACUUM INTO; PostgreSQL: a store copy into the file), and verify it. Never
    /// replaces an existing file.
    Backup {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// Where `store copy` writes.
#[derive(Debug, Clone)]
pub(crate) enum CopyTo {
    Sqlite(PathBuf),
    Postgres(String),
}

/// A postgres:// or postgresql:// URL, or a path; any other scheme is a mistake to name.
fn parse_copy_target(s: &str) -> Result<CopyTo, String> {
    match s.split_once("://") {
        Some(("postgres" | "postgresql", _)) => Ok(CopyTo::Postgres(s.to_owned())),
        Some((scheme, _)) => Err(format!(
            "{scheme}:// is not a store cutover can copy to; accepted: a SQLite file path such as \
             ./copy.db, or a PostgreSQL URL such as postgres://user@host/cutover"
        )),
        None if s.is_empty() => {
            Err("the target is empty; accepted: a SQLite file path or a postgres:// URL".to_owned())
        }
        None => Ok(CopyTo::Sqlite(PathBuf::from(s))),
    }
}

#[derive(Debug, Args)]
pub(crate) struct LoadgenArgs {
    #[arg(long, value_parser = parse_key)]
    pub flag: FlagKey,
    /// Requests per second.
    #[arg(long, value_parser = parse_positive, allow_hyphen_values = true)]
    pub rps: f64,
    /// Error rate of requests served by the legacy path, 0 to 1.
    #[arg(long, value_parser = parse_rate, allow_hyphen_values = true, default_value_t = 0.01)]
    pub legacy_error: f64,
    /// Error rate of requests served by the new path, 0 to 1.
    #[arg(long, value_parser = parse_rate, allow_hyphen_values = true, default_value_t = 0.01)]
    pub new_error: f64,
    /// Typical latency of the legacy path (each request draws around it).
    #[arg(long, value_parser = parse_span, default_value = "20ms")]
    pub legacy_latency: std::time::Duration,
    #[arg(long, value_parser = parse_span, default_value = "20ms")]
    pub new_latency: std::time::Duration,
    #[arg(long, value_parser = parse_span, default_value = "60s")]
    pub duration: std::time::Duration,
    /// Distinct users the requests come from.
    #[arg(long, default_value_t = 10_000)]
    pub users: u32,
}

/// `20ms`, `1.5s`, `2m`, `1h`.
fn parse_span(s: &str) -> Result<std::time::Duration, String> {
    let (number, unit) = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|i| s.split_at(i))
        .ok_or_else(|| format!("{s:?} has no unit; use ms, s, m or h"))?;
    let n: f64 = number
        .parse()
        .map_err(|_| format!("{s:?} does not start with a number"))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {s:?}; use ms, s, m or h"
            ));
        }
    };
    std::time::Duration::try_from_secs_f64(seconds).map_err(|e| format!("{s:?}: {e}"))
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:7070].
    #[arg(long, env = "CUTOVER_LISTEN", value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// A TOML file with any of: listen, change_rate_per_second, change_burst, upload_rate_per_second,
    /// upload_burst, eval_rate_per_second, heartbeat_seconds. Options and CUTOVER_* variables win over it.
    #[arg(long, env = "CUTOVER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Change requests per second allowed per token [default: 10].
    #[arg(long, env = "CUTOVER_CHANGE_RATE", value_name = "N")]
    pub change_rate: Option<u32>,
    /// Change requests a token may burst before the rate applies [default: 20].
    #[arg(long, env = "CUTOVER_CHANGE_BURST", value_name = "N")]
    pub change_burst: Option<u32>,
    /// Metric uploads per second allowed per token, apart from changes [default: 50].
    #[arg(long, env = "CUTOVER_UPLOAD_RATE", value_name = "N")]
    pub upload_rate: Option<u32>,
    /// Metric uploads a token may burst before the rate applies [default: 100].
    #[arg(long, env = "CUTOVER_UPLOAD_BURST", value_name = "N")]
    pub upload_burst: Option<u32>,
    /// OFREP evaluations per second allowed per token [default: unlimited].
    #[arg(long, env = "CUTOVER_EVAL_RATE", value_name = "N")]
    pub eval_rate: Option<u32>,
    /// Seconds between heartbeats on idle change streams [default: 15].
    #[arg(long, env = "CUTOVER_HEARTBEAT_SECONDS", value_name = "S")]
    pub heartbeat_seconds: Option<u64>,
    /// POST an alert (JSON) here when the guard rolls back, steps down, pauses or completes a
    /// rollout; repeatable.
    #[arg(long = "webhook", value_name = "URL")]
    pub webhooks: Vec<String>,
    /// Run this shell command for each alert, with the alert's JSON on stdin and in
    /// CUTOVER_ALERT.
    #[arg(long, env = "CUTOVER_ALERT_COMMAND", value_name = "CMD")]
    pub alert_command: Option<String>,
    /// How often the guard judges running rollouts (default 1s).
    #[arg(long, value_parser = parse_span, value_name = "SPAN")]
    pub guard_interval: Option<std::time::Duration>,
    /// Do not run the guard on this node (another node will).
    #[arg(long)]
    pub no_guard: bool,
    /// How often a look that changed nothing is still kept in a rollout's history (looks that
    /// act or change a verdict always are; 1s keeps every look). Default 10s.
    #[arg(long, value_parser = parse_span, value_name = "SPAN")]
    pub guard_history_every: Option<std::time::Duration>,
    /// Connections open at once [default: 8192, kept below the open-files limit]. Over it, the
    /// oldest connection without a request in progress is closed to make room; a new connection
    /// is refused (503) only when every one is busy.
    #[arg(long, env = "CUTOVER_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Connections open at once from one client address [default: 1024], with the same rule.
    #[arg(long, env = "CUTOVER_MAX_CONNECTIONS_PER_IP", value_name = "N")]
    pub max_connections_per_ip: Option<usize>,
    /// Time a client has to send a whole request head, from connecting or from its previous
    /// answer (idle keep-alive connections close after it) [default: 10s].
    #[arg(long, value_parser = parse_span, value_name = "SPAN")]
    pub header_timeout: Option<std::time::Duration>,
    /// Time a client has to send a whole request body [default: 10s]; 408 after it.
    #[arg(long, value_parser = parse_span, value_name = "SPAN")]
    pub body_timeout: Option<std::time::Duration>,
    /// A browser origin allowed to call the OFREP endpoints (CORS), such as
    /// https://app.example.com; repeatable; `*` allows any. None by default.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// On SIGTERM/SIGINT, how long open requests may finish before their connections are
    /// closed and the process exits [default: 10s].
    #[arg(long, value_parser = parse_span, value_name = "SPAN")]
    pub shutdown_grace: Option<std::time::Duration>,
    /// Start even if rows disagree with the audit log (or, with a key, the seal fails): accept
    /// the store as it is, recording each acceptance in the audit log.
    #[arg(long)]
    pub trust_state: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCmd {
    /// Create a token and print its secret (only this once).
    Create {
        #[arg(value_parser = parse_new_token_name)]
        name: cutover_core::TokenName,
        /// admin (everything), operator (rollout, stage, overrides, kill, presets), viewer
        /// (read, audit) or sdk (evaluation, stream).
        #[arg(long, value_parser = parse_role)]
        role: cutover_core::Role,
        /// When the token stops working (its change streams end then too): a duration such as
        /// 90d or 12h, a date, or an RFC 3339 time. Never, by default.
        #[arg(long, value_parser = crate::when::When::parse, value_name = "WHEN")]
        expires: Option<crate::when::When>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token: it stops working at once. The last admin token cannot be revoked.
    Revoke {
        #[arg(value_parser = parse_token_name)]
        name: cutover_core::TokenName,
    },
    /// Regain admin access: create an admin token and print its secret (only this once), audited
    /// as a recovery. Works only on the store itself (--db or --postgres), never through
    /// --server: it is the way back in when no admin token is left or known.
    Recover {
        #[arg(value_parser = parse_new_token_name)]
        name: cutover_core::TokenName,
    },
}

fn parse_token_name(s: &str) -> Result<cutover_core::TokenName, String> {
    cutover_core::TokenName::new(s).map_err(|e| e.to_string())
}

/// A name for a token about to be created: valid, and not one cutover writes on its own behalf.
fn parse_new_token_name(s: &str) -> Result<cutover_core::TokenName, String> {
    let name = parse_token_name(s)?;
    name.check_not_reserved().map_err(|e| e.to_string())?;
    Ok(name)
}

fn parse_role(s: &str) -> Result<cutover_core::Role, String> {
    s.parse()
        .map_err(|e: cutover_core::CoreError| e.to_string())
}

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
    /// What each arm did over a span, from the SDKs' uploads: calls, error, fallback and retry
    /// rates, latency quantiles and the service's own counters.
    Metrics(crate::commands::flag::MetricsArgs),
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
}

#[derive(Debug, Subcommand)]
pub(crate) enum RolloutCmd {
    /// Set the share of eligible contexts on the new path.
    Set {
        #[command(flatten)]
        target: KeyChange,
        /// 0 to 100, up to two decimals (12.5, 0.01).
        #[arg(long, value_parser = parse_percent, value_name = "P", allow_hyphen_values = true)]
        percent: Rollout,
    },
    /// What-if: run the guard's real decision rule over simulated traffic, many times, and
    /// report how often a plan rolls back or completes, and how fast. Needs no store.
    Simulate(SimulateArgs),
    /// Set (or with --clear remove) a flag's guarded rollout plan.
    Plan {
        #[command(flatten)]
        target: KeyChange,
        #[command(flatten)]
        plan: PlanArgs,
        /// Remove the plan.
        #[arg(long, conflicts_with = "steps")]
        clear: bool,
    },
    /// Start a guarded rollout: the first step now, then the guard of `cutover serve` advances
    /// it while the gates pass and rolls it back when one fails.
    Start {
        #[command(flatten)]
        target: KeyChange,
        /// Set this plan first (else the flag's own).
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Where a rollout stands: step, status, and every gate's value, threshold and verdict.
    Status {
        #[arg(value_parser = parse_key)]
        key: FlagKey,
    },
    /// Hold a running rollout where it is.
    Pause(KeyChange),
    /// Let a paused or breached rollout run again (its evidence starts afresh).
    Resume(KeyChange),
    /// Go to the next step now without waiting for the bake (--full: straight to 100 %).
    Promote {
        #[command(flatten)]
        target: KeyChange,
        #[arg(long)]
        full: bool,
    },
    /// Stop the rollout and send everyone back to legacy (0 %).
    Abort(KeyChange),
    /// The guard's looks at a rollout, newest first: action, verdict and every gate's numbers.
    History {
        #[arg(value_parser = parse_key)]
        key: FlagKey,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// The steps, e.g. '5,25,50,100 every 10m'.
    #[arg(long = "plan", value_parser = parse_plan, value_name = "PLAN")]
    pub steps: Option<cutover_core::guard::RolloutPlan>,
    /// A gate, repeatable: 'new.error_rate <= legacy.error_rate', 'new.p95 <= 100ms',
    /// 'new.p95 <= legacy.p95 * 1.2', 'agreement(FIELD) >= 0.8', 'golden'.
    #[arg(long = "gate", value_parser = parse_gate, value_name = "GATE", requires = "steps")]
    pub gates: Vec<cutover_core::guard::GateExpr>,
    /// A custom counter the gates may read, repeatable: `--counter invalid_json` lets a gate say
    /// 'new.invalid_json_rate <= legacy.invalid_json_rate'. A gate naming an undeclared counter
    /// is refused, so a typo cannot stall the rollout.
    #[arg(long = "counter", value_name = "NAME", requires = "steps")]
    pub counters: Vec<String>,
    /// On a failed gate: rollback (to 0 %) or step_down (to the previous step).
    #[arg(long, value_parser = parse_on_breach, requires = "steps")]
    pub on_breach: Option<cutover_core::guard::OnBreach>,
    /// Minimum calls per arm before a step may pass (default 200).
    #[arg(long, requires = "steps")]
    pub min_samples: Option<u64>,
    /// How far back from the start `baseline.` gates read the legacy path's figures
    /// (default 1h).
    #[arg(long, value_parser = parse_span, requires = "steps", value_name = "SPAN")]
    pub baseline_window: Option<std::time::Duration>,
}

impl PlanArgs {
    pub(crate) fn plan(&self) -> Option<cutover_core::guard::RolloutPlan> {
        let mut plan = self.steps.clone()?;
        plan.gates.clone_from(&self.gates);
        plan.counters.clone_from(&self.counters);
        if let Some(b) = self.on_breach {
            plan.on_breach = b;
        }
        if let Some(w) = self.baseline_window {
            plan.baseline_window = w;
        }
        if let Some(n) = self.min_samples {
            for step in &mut plan.steps {
                step.min_samples = n;
            }
        }
        Some(plan)
    }
}

fn parse_gate(s: &str) -> Result<cutover_core::guard::GateExpr, String> {
    cutover_core::guard::GateExpr::new(s).map_err(|e| e.to_string())
}

fn parse_on_breach(s: &str) -> Result<cutover_core::guard::OnBreach, String> {
    match s {
        "rollback" => Ok(cutover_core::guard::OnBreach::Rollback),
        "step_down" | "step-down" => Ok(cutover_core::guard::OnBreach::StepDown),
        other => Err(format!(
            "unknown breach action {other:?}; accepted: rollback, step_down"
        )),
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum SloCmd {
    /// Every gate of a flag's rollout (or of every flag with a plan): current value, threshold,
    /// samples and verdict.
    Status {
        #[arg(value_parser = parse_key)]
        key: Option<FlagKey>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// The plan, e.g. '5,25,50,100 every 10m'.
    #[arg(long, value_parser = parse_plan)]
    pub plan: cutover_core::guard::RolloutPlan,
    /// Requests per second of the service.
    #[arg(long, value_parser = parse_positive, allow_hyphen_values = true)]
    pub rps: f64,
    /// Error rate of the legacy path, 0 to 1 (0.01 = 1 %).
    #[arg(long, value_parser = parse_rate, allow_hyphen_values = true)]
    pub legacy_error: f64,
    /// Error rate of the new path, 0 to 1.
    #[arg(long, value_parser = parse_rate, allow_hyphen_values = true)]
    pub new_error: f64,
    #[arg(long, default_value_t = 1000)]
    pub runs: u64,
    /// Seed of the first run (run i uses seed + i): same seed, same report.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The guard's false rollback bound.
    #[arg(long, default_value_t = 0.01, value_parser = parse_rate)]
    pub alpha: f64,
    /// p95 latency of the legacy path (with --new-p95: latencies are simulated, log-normal).
    #[arg(long, value_parser = parse_span, requires = "new_p95")]
    pub legacy_p95: Option<std::time::Duration>,
    /// p95 latency of the new path.
    #[arg(long, value_parser = parse_span, requires = "legacy_p95")]
    pub new_p95: Option<std::time::Duration>,
    /// The plan's gates, repeatable (default: the error-rate gate, plus
    /// 'new.p95 <= legacy.p95 * 1.2' when latencies are simulated).
    #[arg(long = "gate", value_parser = parse_gate, value_name = "GATE")]
    pub gates: Vec<cutover_core::guard::GateExpr>,
    /// A custom counter the gates may read, repeatable (as for `rollout start`).
    #[arg(long = "counter", value_name = "NAME")]
    pub counters: Vec<String>,
}

fn parse_plan(s: &str) -> Result<cutover_core::guard::RolloutPlan, String> {
    cutover_core::guard::RolloutPlan::parse_shorthand(s).map_err(|e| e.to_string())
}

fn parse_positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("{s:?} is not a positive number")),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a rate from 0 to 1 (0.01 = 1 %)")),
    }
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

#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// The flag to evaluate.
    #[arg(value_parser = parse_key, required_unless_present = "batch", conflicts_with = "batch")]
    pub key: Option<FlagKey>,
    /// A context attribute, repeatable: user_id=u1, tenant=acme, targetingKey=k.
    #[arg(long = "ctx", value_parser = parse_ctx_pair, value_name = "ATTR=VALUE")]
    pub ctx: Vec<(String, String)>,
    /// Read JSON lines {"flag": ..., "context": {...}} from FILE ('-' for stdin), write one decision
    /// per line; a malformed, empty, non-UTF-8 or over 1 MiB line gets {"line": N, "error": ...}
    /// in its place, and the exit code is then 1.
    #[arg(long, value_name = "FILE")]
    pub batch: Option<PathBuf>,
    /// The answer for a flag that does not exist.
    #[arg(long, value_parser = parse_variant, default_value = "legacy")]
    pub default: Variant,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCmd {
    /// The newest entries.
    Recent {
        #[arg(short = 'n', long, default_value_t = 20)]
        limit: u32,
    },
    /// Entries matching every filter given.
    Query(AuditFilter),
    /// Walk the hash chain and replay the log into the flags, presets and tokens it describes;
    /// exit 1 naming every entry and row that disagrees (and a seal or anchor that fails).
    Verify {
        /// Verify an exported JSONL file instead of the store (its chain only: no rows).
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Fail unless this head (as `audit head` printed it: ID:HASH, or HASH) is still on
        /// the chain: the log was not rewritten or rolled back past it since.
        #[arg(long, value_name = "ID:HASH", value_parser = parse_anchor)]
        expect_head: Option<cutover_core::Anchor>,
    },
    /// Print the audit head (id and hash): keep it elsewhere to anchor the log.
    Head,
    /// Write entries as JSON lines (all of them unless filtered).
    Export {
        #[command(flatten)]
        filter: AuditFilter,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args, Default)]
pub(crate) struct AuditFilter {
    #[arg(long, value_parser = parse_key)]
    pub flag: Option<FlagKey>,
    /// An action (flag.rollout) or a family (override.*).
    #[arg(long)]
    pub action: Option<String>,
    /// From this time: RFC 3339, a date, or a duration ago (24h, 7d).
    #[arg(long, value_parser = When::parse, value_name = "WHEN")]
    pub since: Option<When>,
    /// Before this time: RFC 3339, a date, or a duration ago.
    #[arg(long, value_parser = When::parse, value_name = "WHEN")]
    pub until: Option<When>,
    #[arg(long)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    pub file: PathBuf,
    /// The file's format (default: from its extension, else JSON).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Also delete flags and presets the file does not name.
    #[arg(long)]
    pub prune: bool,
    /// Overwrite flags that changed in the store after the file's versions of them (without it,
    /// such an import is refused, naming them).
    #[arg(long)]
    pub force: bool,
    /// Show what the import would change, field by field, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

impl Cli {
    /// Parses the process arguments, exiting with code 2 on a usage error.
    pub(crate) fn from_process() -> Self {
        use clap::{CommandFactory, FromArgMatches};
        let command = Cli::command();
        let matches = match command.clone().try_get_matches() {
            Ok(matches) => matches,
            Err(e) if e.kind() == clap::error::ErrorKind::InvalidUtf8 => {
                let culprits = crate::environment::option_variables_not_utf8(&command);
                if culprits.is_empty() {
                    e.exit();
                }
                for (name, value) in culprits {
                    eprintln!(
                        "error: the environment variable {name} is {value:?}, which is not valid \
                         UTF-8; set it to UTF-8 text or unset it"
                    );
                }
                std::process::exit(2);
            }
            Err(e) => e.exit(),
        };
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        let mut deepest = &matches;
        while let Some((_, sub)) = deepest.subcommand() {
            deepest = sub;
        }
        cli.global.actor_typed = deepest.value_source("actor")
            == Some(clap::parser::ValueSource::CommandLine)
            || matches.value_source("actor") == Some(clap::parser::ValueSource::CommandLine);
        cli
    }
}

pub(crate) fn parse_key(s: &str) -> Result<FlagKey, String> {
    FlagKey::new(s).map_err(|e| e.to_string())
}

fn parse_attribute(s: &str) -> Result<AttributeName, String> {
    AttributeName::new(s).map_err(|e| e.to_string())
}

fn parse_percent(s: &str) -> Result<Rollout, String> {
    Rollout::from_percent_str(s).map_err(|e| e.to_string())
}

fn parse_stage(s: &str) -> Result<Stage, String> {
    s.parse()
        .map_err(|e: cutover_core::CoreError| e.to_string())
}

fn parse_variant(s: &str) -> Result<Variant, String> {
    s.parse()
        .map_err(|e: cutover_core::CoreError| e.to_string())
}

fn parse_constraint(s: &str) -> Result<Constraint, String> {
    Constraint::parse(s).map_err(|e| e.to_string())
}

fn parse_preset_entry(s: &str) -> Result<PresetEntry, String> {
    PresetEntry::parse(s).map_err(|e| e.to_string())
}

fn parse_bool(s: &str) -> Result<bool, String> {
    cutover_core::parse_env_bool("--enabled", s)
        .map_err(|_| format!("{s:?} is not a boolean; accepted: true or false"))
}

fn parse_anchor(s: &str) -> Result<cutover_core::Anchor, String> {
    s.parse()
        .map_err(|e: cutover_core::CoreError| e.to_string())
}

fn parse_ctx_pair(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not ATTR=VALUE; accepted: e.g. user_id=u1"))?;
    AttributeName::new(name).map_err(|e| e.to_string())?;
    Ok((name.to_owned(), value.to_owned()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        // Clap checks its own definition only when a command is parsed; check all of it here.
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}

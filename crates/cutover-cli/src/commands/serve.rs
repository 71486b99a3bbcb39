//! `cutover serve`: the HTTP control plane on the same store the other commands use.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use cutover_api::{AuditQuery, ChangeMeta, Control, ControlError};
use cutover_control::Store;
use cutover_core::{EnvOverrides, Role, SealOutcome, TokenName};
use cutover_server::rollout_guard::{AlertTargets, GuardConfig};
use cutover_server::{ConnectionConfig, ConnectionLimits, Server, ServerConfig};
use serde::Deserialize;

use crate::global::Global;
use crate::session::{layer, open_store};
use crate::values::parse_span;

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
    /// POST an alert (JSON, with its severity) here when the guard rolls back, steps down,
    /// pauses or completes a rollout, and when a warning gate breaches or recovers; repeatable.
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

/// The optional TOML file; every field may also come from an option or a CUTOVER_* variable,
/// which win.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<std::net::SocketAddr>,
    change_rate_per_second: Option<u32>,
    change_burst: Option<u32>,
    upload_rate_per_second: Option<u32>,
    upload_burst: Option<u32>,
    eval_rate_per_second: Option<u32>,
    heartbeat_seconds: Option<u64>,
    #[serde(default)]
    webhooks: Vec<String>,
    alert_command: Option<String>,
    max_connections: Option<usize>,
    max_connections_per_ip: Option<usize>,
    header_timeout_seconds: Option<f64>,
    body_timeout_seconds: Option<f64>,
    shutdown_grace_seconds: Option<f64>,
    #[serde(default)]
    cors_origins: Vec<String>,
}

fn read_file_config(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| {
        format!(
            "{} is not a valid cutover config; accepted keys: listen, change_rate_per_second, \
             change_burst, upload_rate_per_second, upload_burst, eval_rate_per_second, \
             heartbeat_seconds, webhooks, alert_command, max_connections, \
             max_connections_per_ip, header_timeout_seconds, body_timeout_seconds, \
             shutdown_grace_seconds, cors_origins",
            path.display()
        )
    })
}

/// The server's configuration from options, variables and the config file; `env` holds the
/// process's `CUTOVER_FLAG_*` overrides, already read and checked.
pub(crate) fn config(args: &ServeArgs, env: EnvOverrides) -> anyhow::Result<ServerConfig> {
    let file = match &args.config {
        Some(path) => read_file_config(path)?,
        None => FileConfig::default(),
    };
    let defaults = ServerConfig::default();
    Ok(ServerConfig {
        listen: args.listen.or(file.listen).unwrap_or(defaults.listen),
        change_rate_per_second: args
            .change_rate
            .or(file.change_rate_per_second)
            .unwrap_or(defaults.change_rate_per_second),
        change_burst: args
            .change_burst
            .or(file.change_burst)
            .unwrap_or(defaults.change_burst),
        upload_rate_per_second: args
            .upload_rate
            .or(file.upload_rate_per_second)
            .unwrap_or(defaults.upload_rate_per_second),
        upload_burst: args
            .upload_burst
            .or(file.upload_burst)
            .unwrap_or(defaults.upload_burst),
        eval_rate_per_second: args.eval_rate.or(file.eval_rate_per_second),
        heartbeat: args
            .heartbeat_seconds
            .or(file.heartbeat_seconds)
            .map_or(defaults.heartbeat, Duration::from_secs),
        env_overrides: env,
        guard: GuardConfig {
            enabled: !args.no_guard,
            interval: args.guard_interval.unwrap_or(defaults.guard.interval),
            record_every: args
                .guard_history_every
                .unwrap_or(defaults.guard.record_every),
            alerts: AlertTargets {
                webhooks: args
                    .webhooks
                    .iter()
                    .chain(&file.webhooks)
                    .cloned()
                    .collect(),
                command: args.alert_command.clone().or(file.alert_command.clone()),
            },
            ..defaults.guard.clone()
        },
        connections: connection_config(args, &file, defaults.connections)?,
        cors_origins: args
            .cors_origins
            .iter()
            .chain(&file.cors_origins)
            .cloned()
            .collect(),
        ..defaults
    })
}

fn connection_config(
    args: &ServeArgs,
    file: &FileConfig,
    defaults: ConnectionConfig,
) -> anyhow::Result<ConnectionConfig> {
    let seconds = |name: &str, value: Option<f64>| -> anyhow::Result<Option<Duration>> {
        value
            .map(|s| {
                Duration::try_from_secs_f64(s)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .with_context(|| {
                        format!(
                            "{name} = {s} in the config file: give a positive number of seconds"
                        )
                    })
            })
            .transpose()
    };
    let positive = |name: &str, value: Option<usize>| -> anyhow::Result<Option<usize>> {
        match value {
            Some(0) => anyhow::bail!("{name} is 0: give at least 1"),
            other => Ok(other),
        }
    };
    Ok(ConnectionConfig {
        limits: ConnectionLimits {
            total: positive(
                "max_connections",
                args.max_connections.or(file.max_connections),
            )?
            .unwrap_or(defaults.limits.total),
            per_ip: positive(
                "max_connections_per_ip",
                args.max_connections_per_ip.or(file.max_connections_per_ip),
            )?
            .unwrap_or(defaults.limits.per_ip),
        },
        header_timeout: args
            .header_timeout
            .or(seconds(
                "header_timeout_seconds",
                file.header_timeout_seconds,
            )?)
            .unwrap_or(defaults.header_timeout),
        body_timeout: args
            .body_timeout
            .or(seconds("body_timeout_seconds", file.body_timeout_seconds)?)
            .unwrap_or(defaults.body_timeout),
        shutdown_grace: args
            .shutdown_grace
            .or(seconds(
                "shutdown_grace_seconds",
                file.shutdown_grace_seconds,
            )?)
            .unwrap_or(defaults.shutdown_grace),
        ..defaults
    })
}

/// Who a change made by `serve` itself is recorded under. Started by a service manager there
/// may be no user to name: the server is the actor.
fn serve_meta(global: &Global) -> ChangeMeta {
    ChangeMeta {
        role: None,
        force: false,
        actor: crate::session::actor(global.actor.as_deref())
            .unwrap_or_else(|_| cutover_core::SERVE_ACTOR.into()),
        reason: global.reason.clone(),
        at: cutover_core::Timestamp::now(),
    }
}

/// Verifies the audit log against the rows (and the seal, with a key) before serving: a
/// server answers from its rows, so rows someone changed behind cutover's back would take
/// effect. A store that disagrees is refused, naming every disagreement, unless the operator
/// says `--trust-state`; each acceptance is then an audit entry.
async fn check_state(store: &dyn Store, trust: bool, meta: &ChangeMeta) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let report = store.verify_audit().await?;
    tracing::info!(
        entries = report.entries,
        millis = started.elapsed().as_millis() as u64,
        intact = report.is_intact(),
        "audit log replayed against the state"
    );
    if report.seal == Some(SealOutcome::NotChecked { sealed: true }) {
        // Every change would be refused (a writer without the key may not extend a sealed
        // log), so the server could answer reads but never a kill switch.
        anyhow::bail!(
            "refusing to serve: the audit log of this store is sealed with a key; start serve \
             with --audit-key-file (or CUTOVER_AUDIT_KEY_FILE) naming it"
        );
    }
    if report.is_intact() {
        return Ok(());
    }
    if !trust {
        let problems: Vec<String> = report.problems().iter().map(|p| format!("- {p}")).collect();
        anyhow::bail!(
            "refusing to serve: the store disagrees with its audit log:\n{}\nLook with `cutover \
             audit verify` and `cutover audit query`; put the rows back from a backup or an \
             export, or start once with --trust-state to accept the store as it is (each \
             acceptance is recorded in the audit log)",
            problems.join("\n")
        );
    }
    let trusted = store.trust_state(meta).await?;
    for line in &trusted.accepted {
        tracing::warn!("accepted as found (--trust-state): {line}");
    }
    println!(
        "--trust-state: accepted the store as it is ({}; audit entries {})",
        trusted.accepted.join("; "),
        trusted
            .audit_ids
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// A store that never had a token gets its first admin token, printed once. One that had tokens
/// never gets another this way, whatever became of them: anyone able to restart the server
/// could otherwise mint admin access for themselves. `cutover token recover NAME`, with direct
/// access to the store and audited, is the way back in.
async fn first_admin_token(control: &dyn Control, meta: &ChangeMeta) -> anyhow::Result<()> {
    let tokens = control.tokens().await?;
    if tokens.iter().any(|t| t.role == Role::Admin) {
        return Ok(());
    }
    let ever = AuditQuery {
        action: Some("token.*".into()),
        limit: Some(1),
        ..AuditQuery::default()
    };
    if !tokens.is_empty() || !control.audit(&ever).await?.is_empty() {
        eprintln!(
            "warning: this store has no admin token, and none is created for a store that has \
             had tokens; to administer it through the API, create one with `cutover token \
             recover NAME` (direct access to the store, audited)"
        );
        return Ok(());
    }
    let name = TokenName::new("admin")?;
    let meta = ChangeMeta {
        reason: Some("first admin token of a new store".into()),
        ..meta.clone()
    };
    match crate::commands::token::create(control, &name, Role::Admin, None, &meta).await {
        Ok(created) => {
            println!("new store: created the first admin token; its secret, shown only now:");
            println!("{}", created.token);
            Ok(())
        }
        // Another node initialised the same store first: its operator holds the token.
        Err(e)
            if e.downcast_ref::<ControlError>()
                .is_some_and(|e| e.code == "already_exists") =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Serves the store of `global` (created when it is not there yet); `serve` works on a store,
/// never through `--server` (refused with the arguments, see main.rs).
pub(crate) async fn run(
    global: &Global,
    config: ServerConfig,
    trust_state: bool,
) -> anyhow::Result<()> {
    let store = open_store(global, true).await?;
    let result = serve(store.clone(), global, config, trust_state).await;
    store.close().await;
    result
}

async fn serve(
    store: Arc<dyn Store>,
    global: &Global,
    config: ServerConfig,
    trust_state: bool,
) -> anyhow::Result<()> {
    // Handlers are in place before the address is announced: whoever reads it may signal at once.
    let stop = stop_signals()?;
    let meta = serve_meta(global);
    check_state(&*store, trust_state, &meta).await?;
    first_admin_token(&*layer(store.clone()), &meta).await?;
    let server = Server::start(config, store).await?;
    println!("cutover listening on http://{}", server.addr());
    stop.await;
    tracing::info!("shutting down: finishing open requests");
    server.shutdown().await?;
    Ok(())
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
#[cfg(unix)]
fn stop_signals() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn stop_signals() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

//! `cutover serve`: the HTTP control plane on the same store the other commands use.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use cutover_core::{EnvOverrides, Role, TokenName};
use cutover_server::guard::{AlertTargets, GuardConfig};
use cutover_server::{Server, ServerConfig};
use serde::Deserialize;

use crate::args::ServeArgs;
use crate::session::Session;

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
}

fn read_file_config(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| {
        format!(
            "{} is not a valid cutover config; accepted keys: listen, change_rate_per_second, \
             change_burst, upload_rate_per_second, upload_burst, eval_rate_per_second, \
             heartbeat_seconds, webhooks, alert_command",
            path.display()
        )
    })
}

fn config(args: &ServeArgs) -> anyhow::Result<ServerConfig> {
    let file = match &args.config {
        Some(path) => read_file_config(path)?,
        None => FileConfig::default(),
    };
    let defaults = ServerConfig::default();
    let env = EnvOverrides::from_vars(std::env::vars()).map_err(|errors| {
        let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(all.join("; "))
    })?;
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
                command: args.alert_command.clone().or(file.alert_command),
            },
            ..defaults.guard.clone()
        },
        ..defaults
    })
}

/// A store nobody can reach yet gets its first admin token, printed once.
async fn first_admin_token(session: &Session) -> anyhow::Result<()> {
    if !session.store.tokens().await?.is_empty() {
        return Ok(());
    }
    let name = TokenName::new("admin")?;
    // Started by a service manager there may be no user to name: the server is the actor.
    let meta = session
        .meta()
        .unwrap_or_else(|_| cutover_store::ChangeMeta {
            actor: "cutover-serve".into(),
            reason: None,
            at: session.now,
        });
    let meta = cutover_store::ChangeMeta {
        reason: Some("first admin token of a new store".into()),
        ..meta
    };
    match crate::commands::token::create(session, &name, Role::Admin, &meta).await {
        Ok(secret) => {
            println!("new store: created the first admin token; its secret, shown only now:");
            println!("{secret}");
            Ok(())
        }
        // Another node initialised the same store first: its operator holds the token.
        Err(e)
            if e.downcast_ref::<cutover_store::StoreError>()
                .is_some_and(|e| matches!(e, cutover_store::StoreError::TokenExists { .. })) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

pub(crate) async fn run(session: &Session, args: &ServeArgs) -> anyhow::Result<()> {
    if session.remote.is_some() {
        anyhow::bail!(
            "serve runs on a store (--db or --postgres), not through another server's --server"
        );
    }
    let config = config(args)?;
    // Handlers are in place before the address is announced: whoever reads it may signal at once.
    let stop = stop_signals()?;
    first_admin_token(session).await?;
    let server = Server::start(config, session.store.clone()).await?;
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

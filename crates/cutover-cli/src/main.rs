//! The `cutover` binary: argument parsing, dispatch, and the mapping of outcomes to exit codes
//! (0 ok, 1 failure, 2 usage).

mod args;
mod audit_key;
mod commands;
mod environment;
mod output;
mod session;
mod text_limit;
mod when;

use std::process::ExitCode;

use crate::args::{Cli, Command};
use crate::commands::{audit, change, eval, flag, preset, serve, token, transfer};
use crate::session::Session;

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = Cli::from_process();
    let json = cli.global.json;
    // The server wants every core; one-shot commands are better off on one thread.
    let mut builder = if matches!(cli.command, Command::Serve(_)) {
        init_logging();
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) if json => {
            // Scripts asked for JSON: the error is a JSON object too, on stderr.
            let error = serde_json::json!({
                "error": output::error_code(&e),
                "message": format!("{e:#}"),
            });
            eprintln!("{error}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Output into a pipe whose reader has gone (`cutover audit query | head -1`) ends the process
/// quietly with the status a shell expects of a program killed by SIGPIPE (141), instead of a
/// panic from `println!`. Every other panic is reported as before.
fn quiet_on_closed_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        report(info);
    }));
}

/// Structured logs on stderr; `RUST_LOG` picks the level (default: info).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours for a person at a terminal, plain text for log files and collectors.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Why a command that works on a store itself (not on its content) has no meaning through a
/// server's API, or `None` for every other command, which works both ways.
fn works_on_a_store(command: &Command) -> Option<&'static str> {
    use crate::args::{StoreCmd, TokenCmd};
    Some(match command {
        Command::Init => {
            "init creates a store; a server's API offers no way to create the store it serves"
        }
        Command::Serve(args) if args.trust_state => {
            "serve --trust-state accepts the rows of the store it opens as they are; a server's API never accepts them"
        }
        Command::Serve(_) => {
            "serve runs a server on a store it opens; it cannot serve another server's API"
        }
        Command::Store(StoreCmd::Copy { .. }) => {
            "store copy reads every table of the store row for row, which the API does not serve"
        }
        Command::Store(StoreCmd::Backup { .. }) => {
            "store backup snapshots the store's own file or database, which the API does not serve"
        }
        Command::Token(TokenCmd::Recover { .. }) => {
            "token recover is the way back in when no admin token is left or known, so it needs direct access to the store; with a working admin token, use `token create NAME --role admin` instead"
        }
        _ => return None,
    })
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let (Some(why), Some(_)) = (works_on_a_store(&cli.command), &cli.global.server) {
        // A usage error like any other mistake on the command line (exit 2), never a silent
        // fallback to a local store.
        use clap::CommandFactory;
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "this command works on a store itself: give --db or --postgres, not --server \
                     ({why})"
                ),
            )
            .exit();
    }
    if let Command::Completions { shell } = &cli.command {
        use clap::CommandFactory;
        clap_complete::generate(
            *shell,
            &mut Cli::command(),
            "cutover",
            &mut std::io::stdout(),
        );
        return Ok(ExitCode::SUCCESS);
    }
    // A simulation touches no store: do not create one in the working directory.
    if let Command::Rollout(crate::args::RolloutCmd::Simulate(args)) = &cli.command {
        commands::simulate::run(args, cli.global.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    // Load generation goes through the SDK, not a store.
    if let Command::Loadgen(args) = &cli.command {
        commands::loadgen::run(&cli.global, args).await?;
        return Ok(ExitCode::SUCCESS);
    }
    // A golden run talks to subject processes, not to a store.
    if let Command::Golden(cmd) = &cli.command {
        return commands::golden::run(cmd, &cli.global).await;
    }
    if let Command::Init = &cli.command {
        return commands::init::run(&cli.global).await;
    }
    if let Command::Store(cmd) = &cli.command {
        return commands::store::run(cmd, &cli.global).await;
    }
    // The environment and the server's configuration are read and checked before the store is
    // opened, so a mistake there neither creates a store nor leaves one half-started.
    let env = match &cli.command {
        Command::Serve(_) | Command::Eval(_) => environment::flag_overrides()?,
        _ => cutover_core::EnvOverrides::none(),
    };
    if let Command::Serve(args) = &cli.command {
        let config = serve::config(args, env)?;
        serve::run(&cli.global, config, args.trust_state).await?;
        return Ok(ExitCode::SUCCESS);
    }
    if creates_a_store(&cli.command) && cli.global.server.is_none() {
        // The change that creates the store names its actor; know it before creating anything.
        session::actor(cli.global.actor.as_deref())?;
    }
    let session = Session::open(&cli.global, creates_a_store(&cli.command)).await?;
    let result = dispatch(&session, &cli.command, &env).await;
    session.close().await;
    result
}

/// The commands that may create the store they work on; every other one needs an existing store,
/// so a typo in `--db` is an error rather than a new, empty store that answers "nothing there".
fn creates_a_store(command: &Command) -> bool {
    matches!(
        command,
        Command::Serve(_) | Command::Import(_) | Command::Flag(crate::args::FlagCmd::Create(_))
    )
}

async fn dispatch(
    session: &Session,
    command: &Command,
    env: &cutover_core::EnvOverrides,
) -> anyhow::Result<ExitCode> {
    let ok = |r: anyhow::Result<()>| r.map(|()| ExitCode::SUCCESS);
    match command {
        Command::Flag(cmd) => ok(flag::run(session, cmd).await),
        Command::Rollout(cmd) => ok(commands::rollouts::run(session, cmd).await),
        Command::Slo(cmd) => ok(commands::rollouts::slo(session, cmd).await),
        Command::Stage(cmd) => ok(change::stage(session, cmd).await),
        Command::Override(cmd) => ok(change::overrides(session, cmd).await),
        Command::Kill(target) => {
            ok(change::apply(session, target, &[cutover_core::FlagChange::Kill]).await)
        }
        Command::Unkill(target) => {
            ok(change::apply(session, target, &[cutover_core::FlagChange::Unkill]).await)
        }
        Command::Preset(cmd) => ok(preset::run(session, cmd).await),
        Command::Eval(args) => eval::run(session, args, env).await,
        Command::Audit(cmd) => audit::run(session, cmd).await,
        Command::Import(args) => ok(transfer::import(session, args).await),
        Command::Export(args) => ok(transfer::export(session, args).await),
        Command::Serve(_) => unreachable!("serve opens its store itself (run)"),
        Command::Token(cmd) => ok(token::run(session, cmd).await),
        Command::Store(_) => unreachable!("store commands open their stores themselves (run)"),
        Command::Loadgen(_) => unreachable!("loadgen runs without a session (run)"),
        Command::Golden(_) => unreachable!("golden runs without a session (run)"),
        Command::Init => unreachable!("init opens the store itself (run)"),
        Command::Completions { .. } => unreachable!("completions need no store (run)"),
    }
}

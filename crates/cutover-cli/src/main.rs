//! The `cutover` binary: argument parsing, dispatch, and the mapping of outcomes to exit codes
//! (0 ok, 1 failure, 2 usage).

mod args;
mod audit_key;
mod commands;
mod environment;
mod global;
mod output;
mod session;
mod text_limit;
mod values;
mod when;

use std::process::ExitCode;

use cutover_core::FlagChange;

use crate::args::{Cli, Command};
use crate::commands::flag::FlagCmd;
use crate::commands::rollouts::RolloutCmd;
use crate::commands::{
    audit, change, eval, flag, golden, init, loadgen, preset, rollouts, serve, simulate, store,
    token, transfer, verdict,
};
use crate::global::Global;
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
    use crate::commands::token::TokenCmd;
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
        Command::Token(TokenCmd::Recover { .. }) => {
            "token recover is the way back in when no admin token is left or known, so it needs direct access to the store; with a working admin token, use `token create NAME --role admin` instead"
        }
        _ => return None,
    })
}

/// The one dispatch: each command opens what it works on (a store, a server's API, subject
/// processes, nothing) and nothing else.
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
    let Cli { global, command } = cli;
    let ok = |r: anyhow::Result<()>| r.map(|()| ExitCode::SUCCESS);
    match command {
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "cutover",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Init => init::run(&global).await,
        // A simulation touches no store: do not create one in the working directory.
        Command::Rollout(RolloutCmd::Simulate(args)) => ok(simulate::run(&args, global.json)),
        // Load generation goes through the SDK, not a store.
        Command::Loadgen(args) => ok(loadgen::run(&global, &args).await),
        // A golden run talks to subject processes, not to a store.
        Command::Golden(cmd) => golden::run(&cmd, &global).await,
        // Refused with --server above: copy and backup work on the store itself.
        Command::Store(cmd) => store::run(&cmd, &global).await,
        Command::Serve(args) => {
            // The environment and the server's configuration are read and checked before the
            // store is opened, so a mistake there neither creates a store nor leaves one
            // half-started.
            let config = serve::config(&args, environment::flag_overrides()?)?;
            ok(serve::run(&global, config, args.trust_state).await)
        }
        Command::Eval(args) => {
            let env = environment::flag_overrides()?;
            in_session(&global, false, async |s| eval::run(s, &args, &env).await).await
        }
        Command::Flag(cmd) => {
            let creates = matches!(cmd, FlagCmd::Create(_));
            in_session(&global, creates, async |s| ok(flag::run(s, &cmd).await)).await
        }
        Command::Import(args) => {
            in_session(
                &global,
                true,
                async |s| ok(transfer::import(s, &args).await),
            )
            .await
        }
        Command::Export(args) => {
            in_session(&global, false, async |s| {
                ok(transfer::export(s, &args).await)
            })
            .await
        }
        Command::Rollout(cmd) => {
            in_session(&global, false, async |s| ok(rollouts::run(s, &cmd).await)).await
        }
        Command::Slo(cmd) => {
            in_session(&global, false, async |s| ok(rollouts::slo(s, &cmd).await)).await
        }
        Command::Stage(cmd) => {
            in_session(&global, false, async |s| ok(change::stage(s, &cmd).await)).await
        }
        Command::Override(cmd) => {
            in_session(&global, false, async |s| {
                ok(change::overrides(s, &cmd).await)
            })
            .await
        }
        Command::Kill(target) => {
            in_session(&global, false, async |s| {
                ok(change::apply(s, &target, &[FlagChange::Kill]).await)
            })
            .await
        }
        Command::Unkill(target) => {
            in_session(&global, false, async |s| {
                ok(change::apply(s, &target, &[FlagChange::Unkill]).await)
            })
            .await
        }
        Command::Preset(cmd) => {
            in_session(&global, false, async |s| ok(preset::run(s, &cmd).await)).await
        }
        Command::Verdict(cmd) => {
            in_session(&global, false, async |s| ok(verdict::run(s, &cmd).await)).await
        }
        Command::Audit(cmd) => {
            in_session(&global, false, async |s| audit::run(s, &cmd).await).await
        }
        Command::Token(cmd) => {
            in_session(&global, false, async |s| ok(token::run(s, &cmd).await)).await
        }
    }
}

/// Opens the session a command works in, runs the command, and closes the session whatever the
/// outcome. Only `flag create` and `import` pass `creates` (and `serve`, which opens its own):
/// every other command needs an existing store, so a typo in `--db` is an error rather than a
/// new, empty store that answers "nothing there".
async fn in_session(
    global: &Global,
    creates: bool,
    command: impl AsyncFnOnce(&Session) -> anyhow::Result<ExitCode>,
) -> anyhow::Result<ExitCode> {
    if creates && global.server.is_none() {
        // The change that creates the store names its actor; know it before creating anything.
        session::actor(global.actor.as_deref())?;
    }
    let session = Session::open(global, creates).await?;
    let result = command(&session).await;
    session.close().await;
    result
}

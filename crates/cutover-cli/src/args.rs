//! The command line: the global options and the list of commands, as clap types. Each command's
//! own arguments are declared beside its `run` (`commands/*.rs`). Values are parsed by the core's
//! own validators, so a bad key, percentage, stage or variant is a usage error (exit 2) that
//! names the value and what is accepted.

use clap::{Parser, Subcommand};

use crate::commands::audit::AuditCmd;
use crate::commands::change::{KeyChange, OverrideCmd, StageCmd};
use crate::commands::eval::EvalArgs;
use crate::commands::flag::FlagCmd;
use crate::commands::golden::GoldenCmd;
use crate::commands::loadgen::LoadgenArgs;
use crate::commands::preset::PresetCmd;
use crate::commands::rollouts::{RolloutCmd, SloCmd};
use crate::commands::serve::ServeArgs;
use crate::commands::store::StoreCmd;
use crate::commands::token::TokenCmd;
use crate::commands::transfer::{ExportArgs, ImportArgs};
use crate::commands::verdict::VerdictCmd;
use crate::global::Global;

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
    /// Named verdicts a release waits for (CI jobs, load tests, sign-offs): record, list. The
    /// gates verdict(NAME), verdicts(all) and golden read them.
    #[command(subcommand)]
    Verdict(VerdictCmd),
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
    Golden(GoldenCmd),
    /// The gates of guarded rollouts, as the guard sees them now.
    #[command(subcommand)]
    Slo(SloCmd),
    /// Move and keep a whole store: copy it into another (SQLite <-> PostgreSQL), back it up
    /// while it serves.
    #[command(subcommand)]
    Store(StoreCmd),
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        // Clap checks its own definition only when a command is parsed; check all of it here.
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}

//! The options every command takes (`--db`, `--server`, `--actor`, `--json`, ...).

use std::path::PathBuf;

use clap::Args;

use crate::text_limit::TextLimit;

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
    /// Move a flag into a stage although its prerequisites are missing; needs --reason, and the
    /// audit entry says it was forced and past what.
    #[arg(long, global = true)]
    pub force: bool,
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
pub(crate) fn parse_server_url(s: &str) -> Result<String, String> {
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

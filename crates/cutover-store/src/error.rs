//! The one error type of the store: what went wrong, with the value and the way out.

use cutover_core::CoreError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("flag {key} does not exist")]
    FlagNotFound { key: String },

    #[error("flag {key} already exists (version {version})")]
    FlagExists { key: String, version: u64 },

    #[error(
        "flag {key} is at version {actual}, not the expected version {expected}: it changed since \
         you read it; read it again and retry"
    )]
    VersionConflict {
        key: String,
        expected: u64,
        actual: u64,
    },

    /// Two flags would read one environment variable: the core's rule (`env_conflict`), whose
    /// text names both flags and the variable.
    #[error("{conflict}")]
    FlagIdentityTaken { conflict: cutover_core::EnvConflict },

    #[error(
        "the document is older than the store for {}: they changed after it was exported; \
         nothing was imported. Export again and reapply your edit, look first with --dry-run, or \
         overwrite them with --force",
        .flags.join(", ")
    )]
    StaleImport {
        /// `KEY (document vN, store vM)` for each flag.
        flags: Vec<String>,
    },

    #[error(
        "token {name} is the last admin token: revoking it would leave no one able to administer \
         the store through the API; nothing was changed. Create another admin token first \
         (cutover token create NAME --role admin), then revoke this one"
    )]
    LastAdminToken { name: String },

    #[error("preset {name} does not exist")]
    PresetNotFound { name: String },

    #[error("flag {key} is used by preset {preset}; remove it from the preset first")]
    FlagInPreset { key: String, preset: String },

    #[error("token {name} already exists; revoke it first or pick another name")]
    TokenExists { name: String },

    #[error("token {name} does not exist")]
    TokenNotFound { name: String },

    #[error(
        "the database cannot be reached ({what}); nothing was changed. Evaluation goes on from \
         the last known state; retry the change once the database is back"
    )]
    Unavailable { what: String },

    #[error(transparent)]
    Invalid(#[from] CoreError),

    #[error(
        "{path} is not a cutover store: {why}; point --db at a file cutover created, or at a path \
         that does not exist yet"
    )]
    NotAStore { path: String, why: String },

    #[error(
        "there is no cutover store at {path}: the file does not exist; nothing was created. Check \
         --db (or CUTOVER_DB), or create a store there with `cutover init`"
    )]
    NoStore { path: String },

    #[error(
        "{path} is empty (0 bytes), so it holds no cutover store; nothing was changed. If it was \
         truncated, restore it from a backup; to start afresh, delete it and run `cutover init`"
    )]
    EmptyFile { path: String },

    #[error(
        "there is no cutover store in the PostgreSQL database {url}: it has no cutover schema; \
         nothing was created. Check --postgres (or CUTOVER_POSTGRES), or create the store there \
         with `cutover init` and the same --postgres"
    )]
    NoSchema { url: String },

    #[error(
        "{url} is not a PostgreSQL URL: {why}; pass --postgres (or CUTOVER_POSTGRES) a URL such \
         as postgres://user@host/db or postgres://user:password@host:5432/db"
    )]
    BadUrl { url: String, why: String },

    #[error("{path} is damaged: {detail}; nothing was changed. Restore it from a backup or export")]
    Corrupt { path: String, detail: String },

    #[error(
        "{path} was written by a newer cutover (schema version {found}, this build knows up to \
         {known}); upgrade cutover"
    )]
    NewerSchema {
        path: String,
        found: i64,
        known: i64,
    },

    #[error(
        "the store holds a value this build cannot read ({what}); it was edited outside cutover"
    )]
    BadRow { what: String },

    #[error(
        "the store is busy: another writer held it for longer than {seconds} s; nothing was \
         changed, retry"
    )]
    Busy { seconds: u64 },

    #[error(
        "the audit log of this store is sealed with a key and this process has none, so it may \
         not write (its entries could not be told from a forger's); nothing was changed. Pass \
         --audit-key-file (or set CUTOVER_AUDIT_KEY_FILE) with the key the server uses"
    )]
    SealedWithoutKey,

    #[error(
        "cannot accept the store as it is: {why}. --trust-state accepts rows, not a damaged log: \
         restore the store from a backup or an export"
    )]
    CannotTrust { why: String },

    #[error(
        "{target} already holds {holds}; nothing was copied. A copy goes into a store that holds \
         nothing yet: a new SQLite file, or an empty PostgreSQL database"
    )]
    TargetNotEmpty { target: String, holds: String },

    #[error(
        "the copy does not verify ({problems}); nothing was written to the target. The source \
         holds the same rows: check it with `cutover audit verify`, and accept what it holds \
         (`cutover serve --trust-state`) or copy from a backup"
    )]
    CopyDoesNotVerify { problems: String },

    #[error(
        "{path} already exists; a backup never replaces a file. Name a new file, or move the \
         old one away first"
    )]
    BackupExists { path: String },

    #[error("cannot write the backup {path}: {why}; nothing was written there")]
    BackupTarget { path: String, why: String },

    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    pub(crate) fn bad_row(what: impl std::fmt::Display) -> Self {
        StoreError::BadRow {
            what: what.to_string(),
        }
    }
}

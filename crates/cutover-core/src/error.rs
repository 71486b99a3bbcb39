//! The one error type of the core: every variant names the offending value and what is accepted.

/// What was wrong with a value handed to the core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    #[error(
        "invalid flag key {key:?}: {why}; a key is 1 to 128 characters of a-z, 0-9, '.', '_' and \
         '-', starting with a letter or a digit"
    )]
    InvalidKey { key: String, why: &'static str },

    #[error(
        "invalid attribute name {name:?}: {why}; an attribute name is 1 to 128 characters of \
         letters, digits, '_', '.', ':' and '-'"
    )]
    InvalidAttribute { name: String, why: &'static str },

    #[error(
        "invalid rollout percentage {value:?}: {why}; accepted: a number from 0 to 100 with at \
         most two decimals, such as 5, 12.5 or 0.01"
    )]
    InvalidPercent { value: String, why: &'static str },

    #[error("invalid rollout of {bps} basis points; accepted: 0 to 10000")]
    InvalidBasisPoints { bps: i64 },

    #[error(
        "unknown stage {value:?}; accepted: disabled, canary, beta, production, legacy_disabled"
    )]
    UnknownStage { value: String },

    #[error("unknown variant {value:?}; accepted: legacy, new")]
    UnknownVariant { value: String },

    #[error(
        "invalid value {value:?} in {var}; accepted: true, 1, yes, on, false, 0, no, off (any \
         case), or leave the variable unset for no override"
    )]
    InvalidEnvOverride { var: String, value: String },

    #[error(
        "invalid value {shown} in {var}: it is not valid UTF-8; accepted: true, 1, yes, on, false, \
         0, no, off (any case), or leave the variable unset for no override"
    )]
    EnvOverrideNotUtf8 { var: String, shown: String },

    #[error(
        "the environment variable {var:?} starts with CUTOVER_FLAG_ but its name is not valid \
         UTF-8, so it can name no flag (keys are a-z, 0-9, '.', '_', '-'); rename or unset it"
    )]
    InvalidEnvName { var: String },

    #[error(
        "invalid environment variable name {name:?}: {why}; accepted: 1 to 128 characters of \
         A-Z, 0-9 and '_', not starting with a digit (such as USE_ONEX_ROUTING_NODES)"
    )]
    InvalidEnvVarName { name: String, why: &'static str },

    #[error("unknown env_mode {value:?}; accepted: force, enable")]
    UnknownEnvMode { value: String },

    #[error(
        "flag {flag} names the environment variable {var} as both {first} and {second}; a \
         variable has one meaning: give each its own name"
    )]
    EnvVarReused {
        flag: String,
        var: String,
        first: &'static str,
        second: &'static str,
    },

    #[error(
        "invalid value {value:?} in {var} (the rollout percentage of flag {flag}): {why}; \
         accepted: a number from 0 to 100 with at most two decimals, such as 25 or 12.5, or \
         leave the variable unset for the flag's own rollout"
    )]
    InvalidEnvPercent {
        flag: String,
        var: String,
        value: String,
        why: &'static str,
    },

    #[error(
        "invalid value {value:?} in {var} (the stage of flag {flag}); accepted: disabled, \
         canary, beta, production, legacy_disabled, or leave the variable unset for the flag's \
         own stage"
    )]
    InvalidEnvStage {
        flag: String,
        var: String,
        value: String,
    },

    #[error(
        "invalid value {shown} in {var} (read by flag {flag}): it is not valid UTF-8; give it a \
         valid value or leave it unset"
    )]
    DeclaredEnvNotUtf8 {
        flag: String,
        var: String,
        shown: String,
    },

    #[error(
        "invalid constraint {text:?}: {why}; accepted: 'ATTR in V1,V2,...', \
         'ATTR not_in V1,V2,...' or 'ATTR exists'"
    )]
    InvalidConstraint { text: String, why: &'static str },

    #[error("flag {flag} has no override for {attribute}={value}")]
    OverrideNotFound {
        flag: String,
        attribute: String,
        value: String,
    },

    #[error("override expiry {expires_at} is not after the time of the change {now}")]
    OverrideAlreadyExpired {
        expires_at: jiff::Timestamp,
        now: jiff::Timestamp,
    },

    #[error(
        "token expiry {expires_at} is not after its creation {now}; give a time to come (such as \
         90d) or none"
    )]
    TokenAlreadyExpired {
        expires_at: jiff::Timestamp,
        now: jiff::Timestamp,
    },

    #[error("invalid preset {name:?}: {why}")]
    InvalidPreset { name: String, why: String },

    #[error("unknown role {value:?}; accepted: admin, operator, viewer, sdk")]
    UnknownRole { value: String },

    #[error(
        "invalid token name {name:?}: {why}; a token name is 1 to 64 characters of a-z, 0-9, \
         '.', '_' and '-', starting with a letter or a digit"
    )]
    InvalidTokenName { name: String, why: &'static str },

    #[error(
        "invalid verdict name {name:?}: {why}; a verdict name is 1 to 64 characters of a-z, 0-9, \
         '.', '_' and '-', starting with a letter or a digit (e.g. golden-verify, \
         integration-tests)"
    )]
    InvalidVerdictName { name: String, why: &'static str },

    #[error("verdict url {url:?} is not an http:// or https:// address")]
    InvalidVerdictUrl { url: String },

    #[error(
        "flag {key} holds {limit} verdicts already, the most a flag keeps; record {name:?} under \
         the name of one it has, or make a new flag"
    )]
    TooManyVerdicts {
        key: String,
        name: String,
        limit: usize,
    },

    #[error(
        "token name {name:?} is reserved: cutover writes it into the audit log on its own behalf; \
         reserved names: {reserved}; pick another name"
    )]
    ReservedTokenName { name: String, reserved: String },

    #[error(
        "invalid comparison rule for field {path:?}: {why}; accepted rules: exact, within (with \
         eps), ignore, unordered, must_include"
    )]
    InvalidComparison { path: String, why: String },

    #[error("invalid rollout plan {text:?}: {why}")]
    InvalidPlan { text: String, why: String },

    #[error(
        "invalid duration {text:?}: {why}; accepted: a number and a unit (us, ms, s, m, h or d) \
         with nothing between, such as 250ms, 1.5s, 90s, 10m, 2h or 1d, or several from the \
         largest unit down, such as 1h30m"
    )]
    InvalidDuration { text: String, why: String },

    #[error(
        "invalid duration {text:?}: it is longer than any duration cutover can count (about \
         584 billion years)"
    )]
    DurationTooLong { text: String },

    #[error(
        "invalid audit entity {text:?}: {why}; accepted: flag:KEY, preset:NAME, token:NAME or \
         audit:seal"
    )]
    InvalidEntity { text: String, why: String },

    #[error("unknown audit action {text:?}; accepted: {accepted}")]
    UnknownAction { text: String, accepted: String },

    #[error(
        "invalid gate {text:?}: {why}; accepted: 'new.error_rate <= legacy.error_rate' (also \
         fallback_rate, retry_rate; with '* 1.5' or '+ 2pp', or a fixed rate like 2%), \
         'new.p95 <= 100ms' (also p50, p99; or 'legacy.p95 * 1.2'; 'baseline.' for the figures \
         from before the rollout), \
         'agreement(FIELD) >= 0.80', 'golden'; any of them after 'warning:' to alert without \
         acting"
    )]
    InvalidGate { text: String, why: String },

    #[error("rollout of flag {flag}: {why}")]
    RolloutState { flag: String, why: String },

    #[error("invalid flag document: {why}")]
    InvalidDocument { why: String },

    #[error(
        "the audit key has {bytes} bytes; accepted: a file of at least 32 bytes (trailing \
         whitespace is not counted), such as one written by `openssl rand -hex 32 > audit.key`"
    )]
    WeakAuditKey { bytes: usize },

    #[error(
        "invalid audit anchor {text:?}: {why}; accepted: the hash `cutover audit head` printed \
         (64 hex digits), or ID:HASH such as 42:9f86d0..."
    )]
    InvalidAnchor { text: String, why: &'static str },

    #[error(
        "{field} {preview:?} is {bytes} bytes, over the limit of {limit} bytes; accepted: at \
         most {limit} bytes (docs/limits.md lists every limit)"
    )]
    TooLong {
        field: &'static str,
        /// The first characters of the text, never all of it.
        preview: String,
        bytes: usize,
        limit: usize,
    },

    #[error("invalid metrics batch: {why}")]
    InvalidMetrics { field: &'static str, why: String },

    #[error(
        "flag {key} would be {bytes} bytes as JSON, over the limit of {limit} bytes; remove \
         overrides or scope values (for many users, a scope or a rollout serves better than \
         overrides)"
    )]
    FlagTooLarge {
        key: String,
        bytes: usize,
        limit: usize,
    },
}

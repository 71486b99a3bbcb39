//! The pure heart of cutover: the flag model, bucketing, evaluation, presets and the audit chain
//! rules.
//!
//! **Architecture invariant**: this crate does no I/O, spawns nothing, reads no clock and no
//! environment. Time and environment overrides are arguments. That is what lets the CLI, the
//! server, the SDK and the simulators share one implementation of every decision rule.

mod access;
mod arm_metrics;
mod attribute;
mod audit;
mod audit_anchor;
mod audit_check;
mod audit_seal;
mod audit_state;
mod bucket;
mod change;
mod compare;
mod context;
pub mod count;
mod decision;
mod document;
pub mod duration;
mod env;
mod env_claims;
mod env_names;
mod error;
mod flag;
mod flag_limits;
pub mod guard;
mod key;
pub mod limits;
mod overrides;
mod prerequisite;
pub mod present;
mod preset;
mod records;
mod retreat;
mod role;
mod rollout;
mod scope;
mod snapshot;
mod stage;
mod variant;
mod verdict;
pub mod wire;

pub use access::{
    Capability, GUARD_ACTOR, RESERVED_ACTORS, Role, SERVE_ACTOR, TOKEN_PREFIX, TokenName,
    token_hash,
};
pub use arm_metrics::check::{
    MAX_CALLS_PER_SECOND, MAX_COUNTERS, MAX_DROPPED_BATCHES, MAX_FIELD_PATH_BYTES,
    MAX_SAMPLE_CONTEXT, MAX_SAMPLE_VALUE_BYTES, MAX_SHADOW_FIELDS, UPLOAD_WINDOW_AHEAD,
    UPLOAD_WINDOW_PAST,
};
pub use arm_metrics::{
    ArmCounts, ArmReport, FlagShadow, LATENCY_BUCKETS, LatencySketch, MetricsBatch, SUB_BUCKETS,
    bucket_floor, latency_bucket,
};
pub use attribute::AttributeName;
pub use audit::{
    AuditEntry, ChainFault, ChainReport, ChainWalk, GENESIS_HASH, NewAuditEntry, verify_chain,
};
pub use audit_anchor::{Anchor, AnchorOutcome, AnchorWatch};
pub use audit_check::{LogCheck, SealCheck, VerifyReport};
pub use audit_seal::{AUDIT_KEY_MIN_BYTES, AuditKey, HeadSeal, SealGap, SealOutcome};
pub use audit_state::{
    FieldDiff, StateFinding, StateReplay, StateReport, StoredState, TRUST_ACTION, TokenState,
    token_binding,
};
pub use bucket::{BUCKETS, Seed, bucket_of};
pub use change::FlagChange;
pub use compare::tally::{FieldTally, MismatchSample, ShadowCounts, Tally};
pub use compare::{Comparison, ComparisonSpec, FieldOutcome, FieldResult, FieldRule};
pub use context::{Attributes, Context};
pub use decision::{Decision, Reason};
pub use document::FlagDocument;
pub use env::{ENV_PREFIX, EnvOverrides, FlagEnv, env_var_name, parse_env_bool};
pub use env_claims::{EnvConflict, env_claims, env_conflict};
pub use env_names::{EnvMode, EnvNames, EnvUse, EnvVarName};
pub use error::CoreError;
pub use flag::{DEFAULT_STICKINESS, Flag};
pub use key::FlagKey;
pub use overrides::Override;
pub use prerequisite::judge::{missing, refusal};
pub use prerequisite::{Missing, Prerequisites, StageRequirement};
pub use preset::{Preset, PresetEntry};
pub use records::{
    ArmFigures, ArmWindow, AuditQuery, BackupReport, ChangeMeta, Committed, GuardRecord,
    ImportChange, ImportOptions, ImportReport, ShadowWindow, TokenRecord, TrustReport,
};
pub use retreat::is_retreat;
pub use rollout::{PERCENT_TEXT_PATTERN, Rollout};
pub use scope::{Constraint, Operator};
pub use snapshot::{CompiledFlag, FlagHandle, Snapshot};
pub use stage::Stage;
pub use variant::Variant;
pub use verdict::{
    ShownVerdict, Standing, Verdict, VerdictName, VerdictSource, Verdicts, shown, standing_of,
    standing_of_all,
};
pub use wire::{AuditAction, AuditEntity, EntityKind};

/// Instants are `jiff::Timestamp` values handed in by the caller; this crate never reads a clock.
pub use jiff::Timestamp;

//! The data of use cases that is not a record of the core: what the layer works out for its
//! caller (a rollout's status, figures over a span, an upload's outcome, a new token's secret).
//! Each serialises as the admin API answers with it.

use std::collections::{BTreeMap, BTreeSet};

use cutover_core::guard::{Action, Assessment, GoldenResult, RolloutPlan, RolloutRun};
use cutover_core::{
    AuditEntry, FieldTally, FlagKey, Role, Rollout, ShadowCounts, Stage, StageRequirement,
    Timestamp, TokenName, Verdicts,
};
use serde::{Deserialize, Serialize};

/// What one look at a rollout found and what the plan says to do about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Look {
    pub step: usize,
    pub extensions: u32,
    /// Seconds since the current step began.
    pub elapsed_s: u64,
    pub assessment: Assessment,
    /// What the rule decides now; `hold` when the rollout is not running.
    pub decision: Action,
}

/// Where a rollout stands: `GET /api/v1/flags/{key}/rollout`, `cutover rollout status` and
/// `cutover slo status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutStatus {
    pub flag: FlagKey,
    pub version: u64,
    pub rollout_percent: Rollout,
    pub plan: Option<RolloutPlan>,
    pub run: Option<RolloutRun>,
    /// The golden run behind the verdict `golden`, as before named verdicts.
    pub golden: Option<GoldenResult>,
    /// Every verdict the flag holds, by name.
    #[serde(default)]
    pub verdicts: Verdicts,
    /// What entering the stage above needs and what it still lacks now (for a caller who may
    /// make any move); absent at the top of the ladder.
    #[serde(default)]
    pub next_stage: Option<NextStage>,
    /// Every gate's value, threshold, samples and verdict now, and what the plan would do.
    pub look: Option<Look>,
    pub at: Timestamp,
}

/// One page of the audit log and whether more entries match after it (in the order read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The next page starts after the last entry of this one.
    pub more: bool,
}

/// A token to create; the layer draws its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub name: TokenName,
    pub role: Role,
    /// When the token stops working; never when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// A created token with its secret: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub name: TokenName,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// The secret.
    pub token: String,
}

/// The span figures are read over: `[since, until)`; `until` defaults to now, `since` to 15
/// minutes before `until`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsSpan {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// What an upload of SDK metrics kept, and what it set aside.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadReport {
    /// Arm reports kept.
    pub arms: usize,
    /// Shadow reports kept.
    pub shadows: usize,
    /// The start of the window (a second) the batch was counted in.
    pub window_start: Timestamp,
    pub ignored: IgnoredReports,
}

/// Reports for flags the layer does not know (yet, or any more): set aside and counted, so an
/// SDK that learns of a flag a moment before the server does keeps the rest of its batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredReports {
    pub arms: usize,
    pub shadows: usize,
    /// The flags they named, each once.
    pub unknown_flags: BTreeSet<String>,
}

/// One arm's figures over a span, as people and guards read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmSummary {
    pub calls: u64,
    pub errors: u64,
    pub fallbacks: u64,
    pub retries: u64,
    pub error_rate: Option<f64>,
    pub fallback_rate: Option<f64>,
    pub retry_rate: Option<f64>,
    /// Latency quantiles in milliseconds (each at most 1/32 below the true value).
    pub latency_ms: Option<Quantiles>,
    /// The service's own counters, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, CounterSummary>,
}

/// One of the service's own counters over a span.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CounterSummary {
    pub count: u64,
    /// Per call.
    pub rate: Option<f64>,
}

/// Latency quantiles, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
}

/// Both arms of a flag over a span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagMetrics {
    pub flag: FlagKey,
    pub since: Timestamp,
    pub until: Timestamp,
    pub legacy: ArmSummary,
    pub new: ArmSummary,
}

/// One compared field's agreement over a span.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FieldAgreement {
    #[serde(flatten)]
    pub counts: FieldTally,
    pub ratio: Option<f64>,
    /// 95 % Wilson interval of the ratio.
    pub interval95: Option<(f64, f64)>,
}

/// What shadow runs of a flag found over a span, with per-field agreement ratios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagShadowReport {
    pub flag: FlagKey,
    pub since: Timestamp,
    pub until: Timestamp,
    pub fields: BTreeMap<String, FieldAgreement>,
    #[serde(flatten)]
    pub counts: ShadowCounts,
}

/// The stage above a flag's and what it needs, judged now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStage {
    pub stage: Stage,
    pub requires: Option<StageRequirement>,
    /// What does not hold yet, one sentence each; empty when the move may go ahead.
    pub missing: Vec<String>,
}

//! The flag: the persistent state of one cutover from legacy to new.

use serde::{Deserialize, Serialize};

use crate::attribute::AttributeName;
use crate::env_names::EnvNames;
use crate::error::CoreError;
use crate::guard::golden::GoldenResult;
use crate::guard::plan::RolloutPlan;
use crate::guard::run_state::RolloutRun;
use crate::key::FlagKey;
use crate::overrides::Override;
use crate::prerequisite::Prerequisites;
use crate::rollout::Rollout;
use crate::scope::Constraint;
use crate::stage::Stage;
use crate::verdict::{Verdict, VerdictName, Verdicts};
use jiff::Timestamp;

/// The stickiness attribute a flag buckets on unless told otherwise.
pub const DEFAULT_STICKINESS: &str = "user_id";

/// Where a context falls back to when the flag's stickiness attribute is absent, in order.
pub(crate) const STICKINESS_FALLBACKS: [&str; 2] =
    ["session_id", crate::context::Context::TARGETING_KEY];

/// One flag and everything that decides its answer.
///
/// Evaluation precedence (see [`crate::Snapshot`]): kill switch > environment override
/// (`CUTOVER_FLAG_<KEY>`, then the declared switch in `force` mode) > `enabled = false` (or the
/// declared switch in `enable` mode) > stage `legacy_disabled` (or the declared stage variable's
/// stage) > targeting override > rollout scope > rollout bucket (against the declared percentage
/// variable's rollout, else the declared stage's, else the flag's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FlagRepr")]
pub struct Flag {
    pub key: FlagKey,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub owner: String,
    /// The global switch: `false` sends every context to `legacy`, overrides included.
    pub enabled: bool,
    pub stage: Stage,
    #[serde(rename = "rollout_percent")]
    pub rollout: Rollout,
    /// The emergency fallback: `legacy` for everyone, ignoring every other rule.
    pub killed: bool,
    /// The attribute bucketing reads first; `session_id`, then `targetingKey` are the fallbacks.
    pub stickiness: AttributeName,
    /// Salt of the bucketing hash; the key when unset, so a flag buckets alike everywhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<Constraint>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<Override>,
    /// The environment variables the flag answers to by their own names (`env`, `env_mode`,
    /// `env_percent`, `env_stage`, written flat), besides its `CUTOVER_FLAG_<KEY>`.
    #[serde(flatten)]
    pub env: EnvNames,
    /// The guarded rollout plan: steps, gates, what a breach does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<RolloutPlan>,
    /// The guarded rollout in progress (or its last one): runtime state, moved only through
    /// rollout changes, kept as it is by an import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RolloutRun>,
    /// The latest verdict of each named check (golden-corpus runs, CI jobs, sign-offs), which
    /// the `verdict(NAME)`, `verdicts(all)` and `golden` gates read.
    #[serde(skip_serializing_if = "Verdicts::is_empty")]
    pub verdicts: Verdicts,
    /// What entering a stage needs (verdicts, time at the stage below, a role), by stage.
    #[serde(skip_serializing_if = "Prerequisites::is_empty")]
    pub requires: Prerequisites,
    /// When the flag entered its stage; unknown for a flag that has not moved since cutover
    /// began recording it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage_since: Option<Timestamp>,
    /// Bumped by every change that alters the flag; changes name the version they expect.
    pub version: u64,
}

impl Flag {
    /// A new flag: enabled, stage `disabled` (0 %), so only overrides reach the new path.
    pub fn new(key: FlagKey) -> Self {
        Flag {
            key,
            description: String::new(),
            owner: String::new(),
            enabled: true,
            stage: Stage::Disabled,
            rollout: Rollout::NONE,
            killed: false,
            stickiness: default_stickiness(),
            salt: None,
            scope: Vec::new(),
            overrides: Vec::new(),
            env: EnvNames::default(),
            plan: None,
            run: None,
            verdicts: Verdicts::new(),
            requires: Prerequisites::new(),
            stage_since: None,
            version: 0,
        }
    }

    pub fn salt(&self) -> &str {
        self.salt.as_deref().unwrap_or(self.key.as_str())
    }

    /// The attributes bucketing tries, in order, without duplicates.
    pub fn stickiness_chain(&self) -> impl Iterator<Item = &str> {
        let first = self.stickiness.as_str();
        std::iter::once(first).chain(
            STICKINESS_FALLBACKS
                .into_iter()
                .filter(move |a| *a != first),
        )
    }

    /// Checks what types alone cannot: no two overrides for the same attribute and value, no
    /// variable declared twice.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.env.check(&self.key)?;
        for requirement in self.requires.values() {
            requirement.check()?;
        }
        for (i, o) in self.overrides.iter().enumerate() {
            if self.overrides[..i]
                .iter()
                .any(|p| p.same_target(o.attribute.as_str(), &o.value))
            {
                return Err(CoreError::InvalidDocument {
                    why: format!(
                        "flag {} has two overrides for {}={}; keep one",
                        self.key, o.attribute, o.value
                    ),
                });
            }
        }
        Ok(())
    }
}

fn default_stickiness() -> AttributeName {
    AttributeName::new(DEFAULT_STICKINESS).unwrap_or_else(|_| unreachable!("constant is valid"))
}

fn yes() -> bool {
    true
}

/// The accepted file shape: every field but the key is optional, and a stage without an explicit
/// rollout implies the stage's rollout.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlagRepr {
    key: FlagKey,
    #[serde(default)]
    description: String,
    #[serde(default)]
    owner: String,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    stage: Stage,
    #[serde(default)]
    rollout_percent: Option<Rollout>,
    #[serde(default)]
    killed: bool,
    #[serde(default = "default_stickiness")]
    stickiness: AttributeName,
    #[serde(default)]
    salt: Option<String>,
    #[serde(default)]
    scope: Vec<Constraint>,
    #[serde(default)]
    overrides: Vec<Override>,
    #[serde(default)]
    env: Option<crate::env_names::EnvVarName>,
    #[serde(default)]
    env_mode: crate::env_names::EnvMode,
    #[serde(default)]
    env_percent: Option<crate::env_names::EnvVarName>,
    #[serde(default)]
    env_stage: Option<crate::env_names::EnvVarName>,
    #[serde(default)]
    plan: Option<RolloutPlan>,
    #[serde(default)]
    run: Option<RolloutRun>,
    #[serde(default)]
    verdicts: Verdicts,
    #[serde(default)]
    requires: Prerequisites,
    #[serde(default)]
    stage_since: Option<Timestamp>,
    /// Before named verdicts a flag held one golden run; read as the verdict `golden`.
    #[serde(default)]
    golden: Option<GoldenResult>,
    #[serde(default, deserialize_with = "crate::count::whole")]
    version: u64,
}

impl TryFrom<FlagRepr> for Flag {
    type Error = CoreError;
    fn try_from(r: FlagRepr) -> Result<Self, CoreError> {
        let flag = Flag {
            rollout: r.rollout_percent.unwrap_or_else(|| r.stage.rollout()),
            key: r.key,
            description: r.description,
            owner: r.owner,
            enabled: r.enabled,
            stage: r.stage,
            killed: r.killed,
            stickiness: r.stickiness,
            salt: r.salt,
            scope: r.scope,
            overrides: r.overrides,
            env: EnvNames {
                switch: r.env,
                mode: r.env_mode,
                percent: r.env_percent,
                stage: r.env_stage,
            },
            plan: r.plan,
            run: r.run,
            verdicts: with_legacy_golden(r.verdicts, r.golden),
            requires: r.requires,
            stage_since: r.stage_since,
            version: r.version,
        };
        flag.validate()?;
        Ok(flag)
    }
}

/// The verdicts of a flag stored before named verdicts, whose one golden run becomes the
/// verdict `golden` (unless that name holds a verdict already).
fn with_legacy_golden(mut verdicts: Verdicts, golden: Option<GoldenResult>) -> Verdicts {
    if let Some(result) = golden {
        verdicts
            .entry(VerdictName::golden())
            .or_insert_with(|| Verdict::from_golden(result));
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_file_form_takes_documented_defaults() {
        let flag: Flag = serde_json::from_str(r#"{"key":"checkout","stage":"canary"}"#).unwrap();
        assert!(flag.enabled && !flag.killed);
        assert_eq!(flag.rollout.bps(), 500);
        assert_eq!(flag.stickiness.as_str(), "user_id");
        assert_eq!(flag.salt(), "checkout");
    }

    #[test]
    fn unknown_fields_and_duplicate_overrides_are_refused() {
        let typo = serde_json::from_str::<Flag>(r#"{"key":"a","rollout":5}"#).unwrap_err();
        assert!(typo.to_string().contains("rollout"), "{typo}");
        let dup = r#"{"key":"a","overrides":[
            {"attribute":"user_id","value":"u","variant":"new"},
            {"attribute":"user_id","value":"u","variant":"legacy"}]}"#;
        assert!(
            serde_json::from_str::<Flag>(dup)
                .unwrap_err()
                .to_string()
                .contains("two overrides")
        );
    }

    #[test]
    fn stickiness_chain_skips_duplicates() {
        let mut flag = Flag::new(FlagKey::new("f").unwrap());
        assert_eq!(
            flag.stickiness_chain().collect::<Vec<_>>(),
            ["user_id", "session_id", "targetingKey"]
        );
        flag.stickiness = AttributeName::new("session_id").unwrap();
        assert_eq!(
            flag.stickiness_chain().collect::<Vec<_>>(),
            ["session_id", "targetingKey"]
        );
    }

    #[test]
    fn declared_environment_names_are_written_flat_and_only_when_set() {
        let plain = Flag::new(FlagKey::new("f").unwrap());
        let text = serde_json::to_string(&plain).unwrap();
        assert!(!text.contains("env"), "{text}");
        let flag: Flag = serde_json::from_str(
            r#"{"key":"awf","env":"AWF_BUNDLE_ON","env_mode":"enable","env_percent":"AWF_PERCENT_ROLLOUT"}"#,
        )
        .unwrap();
        assert_eq!(flag.env.switch.as_ref().unwrap().as_str(), "AWF_BUNDLE_ON");
        let text = serde_json::to_string(&flag).unwrap();
        assert!(
            text.contains(
                r#""env":"AWF_BUNDLE_ON","env_mode":"enable","env_percent":"AWF_PERCENT_ROLLOUT""#
            ),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Flag>(&text).unwrap(), flag);
        let lower = serde_json::from_str::<Flag>(r#"{"key":"a","env":"use_onex"}"#).unwrap_err();
        assert!(lower.to_string().contains("\"use_onex\""), "{lower}");
        let twice = serde_json::from_str::<Flag>(r#"{"key":"a","env":"X","env_stage":"X"}"#)
            .unwrap_err()
            .to_string();
        assert!(twice.contains("X as both env and env_stage"), "{twice}");
    }

    #[test]
    fn round_trips_through_json() {
        let mut flag = Flag::new(FlagKey::new("f").unwrap());
        flag.rollout = Rollout::from_bps(1234).unwrap();
        flag.scope.push(Constraint::parse("tenant in a,b").unwrap());
        let json = serde_json::to_string(&flag).unwrap();
        assert_eq!(serde_json::from_str::<Flag>(&json).unwrap(), flag);
    }
}

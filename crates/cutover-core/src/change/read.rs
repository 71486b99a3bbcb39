//! Reading a [`FlagChange`] from JSON without serde's buffering of internally tagged enums.
//!
//! A derived internally tagged enum first copies the object into serde's own buffer, where a
//! number is already a float: `99.99999999999999999999` would arrive as `100`. Instead the
//! object is read as raw JSON text per field, the `change` tag is taken out, and the rest is
//! read as the externally tagged form of the same enum (`{"set_rollout": {...}}`), which
//! serde_json reads straight from the text, so every percentage is read from what was written
//! and every gate or plan error comes through as it was raised.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::FlagChange;
use crate::guard::{Action, GoldenResult, RolloutPlan, RunMove};
use crate::prerequisite::StageRequirement;
use crate::{
    AttributeName, Constraint, EnvMode, EnvVarName, Flag, Override, Rollout, Stage, Verdict,
    VerdictName,
};

/// The older form of a golden run's recording: `{"change": "record_golden", "result": ...}`,
/// optionally under a `verdict` name (`golden` when absent).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordGolden {
    result: GoldenResult,
    #[serde(default)]
    verdict: Option<VerdictName>,
}

/// The variants that carry nothing: written `{"change": "kill"}`, read as the string `"kill"`.
const UNIT_VARIANTS: [&str; 4] = [
    "kill",
    "unkill",
    "clear_overrides",
    "remove_expired_overrides",
];

/// The same enum, externally tagged, for reading: serde's `remote` derive writes the function
/// that builds a [`FlagChange`] from it, and fails to compile if the two ever differ.
#[derive(Deserialize)]
#[serde(remote = "FlagChange", rename_all = "snake_case", deny_unknown_fields)]
enum ExternallyTagged {
    SetEnabled {
        enabled: bool,
    },
    SetStage {
        stage: Stage,
    },
    SetRollout {
        rollout_percent: Rollout,
    },
    Kill,
    Unkill,
    SetDescription {
        description: String,
    },
    SetOwner {
        owner: String,
    },
    SetStickiness {
        attribute: AttributeName,
    },
    SetSalt {
        salt: Option<String>,
    },
    SetScope {
        scope: Vec<Constraint>,
    },
    SetEnv {
        env: Option<EnvVarName>,
        #[serde(default)]
        env_mode: EnvMode,
    },
    SetEnvPercent {
        env_percent: Option<EnvVarName>,
    },
    SetEnvStage {
        env_stage: Option<EnvVarName>,
    },
    AddOverride {
        #[serde(rename = "override")]
        rule: Override,
    },
    RemoveOverride {
        attribute: AttributeName,
        value: String,
    },
    ClearOverrides,
    RemoveExpiredOverrides,
    Replace {
        flag: Box<Flag>,
    },
    SetPlan {
        plan: Option<RolloutPlan>,
    },
    RolloutMove {
        #[serde(rename = "move")]
        movement: RunMove,
    },
    RecordVerdict {
        name: VerdictName,
        verdict: Verdict,
    },
    SetRequirement {
        stage: Stage,
        requirement: Option<StageRequirement>,
    },
    GuardAction {
        decision: Action,
        step: usize,
        reason: String,
    },
}

/// A serde_json error's message without its position, which is a position in the rebuilt text
/// and would mislead; the outer reader adds the position in the text that was sent.
fn message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) if err.line() > 0 => message.to_owned(),
        _ => text,
    }
}

impl<'de> Deserialize<'de> for FlagChange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FlagChange, D::Error> {
        let mut fields = BTreeMap::<String, Box<RawValue>>::deserialize(d)?;
        let tag = fields
            .remove("change")
            .ok_or_else(|| D::Error::missing_field("change"))?;
        let tag: String = serde_json::from_str(tag.get())
            .map_err(|_| D::Error::custom(format!("\"change\" must be a string, not {tag}")))?;
        if tag == "record_golden" {
            let text = serde_json::to_string(&fields).map_err(D::Error::custom)?;
            let old: RecordGolden =
                serde_json::from_str(&text).map_err(|e| D::Error::custom(message(&e)))?;
            return Ok(FlagChange::RecordVerdict {
                name: old.verdict.unwrap_or_else(VerdictName::golden),
                verdict: Verdict::from_golden(old.result),
            });
        }
        let text = if UNIT_VARIANTS.contains(&tag.as_str()) {
            if let Some(extra) = fields.keys().next() {
                return Err(D::Error::custom(format!(
                    "unknown field `{extra}`: a {tag} change takes no other field"
                )));
            }
            serde_json::to_string(&tag)
        } else {
            serde_json::to_string(&BTreeMap::from([(tag, fields)]))
        }
        .map_err(D::Error::custom)?;
        let mut reader = serde_json::Deserializer::from_str(&text);
        ExternallyTagged::deserialize(&mut reader).map_err(|e| D::Error::custom(message(&e)))
    }
}

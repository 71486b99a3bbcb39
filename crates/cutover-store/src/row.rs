//! Rows as both backends read and write them: the neutral shape of a flag's row and its
//! checked conversion to the model (a row edited outside cutover is reported, never trusted),
//! and the one decoder of each other table's rows, over any driver's row type ([`Columns`]).

use cutover_core::guard::GoldenResult;
use cutover_core::{
    AttributeName, AuditEntry, Constraint, Flag, FlagKey, HeadSeal, Override, Preset, Rollout,
    SealGap, Stage, Timestamp, Variant, Verdict, VerdictName, Verdicts,
};

use crate::StoreError;
use crate::sql::dialect::Columns;

/// One row of `flags`.
#[derive(Debug, Clone)]
pub(crate) struct FlagRow {
    pub key: String,
    pub version: i64,
    pub description: String,
    pub owner: String,
    pub enabled: bool,
    pub stage: String,
    pub rollout_bps: i64,
    pub killed: bool,
    pub stickiness: String,
    pub salt: Option<String>,
    /// JSON array of constraints.
    pub scope: String,
    /// JSON of the guarded rollout plan, run and named verdicts.
    pub plan: Option<String>,
    pub run: Option<String>,
    pub verdicts: Option<String>,
    /// JSON of the stage prerequisites, by stage.
    pub requires: Option<String>,
    /// Unix milliseconds.
    pub stage_since: Option<i64>,
    /// JSON of the declared environment names; NULL when the flag declares none.
    pub env_names: Option<String>,
}

fn json_column<T: serde::Serialize>(
    key: &str,
    column: &str,
    value: Option<&T>,
) -> Result<Option<String>, StoreError> {
    value
        .map(|v| serde_json::to_string(v).map_err(|e| bad(key, column, e)))
        .transpose()
}

fn from_json_column<T: serde::de::DeserializeOwned>(
    key: &str,
    column: &str,
    text: Option<String>,
) -> Result<Option<T>, StoreError> {
    text.map(|t| serde_json::from_str(&t).map_err(|e| bad(key, column, e)))
        .transpose()
}

/// One row of `overrides`.
#[derive(Debug, Clone)]
pub(crate) struct OverrideRow {
    pub flag_key: String,
    pub attribute: String,
    pub value: String,
    pub variant: String,
    /// Unix milliseconds.
    pub expires_at: Option<i64>,
}

fn bad(key: &str, column: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::bad_row(format!("flag {key:?}, column {column}: {err}"))
}

/// The seal of the audit head from its columns: present when its id and MAC are, with a gap
/// when both ends are. A half-written seal is reported, never trusted.
pub(crate) fn head_seal(
    id: Option<i64>,
    gap_from: Option<i64>,
    gap_to: Option<i64>,
    mac: Option<String>,
) -> Result<Option<HeadSeal>, StoreError> {
    let number = |n: i64| {
        u64::try_from(n).map_err(|e| StoreError::bad_row(format!("audit_head seal {n}: {e}")))
    };
    let (id, mac) = match (id, mac) {
        (Some(id), Some(mac)) => (number(id)?, mac),
        (None, None) => return Ok(None),
        _ => {
            return Err(StoreError::bad_row(
                "audit_head: a seal without its id or its MAC",
            ));
        }
    };
    let gap = match (gap_from, gap_to) {
        (Some(from), Some(to)) => Some(SealGap {
            from: number(from)?,
            to: number(to)?,
        }),
        (None, None) => None,
        _ => {
            return Err(StoreError::bad_row(
                "audit_head: a seal gap without both ends",
            ));
        }
    };
    Ok(Some(HeadSeal { id, gap, mac }))
}

pub(crate) fn millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

pub(crate) fn timestamp(ms: i64, what: &str) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::bad_row(format!("{what}: {e}")))
}

/// The columns every read of `flags` selects, for [`FlagRow::read`].
pub(crate) const FLAG_COLUMNS: &str = "key, version, description, owner, enabled, stage, \
    rollout_bps, killed, stickiness, salt, scope, rollout_plan, rollout_run, verdicts, requires, \
    stage_since, env_names";

/// The columns every read of `overrides` selects, for [`OverrideRow::read`].
pub(crate) const OVERRIDE_COLUMNS: &str = "flag_key, attribute, value, variant, expires_at";

impl FlagRow {
    pub(crate) fn read(row: &impl Columns) -> Result<Self, StoreError> {
        Ok(FlagRow {
            key: row.text("key")?,
            version: row.int("version")?,
            description: row.text("description")?,
            owner: row.text("owner")?,
            enabled: row.boolean("enabled")?,
            stage: row.text("stage")?,
            rollout_bps: row.int("rollout_bps")?,
            killed: row.boolean("killed")?,
            stickiness: row.text("stickiness")?,
            salt: row.text_or_null("salt")?,
            scope: row.text("scope")?,
            plan: row.text_or_null("rollout_plan")?,
            run: row.text_or_null("rollout_run")?,
            verdicts: row.text_or_null("verdicts")?,
            requires: row.text_or_null("requires")?,
            stage_since: row.int_or_null("stage_since")?,
            env_names: row.text_or_null("env_names")?,
        })
    }

    pub(crate) fn from_flag(flag: &Flag) -> Result<Self, StoreError> {
        Ok(FlagRow {
            key: flag.key.to_string(),
            version: i64::try_from(flag.version)
                .map_err(|e| bad(flag.key.as_str(), "version", e))?,
            description: flag.description.clone(),
            owner: flag.owner.clone(),
            enabled: flag.enabled,
            stage: flag.stage.as_str().to_owned(),
            rollout_bps: i64::from(flag.rollout.bps()),
            killed: flag.killed,
            stickiness: flag.stickiness.to_string(),
            salt: flag.salt.clone(),
            scope: serde_json::to_string(&flag.scope)
                .map_err(|e| bad(flag.key.as_str(), "scope", e))?,
            plan: json_column(flag.key.as_str(), "rollout_plan", flag.plan.as_ref())?,
            run: json_column(flag.key.as_str(), "rollout_run", flag.run.as_ref())?,
            verdicts: json_column(
                flag.key.as_str(),
                "verdicts",
                (!flag.verdicts.is_empty()).then_some(&flag.verdicts),
            )?,
            requires: json_column(
                flag.key.as_str(),
                "requires",
                (!flag.requires.is_empty()).then_some(&flag.requires),
            )?,
            stage_since: flag.stage_since.map(millis),
            env_names: json_column(
                flag.key.as_str(),
                "env_names",
                (!flag.env.is_empty()).then_some(&flag.env),
            )?,
        })
    }

    /// Builds the flag from its row and its override rows (already in order).
    pub(crate) fn into_flag(self, overrides: Vec<OverrideRow>) -> Result<Flag, StoreError> {
        let k = self.key.clone();
        let scope: Vec<Constraint> =
            serde_json::from_str(&self.scope).map_err(|e| bad(&k, "scope", e))?;
        let overrides = overrides
            .into_iter()
            .map(|o| {
                Ok(Override {
                    attribute: AttributeName::new(&o.attribute)
                        .map_err(|e| bad(&k, "overrides.attribute", e))?,
                    variant: o
                        .variant
                        .parse::<Variant>()
                        .map_err(|e| bad(&k, "overrides.variant", e))?,
                    expires_at: o
                        .expires_at
                        .map(|ms| timestamp(ms, "overrides.expires_at"))
                        .transpose()?,
                    value: o.value,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let flag = Flag {
            key: FlagKey::new(&self.key).map_err(|e| bad(&k, "key", e))?,
            version: u64::try_from(self.version).map_err(|e| bad(&k, "version", e))?,
            description: self.description,
            owner: self.owner,
            enabled: self.enabled,
            stage: self
                .stage
                .parse::<Stage>()
                .map_err(|e| bad(&k, "stage", e))?,
            rollout: Rollout::from_bps(self.rollout_bps).map_err(|e| bad(&k, "rollout_bps", e))?,
            killed: self.killed,
            stickiness: AttributeName::new(&self.stickiness)
                .map_err(|e| bad(&k, "stickiness", e))?,
            salt: self.salt,
            scope,
            overrides,
            plan: from_json_column(&k, "rollout_plan", self.plan)?,
            run: from_json_column(&k, "rollout_run", self.run)?,
            verdicts: verdicts_column(&k, self.verdicts)?,
            requires: from_json_column::<cutover_core::Prerequisites>(
                &k,
                "requires",
                self.requires,
            )?
            .unwrap_or_default(),
            stage_since: self
                .stage_since
                .map(|ms| timestamp(ms, "stage_since"))
                .transpose()?,
            env: from_json_column(&k, "env_names", self.env_names)?.unwrap_or_default(),
        };
        flag.env
            .check(&flag.key)
            .map_err(|e| bad(&k, "env_names", e))?;
        flag.validate().map_err(|e| bad(&k, "overrides", e))?;
        Ok(flag)
    }
}

impl OverrideRow {
    pub(crate) fn read(row: &impl Columns) -> Result<Self, StoreError> {
        Ok(OverrideRow {
            flag_key: row.text("flag_key")?,
            attribute: row.text("attribute")?,
            value: row.text("value")?,
            variant: row.text("variant")?,
            expires_at: row.int_or_null("expires_at")?,
        })
    }

    pub(crate) fn from_flag(flag: &Flag) -> Vec<OverrideRow> {
        flag.overrides
            .iter()
            .map(|o| OverrideRow {
                flag_key: flag.key.to_string(),
                attribute: o.attribute.to_string(),
                value: o.value.clone(),
                variant: o.variant.as_str().to_owned(),
                expires_at: o.expires_at.map(millis),
            })
            .collect()
    }
}

/// Groups override rows (ordered by flag, then position) under their flag rows.
pub(crate) fn assemble(
    flags: Vec<FlagRow>,
    overrides: Vec<OverrideRow>,
) -> Result<Vec<Flag>, StoreError> {
    let mut by_flag: std::collections::HashMap<String, Vec<OverrideRow>> =
        std::collections::HashMap::new();
    for o in overrides {
        by_flag.entry(o.flag_key.clone()).or_default().push(o);
    }
    flags
        .into_iter()
        .map(|row| {
            let own = by_flag.remove(&row.key).unwrap_or_default();
            row.into_flag(own)
        })
        .collect()
}

/// The columns every read of `tokens` selects, for [`token`].
pub(crate) const TOKEN_COLUMNS: &str = "name, role, hash, created_at, created_by, expires_at";

/// One row of `tokens`, checked on the way back to the model.
pub(crate) fn token(row: &impl Columns) -> Result<crate::TokenRecord, StoreError> {
    let name = row.text("name")?;
    let what = |column: &str, err: &dyn std::fmt::Display| {
        StoreError::bad_row(format!("token {name:?}, column {column}: {err}"))
    };
    Ok(crate::TokenRecord {
        name: cutover_core::TokenName::new(&name).map_err(|e| what("name", &e))?,
        role: row.text("role")?.parse().map_err(|e| what("role", &e))?,
        created_at: timestamp(row.int("created_at")?, "tokens.created_at")?,
        created_by: row.text("created_by")?,
        hash: row.text("hash")?,
        expires_at: row
            .int_or_null("expires_at")?
            .map(|at| timestamp(at, "tokens.expires_at"))
            .transpose()?,
    })
}

/// The columns every read of `audit_log` selects, for [`audit_entry`].
pub(crate) const AUDIT_COLUMNS: &str =
    "id, at, actor, action, entity, before, after, reason, prev_hash, hash, txn";

/// One row of `audit_log`.
pub(crate) fn audit_entry(row: &impl Columns) -> Result<AuditEntry, StoreError> {
    let id = row.int("id")?;
    let id = u64::try_from(id).map_err(|e| StoreError::bad_row(format!("audit id {id}: {e}")))?;
    Ok(AuditEntry {
        id,
        at: timestamp(row.int("at")?, "audit_log.at")?,
        actor: row.text("actor")?,
        action: row.text("action")?,
        entity: row.text("entity")?,
        before: row.text_or_null("before")?,
        after: row.text_or_null("after")?,
        reason: row.text_or_null("reason")?,
        prev_hash: row.text("prev_hash")?,
        hash: row.text("hash")?,
        // Entries written before version 7 of the schema each stand alone.
        txn: match row.int_or_null("txn")? {
            Some(txn) => u64::try_from(txn)
                .map_err(|e| StoreError::bad_row(format!("audit txn {txn}: {e}")))?,
            None => id,
        },
    })
}

/// A preset's row: its definition, as JSON.
pub(crate) fn preset(row: &impl Columns) -> Result<Preset, StoreError> {
    let name = row.text("name")?;
    let definition = row.text("definition")?;
    serde_json::from_str(&definition)
        .map_err(|e| StoreError::bad_row(format!("preset {name:?}: {e}")))
}

pub(crate) fn verdict_name(v: cutover_core::guard::Verdict) -> &'static str {
    match v {
        cutover_core::guard::Verdict::Pass => "pass",
        cutover_core::guard::Verdict::Fail => "fail",
        cutover_core::guard::Verdict::Inconclusive => "inconclusive",
    }
}

/// A row of `guard_history`, checked.
pub(crate) fn guard_record(row: &impl Columns) -> Result<crate::GuardRecord, StoreError> {
    let flag = row.text("flag")?;
    let bad = |column: &str, e: &dyn std::fmt::Display| {
        StoreError::bad_row(format!("guard_history of {flag:?}, column {column}: {e}"))
    };
    Ok(crate::GuardRecord {
        flag: FlagKey::new(&flag).map_err(|e| bad("flag", &e))?,
        at: timestamp(row.int("at")?, "guard_history.at")?,
        step: usize::try_from(row.int("step")?).map_err(|e| bad("step", &e))?,
        rollout: Rollout::from_bps(row.int("rollout_bps")?).map_err(|e| bad("rollout_bps", &e))?,
        action: row.text("action")?,
        assessment: serde_json::from_str(&row.text("assessment")?)
            .map_err(|e| bad("assessment", &e))?,
    })
}

/// The verdicts column: the verdicts by name, or, in a row written before schema version 10,
/// the one golden run it held, read as the verdict `golden`.
fn verdicts_column(key: &str, text: Option<String>) -> Result<Verdicts, StoreError> {
    let Some(text) = text else {
        return Ok(Verdicts::new());
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(key, "verdicts", e))?;
    if value
        .get("passed")
        .is_some_and(serde_json::Value::is_boolean)
    {
        let run: GoldenResult =
            serde_json::from_value(value).map_err(|e| bad(key, "verdicts", e))?;
        return Ok(Verdicts::from([(
            VerdictName::golden(),
            Verdict::from_golden(run),
        )]));
    }
    serde_json::from_value(value).map_err(|e| bad(key, "verdicts", e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_row_from_before_named_verdicts_reads_its_golden_run_as_the_verdict_golden() {
        let old = r#"{"passed":false,"at":"2026-11-01T00:00:00Z","corpus":"corpus/a","cases":3,"failed":1}"#;
        let verdicts = verdicts_column("f", Some(old.to_owned())).unwrap();
        let golden = &verdicts[&VerdictName::golden()];
        assert!(!golden.passed);
        assert_eq!(golden.source, cutover_core::VerdictSource::Golden);
        assert_eq!(golden.golden.as_ref().unwrap().failed, 1);
        // Written back, it is the new form, and reads as itself.
        let text = serde_json::to_string(&verdicts).unwrap();
        assert_eq!(verdicts_column("f", Some(text)).unwrap(), verdicts);
        assert!(verdicts_column("f", None).unwrap().is_empty());
        let damaged = verdicts_column("f", Some("[1]".into()))
            .unwrap_err()
            .to_string();
        assert!(damaged.contains("verdicts"), "{damaged}");
    }
}

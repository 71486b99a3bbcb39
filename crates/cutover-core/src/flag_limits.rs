//! The limits of what a flag holds, text by text and as a whole (`docs/limits.md`). Apart from
//! `limits.rs`, which every part of the core uses for its numbers and text checks, since these
//! name the flag's own types.

use crate::error::CoreError;
use crate::flag::Flag;
use crate::guard::golden::GoldenResult;
use crate::guard::plan::RolloutPlan;
use crate::limits::{
    MAX_DESCRIPTION_BYTES, MAX_FLAG_BYTES, MAX_GATE_BYTES, MAX_GOLDEN_TEXT_BYTES, MAX_OWNER_BYTES,
    MAX_SALT_BYTES, MAX_VALUE_BYTES, MAX_VERDICT_DETAILS_BYTES, MAX_VERDICT_URL_BYTES,
    check_reason, check_text,
};
use crate::overrides::Override;
use crate::prerequisite::StageRequirement;
use crate::scope::Constraint;
use crate::verdict::Verdict;

pub(crate) fn check_override(rule: &Override) -> Result<(), CoreError> {
    check_text("override.value", &rule.value, MAX_VALUE_BYTES)
}

pub(crate) fn check_scope(scope: &[Constraint]) -> Result<(), CoreError> {
    for constraint in scope {
        for value in constraint.values() {
            check_text("scope.values", value, MAX_VALUE_BYTES)?;
        }
    }
    Ok(())
}

pub(crate) fn check_salt(salt: Option<&str>) -> Result<(), CoreError> {
    salt.map_or(Ok(()), |s| check_text("salt", s, MAX_SALT_BYTES))
}

pub(crate) fn check_plan(plan: Option<&RolloutPlan>) -> Result<(), CoreError> {
    for gate in plan.iter().flat_map(|p| &p.gates) {
        check_text("plan.gates", gate.as_str(), MAX_GATE_BYTES)?;
    }
    Ok(())
}

pub(crate) fn check_golden(result: &GoldenResult) -> Result<(), CoreError> {
    check_text("golden.corpus", &result.corpus, MAX_GOLDEN_TEXT_BYTES)?;
    check_text("golden.summary", &result.summary, MAX_GOLDEN_TEXT_BYTES)
}

/// A prerequisite's gates, each within the length of a plan's gate.
pub(crate) fn check_requirement(requirement: Option<&StageRequirement>) -> Result<(), CoreError> {
    for gate in requirement.iter().flat_map(|r| &r.gates) {
        check_text("requires.gates", gate.as_str(), MAX_GATE_BYTES)?;
    }
    Ok(())
}

/// A verdict's texts: its golden run's, its URL (an http(s) address) and its details (as JSON).
pub(crate) fn check_verdict(verdict: &Verdict) -> Result<(), CoreError> {
    if let Some(golden) = &verdict.golden {
        check_golden(golden)?;
    }
    check_text("verdict.by", &verdict.by, crate::limits::MAX_ACTOR_BYTES)?;
    if let Some(url) = &verdict.url {
        check_text("verdict.url", url, MAX_VERDICT_URL_BYTES)?;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(CoreError::InvalidVerdictUrl { url: url.clone() });
        }
    }
    if let Some(details) = &verdict.details {
        let text = serde_json::to_string(details).unwrap_or_default();
        check_text("verdict.details", &text, MAX_VERDICT_DETAILS_BYTES)?;
    }
    Ok(())
}

/// The size of the flag as JSON, refused over [`MAX_FLAG_BYTES`].
pub(crate) fn check_flag_size(flag: &Flag) -> Result<(), CoreError> {
    let bytes = serde_json::to_vec(flag).map_or(0, |json| json.len());
    if bytes <= MAX_FLAG_BYTES {
        return Ok(());
    }
    Err(CoreError::FlagTooLarge {
        key: flag.key.to_string(),
        bytes,
        limit: MAX_FLAG_BYTES,
    })
}

impl Flag {
    /// Checks every text of the flag and its size against the limits: for a flag that is being
    /// written whole (created, imported).
    pub fn check_limits(&self) -> Result<(), CoreError> {
        check_text("description", &self.description, MAX_DESCRIPTION_BYTES)?;
        check_text("owner", &self.owner, MAX_OWNER_BYTES)?;
        check_salt(self.salt.as_deref())?;
        check_scope(&self.scope)?;
        for rule in &self.overrides {
            check_override(rule)?;
        }
        check_plan(self.plan.as_ref())?;
        for verdict in self.verdicts.values() {
            check_verdict(verdict)?;
        }
        if let Some(reason) = self.run.as_ref().and_then(|r| r.reason.as_deref()) {
            check_reason(reason)?;
        }
        check_flag_size(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::FlagKey;

    #[test]
    fn a_flag_is_checked_text_by_text_and_as_a_whole() {
        let mut flag = Flag::new(FlagKey::new("f").unwrap());
        flag.description = "d".repeat(MAX_DESCRIPTION_BYTES);
        assert!(flag.check_limits().is_ok());
        flag.description.push('!');
        let err = flag.check_limits().unwrap_err().to_string();
        assert!(
            err.contains("description") && err.contains("4096 bytes"),
            "{err}"
        );
        flag.description.clear();
        flag.salt = Some("s".repeat(MAX_SALT_BYTES + 1));
        assert!(matches!(
            flag.check_limits(),
            Err(CoreError::TooLong { field: "salt", .. })
        ));
        flag.salt = None;
        for i in 0..300 {
            flag.overrides.push(Override {
                attribute: crate::attribute::AttributeName::new("user_id").unwrap(),
                value: format!("{i:0>1000}"),
                variant: crate::variant::Variant::New,
                expires_at: None,
            });
        }
        let err = flag.check_limits().unwrap_err().to_string();
        assert!(err.contains("262144 bytes"), "{err}");
    }
}

//! Value parsers the options of several commands share: each reads a value with the core's own
//! validator, so a bad one is a usage error (exit 2) naming the value and what is accepted.

use cutover_core::{AttributeName, FlagKey, Variant};

/// `20ms`, `1.5s`, `2m`, `1h`: the core's one duration grammar.
pub(crate) fn parse_span(s: &str) -> Result<std::time::Duration, String> {
    cutover_core::duration::parse_duration(s).map_err(|e| e.to_string())
}

pub(crate) fn parse_gate(s: &str) -> Result<cutover_core::guard::GateExpr, String> {
    cutover_core::guard::GateExpr::new(s).map_err(|e| e.to_string())
}

pub(crate) fn parse_plan(s: &str) -> Result<cutover_core::guard::RolloutPlan, String> {
    cutover_core::guard::RolloutPlan::parse_shorthand(s).map_err(|e| e.to_string())
}

pub(crate) fn parse_positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("{s:?} is not a positive number")),
    }
}

pub(crate) fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a rate from 0 to 1 (0.01 = 1 %)")),
    }
}

pub(crate) fn parse_key(s: &str) -> Result<FlagKey, String> {
    FlagKey::new(s).map_err(|e| e.to_string())
}

pub(crate) fn parse_env_name(s: &str) -> Result<cutover_core::EnvVarName, String> {
    cutover_core::EnvVarName::new(s).map_err(|e| e.to_string())
}

pub(crate) fn parse_env_mode(s: &str) -> Result<cutover_core::EnvMode, String> {
    s.parse::<cutover_core::EnvMode>()
        .map_err(|e| e.to_string())
}

pub(crate) fn parse_attribute(s: &str) -> Result<AttributeName, String> {
    AttributeName::new(s).map_err(|e| e.to_string())
}

pub(crate) fn parse_variant(s: &str) -> Result<Variant, String> {
    s.parse()
        .map_err(|e: cutover_core::CoreError| e.to_string())
}

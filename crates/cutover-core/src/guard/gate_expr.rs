//! A gate as a plan holds it: the text a person wrote, checked when read, with its severity.
//!
//! A gate is `critical` unless its text starts with `warning:` (`warning: new.p95 <= 200ms`).
//! A critical gate acts: its breach rolls the rollout back or steps it down. A warning gate only
//! alerts: it is judged and recorded like any other, and never moves the flag. The severity is
//! part of the text, so a plan keeps one string per gate in its JSON, in a config file and on
//! the command line (`--gate 'warning: ...'`), and a plan whose gates are all critical reads
//! exactly as it did before severities existed.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::gate::Gate;
use crate::error::CoreError;

/// What a gate's breach does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A breach acts: rollback or step down, as the plan's `on_breach` says.
    #[default]
    Critical,
    /// A breach alerts and is recorded; the flag stays where it is and the rollout may go on.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A gate as written, checked when read: plans keep the text a person wrote.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GateExpr {
    /// The whole text, severity label included when one was written.
    text: String,
    severity: Severity,
    /// The condition after the severity label.
    condition: String,
}

/// Splits an optional `critical:` / `warning:` label off the condition. A label is a bare word
/// before the first colon; no condition of the grammar starts with one, so there is nothing to
/// confuse it with.
fn split_severity(text: &str) -> Result<(Severity, &str), CoreError> {
    let t = text.trim();
    let Some((label, rest)) = t.split_once(':') else {
        return Ok((Severity::Critical, t));
    };
    let label = label.trim();
    if label.is_empty() || !label.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
        return Ok((Severity::Critical, t));
    }
    let severity = match label {
        "critical" => Severity::Critical,
        "warning" => Severity::Warning,
        other => {
            return Err(CoreError::InvalidGate {
                text: t.to_owned(),
                why: format!(
                    "unknown severity {other:?}; a gate may start with 'critical:' (the \
                     default: a breach rolls back or steps down) or 'warning:' (a breach \
                     alerts and never moves the flag)"
                ),
            });
        }
    };
    Ok((severity, rest.trim()))
}

impl GateExpr {
    pub fn new(text: &str) -> Result<GateExpr, CoreError> {
        let (severity, condition) = split_severity(text)?;
        // A condition's error names the whole text, label included, as the person wrote it.
        condition.parse::<Gate>().map_err(|e| match e {
            CoreError::InvalidGate { why, .. } => CoreError::InvalidGate {
                text: text.trim().to_owned(),
                why,
            },
            other => other,
        })?;
        Ok(GateExpr {
            text: text.trim().to_owned(),
            severity,
            condition: condition.to_owned(),
        })
    }

    /// The text as written, with its severity label if it had one.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The condition alone: `new.p95 <= 200ms` of `warning: new.p95 <= 200ms`.
    pub fn condition(&self) -> &str {
        &self.condition
    }

    pub fn severity(&self) -> Severity {
        self.severity
    }

    pub fn gate(&self) -> Gate {
        // Checked at construction; a text that stops parsing would be a bug in gate.rs.
        self.condition.parse().unwrap_or(Gate::Golden)
    }
}

impl fmt::Display for GateExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for GateExpr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for GateExpr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<GateExpr, D::Error> {
        let text = String::deserialize(d)?;
        GateExpr::new(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, severity: Severity, condition: &str) {
        let g = GateExpr::new(text).unwrap();
        assert_eq!(g.severity(), severity, "{text}");
        assert_eq!(g.condition(), condition, "{text}");
        assert_eq!(g.as_str(), text.trim(), "{text}: kept as written");
        let json = serde_json::to_string(&g).unwrap();
        assert_eq!(
            serde_json::from_str::<GateExpr>(&json).unwrap(),
            g,
            "{json}"
        );
    }

    #[test]
    fn a_gate_is_critical_unless_labelled_a_warning() {
        check(
            "new.error_rate <= legacy.error_rate",
            Severity::Critical,
            "new.error_rate <= legacy.error_rate",
        );
        check(
            "warning: new.p95 <= 200ms",
            Severity::Warning,
            "new.p95 <= 200ms",
        );
        check(
            "  warning:new.error_rate <= 0.001 ",
            Severity::Warning,
            "new.error_rate <= 0.001",
        );
        check("critical: golden", Severity::Critical, "golden");
        check(
            "warning: agreement(selected_agent) >= 0.80",
            Severity::Warning,
            "agreement(selected_agent) >= 0.80",
        );
    }

    #[test]
    fn an_unknown_label_or_a_bad_condition_names_the_whole_text() {
        for (text, hint) in [
            ("warn: new.p95 <= 200ms", "unknown severity \"warn\""),
            ("Warning: new.p95 <= 200ms", "'warning:'"),
            ("warning: new.p97 <= 200ms", "accepted: error_rate"),
            ("warning:", "expected"),
        ] {
            let err = GateExpr::new(text).unwrap_err().to_string();
            assert!(err.contains(hint), "{text}: {err}");
            assert!(err.contains(&format!("{:?}", text.trim())), "{text}: {err}");
        }
    }
}

//! Stage prerequisites: what must hold before a flag may enter a stage of the ladder. Named
//! verdicts that must stand passed ("all four gates green before production"), a least time at
//! the stage below ("two weeks at production before the legacy path goes"), and the role that
//! may make the move. A move into a stage whose prerequisites do not hold is refused with what is
//! missing, unless forced with a reason (audited as forced).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::duration::format_duration;
use crate::error::CoreError;
use crate::guard::gate_expr::GateExpr;
use crate::role::Role;
use crate::stage::Stage;
use crate::verdict::Standing;

/// What entering one stage needs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageRequirement {
    /// Verdict gates that must pass: `golden`, `verdict(NAME)`, `verdicts(all)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<GateExpr>,
    /// The least time, in seconds, the flag must have spent at the stage below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_s: Option<u64>,
    /// The least role that may make the move (admin > operator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

impl StageRequirement {
    /// Refuses gates that read the arms' figures: a prerequisite is a recorded outcome, judged
    /// at the moment of the move.
    pub fn check(&self) -> Result<(), CoreError> {
        for gate in &self.gates {
            if !gate.gate().is_outcome() {
                return Err(CoreError::InvalidGate {
                    text: gate.as_str().to_owned(),
                    why: "a stage prerequisite is a verdict gate: golden, verdict(NAME) or \
                          verdicts(all); figures are the rollout plan's gates"
                        .into(),
                });
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.gates.is_empty() && self.after_s.is_none() && self.role.is_none()
    }
}

/// A flag's prerequisites, by the stage they guard.
pub type Prerequisites = BTreeMap<Stage, StageRequirement>;

/// One prerequisite that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "missing", rename_all = "snake_case")]
pub enum Missing {
    /// A verdict gate does not pass.
    Gate { gate: String, standing: Standing },
    /// The flag is not at the stage below, where it must have spent `after_s`.
    NotBelow {
        below: Stage,
        at: Stage,
        after_s: u64,
    },
    /// It is, but not for long enough (`held_s` unknown when the stage's start is not recorded).
    TooSoon {
        below: Stage,
        after_s: u64,
        held_s: Option<u64>,
    },
    /// The caller's role may not make this move.
    Role { needed: Role, caller: Role },
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let span = |s: u64| format_duration(std::time::Duration::from_secs(s));
        match self {
            Missing::Gate { gate, standing } => write!(f, "{gate} is {}", standing.as_str()),
            Missing::NotBelow { below, at, after_s } => write!(
                f,
                "it must spend {} at {below} first (it is at {at})",
                span(*after_s)
            ),
            Missing::TooSoon {
                below,
                after_s,
                held_s: Some(held),
            } => write!(
                f,
                "it must spend {} at {below} (it has been there {})",
                span(*after_s),
                span(*held)
            ),
            Missing::TooSoon {
                below,
                after_s,
                held_s: None,
            } => write!(
                f,
                "it must spend {} at {below} (when it got there was not recorded)",
                span(*after_s)
            ),
            Missing::Role { needed, caller } => {
                write!(
                    f,
                    "only an {needed} or above may make the move (the caller is {caller})"
                )
            }
        }
    }
}

pub(crate) mod judge;

#[cfg(test)]
mod tests;

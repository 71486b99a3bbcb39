//! The stage ladder a cutover climbs, each rung with the rollout it implies.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::rollout::Rollout;

/// A named rung of the rollout ladder.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 0 %: only overrides reach the new path.
    #[default]
    Disabled,
    /// 5 %.
    Canary,
    /// 50 %.
    Beta,
    /// 100 %, the legacy path still exists and can be returned to.
    Production,
    /// The legacy path is gone: every evaluation answers `new` (only the kill switch and an
    /// environment override still answer `legacy`, and SDKs report such calls).
    LegacyDisabled,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Disabled,
        Stage::Canary,
        Stage::Beta,
        Stage::Production,
        Stage::LegacyDisabled,
    ];

    /// The rollout a stage sets when it is entered; a custom rollout may replace it afterwards.
    pub fn rollout(self) -> Rollout {
        let bps = match self {
            Stage::Disabled => 0,
            Stage::Canary => 500,
            Stage::Beta => 5_000,
            Stage::Production | Stage::LegacyDisabled => 10_000,
        };
        Rollout::from_bps_const(bps)
    }

    /// The rung below this one, where a flag waits before it climbs: none below `disabled`.
    pub fn below(self) -> Option<Stage> {
        match self {
            Stage::Disabled => None,
            Stage::Canary => Some(Stage::Disabled),
            Stage::Beta => Some(Stage::Canary),
            Stage::Production => Some(Stage::Beta),
            Stage::LegacyDisabled => Some(Stage::Production),
        }
    }

    /// The rung above this one: none above `legacy_disabled`.
    pub fn above(self) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.below() == Some(self))
    }

    /// The rung a percentage sits on: 0 % disabled, under 50 % canary, under 100 % beta, 100 %
    /// production. A guarded rollout keeps the stage on it as it moves (`legacy_disabled` is
    /// only ever entered by hand).
    pub fn for_rollout(rollout: Rollout) -> Stage {
        match rollout.bps() {
            0 => Stage::Disabled,
            1..5_000 => Stage::Canary,
            5_000..10_000 => Stage::Beta,
            _ => Stage::Production,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Disabled => "disabled",
            Stage::Canary => "canary",
            Stage::Beta => "beta",
            Stage::Production => "production",
            Stage::LegacyDisabled => "legacy_disabled",
        }
    }
}

impl std::str::FromStr for Stage {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Stage::ALL
            .into_iter()
            .find(|stage| stage.as_str() == s)
            .ok_or_else(|| CoreError::UnknownStage {
                value: s.to_owned(),
            })
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_rollouts_match_the_product_brief() {
        let pct: Vec<String> = Stage::ALL.iter().map(|s| s.rollout().to_string()).collect();
        assert_eq!(pct, ["0%", "5%", "50%", "100%", "100%"]);
    }

    #[test]
    fn a_percentage_sits_on_the_rung_below_it() {
        let rung = |bps| Stage::for_rollout(Rollout::from_bps(bps).unwrap());
        assert_eq!(rung(0), Stage::Disabled);
        assert_eq!(rung(1), Stage::Canary);
        assert_eq!(rung(2_500), Stage::Canary);
        assert_eq!(rung(5_000), Stage::Beta);
        assert_eq!(rung(9_999), Stage::Beta);
        assert_eq!(rung(10_000), Stage::Production);
        // Each stage's own rollout sits on that stage (but legacy_disabled, entered by hand).
        for stage in &Stage::ALL[..4] {
            assert_eq!(Stage::for_rollout(stage.rollout()), *stage);
        }
    }

    #[test]
    fn parses_every_name_and_rejects_others() {
        for stage in Stage::ALL {
            assert_eq!(stage.as_str().parse::<Stage>().unwrap(), stage);
        }
        let err = "prod".parse::<Stage>().unwrap_err().to_string();
        assert!(
            err.contains("\"prod\"") && err.contains("legacy_disabled"),
            "{err}"
        );
    }
}

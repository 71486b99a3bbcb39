//! The environment variables a flag declares by their own names (`env: USE_ONEX_ROUTING_NODES`,
//! `env_percent: AWF_PERCENT_ROLLOUT`, `env_stage: TMUX_ORC_ROLLOUT_STAGE`); the rule that no two
//! flags read the same variable is `env_claims.rs`.
//!
//! Teams arrive with switches that already have names in their `.env` files and CI settings;
//! declaring them lets those names keep working. Every flag also answers to its derived
//! `CUTOVER_FLAG_<KEY>` (see `env.rs`): derived and declared names are one namespace, because a
//! variable read by two flags would silently move both.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::CoreError;
use crate::key::FlagKey;

/// A declared variable name: POSIX's portable form, `[A-Z_][A-Z0-9_]*`, at most
/// [`EnvVarName::MAX_LEN`] bytes, and not under `CUTOVER_` (cutover's own settings and the
/// derived `CUTOVER_FLAG_<KEY>` names live there).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvVarName(Box<str>);

impl EnvVarName {
    pub const MAX_LEN: usize = 128;
    /// The prefix declared names may not use.
    pub const RESERVED_PREFIX: &'static str = "CUTOVER_";

    pub fn new(name: &str) -> Result<Self, CoreError> {
        let invalid = |why: &'static str| CoreError::InvalidEnvVarName {
            name: name.to_owned(),
            why,
        };
        let bytes = name.as_bytes();
        let Some(first) = bytes.first() else {
            return Err(invalid("it is empty"));
        };
        if bytes.len() > Self::MAX_LEN {
            return Err(invalid("it is longer than 128 characters"));
        }
        if first.is_ascii_digit() {
            return Err(invalid("it starts with a digit"));
        }
        let ok = |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_';
        if !bytes.iter().all(ok) {
            return Err(invalid(
                "it contains a character outside A-Z, 0-9 and '_' (lower case included)",
            ));
        }
        if name.starts_with(Self::RESERVED_PREFIX) {
            return Err(invalid(
                "names starting with CUTOVER_ are cutover's own (every flag already answers to \
                 CUTOVER_FLAG_<KEY>)",
            ));
        }
        Ok(EnvVarName(name.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EnvVarName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for EnvVarName {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        EnvVarName::new(s)
    }
}

impl Serialize for EnvVarName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EnvVarName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        EnvVarName::new(&text).map_err(serde::de::Error::custom)
    }
}

/// What the switch variable (`env`) does when it is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvMode {
    /// Truthy forces `new`, falsy forces `legacy`, for every context: what `CUTOVER_FLAG_<KEY>`
    /// does (requirement 000's `USE_ONEX_ROUTING_NODES=true`).
    #[default]
    Force,
    /// The variable is the flag's global switch in this process: truthy enables the flag and
    /// the rollout still decides who is in; falsy sends everyone to `legacy` (requirement 001's
    /// `AWF_BUNDLE_ON=true` with `AWF_PERCENT_ROLLOUT=25`).
    Enable,
}

impl EnvMode {
    pub fn as_str(self) -> &'static str {
        match self {
            EnvMode::Force => "force",
            EnvMode::Enable => "enable",
        }
    }

    pub fn is_force(&self) -> bool {
        *self == EnvMode::Force
    }
}

impl fmt::Display for EnvMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EnvMode {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s {
            "force" => Ok(EnvMode::Force),
            "enable" => Ok(EnvMode::Enable),
            _ => Err(CoreError::UnknownEnvMode {
                value: s.to_owned(),
            }),
        }
    }
}

/// The variables a flag declares. Written flat into the flag (`env`, `env_mode`, `env_percent`,
/// `env_stage`), each left out when unset, so a flag that declares none reads and hashes as
/// before.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvNames {
    /// The switch variable: truthy/falsy as `CUTOVER_FLAG_<KEY>`, meaning per `mode`.
    #[serde(rename = "env", default, skip_serializing_if = "Option::is_none")]
    pub switch: Option<EnvVarName>,
    #[serde(
        rename = "env_mode",
        default,
        skip_serializing_if = "EnvMode::is_force"
    )]
    pub mode: EnvMode,
    /// The percentage variable: its value (`25`, `12.5`) is the rollout in this process.
    #[serde(
        rename = "env_percent",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub percent: Option<EnvVarName>,
    /// The stage variable: its value (`canary`, ...) is the stage in this process, with the
    /// rollout the stage implies unless `percent` gives one.
    #[serde(rename = "env_stage", default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<EnvVarName>,
}

impl EnvNames {
    pub fn is_empty(&self) -> bool {
        *self == EnvNames::default()
    }

    /// The declared names with what each means, in a fixed order.
    pub fn declared(&self) -> impl Iterator<Item = (&EnvVarName, EnvUse)> {
        [
            (self.switch.as_ref(), EnvUse::Switch),
            (self.percent.as_ref(), EnvUse::Percent),
            (self.stage.as_ref(), EnvUse::Stage),
        ]
        .into_iter()
        .filter_map(|(name, how)| name.map(|n| (n, how)))
    }

    /// One variable has one meaning: the same name as switch and percentage (say) is refused.
    pub fn check(&self, key: &FlagKey) -> Result<(), CoreError> {
        let declared: Vec<(&EnvVarName, EnvUse)> = self.declared().collect();
        for (i, (name, how)) in declared.iter().enumerate() {
            if let Some((_, first)) = declared[..i].iter().find(|(n, _)| n == name) {
                return Err(CoreError::EnvVarReused {
                    flag: key.to_string(),
                    var: name.to_string(),
                    first: first.field(),
                    second: how.field(),
                });
            }
        }
        Ok(())
    }
}

/// What a variable means to the flag that reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnvUse {
    /// The derived `CUTOVER_FLAG_<KEY>`.
    Derived,
    Switch,
    Percent,
    Stage,
}

impl EnvUse {
    /// The flag field that names the variable.
    pub fn field(self) -> &'static str {
        match self {
            EnvUse::Derived => "CUTOVER_FLAG_<KEY>",
            EnvUse::Switch => "env",
            EnvUse::Percent => "env_percent",
            EnvUse::Stage => "env_stage",
        }
    }
}

#[cfg(test)]
mod tests;

//! Environment overrides: `CUTOVER_FLAG_<KEY>=true|false` forces a flag in one process, and the
//! variables a flag declares by their own names (`env_names.rs`) switch it, set its rollout or
//! its stage there.
//!
//! The variables are handed in as pairs, so the core never reads the process environment and
//! tests never mutate it. A process reads its environment once, before it knows which names its
//! flags declare, so every variable with a name a flag could declare is kept as read, and each
//! flag's are parsed when a snapshot is compiled.

use std::collections::BTreeMap;
use std::ffi::OsStr;

use crate::env_names::{EnvMode, EnvVarName};
use crate::error::CoreError;
use crate::flag::Flag;
use crate::key::FlagKey;
use crate::rollout::Rollout;
use crate::stage::Stage;
use crate::variant::Variant;

pub const ENV_PREFIX: &str = "CUTOVER_FLAG_";

/// The variable that overrides `key`: the prefix, then the key upper-cased with `.` and `-`
/// turned into `_` (`use-onex.routing` -> `CUTOVER_FLAG_USE_ONEX_ROUTING`).
pub fn env_var_name(key: &FlagKey) -> String {
    let mut name = String::with_capacity(ENV_PREFIX.len() + key.as_str().len());
    name.push_str(ENV_PREFIX);
    name.extend(key.as_str().chars().map(|c| match c {
        '.' | '-' => '_',
        c => c.to_ascii_uppercase(),
    }));
    name
}

/// `true/1/yes/on` and `false/0/no/off`, in any case; anything else is an error naming `var`.
pub fn parse_env_bool(var: &str, value: &str) -> Result<bool, CoreError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(CoreError::InvalidEnvOverride {
            var: var.to_owned(),
            value: value.to_owned(),
        }),
    }
}

/// The environment of one process as flags read it: the `CUTOVER_FLAG_*` variables parsed, and
/// every other variable a flag could declare (`[A-Z_][A-Z0-9_]*`) as it was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvOverrides {
    by_var: BTreeMap<String, Variant>,
    declarable: BTreeMap<String, EnvValue>,
}

/// A variable's value as the process holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum EnvValue {
    Text(String),
    /// Not UTF-8: the escaped bytes, as `"caf\xE9"`, for the error of a flag that reads it.
    NotUtf8(String),
}

/// What the declared variables of one flag say in this process, parsed. A malformed value is
/// left out (the flag then evaluates as if the variable were unset) and reported in `problems`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FlagEnv<'e> {
    /// The switch in `force` mode: the variable and the variant it forces.
    pub forced: Option<(&'e str, Variant)>,
    /// The switch in `enable` mode: the variable and whether it enables the flag.
    pub enabled: Option<(&'e str, bool)>,
    pub rollout: Option<Rollout>,
    pub stage: Option<Stage>,
    pub problems: Vec<CoreError>,
}

impl EnvOverrides {
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads every pair whose name starts with [`ENV_PREFIX`]. All malformed values are reported
    /// together, so one run shows every mistake.
    pub fn from_vars<K, V, I>(vars: I) -> Result<Self, Vec<CoreError>>
    where
        K: AsRef<str>,
        V: AsRef<str>,
        I: IntoIterator<Item = (K, V)>,
    {
        let mut by_var = BTreeMap::new();
        let mut declarable = BTreeMap::new();
        let mut errors = Vec::new();
        for (name, value) in vars {
            let name = name.as_ref();
            if !name.starts_with(ENV_PREFIX) {
                if EnvVarName::new(name).is_ok() {
                    declarable.insert(name.to_owned(), EnvValue::Text(value.as_ref().to_owned()));
                }
                continue;
            }
            match parse_env_bool(name, value.as_ref()) {
                Ok(on) => {
                    by_var.insert(
                        name.to_owned(),
                        if on { Variant::New } else { Variant::Legacy },
                    );
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(EnvOverrides { by_var, declarable })
        } else {
            Err(errors)
        }
    }

    /// Reads the raw pairs of a process environment (`std::env::vars_os()`), whose names and
    /// values need not be UTF-8. A variable outside [`ENV_PREFIX`] is never an error whatever
    /// its bytes (a flag that declares one whose value is not UTF-8 reports it when compiled);
    /// a `CUTOVER_FLAG_*` value that is not UTF-8 is an error naming the variable, and
    /// a `CUTOVER_FLAG_` name that is not UTF-8 (it can name no flag) is an error of its own.
    pub fn from_os_vars<K, V, I>(vars: I) -> Result<Self, Vec<CoreError>>
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
        I: IntoIterator<Item = (K, V)>,
    {
        let mut utf8 = Vec::new();
        let mut not_utf8 = Vec::new();
        let mut errors = Vec::new();
        for (name, value) in vars {
            let (name, value) = (name.as_ref(), value.as_ref());
            if !name.as_encoded_bytes().starts_with(ENV_PREFIX.as_bytes()) {
                match (name.to_str(), value.to_str()) {
                    (Some(name), Some(value)) => utf8.push((name.to_owned(), value.to_owned())),
                    (Some(name), None) => not_utf8.push((name.to_owned(), format!("{value:?}"))),
                    (None, _) => {}
                }
                continue;
            }
            match (name.to_str(), value.to_str()) {
                (Some(name), Some(value)) => utf8.push((name.to_owned(), value.to_owned())),
                (Some(name), None) => errors.push(CoreError::EnvOverrideNotUtf8 {
                    var: name.to_owned(),
                    // The escaped bytes, as "caf\xE9": a lossy conversion would hide them.
                    shown: format!("{value:?}"),
                }),
                (None, _) => errors.push(CoreError::InvalidEnvName {
                    var: name.to_string_lossy().into_owned(),
                }),
            }
        }
        match Self::from_vars(utf8) {
            Ok(mut env) if errors.is_empty() => {
                for (name, shown) in not_utf8 {
                    if EnvVarName::new(&name).is_ok() {
                        env.declarable.insert(name, EnvValue::NotUtf8(shown));
                    }
                }
                Ok(env)
            }
            Ok(_) => Err(errors),
            Err(more) => {
                errors.extend(more);
                Err(errors)
            }
        }
    }

    /// The forced variant for `key` and the variable that forced it.
    pub fn for_flag(&self, key: &FlagKey) -> Option<(&str, Variant)> {
        self.by_var
            .get_key_value(&env_var_name(key))
            .map(|(var, v)| (var.as_str(), *v))
    }

    /// What the variables `flag` declares say here (its `CUTOVER_FLAG_<KEY>` is [`Self::for_flag`]).
    pub fn read(&self, flag: &Flag) -> FlagEnv<'_> {
        let mut out = FlagEnv::default();
        let names = &flag.env;
        let flag_key = || flag.key.to_string();
        let mut problems = Vec::new();
        if let Some((var, value)) = names
            .switch
            .as_ref()
            .and_then(|n| self.value(flag, n, &mut problems))
        {
            match (parse_env_bool(var, value), names.mode) {
                (Ok(on), EnvMode::Force) => {
                    out.forced = Some((var, if on { Variant::New } else { Variant::Legacy }));
                }
                (Ok(on), EnvMode::Enable) => out.enabled = Some((var, on)),
                (Err(e), _) => problems.push(e),
            }
        }
        if let Some((var, value)) = names
            .percent
            .as_ref()
            .and_then(|n| self.value(flag, n, &mut problems))
        {
            match Rollout::from_percent_str(value) {
                Ok(rollout) => out.rollout = Some(rollout),
                Err(e) => problems.push(CoreError::InvalidEnvPercent {
                    flag: flag_key(),
                    var: var.to_owned(),
                    value: value.to_owned(),
                    why: match e {
                        CoreError::InvalidPercent { why, .. } => why,
                        _ => "it is not a percentage",
                    },
                }),
            }
        }
        if let Some((var, value)) = names
            .stage
            .as_ref()
            .and_then(|n| self.value(flag, n, &mut problems))
        {
            // Stage names as the ladder writes them; `CANARY` as readily as `canary`.
            match value.trim().to_ascii_lowercase().parse::<Stage>() {
                Ok(stage) => out.stage = Some(stage),
                Err(_) => problems.push(CoreError::InvalidEnvStage {
                    flag: flag_key(),
                    var: var.to_owned(),
                    value: value.to_owned(),
                }),
            }
        }
        out.problems = problems;
        out
    }

    /// The variable `name` as text, if it is set; a value that is not UTF-8 is a problem of
    /// `flag`'s.
    fn value<'e>(
        &'e self,
        flag: &Flag,
        name: &EnvVarName,
        problems: &mut Vec<CoreError>,
    ) -> Option<(&'e str, &'e str)> {
        let (var, value) = self.declarable.get_key_value(name.as_str())?;
        match value {
            EnvValue::Text(text) => Some((var.as_str(), text.as_str())),
            EnvValue::NotUtf8(shown) => {
                problems.push(CoreError::DeclaredEnvNotUtf8 {
                    flag: flag.key.to_string(),
                    var: var.clone(),
                    shown: shown.clone(),
                });
                None
            }
        }
    }

    /// Every malformed value among the variables `flags` declare: a process reports them
    /// (they are left out of evaluation) when it compiles a snapshot.
    pub fn problems<'a>(&self, flags: impl IntoIterator<Item = &'a Flag>) -> Vec<CoreError> {
        flags
            .into_iter()
            .flat_map(|flag| self.read(flag).problems)
            .collect()
    }

    /// Variables that name no flag among `keys`: almost always a typo worth telling the user.
    pub fn unmatched<'a>(&'a self, keys: impl IntoIterator<Item = &'a FlagKey>) -> Vec<&'a str> {
        let known: Vec<String> = keys.into_iter().map(env_var_name).collect();
        self.by_var
            .keys()
            .filter(|var| !known.contains(var))
            .map(String::as_str)
            .collect()
    }

    /// Whether no `CUTOVER_FLAG_*` variable is set (declared names aside).
    pub fn is_empty(&self) -> bool {
        self.by_var.is_empty()
    }
}

#[cfg(test)]
mod tests;

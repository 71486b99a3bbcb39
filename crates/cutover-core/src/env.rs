//! Environment overrides: `CUTOVER_FLAG_<KEY>=true|false` forces a flag in one process.
//!
//! The variables are handed in as pairs, so the core never reads the process environment and
//! tests never mutate it.

use std::collections::BTreeMap;
use std::ffi::OsStr;

use crate::error::CoreError;
use crate::key::FlagKey;
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

/// The first of `others` that is a different key answering to the same variable as `key`
/// (`x-y`, `x_y` and `x.y` all answer to `CUTOVER_FLAG_X_Y`). Such keys are one flag to the
/// environment: an override meant for one would silently force the other too, so a store
/// refuses the second one when it comes into being.
pub fn env_name_collision<'a>(
    key: &FlagKey,
    others: impl IntoIterator<Item = &'a FlagKey>,
) -> Option<&'a FlagKey> {
    let var = env_var_name(key);
    others
        .into_iter()
        .find(|other| *other != key && env_var_name(other) == var)
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

/// The `CUTOVER_FLAG_*` variables of one process, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvOverrides {
    by_var: BTreeMap<String, Variant>,
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
        let mut errors = Vec::new();
        for (name, value) in vars {
            let name = name.as_ref();
            if !name.starts_with(ENV_PREFIX) {
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
            Ok(EnvOverrides { by_var })
        } else {
            Err(errors)
        }
    }

    /// Reads the raw pairs of a process environment (`std::env::vars_os()`), whose names and
    /// values need not be UTF-8. A variable outside [`ENV_PREFIX`] is ignored whatever its bytes;
    /// a `CUTOVER_FLAG_*` value that is not UTF-8 is an error naming the variable, and
    /// a `CUTOVER_FLAG_` name that is not UTF-8 (it can name no flag) is an error of its own.
    pub fn from_os_vars<K, V, I>(vars: I) -> Result<Self, Vec<CoreError>>
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
        I: IntoIterator<Item = (K, V)>,
    {
        let mut utf8 = Vec::new();
        let mut errors = Vec::new();
        for (name, value) in vars {
            let (name, value) = (name.as_ref(), value.as_ref());
            if !name.as_encoded_bytes().starts_with(ENV_PREFIX.as_bytes()) {
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
            Ok(env) if errors.is_empty() => Ok(env),
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

    /// Variables that name no flag among `keys`: almost always a typo worth telling the user.
    pub fn unmatched<'a>(&'a self, keys: impl IntoIterator<Item = &'a FlagKey>) -> Vec<&'a str> {
        let known: Vec<String> = keys.into_iter().map(env_var_name).collect();
        self.by_var
            .keys()
            .filter(|var| !known.contains(var))
            .map(String::as_str)
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.by_var.is_empty()
    }
}

#[cfg(test)]
mod tests;

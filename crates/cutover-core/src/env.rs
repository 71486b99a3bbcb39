//! Environment overrides: `CUTOVER_FLAG_<KEY>=true|false` forces a flag in one process.
//!
//! The variables are handed in as pairs, so the core never reads the process environment and
//! tests never mutate it.

use std::collections::BTreeMap;
use std::ffi::OsStr;

use crate::{CoreError, FlagKey, Variant};

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
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_key() {
        assert_eq!(
            env_var_name(&FlagKey::new("use-onex.routing_nodes").unwrap()),
            "CUTOVER_FLAG_USE_ONEX_ROUTING_NODES"
        );
    }

    #[test]
    fn keys_differing_only_in_separators_collide() {
        let keys: Vec<FlagKey> = ["x-y", "other", "x-y-z"]
            .iter()
            .map(|k| FlagKey::new(k).unwrap())
            .collect();
        let check = |key: &str| {
            env_name_collision(&FlagKey::new(key).unwrap(), &keys).map(FlagKey::to_string)
        };
        assert_eq!(check("x_y").as_deref(), Some("x-y"));
        assert_eq!(check("x.y").as_deref(), Some("x-y"));
        assert_eq!(check("x_y.z").as_deref(), Some("x-y-z"));
        // The same key is not a collision (that is the caller's "already exists"), nor is one
        // whose variable differs.
        assert_eq!(check("x-y"), None);
        assert_eq!(check("xy"), None);
        assert_eq!(check("x__y"), None);
    }

    #[test]
    fn truthy_and_falsy_values_in_any_case() {
        for yes in ["true", "TRUE", "1", "yes", "Yes", "on", "ON", " on "] {
            assert_eq!(parse_env_bool("V", yes), Ok(true), "{yes}");
        }
        for no in ["false", "False", "0", "no", "NO", "off", "Off"] {
            assert_eq!(parse_env_bool("V", no), Ok(false), "{no}");
        }
    }

    #[test]
    fn anything_else_is_an_error_naming_var_value_and_accepted_values() {
        for bad in ["", "2", "enabled", "y", "nope", "truee"] {
            let err = parse_env_bool("CUTOVER_FLAG_X", bad)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("CUTOVER_FLAG_X") && err.contains(&format!("{bad:?}")),
                "{err}"
            );
            assert!(err.contains("true, 1, yes, on, false, 0, no, off"), "{err}");
        }
    }

    #[test]
    fn reads_only_prefixed_vars_and_reports_every_bad_one() {
        let env = EnvOverrides::from_vars([
            ("PATH", "/bin"),
            ("CUTOVER_FLAG_A", "on"),
            ("CUTOVER_FLAG_B", "off"),
        ])
        .unwrap();
        assert_eq!(
            env.for_flag(&FlagKey::new("a").unwrap()),
            Some(("CUTOVER_FLAG_A", Variant::New))
        );
        assert_eq!(
            env.for_flag(&FlagKey::new("b").unwrap()).map(|(_, v)| v),
            Some(Variant::Legacy)
        );
        assert_eq!(env.for_flag(&FlagKey::new("c").unwrap()), None);
        let errors =
            EnvOverrides::from_vars([("CUTOVER_FLAG_A", "maybe"), ("CUTOVER_FLAG_B", "2")])
                .unwrap_err();
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn raw_pairs_ignore_other_variables_and_name_a_flag_variable_that_is_not_utf8() {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let not_utf8 = OsStr::from_bytes(b"caf\xe9");
            let env = EnvOverrides::from_os_vars([
                (OsStr::new("UNRELATED"), not_utf8),
                (OsStr::from_bytes(b"LANG\xff"), OsStr::new("C")),
                (OsStr::new("CUTOVER_FLAG_A"), OsStr::new("on")),
            ])
            .unwrap();
            assert_eq!(
                env.for_flag(&FlagKey::new("a").unwrap()),
                Some(("CUTOVER_FLAG_A", Variant::New))
            );
            let errors = EnvOverrides::from_os_vars([
                (OsStr::new("CUTOVER_FLAG_A"), not_utf8),
                (OsStr::from_bytes(b"CUTOVER_FLAG_\xff"), OsStr::new("on")),
                (OsStr::new("CUTOVER_FLAG_B"), OsStr::new("maybe")),
            ])
            .unwrap_err();
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert_eq!(text.len(), 3, "{text:?}");
            assert!(
                text[0].contains("CUTOVER_FLAG_A") && text[0].contains(r#""caf\xE9""#),
                "{}",
                text[0]
            );
            assert!(text[1].contains("not valid UTF-8"), "{}", text[1]);
            assert!(text[2].contains("CUTOVER_FLAG_B"), "{}", text[2]);
        }
    }

    #[test]
    fn unmatched_vars_are_reported() {
        let env = EnvOverrides::from_vars([
            ("CUTOVER_FLAG_CHECKOUT", "1"),
            ("CUTOVER_FLAG_CHEKOUT", "1"),
        ])
        .unwrap();
        let keys = [FlagKey::new("checkout").unwrap()];
        assert_eq!(env.unmatched(&keys), ["CUTOVER_FLAG_CHEKOUT"]);
    }
}

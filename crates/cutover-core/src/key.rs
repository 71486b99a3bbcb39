//! Flag keys: the one identifier every interface (CLI, HTTP, SDK, environment) agrees on.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::CoreError;

/// A validated flag key: `[a-z0-9][a-z0-9._-]{0,127}`.
///
/// Keys are lower-case only so that the environment override name derived from a key
/// (`CUTOVER_FLAG_<KEY>`) is unambiguous in case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlagKey(Arc<str>);

impl FlagKey {
    pub const MAX_LEN: usize = 128;

    pub fn new(key: &str) -> Result<Self, CoreError> {
        check_identifier(key, Self::MAX_LEN, "it is longer than 128 characters").map_err(
            |why| CoreError::InvalidKey {
                key: key.to_owned(),
                why,
            },
        )?;
        Ok(Self(Arc::from(key)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shared string, so compiled snapshots can hand it out without allocating.
    pub fn shared(&self) -> &Arc<str> {
        &self.0
    }
}

/// The identifier alphabet flag keys and token names share: `[a-z0-9][a-z0-9._-]*`, at most
/// `max` bytes (`too_long` says so in words). The error says why, in words the callers put into
/// their own error.
pub(crate) fn check_identifier(
    text: &str,
    max: usize,
    too_long: &'static str,
) -> Result<(), &'static str> {
    let bytes = text.as_bytes();
    let Some(first) = bytes.first() else {
        return Err("it is empty");
    };
    if bytes.len() > max {
        return Err(too_long);
    }
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return Err("it must start with a-z or 0-9");
    }
    let ok = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b);
    if !bytes.iter().all(ok) {
        return Err("it contains a character outside a-z, 0-9, '.', '_', '-'");
    }
    Ok(())
}

impl std::str::FromStr for FlagKey {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Self::new(s)
    }
}

impl fmt::Display for FlagKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for FlagKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &*self.0)
    }
}

impl AsRef<str> for FlagKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for FlagKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for FlagKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(key: &str, ok: bool) {
        assert_eq!(FlagKey::new(key).is_ok(), ok, "{key:?}");
    }

    #[test]
    fn accepts_the_documented_alphabet() {
        check("a", true);
        check("0", true);
        check("use-onex.routing_nodes", true);
        check(&"a".repeat(128), true);
    }

    #[test]
    fn rejects_everything_else() {
        check("", false);
        check(&"a".repeat(129), false);
        check("-lead", false);
        check(".lead", false);
        check("Upper", false);
        check("sp ace", false);
        check("slash/y", false);
        check("ünï", false);
    }

    #[test]
    fn error_names_the_value_and_the_rule() {
        let err = FlagKey::new("Bad Key").unwrap_err().to_string();
        assert!(err.contains("\"Bad Key\""), "{err}");
        assert!(err.contains("a-z, 0-9"), "{err}");
    }
}

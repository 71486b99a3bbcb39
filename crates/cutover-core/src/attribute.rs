//! Context attribute names (`user_id`, `tenant`, `targetingKey`, ...), validated once.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::CoreError;

/// A validated context attribute name: 1 to 128 characters of `[A-Za-z0-9_.:-]`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributeName(Arc<str>);

impl AttributeName {
    pub fn new(name: &str) -> Result<Self, CoreError> {
        let invalid = |why| CoreError::InvalidAttribute {
            name: name.to_owned(),
            why,
        };
        if name.is_empty() {
            return Err(invalid("it is empty"));
        }
        if name.len() > 128 {
            return Err(invalid("it is longer than 128 characters"));
        }
        let ok = |b: &u8| b.is_ascii_alphanumeric() || b"_.:-".contains(b);
        if !name.as_bytes().iter().all(ok) {
            return Err(invalid(
                "it contains a character outside letters, digits, '_.:-'",
            ));
        }
        Ok(Self(Arc::from(name)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn shared(&self) -> &Arc<str> {
        &self.0
    }
}

impl std::str::FromStr for AttributeName {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Self::new(s)
    }
}

impl fmt::Display for AttributeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AttributeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &*self.0)
    }
}

impl Serialize for AttributeName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AttributeName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_names_and_rejects_blanks() {
        for ok in ["user_id", "targetingKey", "tenant.region", "k8s:pod-name"] {
            assert!(AttributeName::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "with space", "emoji🙂", &"a".repeat(129)] {
            assert!(AttributeName::new(bad).is_err(), "{bad}");
        }
    }
}

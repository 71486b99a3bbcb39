//! The entity an audit entry is about, as the log stores it: `kind:name`, such as
//! `flag:checkout`, `preset:phase1`, `token:ci` or `audit:seal`.

use std::fmt;
use std::str::FromStr;

use crate::access::TokenName;
use crate::error::CoreError;
use crate::key::FlagKey;

/// The kinds of entity the log knows, by their prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    Flag,
    Preset,
    Token,
    /// The log itself (`audit:seal`, the audited acceptance of a failed seal).
    Audit,
}

impl EntityKind {
    pub const ALL: [EntityKind; 4] = [
        EntityKind::Flag,
        EntityKind::Preset,
        EntityKind::Token,
        EntityKind::Audit,
    ];

    /// The prefix before the `:`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Flag => "flag",
            EntityKind::Preset => "preset",
            EntityKind::Token => "token",
            EntityKind::Audit => "audit",
        }
    }

    /// The kind and the name of an entity as stored, without checking the name: a verifier
    /// must still be able to name an entry whose name was edited into something invalid.
    pub fn split(entity: &str) -> Option<(EntityKind, &str)> {
        let (kind, name) = entity.split_once(':')?;
        let kind = EntityKind::ALL.into_iter().find(|k| k.as_str() == kind)?;
        Some((kind, name))
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entity of the audit log, with a valid name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuditEntity {
    Flag(FlagKey),
    /// Presets are named like flags.
    Preset(FlagKey),
    Token(TokenName),
    /// The head's seal.
    Seal,
}

const SEAL_NAME: &str = "seal";

impl AuditEntity {
    pub fn kind(&self) -> EntityKind {
        match self {
            AuditEntity::Flag(_) => EntityKind::Flag,
            AuditEntity::Preset(_) => EntityKind::Preset,
            AuditEntity::Token(_) => EntityKind::Token,
            AuditEntity::Seal => EntityKind::Audit,
        }
    }

    /// The name after the `:`.
    pub fn name(&self) -> &str {
        match self {
            AuditEntity::Flag(key) | AuditEntity::Preset(key) => key.as_str(),
            AuditEntity::Token(name) => name.as_str(),
            AuditEntity::Seal => SEAL_NAME,
        }
    }
}

impl fmt::Display for AuditEntity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.name())
    }
}

impl FromStr for AuditEntity {
    type Err = CoreError;

    fn from_str(text: &str) -> Result<Self, CoreError> {
        let invalid = |why: String| CoreError::InvalidEntity {
            text: text.to_owned(),
            why,
        };
        let (kind, name) =
            EntityKind::split(text).ok_or_else(|| invalid("unknown kind".to_owned()))?;
        match kind {
            EntityKind::Flag => FlagKey::new(name).map(AuditEntity::Flag),
            EntityKind::Preset => FlagKey::new(name).map(AuditEntity::Preset),
            EntityKind::Token => TokenName::new(name).map(AuditEntity::Token),
            EntityKind::Audit if name == SEAL_NAME => Ok(AuditEntity::Seal),
            EntityKind::Audit => return Err(invalid(format!("no audit entity {name:?}"))),
        }
        .map_err(|e| invalid(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_stored_forms() {
        let key = FlagKey::new("checkout").unwrap();
        for (entity, text) in [
            (AuditEntity::Flag(key.clone()), "flag:checkout"),
            (AuditEntity::Preset(key), "preset:checkout"),
            (
                AuditEntity::Token(TokenName::new("ci").unwrap()),
                "token:ci",
            ),
            (AuditEntity::Seal, "audit:seal"),
        ] {
            assert_eq!(entity.to_string(), text);
            assert_eq!(text.parse::<AuditEntity>().unwrap(), entity);
        }
    }

    #[test]
    fn bad_entities_say_why() {
        for (text, needle) in [
            ("checkout", "unknown kind"),
            ("widget:checkout", "unknown kind"),
            ("flag:Not A Key", "invalid flag key"),
            ("audit:head", "no audit entity"),
        ] {
            let err = text.parse::<AuditEntity>().unwrap_err().to_string();
            assert!(err.contains(text) && err.contains(needle), "{text}: {err}");
        }
        assert_eq!(
            EntityKind::split("flag:Not A Key"),
            Some((EntityKind::Flag, "Not A Key"))
        );
    }

    proptest! {
        #[test]
        fn flags_and_presets_round_trip(key in "[a-z0-9][a-z0-9._-]{0,40}", preset in any::<bool>()) {
            let key = FlagKey::new(&key).unwrap();
            let entity = if preset { AuditEntity::Preset(key) } else { AuditEntity::Flag(key) };
            let text = entity.to_string();
            prop_assert_eq!(EntityKind::split(&text), Some((entity.kind(), entity.name())));
            prop_assert_eq!(text.parse::<AuditEntity>().unwrap(), entity);
        }
    }
}

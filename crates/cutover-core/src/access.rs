//! Who may do what: token roles, the capabilities each grants, token names and the hash a token
//! is stored under.
//!
//! The rules are pure so the server's route table, the CLI and tests share one answer to "may a
//! `viewer` change a rollout?".

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::change::FlagChange;
use crate::error::CoreError;
pub use crate::role::Role;

/// A kind of request, as the route table classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Read flags, presets and the audit log.
    Read,
    /// Rollout, stage, overrides, kill switch, presets: the moves of a cutover.
    Operate,
    /// Create, delete, redefine or import flags wholesale.
    Configure,
    /// Create, list and revoke tokens.
    ManageTokens,
    /// Evaluate flags (OFREP) and follow the change stream.
    Evaluate,
    /// Take a backup of the whole store: every table, the audit log and the tokens' hashes,
    /// which is more than any other capability reads.
    Backup,
}

impl Capability {
    /// What a change to a flag needs: the moves of a cutover are operations, reshaping a flag
    /// (its scope, stickiness, salt, description, or all of it at once) is configuration.
    pub fn for_change(change: &FlagChange) -> Capability {
        match change {
            FlagChange::SetEnabled { .. }
            | FlagChange::SetStage { .. }
            | FlagChange::SetRollout { .. }
            | FlagChange::Kill
            | FlagChange::Unkill
            | FlagChange::AddOverride { .. }
            | FlagChange::RemoveOverride { .. }
            | FlagChange::ClearOverrides
            | FlagChange::RemoveExpiredOverrides
            | FlagChange::SetPlan { .. }
            | FlagChange::RolloutMove { .. }
            | FlagChange::RecordVerdict { .. } => Capability::Operate,
            FlagChange::SetDescription { .. }
            | FlagChange::SetOwner { .. }
            | FlagChange::SetStickiness { .. }
            | FlagChange::SetSalt { .. }
            | FlagChange::SetScope { .. }
            // Which variables drive a flag is configuration, like its stickiness.
            | FlagChange::SetEnv { .. }
            | FlagChange::SetEnvPercent { .. }
            | FlagChange::SetEnvStage { .. }
            | FlagChange::Replace { .. }
            | FlagChange::SetRequirement { .. }
            // Only the guard loop decides; over the API it would let anyone forge a verdict.
            | FlagChange::GuardAction { .. } => Capability::Configure,
        }
    }
}

impl Role {
    pub fn allows(self, capability: Capability) -> bool {
        use Capability::*;
        match self {
            Role::Admin => true,
            // An operator reads what it changes; evaluation is for checking a rollout by hand.
            Role::Operator => matches!(capability, Read | Operate | Evaluate),
            Role::Viewer => matches!(capability, Read),
            Role::Sdk => matches!(capability, Evaluate),
        }
    }
}

/// A validated token name: `[a-z0-9][a-z0-9._-]{0,63}`. It becomes the audit actor of every
/// change made with the token, so it is kept as plain as a flag key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TokenName(String);

impl TokenName {
    pub const MAX_LEN: usize = 64;

    pub fn new(name: &str) -> Result<Self, CoreError> {
        crate::key::check_identifier(name, Self::MAX_LEN, "it is longer than 64 characters")
            .map_err(|why| CoreError::InvalidTokenName {
                name: name.to_owned(),
                why,
            })?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for TokenName {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Self::new(s)
    }
}

impl fmt::Display for TokenName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TokenName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

/// The actor of every change the guard loop makes on its own (advance, roll back, step down).
pub const GUARD_ACTOR: &str = "guard";

/// The actor of the first admin token `cutover serve` creates when no person can be named (a
/// service manager started it).
pub const SERVE_ACTOR: &str = "cutover-serve";

/// Names cutover writes into the audit log on its own behalf. A token under one of them could
/// make its changes look like cutover's own (a person's rollback passed off as the guard's), so
/// no token may take them.
pub const RESERVED_ACTORS: &[&str] = &[GUARD_ACTOR, SERVE_ACTOR, "cutover"];

impl TokenName {
    /// Refuses a name in [`RESERVED_ACTORS`], for a token about to be created. Existing tokens
    /// are not checked, so a store written before a name was reserved still reads.
    pub fn check_not_reserved(&self) -> Result<(), CoreError> {
        if RESERVED_ACTORS.contains(&self.as_str()) {
            return Err(CoreError::ReservedTokenName {
                name: self.0.clone(),
                reserved: RESERVED_ACTORS.join(", "),
            });
        }
        Ok(())
    }
}

/// The prefix every cutover token secret starts with, so secret scanners and humans can tell one
/// when they see it.
pub const TOKEN_PREFIX: &str = "cut_";

/// The form a token is stored in: lowercase hex SHA-256 of the secret.
///
/// A plain hash is enough because secrets are 256 random bits, not passwords: there is nothing
/// to guess, and a fast hash keeps a lookup per request cheap. The stored value cannot be used
/// as a token.
pub fn token_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        use fmt::Write;
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_what_the_product_says() {
        use Capability::*;
        let table = [
            (Role::Admin, [true, true, true, true, true, true]),
            (Role::Operator, [true, true, false, false, true, false]),
            (Role::Viewer, [true, false, false, false, false, false]),
            (Role::Sdk, [false, false, false, false, true, false]),
        ];
        for (role, expected) in table {
            let got =
                [Read, Operate, Configure, ManageTokens, Evaluate, Backup].map(|c| role.allows(c));
            assert_eq!(got, expected, "{role}");
        }
    }

    #[test]
    fn role_names_round_trip_and_unknown_names_say_what_is_accepted() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        let err = "root".parse::<Role>().unwrap_err().to_string();
        assert!(
            err.contains("\"root\"") && err.contains("operator"),
            "{err}"
        );
    }

    #[test]
    fn token_names_are_plain() {
        assert!(TokenName::new("ci-deploy.bot_1").is_ok());
        for bad in ["", "Admin", "-x", "a b", &"a".repeat(65)] {
            assert!(TokenName::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_cutover_writes_itself_are_reserved_for_new_tokens() {
        for name in RESERVED_ACTORS {
            let err = TokenName::new(name)
                .unwrap()
                .check_not_reserved()
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("{name:?}")), "{err}");
            assert!(err.contains("guard, cutover-serve, cutover"), "{err}");
        }
        assert!(
            TokenName::new("guardian")
                .unwrap()
                .check_not_reserved()
                .is_ok()
        );
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        // echo -n abc | sha256sum
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

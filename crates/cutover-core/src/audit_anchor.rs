//! Anchoring the audit log: a head hash kept somewhere the store's writers cannot reach (a
//! ticket, a chat message, another system's log) and later required to still be on the chain.
//!
//! Someone who can write to the database can rewrite the log and recompute every hash, or put
//! back an older copy of the whole store; the chain then verifies. A hash taken earlier is no
//! longer an entry's hash after a rewrite, and lies beyond the end after a rollback.

use serde::{Deserialize, Serialize};

use crate::audit::{AuditEntry, GENESIS_HASH};
use crate::error::CoreError;

/// A head to hold the log to: its hash, and optionally its id (`ID:HASH`), which lets a
/// verification tell a rewrite from a rollback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub id: Option<u64>,
    /// Lowercase hex SHA-256.
    pub hash: String,
}

impl std::str::FromStr for Anchor {
    type Err = CoreError;

    fn from_str(text: &str) -> Result<Self, CoreError> {
        let invalid = |why| CoreError::InvalidAnchor {
            text: text.to_owned(),
            why,
        };
        let (id, hash) = match text.trim().split_once(':') {
            Some((id, hash)) => (
                Some(
                    id.parse::<u64>()
                        .map_err(|_| invalid("the part before ':' is not an entry id"))?,
                ),
                hash,
            ),
            None => (None, text.trim()),
        };
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid("a hash is 64 hex digits"));
        }
        Ok(Anchor {
            id,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.id {
            Some(id) => write!(f, "{id}:{}", self.hash),
            None => f.write_str(&self.hash),
        }
    }
}

/// Whether the log still holds the anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "anchor", rename_all = "snake_case")]
pub enum AnchorOutcome {
    /// The anchored hash is entry `id`'s: nothing up to it changed.
    Held { id: u64 },
    /// Entry `id` now has another hash (`hash`): the log was rewritten at or before it.
    Rewritten { id: u64, hash: String },
    /// The log ends at `last_id`, before the anchored entry `id`: it was rolled back (an older
    /// copy put back, or the newest entries deleted with the head moved back).
    RolledBack { id: u64, last_id: u64 },
    /// No entry has the anchored hash: the log was rewritten, or rolled back past it (anchor
    /// with ID:HASH to tell which).
    NotOnChain { last_id: u64 },
}

impl AnchorOutcome {
    pub fn holds(&self) -> bool {
        matches!(self, AnchorOutcome::Held { .. })
    }
}

impl std::fmt::Display for AnchorOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnchorOutcome::Held { id } => {
                write!(f, "the anchored head (entry {id}) is on the chain")
            }
            AnchorOutcome::Rewritten { id, hash } => write!(
                f,
                "the log was REWRITTEN: entry {id} now has hash {hash}, not the anchored one"
            ),
            AnchorOutcome::RolledBack { id, last_id } => write!(
                f,
                "the log was ROLLED BACK: it ends at entry {last_id}, before the anchored entry {id}"
            ),
            AnchorOutcome::NotOnChain { last_id } => write!(
                f,
                "the anchored hash is not on the chain (entries 1..{last_id}): the log was \
                 rewritten, or rolled back past it"
            ),
        }
    }
}

/// Looks for the anchor while the log is walked.
#[derive(Debug, Clone)]
pub struct AnchorWatch {
    anchor: Anchor,
    /// Where the anchored hash was found.
    found_at: Option<u64>,
    /// The hash of the anchored id, when the anchor names one.
    hash_at_id: Option<String>,
    last_id: u64,
}

impl AnchorWatch {
    pub fn new(anchor: Anchor) -> Self {
        AnchorWatch {
            anchor,
            found_at: None,
            hash_at_id: None,
            last_id: 0,
        }
    }

    pub fn push(&mut self, entry: &AuditEntry) {
        self.last_id = self.last_id.max(entry.id);
        if self.found_at.is_none() && entry.hash == self.anchor.hash {
            self.found_at = Some(entry.id);
        }
        if self.anchor.id == Some(entry.id) {
            self.hash_at_id = Some(entry.hash.clone());
        }
    }

    pub fn finish(self) -> AnchorOutcome {
        let last_id = self.last_id;
        // The head of an empty log is entry 0 with the genesis hash, and stays on every chain.
        if self.anchor.hash == GENESIS_HASH && self.anchor.id.unwrap_or(0) == 0 {
            return AnchorOutcome::Held { id: 0 };
        }
        match (self.anchor.id, self.found_at) {
            (None, Some(id)) => AnchorOutcome::Held { id },
            (None, None) => AnchorOutcome::NotOnChain { last_id },
            (Some(id), found) => match self.hash_at_id {
                Some(hash) if hash == self.anchor.hash => AnchorOutcome::Held { id },
                Some(hash) => AnchorOutcome::Rewritten { id, hash },
                None if found.is_some() || id <= last_id => AnchorOutcome::Rewritten {
                    id,
                    hash: String::new(),
                },
                None => AnchorOutcome::RolledBack { id, last_id },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::audit::NewAuditEntry;

    fn chain(n: u64, actor: &str) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|id| {
                let e = NewAuditEntry {
                    at: Timestamp::from_second(1_800_000_000 + id as i64).unwrap(),
                    actor: actor.into(),
                    action: "flag.kill".into(),
                    entity: "flag:checkout".into(),
                    before: None,
                    after: None,
                    reason: None,
                }
                .seal(id, &prev);
                prev.clone_from(&e.hash);
                e
            })
            .collect()
    }

    fn outcome(anchor: &str, log: &[AuditEntry]) -> AnchorOutcome {
        let mut watch = AnchorWatch::new(anchor.parse().unwrap());
        for e in log {
            watch.push(e);
        }
        watch.finish()
    }

    #[test]
    fn anchors_parse_with_or_without_an_id() {
        let hash = "AB".repeat(32);
        let a: Anchor = format!("42:{hash}").parse().unwrap();
        assert_eq!(
            (a.id, a.hash.as_str()),
            (Some(42), "ab".repeat(32).as_str())
        );
        assert_eq!(a.to_string(), format!("42:{}", "ab".repeat(32)));
        assert_eq!(hash.parse::<Anchor>().unwrap().id, None);
        for bad in ["", "42", "x:abc", &format!("-1:{hash}"), &"g".repeat(64)] {
            let err = bad.parse::<Anchor>().unwrap_err().to_string();
            assert!(err.contains("accepted: the hash"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_rewrite_and_a_rollback_are_told_apart() {
        let log = chain(6, "alice");
        let at4 = format!("4:{}", log[3].hash);
        assert_eq!(outcome(&at4, &log), AnchorOutcome::Held { id: 4 });
        assert_eq!(outcome(&log[3].hash, &log), AnchorOutcome::Held { id: 4 });

        let rewritten = chain(6, "mallory");
        assert_eq!(
            outcome(&at4, &rewritten),
            AnchorOutcome::Rewritten {
                id: 4,
                hash: rewritten[3].hash.clone()
            }
        );
        assert_eq!(
            outcome(&log[3].hash, &rewritten),
            AnchorOutcome::NotOnChain { last_id: 6 }
        );
        assert_eq!(
            outcome(&at4, &log[..2]),
            AnchorOutcome::RolledBack { id: 4, last_id: 2 }
        );
        assert_eq!(
            outcome(&format!("0:{GENESIS_HASH}"), &[]),
            AnchorOutcome::Held { id: 0 }
        );
    }
}

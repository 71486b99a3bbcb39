//! The tamper-evident audit log: entries, their hash chain, and the walk that verifies it.
//!
//! Each entry's hash covers its own fields and the previous entry's hash, so editing, inserting
//! or deleting any entry breaks every hash after it. A separately stored head (last id and hash)
//! catches the deletion of the newest entries, which a chain alone cannot see.
//!
//! The hash is SHA-256 over a versioned, length-prefixed encoding of the fields (see
//! [`AuditEntry::compute_hash`]). `before` and `after` are hashed as the exact JSON text stored,
//! which is why backends keep them as text, never as a re-serialised JSON type.

use jiff::Timestamp;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry before the store gives it an id and links it into the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    /// `kind:name`, such as `flag:checkout` or `preset:phase1`.
    pub entity: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
}

/// One committed entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: u64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// The id of the first entry of the transaction that wrote this one: entries committed
    /// together (a preset applied, an import) share it, so followers apply them as one change.
    /// Not covered by the hash: it groups entries, it does not say what happened.
    pub txn: u64,
}

impl NewAuditEntry {
    /// Gives the entry its id and links it after `prev_hash`. Time is kept to the millisecond,
    /// the precision every backend stores.
    pub fn seal(self, id: u64, prev_hash: &str) -> AuditEntry {
        let at = Timestamp::from_millisecond(self.at.as_millisecond()).unwrap_or(self.at);
        let mut entry = AuditEntry {
            id,
            at,
            actor: self.actor,
            action: self.action,
            entity: self.entity,
            before: self.before,
            after: self.after,
            reason: self.reason,
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
            txn: id,
        };
        entry.hash = entry.compute_hash();
        entry
    }
}

impl AuditEntry {
    /// SHA-256, hex, of: the tag `cutover.audit.v1`, then id, time in Unix milliseconds,
    /// actor, action, entity, before, after, reason and prev_hash, each as an 8-byte
    /// little-endian length followed by its UTF-8 bytes (absent optional fields as length
    /// `u64::MAX` with no bytes, so absent and empty differ).
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"cutover.audit.v1");
        let mut field = |bytes: Option<&[u8]>| match bytes {
            Some(b) => {
                h.update((b.len() as u64).to_le_bytes());
                h.update(b);
            }
            None => h.update(u64::MAX.to_le_bytes()),
        };
        field(Some(self.id.to_string().as_bytes()));
        field(Some(self.at.as_millisecond().to_string().as_bytes()));
        field(Some(self.actor.as_bytes()));
        field(Some(self.action.as_bytes()));
        field(Some(self.entity.as_bytes()));
        field(self.before.as_deref().map(str::as_bytes));
        field(self.after.as_deref().map(str::as_bytes));
        field(self.reason.as_deref().map(str::as_bytes));
        field(Some(self.prev_hash.as_bytes()));
        let digest = h.finalize();
        let mut hex = String::with_capacity(64);
        for byte in digest {
            use std::fmt::Write;
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }
}

/// The first thing wrong with a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum ChainFault {
    /// The entry's content does not match its hash: it was edited, or written outside cutover.
    Edited { id: u64 },
    /// Entries are missing: `expected` should come next, `found` came instead (none at the end).
    Missing { expected: u64, found: Option<u64> },
    /// The entry's link does not match the entry before it: an entry before it was replaced
    /// with a recomputed hash, or this one was inserted.
    BrokenLink { id: u64 },
    /// The chain ends somewhere other than the recorded head: entries were appended outside
    /// cutover, or the head was altered.
    HeadMismatch { head_id: u64, last_id: u64 },
}

impl std::fmt::Display for ChainFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainFault::Edited { id } => write!(
                f,
                "entry {id} does not match its hash: it was edited or forged"
            ),
            ChainFault::Missing {
                expected,
                found: Some(found),
            } => {
                write!(
                    f,
                    "entries {expected}..{} were deleted: entry {found} follows entry {}",
                    found - 1,
                    expected - 1
                )
            }
            ChainFault::Missing {
                expected,
                found: None,
            } => {
                write!(
                    f,
                    "entry {expected} and later were deleted: the chain ends at entry {}",
                    expected - 1
                )
            }
            ChainFault::BrokenLink { id } => {
                write!(
                    f,
                    "entry {id} does not link to entry {}: an entry was replaced or inserted",
                    id.saturating_sub(1)
                )
            }
            ChainFault::HeadMismatch { head_id, last_id } => {
                write!(
                    f,
                    "the chain ends at entry {last_id} but the recorded head is entry {head_id}"
                )
            }
        }
    }
}

/// The outcome of walking a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    /// Entries walked.
    pub entries: u64,
    /// Hash of the last entry walked; keep a copy elsewhere to anchor the log.
    pub head_hash: String,
    pub fault: Option<ChainFault>,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.fault.is_none()
    }
}

/// An incremental walk of the chain, for callers that stream entries from a cursor instead of
/// holding the whole log in memory.
#[derive(Debug, Clone)]
pub struct ChainWalk {
    expected_id: u64,
    prev: String,
    walked: u64,
    fault: Option<ChainFault>,
}

impl Default for ChainWalk {
    fn default() -> Self {
        ChainWalk {
            expected_id: 1,
            prev: GENESIS_HASH.to_owned(),
            walked: 0,
            fault: None,
        }
    }
}

impl ChainWalk {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next entry in id order. Returns `false` once a fault is found; later entries
    /// are then ignored.
    pub fn push(&mut self, entry: &AuditEntry) -> bool {
        if self.fault.is_some() {
            return false;
        }
        let fault = if entry.id != self.expected_id {
            if entry.id > self.expected_id {
                Some(ChainFault::Missing {
                    expected: self.expected_id,
                    found: Some(entry.id),
                })
            } else {
                Some(ChainFault::BrokenLink { id: entry.id })
            }
        } else if entry.compute_hash() != entry.hash {
            Some(ChainFault::Edited { id: entry.id })
        } else if entry.prev_hash != self.prev {
            Some(ChainFault::BrokenLink { id: entry.id })
        } else {
            None
        };
        if fault.is_some() {
            self.fault = fault;
            return false;
        }
        self.prev.clone_from(&entry.hash);
        self.walked += 1;
        self.expected_id += 1;
        true
    }

    /// Ends the walk. `head` is the last id and hash the store recorded when it committed; pass
    /// `None` for an exported copy, which has no head.
    pub fn finish(self, head: Option<(u64, &str)>) -> ChainReport {
        let last_id = self.expected_id - 1;
        let fault = self.fault.or_else(|| match head {
            Some((head_id, _)) if head_id > last_id => Some(ChainFault::Missing {
                expected: self.expected_id,
                found: None,
            }),
            Some((head_id, head_hash)) if head_id != last_id || head_hash != self.prev => {
                Some(ChainFault::HeadMismatch { head_id, last_id })
            }
            _ => None,
        });
        ChainReport {
            entries: self.walked,
            head_hash: self.prev,
            fault,
        }
    }
}

/// Walks `entries` in id order and reports the first fault (see [`ChainWalk`]).
pub fn verify_chain(
    entries: impl IntoIterator<Item = AuditEntry>,
    head: Option<(u64, &str)>,
) -> ChainReport {
    let mut walk = ChainWalk::new();
    for entry in entries {
        if !walk.push(&entry) {
            break;
        }
    }
    walk.finish(head)
}

/// JSON form of an entry (the JSONL export): `before` and `after` are embedded as the exact
/// JSON text that was hashed, so an export can be verified on its own. `txn` is written only for
/// an entry that shares its transaction with earlier ones.
impl Serialize for AuditEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde_json::value::RawValue;
        let raw = |text: &Option<String>| -> Option<Box<RawValue>> {
            text.as_ref()
                .and_then(|t| RawValue::from_string(t.clone()).ok())
        };
        let shared = self.txn != self.id;
        let mut st = s.serialize_struct("AuditEntry", 10 + usize::from(shared))?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("at", &self.at)?;
        st.serialize_field("actor", &self.actor)?;
        st.serialize_field("action", &self.action)?;
        st.serialize_field("entity", &self.entity)?;
        st.serialize_field("before", &raw(&self.before))?;
        st.serialize_field("after", &raw(&self.after))?;
        st.serialize_field("reason", &self.reason)?;
        st.serialize_field("prev_hash", &self.prev_hash)?;
        st.serialize_field("hash", &self.hash)?;
        if shared {
            st.serialize_field("txn", &self.txn)?;
        }
        st.end()
    }
}

impl<'de> Deserialize<'de> for AuditEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Repr {
            id: u64,
            at: Timestamp,
            actor: String,
            action: String,
            entity: String,
            before: Option<Box<serde_json::value::RawValue>>,
            after: Option<Box<serde_json::value::RawValue>>,
            reason: Option<String>,
            prev_hash: String,
            hash: String,
            #[serde(default)]
            txn: Option<u64>,
        }
        let r = Repr::deserialize(d)?;
        Ok(AuditEntry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            entity: r.entity,
            before: r.before.map(|v| v.get().to_owned()),
            after: r.after.map(|v| v.get().to_owned()),
            reason: r.reason,
            prev_hash: r.prev_hash,
            hash: r.hash,
            txn: r.txn.unwrap_or(r.id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|id| {
                let e = NewAuditEntry {
                    at: Timestamp::from_millisecond(1_800_000_000_000 + id as i64).unwrap(),
                    actor: "alice".into(),
                    action: "flag.rollout".into(),
                    entity: "flag:checkout".into(),
                    before: Some(format!(r#"{{"rollout_percent":{}}}"#, id - 1)),
                    after: Some(format!(r#"{{"rollout_percent":{id}}}"#)),
                    reason: None,
                }
                .seal(id, &prev);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn head(entries: &[AuditEntry]) -> Option<(u64, &str)> {
        entries.last().map(|e| (e.id, e.hash.as_str()))
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let c = chain(5);
        let report = verify_chain(c.clone(), head(&c));
        assert!(report.is_intact(), "{report:?}");
        assert_eq!(
            (report.entries, report.head_hash.as_str()),
            (5, c[4].hash.as_str())
        );
        assert!(verify_chain(Vec::new(), None).is_intact());
    }

    #[test]
    fn an_edit_is_named() {
        let c = chain(5);
        let mut tampered = c.clone();
        tampered[2].actor = "mallory".into();
        assert_eq!(
            verify_chain(tampered, head(&c)).fault,
            Some(ChainFault::Edited { id: 3 })
        );
    }

    #[test]
    fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
        let c = chain(5);
        let mut tampered = c.clone();
        tampered[2].reason = Some("nothing to see".into());
        tampered[2].hash = tampered[2].compute_hash();
        assert_eq!(
            verify_chain(tampered, head(&c)).fault,
            Some(ChainFault::BrokenLink { id: 4 })
        );
    }

    #[test]
    fn deletions_anywhere_are_named() {
        let c = chain(5);
        let mut middle = c.clone();
        middle.remove(1);
        assert_eq!(
            verify_chain(middle, head(&c)).fault,
            Some(ChainFault::Missing {
                expected: 2,
                found: Some(3)
            })
        );
        let mut first = c.clone();
        first.remove(0);
        assert_eq!(
            verify_chain(first, head(&c)).fault,
            Some(ChainFault::Missing {
                expected: 1,
                found: Some(2)
            })
        );
        let mut last = c.clone();
        last.pop();
        assert_eq!(
            verify_chain(last, head(&c)).fault,
            Some(ChainFault::Missing {
                expected: 5,
                found: None
            })
        );
    }

    #[test]
    fn an_appended_entry_is_caught_by_the_head() {
        let c = chain(5);
        let forged = chain(6);
        assert_eq!(
            verify_chain(forged, head(&c)).fault,
            Some(ChainFault::HeadMismatch {
                head_id: 5,
                last_id: 6
            })
        );
    }

    /// Stores written by every earlier version must keep verifying: the encoding and the digest
    /// of `cutover.audit.v1` never change (this vector was computed before sha2 0.11).
    #[test]
    fn the_hash_of_an_entry_is_pinned() {
        let entry = NewAuditEntry {
            at: Timestamp::from_millisecond(1_800_000_000_123).unwrap(),
            actor: "alice".into(),
            action: "flag.rollout".into(),
            entity: "flag:checkout".into(),
            before: Some(r#"{"rollout_percent":0}"#.into()),
            after: Some(r#"{"rollout_percent":5}"#.into()),
            reason: None,
        }
        .seal(7, GENESIS_HASH);
        assert_eq!(
            entry.hash,
            "9985c8871641dc0d8f2164c78c8e61b7348a00ca28d25300755054c80fdf90c5"
        );
    }

    #[test]
    fn absent_and_empty_fields_hash_differently() {
        let mut a = chain(1).remove(0);
        a.reason = None;
        let mut b = a.clone();
        b.reason = Some(String::new());
        assert_ne!(a.compute_hash(), b.compute_hash());
    }

    #[test]
    fn export_form_round_trips_exactly_and_still_verifies() {
        let c = chain(3);
        let lines: Vec<String> = c
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        assert!(
            lines[0].contains(r#""before":{"rollout_percent":0}"#),
            "{}",
            lines[0]
        );
        let back: Vec<AuditEntry> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(back, c);
        assert!(verify_chain(back, None).is_intact());
    }
}

//! The keyed seal of the audit head: an HMAC-SHA256 that only holders of the audit key can
//! write, so the log cannot be rewritten or extended without the key going unnoticed.
//!
//! The hash chain shows any edit to an entry, but anyone with write access to the database can
//! recompute it: rewrite an entry and every hash after it, and the chain verifies again. The
//! seal closes that: every append made with the key stores a MAC over the new head (its id and
//! hash), and a MAC over the head covers every entry before it through the chain. Anything
//! written without the key leaves a head the seal does not cover.
//!
//! A writer with the key that finds the head not sealed (entries appended without the key, or
//! a seal made with another key) still appends (a kill switch must never wait for an audit
//! question), but carries the stretch it could not vouch for in the seal as `gap`, so the next
//! verification reports it. Only an explicit, audited acceptance clears a gap.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::audit_state::hex;
use crate::error::CoreError;

/// The fewest bytes an audit key may have: 256 bits, the size of the HMAC-SHA256 output.
pub const AUDIT_KEY_MIN_BYTES: usize = 32;

/// The secret the audit head is sealed with. Never printed: its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey(Vec<u8>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

/// A stretch of entries written without the key: `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealGap {
    pub from: u64,
    pub to: u64,
}

/// The seal as the store keeps it beside the head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadSeal {
    /// The entry the MAC covers: the head when it was sealed.
    pub id: u64,
    /// Entries a writer with the key found unsealed and could not vouch for.
    pub gap: Option<SealGap>,
    /// Lowercase hex HMAC-SHA256.
    pub mac: String,
}

impl AuditKey {
    /// A key from the bytes of a key file, without trailing whitespace (a newline an editor
    /// or `echo` adds is not part of the key).
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Self, CoreError> {
        let end = bytes
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        let key = &bytes[..end];
        if key.len() < AUDIT_KEY_MIN_BYTES {
            return Err(CoreError::WeakAuditKey { bytes: key.len() });
        }
        Ok(AuditKey(key.to_vec()))
    }

    fn mac(&self, id: u64, hash: &str, gap: Option<SealGap>) -> Hmac<Sha256> {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            // HMAC takes a key of any length; this arm cannot be reached.
            Err(_) => unreachable!("HMAC accepts keys of every length"),
        };
        mac.update(b"cutover.audit.seal.v1");
        mac.update(&id.to_le_bytes());
        mac.update(&(hash.len() as u64).to_le_bytes());
        mac.update(hash.as_bytes());
        let (from, to) = gap.map_or((u64::MAX, u64::MAX), |g| (g.from, g.to));
        mac.update(&from.to_le_bytes());
        mac.update(&to.to_le_bytes());
        mac
    }

    /// The seal of entry `id` with hash `hash`, carrying `gap`.
    pub fn seal(&self, id: u64, hash: &str, gap: Option<SealGap>) -> HeadSeal {
        HeadSeal {
            id,
            gap,
            mac: hex(&self.mac(id, hash, gap).finalize().into_bytes()),
        }
    }

    /// Whether `seal` was made with this key over an entry whose hash is `hash` (compared in
    /// constant time).
    pub fn verifies(&self, seal: &HeadSeal, hash: &str) -> bool {
        let Some(expected) = unhex(&seal.mac) else {
            return false;
        };
        self.mac(seal.id, hash, seal.gap)
            .verify_slice(&expected)
            .is_ok()
    }

    /// The seal a writer with this key stores after appending entry `new_id` (hash
    /// `new_hash`) onto a head at `head_id`. `current` is the seal found with the head and
    /// `sealed_hash` the hash of the entry it names. With `accept`, whatever was unsealed is
    /// accepted (an audited `--trust-state`) and the new seal starts clean.
    pub fn next_seal(
        &self,
        current: Option<&HeadSeal>,
        sealed_hash: Option<&str>,
        head_id: u64,
        new_id: u64,
        new_hash: &str,
        accept: bool,
    ) -> HeadSeal {
        if accept {
            return self.seal(new_id, new_hash, None);
        }
        let valid = current.filter(|s| sealed_hash.is_some_and(|h| self.verifies(s, h)));
        let gap = match valid {
            Some(s) if s.id == head_id => s.gap,
            // Entries after the seal were appended without the key.
            Some(s) => Some(widen(s.gap, s.id + 1, head_id)),
            // Nothing this key made covers the head: everything up to it is unvouched for. An
            // empty log has nothing to vouch for.
            None if head_id == 0 => None,
            None => Some(widen(None, 1, head_id)),
        };
        self.seal(new_id, new_hash, gap)
    }
}

fn widen(gap: Option<SealGap>, from: u64, to: u64) -> SealGap {
    match gap {
        Some(g) => SealGap {
            from: g.from.min(from),
            to: g.to.max(to),
        },
        None => SealGap { from, to },
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// What checking the seal found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "seal", rename_all = "snake_case")]
pub enum SealOutcome {
    /// No key was given: the MAC was not checked. `sealed` says whether the store carries one.
    NotChecked { sealed: bool },
    /// The seal verifies under the key and covers the head: nothing was written without it.
    Valid { id: u64 },
    /// The log has entries but the head carries no seal.
    Missing { head_id: u64 },
    /// The seal does not verify under the key: another key made it, or the log was rewritten
    /// at or before entry `id` (or the seal itself was forged).
    Wrong { id: u64 },
    /// The seal verifies for entry `id`, but the head moved on to `head_id` without the key.
    Stale { id: u64, head_id: u64 },
    /// The seal verifies and covers the head, but carries entries a writer with the key found
    /// unsealed.
    Gap { id: u64, gap: SealGap },
}

impl SealOutcome {
    /// Whether the outcome fails a verification (an unchecked seal does not).
    pub fn holds(&self) -> bool {
        matches!(
            self,
            SealOutcome::NotChecked { .. } | SealOutcome::Valid { .. }
        )
    }

    /// Checks `seal` under `key` against a log whose head is `head_id`; `sealed_hash` is the
    /// hash of the entry the seal names, as the chain holds it (`None`: no such entry).
    pub fn check(
        key: &AuditKey,
        seal: Option<&HeadSeal>,
        sealed_hash: Option<&str>,
        head_id: u64,
    ) -> SealOutcome {
        let Some(seal) = seal else {
            return if head_id == 0 {
                SealOutcome::Valid { id: 0 }
            } else {
                SealOutcome::Missing { head_id }
            };
        };
        if !sealed_hash.is_some_and(|h| key.verifies(seal, h)) {
            return SealOutcome::Wrong { id: seal.id };
        }
        if seal.id != head_id {
            return SealOutcome::Stale {
                id: seal.id,
                head_id,
            };
        }
        match seal.gap {
            Some(gap) => SealOutcome::Gap { id: seal.id, gap },
            None => SealOutcome::Valid { id: seal.id },
        }
    }
}

impl std::fmt::Display for SealOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SealOutcome::NotChecked { sealed: true } => {
                write!(
                    f,
                    "the head is sealed, but the MAC was not checked (no audit key given)"
                )
            }
            SealOutcome::NotChecked { sealed: false } => {
                write!(
                    f,
                    "the head is not sealed; the MAC was not checked (no audit key given)"
                )
            }
            SealOutcome::Valid { id } => write!(f, "the seal verifies under the key (entry {id})"),
            SealOutcome::Missing { head_id } => write!(
                f,
                "the head (entry {head_id}) carries no seal: the log was written without the key, \
                 or the seal was removed"
            ),
            SealOutcome::Wrong { id } => write!(
                f,
                "the seal does not verify under this key: another key made it, or the log was \
                 rewritten at or before entry {id}"
            ),
            SealOutcome::Stale { id, head_id } => write!(
                f,
                "entries {}..{head_id} were appended without the key (the seal covers entry {id})",
                id + 1
            ),
            SealOutcome::Gap { id, gap } => write!(
                f,
                "entries {}..{} were written without the key; a writer with the key found them \
                 unsealed (the seal covers entry {id})",
                gap.from, gap.to
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> AuditKey {
        AuditKey::from_file_bytes(&[byte; 32]).unwrap()
    }

    #[test]
    fn a_short_key_is_refused_and_a_trailing_newline_is_not_part_of_it() {
        let err = AuditKey::from_file_bytes(b"short\n").unwrap_err();
        assert_eq!(err, CoreError::WeakAuditKey { bytes: 5 });
        let with_newline = AuditKey::from_file_bytes(&[b"k".repeat(32), b"\n".to_vec()].concat());
        assert_eq!(with_newline.unwrap(), key(b'k'));
        assert_eq!(format!("{:?}", key(b'k')), "AuditKey(..)");
    }

    #[test]
    fn a_seal_verifies_only_under_its_key_and_its_hash() {
        let seal = key(1).seal(5, "abc", None);
        assert!(key(1).verifies(&seal, "abc"));
        assert!(!key(2).verifies(&seal, "abc"));
        assert!(!key(1).verifies(&seal, "abd"));
        let mut moved = seal.clone();
        moved.id = 6;
        assert!(!key(1).verifies(&moved, "abc"));
        let mut gap_removed = key(1).seal(5, "abc", Some(SealGap { from: 2, to: 3 }));
        gap_removed.gap = None;
        assert!(!key(1).verifies(&gap_removed, "abc"));
    }

    #[test]
    fn a_writer_with_the_key_carries_what_it_could_not_vouch_for() {
        let k = key(1);
        // Sealed head: the next seal is clean.
        let s4 = k.seal(4, "h4", None);
        let s5 = k.next_seal(Some(&s4), Some("h4"), 4, 5, "h5", false);
        assert_eq!(
            SealOutcome::check(&k, Some(&s5), Some("h5"), 5),
            SealOutcome::Valid { id: 5 }
        );
        // Entries 6 and 7 appended without the key, then 8 with it.
        let s8 = k.next_seal(Some(&s5), Some("h5"), 7, 8, "h8", false);
        assert_eq!(s8.gap, Some(SealGap { from: 6, to: 7 }));
        assert_eq!(
            SealOutcome::check(&k, Some(&s8), Some("h8"), 8),
            SealOutcome::Gap {
                id: 8,
                gap: SealGap { from: 6, to: 7 }
            }
        );
        // The gap stays with every later seal until accepted.
        let s9 = k.next_seal(Some(&s8), Some("h8"), 8, 9, "h9", false);
        assert_eq!(s9.gap, s8.gap);
        let s10 = k.next_seal(Some(&s9), Some("h9"), 9, 10, "h10", true);
        assert_eq!(s10.gap, None);
        // A seal made by another key vouches for nothing.
        let other = key(2).seal(3, "h3", None);
        let s4 = k.next_seal(Some(&other), Some("h3"), 3, 4, "h4", false);
        assert_eq!(s4.gap, Some(SealGap { from: 1, to: 3 }));
        // The first entry of an empty log needs no vouching.
        assert_eq!(k.next_seal(None, None, 0, 1, "h1", false).gap, None);
    }

    #[test]
    fn checking_names_what_is_wrong() {
        let k = key(1);
        let s3 = k.seal(3, "h3", None);
        assert_eq!(
            SealOutcome::check(&k, None, None, 3),
            SealOutcome::Missing { head_id: 3 }
        );
        assert_eq!(
            SealOutcome::check(&k, None, None, 0),
            SealOutcome::Valid { id: 0 }
        );
        assert_eq!(
            SealOutcome::check(&k, Some(&s3), Some("h3"), 5),
            SealOutcome::Stale { id: 3, head_id: 5 }
        );
        assert_eq!(
            SealOutcome::check(&k, Some(&s3), Some("rewritten"), 3),
            SealOutcome::Wrong { id: 3 }
        );
        assert_eq!(
            SealOutcome::check(&key(2), Some(&s3), Some("h3"), 3),
            SealOutcome::Wrong { id: 3 }
        );
        assert_eq!(
            SealOutcome::Stale { id: 3, head_id: 5 }.to_string(),
            "entries 4..5 were appended without the key (the seal covers entry 3)"
        );
    }
}

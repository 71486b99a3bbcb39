//! One verification of a store's audit log: the hash chain, the replay of the state, an anchor
//! and the keyed seal, gathered in one pass over the entries into one report.

use serde::{Deserialize, Serialize};

use crate::audit::{AuditEntry, ChainFault, ChainWalk};
use crate::audit_anchor::{Anchor, AnchorOutcome, AnchorWatch};
use crate::audit_seal::{AuditKey, HeadSeal, SealOutcome};
use crate::audit_state::{StateReplay, StateReport, StoredState};

/// Everything a verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Entries the chain walk accepted (all of them when the chain is intact).
    pub entries: u64,
    /// The id of the last entry walked, and its hash: `ID:HASH` anchors the log.
    pub head_id: u64,
    pub head_hash: String,
    /// The first fault of the hash chain.
    pub fault: Option<ChainFault>,
    /// The replay compared with the rows; absent for an exported file, which has no rows.
    pub state: Option<StateReport>,
    /// Present when an anchor was given.
    pub anchor: Option<AnchorOutcome>,
    /// The keyed seal; absent for an exported file.
    pub seal: Option<SealOutcome>,
}

impl VerifyReport {
    /// The chain is unbroken, the rows agree with the log, the anchor holds, and the seal (when
    /// a key was given) verifies.
    pub fn is_intact(&self) -> bool {
        self.fault.is_none()
            && self.state.as_ref().is_none_or(StateReport::agrees)
            && self.anchor.as_ref().is_none_or(AnchorOutcome::holds)
            && self.seal.as_ref().is_none_or(SealOutcome::holds)
    }

    /// Every reason the verification fails, one sentence each, the chain's first.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(fault) = &self.fault {
            out.push(format!("the chain is broken: {fault}"));
        }
        if let Some(state) = &self.state {
            out.extend(state.open_findings().map(ToString::to_string));
        }
        if let Some(anchor) = self.anchor.as_ref().filter(|a| !a.holds()) {
            out.push(anchor.to_string());
        }
        if let Some(seal) = self.seal.as_ref().filter(|s| !s.holds()) {
            out.push(seal.to_string());
        }
        out
    }
}

/// How the seal is to be checked.
#[derive(Debug, Clone, Copy)]
pub enum SealCheck<'a> {
    /// No key: say whether a seal is there, without checking it.
    WithoutKey { sealed: bool },
    /// Check the stored seal (if any) under this key.
    WithKey(&'a AuditKey, Option<&'a HeadSeal>),
}

/// Gathers a verification while the entries stream past, in id order.
#[derive(Debug, Clone)]
pub struct LogCheck {
    walk: ChainWalk,
    replay: StateReplay,
    anchor: Option<AnchorWatch>,
    /// The entry whose hash the seal covers, and that hash once seen.
    seal_target: Option<u64>,
    sealed_hash: Option<String>,
    last_id: u64,
}

impl LogCheck {
    /// `seal_target` is the id the stored seal names, if there is one.
    pub fn new(anchor: Option<Anchor>, seal_target: Option<u64>) -> Self {
        LogCheck {
            walk: ChainWalk::new(),
            replay: StateReplay::new(),
            anchor: anchor.map(AnchorWatch::new),
            seal_target,
            sealed_hash: None,
            last_id: 0,
        }
    }

    /// Feeds the next entry. Every entry is read, even after a chain fault, so the report also
    /// says what the rest of the log holds.
    pub fn push(&mut self, entry: &AuditEntry) {
        self.walk.push(entry);
        self.replay.push(entry);
        if let Some(anchor) = &mut self.anchor {
            anchor.push(entry);
        }
        if self.seal_target == Some(entry.id) {
            self.sealed_hash = Some(entry.hash.clone());
        }
        self.last_id = self.last_id.max(entry.id);
    }

    /// The replay so far: the state the log holds for each entity.
    pub fn replay(&self) -> &StateReplay {
        &self.replay
    }

    /// Ends the check. `head` is the store's recorded head (`None` for an exported file),
    /// `rows` the store's rows (`None` for a file), `seal` how to check the seal (`None` for a
    /// file).
    pub fn finish(
        self,
        head: Option<(u64, &str)>,
        rows: Option<&StoredState>,
        seal: Option<SealCheck<'_>>,
    ) -> VerifyReport {
        let chain = self.walk.finish(head);
        let seal = seal.map(|check| match check {
            SealCheck::WithoutKey { sealed } => SealOutcome::NotChecked { sealed },
            SealCheck::WithKey(key, stored) => SealOutcome::check(
                key,
                stored,
                self.sealed_hash.as_deref(),
                head.map_or(self.last_id, |(id, _)| id),
            ),
        });
        VerifyReport {
            entries: chain.entries,
            head_id: chain.entries,
            head_hash: chain.head_hash,
            fault: chain.fault,
            state: rows.map(|rows| self.replay.compare(rows)),
            anchor: self.anchor.map(AnchorWatch::finish),
            seal,
        }
    }
}

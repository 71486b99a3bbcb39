//! Replaying the audit log into the flags, presets and tokens it says the store holds, and
//! comparing that with the rows: what the hash chain alone cannot see.
//!
//! Every entry about a flag, a preset or a token carries the whole state after the change
//! (`after`, `null` once deleted) and the whole state it found (`before`). Folding the log
//! therefore gives, per entity, the state the store must hold now, and checks on the way that
//! each entry found the entity where the previous one left it. A row edited by hand disagrees
//! with the end state; an edit that a later, honest change carried into the log shows as an
//! entry whose `before` is not the previous entry's `after`.
//!
//! Rows keep times to the millisecond while the log keeps the JSON it was handed, so states are
//! compared after truncating override expiries and token creation times to milliseconds.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::access::{Role, TokenName};
use crate::audit::AuditEntry;
use crate::flag::Flag;
use crate::preset::Preset;
use crate::wire::action::AuditAction;
use crate::wire::entity::{AuditEntity, EntityKind};

/// The action of an entry that accepts a row as it is (`cutover serve --trust-state`): its
/// `before` is the state the log held, its `after` the row, and it settles every earlier
/// finding about the entity.
pub const TRUST_ACTION: &str = AuditAction::StateTrust.as_str();

/// A token as the audit log records it: never the secret, and not the stored hash either, but
/// a digest of it (`hash_binding`) so that a row whose hash was swapped disagrees with the log.
/// Entries written before tokens were bound have no binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenState {
    pub name: TokenName,
    pub role: Role,
    pub created_at: Timestamp,
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_binding: Option<String>,
    /// When the token stops working; absent for one that never expires (and in entries written
    /// before tokens could expire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// The binding of a stored token hash: SHA-256, hex, of the tag `cutover.token.binding.v1`
/// followed by the stored hash. The log can then show which hash a token was created with
/// without carrying the value the tokens table looks callers up by.
pub fn token_binding(stored_hash: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"cutover.token.binding.v1");
    h.update(stored_hash.as_bytes());
    hex(&h.finalize())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// The rows of a store, as the replay compares them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredState {
    pub flags: Vec<Flag>,
    pub presets: Vec<Preset>,
    /// Each with `hash_binding` set from the row's hash.
    pub tokens: Vec<TokenState>,
}

/// One field whose value differs: what the log says, and what was found instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    pub field: String,
    pub expected: Value,
    pub found: Value,
}

/// A disagreement between the log and the rows, or inside the log between two entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum StateFinding {
    /// The row differs from the state the log leaves the entity in after `entry`.
    RowDiffers {
        entity: String,
        entry: u64,
        fields: Vec<FieldDiff>,
    },
    /// The log leaves the entity in place after `entry`, but there is no row.
    RowMissing { entity: String, entry: u64 },
    /// A row the log does not hold: no entry created it, or `entry` deleted it.
    RowUnlogged { entity: String, entry: Option<u64> },
    /// Entry `entry` found the entity other than entry `previous` left it (absent for
    /// `previous: null`): it was changed outside cutover in between, and the change was then
    /// carried into the log. `accepted_by` names the entry that accepted it, if one did.
    ChangedOutsideLog {
        entity: String,
        entry: u64,
        previous: Option<u64>,
        fields: Vec<FieldDiff>,
        accepted_by: Option<u64>,
    },
    /// The entry's state cannot be read as the entity it names.
    Unreadable {
        entity: String,
        entry: u64,
        why: String,
    },
}

impl StateFinding {
    pub fn entity(&self) -> &str {
        match self {
            StateFinding::RowDiffers { entity, .. }
            | StateFinding::RowMissing { entity, .. }
            | StateFinding::RowUnlogged { entity, .. }
            | StateFinding::ChangedOutsideLog { entity, .. }
            | StateFinding::Unreadable { entity, .. } => entity,
        }
    }

    /// Whether an entry of the log accepted it, so it no longer fails a verification.
    pub fn is_accepted(&self) -> bool {
        matches!(
            self,
            StateFinding::ChangedOutsideLog {
                accepted_by: Some(_),
                ..
            }
        )
    }
}

/// `flag:checkout` as `flag checkout`.
fn shown(entity: &str) -> String {
    entity.replacen(':', " ", 1)
}

/// A JSON value in a line of text: compact, and cut short when long.
fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 60 {
        text
    } else {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}...")
    }
}

/// `rollout_percent is 100 in the row, 5 in the log; ...`
fn fields_in_words(fields: &[FieldDiff], verb: &str, found: &str, expected: &str) -> String {
    fields
        .iter()
        .map(|d| {
            format!(
                "{} {verb} {} {found}, {} {expected}",
                d.field,
                brief(&d.found),
                brief(&d.expected)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl std::fmt::Display for StateFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateFinding::RowDiffers {
                entity,
                entry,
                fields,
            } => write!(
                f,
                "{}: the row differs from the log (after entry {entry}): {}",
                shown(entity),
                fields_in_words(fields, "is", "in the row", "in the log")
            ),
            StateFinding::RowMissing { entity, entry } => write!(
                f,
                "{}: the log holds it (entry {entry}) but there is no row: deleted outside cutover",
                shown(entity)
            ),
            StateFinding::RowUnlogged {
                entity,
                entry: None,
            } => write!(
                f,
                "{}: a row no audit entry created: inserted outside cutover",
                shown(entity)
            ),
            StateFinding::RowUnlogged {
                entity,
                entry: Some(entry),
            } => write!(
                f,
                "{}: entry {entry} deleted it, yet the row exists: put back outside cutover",
                shown(entity)
            ),
            StateFinding::ChangedOutsideLog {
                entity,
                entry,
                previous,
                fields,
                accepted_by,
            } => {
                let since = match previous {
                    Some(p) => format!("since entry {p}"),
                    None => "before any entry held it".to_owned(),
                };
                write!(
                    f,
                    "{}: entry {entry} found it changed outside cutover {since}",
                    shown(entity)
                )?;
                if fields.is_empty() {
                    write!(
                        f,
                        " (it existed where the log says it did not, or the reverse)"
                    )?;
                } else {
                    let after = match previous {
                        Some(p) => format!("after entry {p}"),
                        None => "in the log".to_owned(),
                    };
                    let found = format!("when entry {entry} ran");
                    write!(f, ": {}", fields_in_words(fields, "was", &found, &after))?;
                }
                if let Some(by) = accepted_by {
                    write!(f, "; accepted by entry {by}")?;
                }
                Ok(())
            }
            StateFinding::Unreadable { entity, entry, why } => write!(
                f,
                "{}: entry {entry} cannot be read by this build: {why}",
                shown(entity)
            ),
        }
    }
}

/// What the replay found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateReport {
    /// Rows compared.
    pub flags: u64,
    pub presets: u64,
    pub tokens: u64,
    pub findings: Vec<StateFinding>,
    /// Tokens whose creating entry predates hash binding: checked by name, role, creation time
    /// and creator only, since the log cannot tell which hash they were created with.
    pub unbound_tokens: Vec<String>,
}

impl StateReport {
    /// No finding, or only findings the log itself accepted.
    pub fn agrees(&self) -> bool {
        self.findings.iter().all(StateFinding::is_accepted)
    }

    /// The findings that still fail a verification.
    pub fn open_findings(&self) -> impl Iterator<Item = &StateFinding> {
        self.findings.iter().filter(|f| !f.is_accepted())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Flag,
    Preset,
    Token,
}

fn kind_of(entity: &str) -> Option<Kind> {
    match EntityKind::split(entity)?.0 {
        EntityKind::Flag => Some(Kind::Flag),
        EntityKind::Preset => Some(Kind::Preset),
        EntityKind::Token => Some(Kind::Token),
        EntityKind::Audit => None,
    }
}

fn millisecond(at: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(at.as_millisecond()).unwrap_or(at)
}

fn flag_value(mut flag: Flag) -> Result<Value, String> {
    for o in &mut flag.overrides {
        o.expires_at = o.expires_at.map(millisecond);
    }
    serde_json::to_value(flag).map_err(|e| e.to_string())
}

fn token_value(mut token: TokenState) -> Result<Value, String> {
    token.created_at = millisecond(token.created_at);
    serde_json::to_value(token).map_err(|e| e.to_string())
}

/// The comparable form of an entity's state as the log stores it.
fn state_value(kind: Kind, text: &str) -> Result<Value, String> {
    match kind {
        Kind::Flag => flag_value(serde_json::from_str(text).map_err(|e| e.to_string())?),
        Kind::Preset => {
            let preset: Preset = serde_json::from_str(text).map_err(|e| e.to_string())?;
            serde_json::to_value(preset).map_err(|e| e.to_string())
        }
        Kind::Token => token_value(serde_json::from_str(text).map_err(|e| e.to_string())?),
    }
}

/// The fields of two states that differ, by top-level field. Tokens created before binding are
/// compared without it.
fn differences(kind: Kind, expected: &Value, found: &Value) -> Vec<FieldDiff> {
    let empty = serde_json::Map::new();
    let e = expected.as_object().unwrap_or(&empty);
    let f = found.as_object().unwrap_or(&empty);
    let unbound =
        kind == Kind::Token && (!e.contains_key("hash_binding") || !f.contains_key("hash_binding"));
    let mut names: Vec<&String> = e.keys().chain(f.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| !(unbound && name.as_str() == "hash_binding"))
        .filter_map(|name| {
            let a = e.get(name).unwrap_or(&Value::Null);
            let b = f.get(name).unwrap_or(&Value::Null);
            (a != b).then(|| FieldDiff {
                field: name.clone(),
                expected: a.clone(),
                found: b.clone(),
            })
        })
        .collect()
}

/// The state the log left one entity in.
#[derive(Debug, Clone)]
struct Known {
    /// The last entry about it.
    entry: u64,
    /// Its `after`, as stored; `None` once deleted.
    after: Option<String>,
}

/// The fold of the audit log into the state it describes. Feed every entry in id order with
/// [`StateReplay::push`], then compare with the rows with [`StateReplay::compare`].
///
/// It holds one state per entity, not the log, so it streams a log of any length.
#[derive(Debug, Clone, Default)]
pub struct StateReplay {
    known: BTreeMap<String, Known>,
    findings: Vec<StateFinding>,
}

impl StateReplay {
    pub fn new() -> Self {
        Self::default()
    }

    /// The state the log holds for `entity` (its exact text; `None` when absent or deleted)
    /// and the last entry about it.
    pub fn state_of(&self, entity: &str) -> (Option<&str>, Option<u64>) {
        match self.known.get(entity) {
            Some(k) => (k.after.as_deref(), Some(k.entry)),
            None => (None, None),
        }
    }

    /// Folds in the next entry. Entries about anything but flags, presets and tokens (the
    /// audit log's own entries) hold no state and are passed over.
    pub fn push(&mut self, entry: &AuditEntry) {
        let Some(kind) = kind_of(&entry.entity) else {
            return;
        };
        if entry.action == TRUST_ACTION {
            for finding in &mut self.findings {
                if let StateFinding::ChangedOutsideLog {
                    entity,
                    accepted_by,
                    ..
                } = finding
                    && *entity == entry.entity
                    && accepted_by.is_none()
                {
                    *accepted_by = Some(entry.id);
                }
            }
        }
        let previous = self.known.get(&entry.entity);
        let expected = previous.and_then(|k| k.after.as_deref());
        if expected != entry.before.as_deref() {
            let previous_id = previous.map(|k| k.entry);
            if let Some(finding) = self.discontinuity(kind, entry, expected, previous_id) {
                self.findings.push(finding);
            }
        }
        self.known.insert(
            entry.entity.clone(),
            Known {
                entry: entry.id,
                after: entry.after.clone(),
            },
        );
    }

    /// Why `entry.before` is not `expected`, when the two texts differ: `None` when they hold
    /// the same state written differently (times to the millisecond, an older field order).
    fn discontinuity(
        &self,
        kind: Kind,
        entry: &AuditEntry,
        expected: Option<&str>,
        previous: Option<u64>,
    ) -> Option<StateFinding> {
        let unreadable = |why: String| StateFinding::Unreadable {
            entity: entry.entity.clone(),
            entry: entry.id,
            why,
        };
        let fields = match (expected, entry.before.as_deref()) {
            (Some(e), Some(b)) => {
                let e = match state_value(kind, e) {
                    Ok(v) => v,
                    Err(why) => return Some(unreadable(why)),
                };
                let b = match state_value(kind, b) {
                    Ok(v) => v,
                    Err(why) => return Some(unreadable(why)),
                };
                let fields = differences(kind, &e, &b);
                if fields.is_empty() {
                    return None;
                }
                fields
            }
            _ => Vec::new(),
        };
        Some(StateFinding::ChangedOutsideLog {
            entity: entry.entity.clone(),
            entry: entry.id,
            previous,
            fields,
            accepted_by: None,
        })
    }

    /// Compares the state the log ends in with the rows.
    pub fn compare(self, rows: &StoredState) -> StateReport {
        let mut report = StateReport {
            flags: rows.flags.len() as u64,
            presets: rows.presets.len() as u64,
            tokens: rows.tokens.len() as u64,
            findings: self.findings,
            unbound_tokens: Vec::new(),
        };
        let mut found: BTreeMap<String, (Kind, Result<Value, String>)> = BTreeMap::new();
        for flag in &rows.flags {
            found.insert(
                AuditEntity::Flag(flag.key.clone()).to_string(),
                (Kind::Flag, flag_value(flag.clone())),
            );
        }
        for preset in &rows.presets {
            found.insert(
                AuditEntity::Preset(preset.name.clone()).to_string(),
                (
                    Kind::Preset,
                    serde_json::to_value(preset).map_err(|e| e.to_string()),
                ),
            );
        }
        for token in &rows.tokens {
            found.insert(
                AuditEntity::Token(token.name.clone()).to_string(),
                (Kind::Token, token_value(token.clone())),
            );
        }
        for (entity, known) in &self.known {
            let Some(kind) = kind_of(entity) else {
                continue;
            };
            let row = found.remove(entity);
            let finding = match (&known.after, row) {
                (None, None) => None,
                (None, Some(_)) => Some(StateFinding::RowUnlogged {
                    entity: entity.clone(),
                    entry: Some(known.entry),
                }),
                (Some(_), None) => Some(StateFinding::RowMissing {
                    entity: entity.clone(),
                    entry: known.entry,
                }),
                (Some(text), Some((_, row))) => {
                    Self::row_finding(kind, entity, known.entry, text, row, &mut report)
                }
            };
            report.findings.extend(finding);
        }
        for entity in found.into_keys() {
            report.findings.push(StateFinding::RowUnlogged {
                entity,
                entry: None,
            });
        }
        report
    }

    fn row_finding(
        kind: Kind,
        entity: &str,
        entry: u64,
        logged: &str,
        row: Result<Value, String>,
        report: &mut StateReport,
    ) -> Option<StateFinding> {
        let unreadable = |why: String| StateFinding::Unreadable {
            entity: entity.to_owned(),
            entry,
            why,
        };
        let expected = match state_value(kind, logged) {
            Ok(v) => v,
            Err(why) => return Some(unreadable(why)),
        };
        let row = match row {
            Ok(v) => v,
            Err(why) => return Some(unreadable(format!("the row: {why}"))),
        };
        if kind == Kind::Token && expected.get("hash_binding").is_none() {
            report.unbound_tokens.push(
                EntityKind::split(entity)
                    .map_or(entity, |(_, name)| name)
                    .to_owned(),
            );
        }
        let fields = differences(kind, &expected, &row);
        (!fields.is_empty()).then(|| StateFinding::RowDiffers {
            entity: entity.to_owned(),
            entry,
            fields,
        })
    }
}

#[cfg(test)]
mod tests;

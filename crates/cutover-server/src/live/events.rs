//! Turning audit entries into change-stream events: each flag entry moves the flag to its state
//! after the change, and the entries one transaction wrote become one event, so a client applies
//! a preset or an import at once and never evaluates a half-applied one.

use std::collections::BTreeMap;

use cutover_core::{AuditEntry, Flag, FlagKey, Timestamp};
use serde::Serialize;
use serde_json::value::RawValue;

use super::window::StreamEvent;

/// One flag's change, as the stream sends it.
#[derive(Serialize)]
struct ChangeData<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    seq: u64,
    action: &'a str,
    key: &'a str,
    at: Timestamp,
    /// The flag after the change; `null` when it was deleted.
    flag: Option<&'a RawValue>,
}

/// Several flags changed by one transaction.
#[derive(Serialize)]
struct ChangesData<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    /// The transaction's last entry.
    seq: u64,
    changes: Vec<ChangeData<'a>>,
}

/// Applies the flag entries among `entries` (in id order) to `flags` and returns one event per
/// transaction; `None` when an entry cannot be read, which only a store edited by hand produces.
pub(crate) fn apply_entries(
    flags: &mut BTreeMap<FlagKey, Flag>,
    entries: &[AuditEntry],
) -> Option<Vec<StreamEvent>> {
    let mut events = Vec::new();
    let mut group: Vec<ChangeData<'_>> = Vec::new();
    let mut group_txn = None;
    for entry in entries {
        let Some(key) = entry.entity.strip_prefix("flag:") else {
            continue;
        };
        if group_txn != Some(entry.txn) && !group.is_empty() {
            events.push(event_of(std::mem::take(&mut group))?);
        }
        group_txn = Some(entry.txn);
        let flag_key = FlagKey::new(key).ok()?;
        let after = match &entry.after {
            Some(json) => {
                let flag: Flag = serde_json::from_str(json).ok()?;
                flags.insert(flag_key, flag);
                Some(serde_json::from_str::<&RawValue>(json).ok()?)
            }
            None => {
                flags.remove(&flag_key);
                None
            }
        };
        group.push(ChangeData {
            kind: "change",
            seq: entry.id,
            action: &entry.action,
            key,
            at: entry.at,
            flag: after,
        });
    }
    if !group.is_empty() {
        events.push(event_of(group)?);
    }
    Some(events)
}

fn event_of(mut group: Vec<ChangeData<'_>>) -> Option<StreamEvent> {
    let seq = group.last()?.seq;
    if group.len() == 1 {
        let one = group.pop()?;
        return Some(StreamEvent {
            seq,
            kind: "change",
            data: serde_json::to_string(&one).ok()?,
        });
    }
    Some(StreamEvent {
        seq,
        kind: "changes",
        data: serde_json::to_string(&ChangesData {
            kind: "changes",
            seq,
            changes: group,
        })
        .ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutover_core::NewAuditEntry;

    fn entry(id: u64, txn: u64, entity: &str, after: Option<&Flag>) -> AuditEntry {
        let mut e = NewAuditEntry {
            at: Timestamp::from_second(1_800_000_000).unwrap(),
            actor: "t".into(),
            action: "flag.change".into(),
            entity: entity.into(),
            before: None,
            after: after.map(|f| serde_json::to_string(f).unwrap()),
            reason: None,
        }
        .seal(id, cutover_core::GENESIS_HASH);
        e.txn = txn;
        e
    }

    #[test]
    fn entries_of_one_transaction_become_one_event_and_others_stay_apart() {
        let a = Flag::new(FlagKey::new("a").unwrap());
        let b = Flag::new(FlagKey::new("b").unwrap());
        let entries = [
            entry(1, 1, "flag:a", Some(&a)),
            entry(2, 2, "token:x", None),
            entry(3, 3, "flag:a", Some(&a)),
            entry(4, 3, "flag:b", Some(&b)),
            entry(5, 5, "flag:b", None),
        ];
        let mut flags = BTreeMap::new();
        let events = apply_entries(&mut flags, &entries).unwrap();
        let shape: Vec<(u64, &str)> = events.iter().map(|e| (e.seq, e.kind)).collect();
        assert_eq!(shape, [(1, "change"), (4, "changes"), (5, "change")]);
        let grouped: serde_json::Value = serde_json::from_str(&events[1].data).unwrap();
        assert_eq!(grouped["seq"], 4);
        assert_eq!(grouped["changes"][0]["key"], "a");
        assert_eq!(grouped["changes"][1]["key"], "b");
        assert_eq!(flags.len(), 1, "b was deleted by the last entry");
    }
}

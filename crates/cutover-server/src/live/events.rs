//! Turning audit entries into change-stream events: each flag entry moves the flag to its state
//! after the change, and the entries one transaction wrote become one event, so a client applies
//! a preset or an import at once and never evaluates a half-applied one.

use std::borrow::Cow;
use std::collections::BTreeMap;

use cutover_core::wire::{ChangeMessage, ChangesMessage, StreamEventKind};
use cutover_core::{AuditEntry, EntityKind, Flag, FlagKey};
use serde_json::value::RawValue;

use super::window::StreamEvent;

/// One flag's change as the stream sends it: the flag after it is the audit entry's exact text.
type ChangeData<'a> = ChangeMessage<'a, &'a RawValue>;

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
        let Some((EntityKind::Flag, key)) = EntityKind::split(&entry.entity) else {
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
                flags.insert(flag_key.clone(), flag);
                Some(serde_json::from_str::<&RawValue>(json).ok()?)
            }
            None => {
                flags.remove(&flag_key);
                None
            }
        };
        group.push(ChangeData {
            seq: entry.id,
            action: Cow::Borrowed(&entry.action),
            key: Cow::Owned(flag_key),
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
            kind: StreamEventKind::Change.as_str(),
            data: serde_json::to_string(&one).ok()?,
        });
    }
    Some(StreamEvent {
        seq,
        kind: StreamEventKind::Changes.as_str(),
        data: serde_json::to_string(&ChangesMessage {
            seq,
            changes: group,
        })
        .ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutover_core::{NewAuditEntry, Timestamp};

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

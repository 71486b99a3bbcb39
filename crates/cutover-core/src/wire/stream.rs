//! The change stream's messages (`GET /api/v1/stream`): the server serialises them, the SDK
//! reads them. Each SSE event's name is its message's `type`.
//!
//! The messages are generic over how a flag is carried, so the server writes the flags it holds
//! (and the audit log's exact `after` text) without copying them, and the SDK reads owned
//! [`Flag`](crate::Flag)s, through one definition of the fields and their order.

use std::borrow::Cow;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::key::FlagKey;

/// The SSE event names of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEventKind {
    /// Every flag: sent first, and again when a client fell too far behind.
    Snapshot,
    /// One flag changed by one transaction.
    Change,
    /// Several flags changed by one transaction (a preset applied, an import).
    Changes,
    /// OFREP's `refetchEvaluation` notification (`?format=ofrep`).
    Message,
}

impl StreamEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamEventKind::Snapshot => "snapshot",
            StreamEventKind::Change => "change",
            StreamEventKind::Changes => "changes",
            StreamEventKind::Message => "message",
        }
    }

    /// The kind of a received event; `None` for a name this build does not know (skipped, so
    /// a newer server can add events).
    pub fn parse(name: &str) -> Option<StreamEventKind> {
        [
            StreamEventKind::Snapshot,
            StreamEventKind::Change,
            StreamEventKind::Changes,
            StreamEventKind::Message,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// Every flag at audit id `seq`: `{"type":"snapshot","seq":..,"flags":[..]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "snapshot")]
pub struct SnapshotMessage<F> {
    pub seq: u64,
    pub flags: Vec<F>,
}

/// One flag's change: `{"type":"change","seq":..,"action":..,"key":..,"at":..,"flag":..}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "change")]
pub struct ChangeMessage<'a, F> {
    /// The audit entry's id.
    pub seq: u64,
    /// The audit action, as text: a client must not fail on an action a newer server writes.
    pub action: Cow<'a, str>,
    pub key: Cow<'a, FlagKey>,
    pub at: Timestamp,
    /// The flag after the change; `null` when it was deleted.
    pub flag: Option<F>,
}

/// The flags one transaction changed together: `{"type":"changes","seq":..,"changes":[..]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "changes")]
pub struct ChangesMessage<'a, F> {
    /// The transaction's last entry.
    pub seq: u64,
    pub changes: Vec<ChangeMessage<'a, F>>,
}

/// OFREP's notification that evaluations should be fetched again:
/// `{"type":"refetchEvaluation","etag":".."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "refetchEvaluation")]
pub struct RefetchMessage {
    pub etag: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::flag::Flag;
    use serde_json::value::RawValue;

    fn at() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap()
    }

    /// The bytes on the wire are pinned: an SDK of any version reads them.
    #[test]
    fn the_json_on_the_wire() {
        let flag = Flag::new(FlagKey::new("checkout").unwrap());
        let flag_json = serde_json::to_string(&flag).unwrap();
        let snapshot = SnapshotMessage {
            seq: 7,
            flags: vec![&flag],
        };
        let text = serde_json::to_string(&snapshot).unwrap();
        assert_eq!(
            text,
            format!(r#"{{"type":"snapshot","seq":7,"flags":[{flag_json}]}}"#)
        );
        let read: SnapshotMessage<Flag> = serde_json::from_str(&text).unwrap();
        assert_eq!(read.seq, 7);
        assert_eq!(read.flags.len(), 1);
        assert_eq!(read.flags[0], flag);

        let raw: &RawValue = serde_json::from_str(&flag_json).unwrap();
        let change = ChangeMessage {
            seq: 8,
            action: Cow::Borrowed("flag.kill"),
            key: Cow::Borrowed(&flag.key),
            at: at(),
            flag: Some(raw),
        };
        let text = serde_json::to_string(&change).unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"type":"change","seq":8,"action":"flag.kill","key":"checkout","at":"2027-01-15T08:00:00Z","flag":{flag_json}}}"#
            )
        );
        let read: ChangeMessage<'_, Flag> = serde_json::from_str(&text).unwrap();
        assert_eq!(read.flag.as_ref(), Some(&flag));
        assert_eq!(read.key.as_str(), "checkout");

        let deleted = ChangeMessage::<&RawValue> {
            flag: None,
            ..change.clone()
        };
        let changes = ChangesMessage {
            seq: 9,
            changes: vec![change, deleted],
        };
        let text = serde_json::to_string(&changes).unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"type":"changes","seq":9,"changes":[{{"type":"change","seq":8,"action":"flag.kill","key":"checkout","at":"2027-01-15T08:00:00Z","flag":{flag_json}}},{{"type":"change","seq":8,"action":"flag.kill","key":"checkout","at":"2027-01-15T08:00:00Z","flag":null}}]}}"#
            )
        );
        let read: ChangesMessage<'_, Flag> = serde_json::from_str(&text).unwrap();
        assert_eq!(read.changes.len(), 2);
        assert_eq!(read.changes[1].flag, None);

        let refetch = RefetchMessage {
            etag: "9".to_owned(),
        };
        assert_eq!(
            serde_json::to_string(&refetch).unwrap(),
            r#"{"type":"refetchEvaluation","etag":"9"}"#
        );
    }

    #[test]
    fn a_reader_skips_fields_it_does_not_know() {
        let read: SnapshotMessage<Flag> =
            serde_json::from_str(r#"{"type":"snapshot","seq":1,"flags":[],"later":true}"#).unwrap();
        assert_eq!(read.seq, 1);
    }

    #[test]
    fn event_names_round_trip() {
        for kind in [
            StreamEventKind::Snapshot,
            StreamEventKind::Change,
            StreamEventKind::Changes,
            StreamEventKind::Message,
        ] {
            assert_eq!(StreamEventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(StreamEventKind::parse("ping"), None);
    }
}

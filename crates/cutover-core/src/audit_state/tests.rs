use super::*;
use crate::GENESIS_HASH;
use crate::{AttributeName, FlagKey, NewAuditEntry, Override, PresetEntry, Rollout, Variant};

/// A log being written the way the store writes it: each entry carries the state before and
/// after as JSON.
#[derive(Default)]
struct Log {
    entries: Vec<AuditEntry>,
}

impl Log {
    fn push<T: Serialize>(
        &mut self,
        action: &str,
        entity: &str,
        before: Option<&T>,
        after: Option<&T>,
    ) -> u64 {
        let json = |v: Option<&T>| v.map(|v| serde_json::to_string(v).unwrap());
        let prev = self
            .entries
            .last()
            .map_or(GENESIS_HASH.to_owned(), |e| e.hash.clone());
        let id = self.entries.len() as u64 + 1;
        self.entries.push(
            NewAuditEntry {
                at: Timestamp::from_second(1_800_000_000 + id as i64).unwrap(),
                actor: "alice".into(),
                action: action.into(),
                entity: entity.into(),
                before: json(before),
                after: json(after),
                reason: None,
            }
            .seal(id, &prev),
        );
        id
    }

    fn report(&self, rows: &StoredState) -> StateReport {
        let mut replay = StateReplay::new();
        for e in &self.entries {
            replay.push(e);
        }
        replay.compare(rows)
    }
}

fn flag(key: &str, version: u64, percent: &str) -> Flag {
    let mut f = Flag::new(FlagKey::new(key).unwrap());
    f.version = version;
    f.rollout = Rollout::from_percent_str(percent).unwrap();
    f
}

fn percent(p: &str) -> Value {
    serde_json::to_value(Rollout::from_percent_str(p).unwrap()).unwrap()
}

fn token(name: &str, role: Role, hash: &str, bound: bool) -> TokenState {
    TokenState {
        name: TokenName::new(name).unwrap(),
        role,
        created_at: Timestamp::new(1_800_000_000, 123_456_789).unwrap(),
        created_by: "alice".into(),
        hash_binding: bound.then(|| token_binding(hash)),
        expires_at: None,
    }
}

/// checkout created and moved to 5 %, with an override whose expiry has nanoseconds.
fn checkout_log() -> (Log, Flag) {
    let mut log = Log::default();
    let v1 = flag("checkout", 1, "0");
    log.push("flag.create", "flag:checkout", None, Some(&v1));
    let mut v2 = flag("checkout", 2, "5");
    v2.overrides.push(Override {
        attribute: AttributeName::new("user_id").unwrap(),
        value: "vip".into(),
        variant: Variant::New,
        expires_at: Some(Timestamp::new(1_900_000_000, 987_654_321).unwrap()),
    });
    log.push("flag.rollout", "flag:checkout", Some(&v1), Some(&v2));
    (log, v2)
}

/// The flag as the store reads it back: expiries to the millisecond.
fn as_row(mut f: Flag) -> Flag {
    for o in &mut f.overrides {
        o.expires_at = o.expires_at.map(millisecond);
    }
    f
}

fn rows(flags: Vec<Flag>) -> StoredState {
    StoredState {
        flags,
        ..StoredState::default()
    }
}

#[test]
fn a_log_replayed_onto_its_own_rows_agrees() {
    let (mut log, v2) = checkout_log();
    let preset = Preset {
        name: FlagKey::new("phase1").unwrap(),
        description: String::new(),
        entries: vec![PresetEntry::unset(FlagKey::new("checkout").unwrap())],
    };
    log.push("preset.define", "preset:phase1", None, Some(&preset));
    let ci = token("ci", Role::Operator, &"a".repeat(64), true);
    log.push("token.create", "token:ci", None, Some(&ci));
    let old = token("old", Role::Viewer, &"b".repeat(64), true);
    log.push("token.create", "token:old", None, Some(&old));
    log.push("token.revoke", "token:old", Some(&old), None);
    // The next change reads the row back (milliseconds) as its `before`.
    let read_back = as_row(v2.clone());
    let mut v3 = read_back.clone();
    v3.version = 3;
    v3.description = "new checkout".into();
    log.push("flag.update", "flag:checkout", Some(&read_back), Some(&v3));
    let mut ci_row = ci.clone();
    ci_row.created_at = millisecond(ci.created_at);
    let report = log.report(&StoredState {
        flags: vec![as_row(v3)],
        presets: vec![preset],
        tokens: vec![ci_row],
    });
    assert!(report.agrees(), "{report:?}");
    assert_eq!((report.flags, report.presets, report.tokens), (1, 1, 1));
    assert!(report.unbound_tokens.is_empty());
}

#[test]
fn a_hand_edited_row_is_named_with_the_field() {
    let (log, v2) = checkout_log();
    let mut edited = as_row(v2);
    edited.rollout = Rollout::from_percent_str("100").unwrap();
    let report = log.report(&rows(vec![edited]));
    assert_eq!(
        report.findings,
        [StateFinding::RowDiffers {
            entity: "flag:checkout".into(),
            entry: 2,
            fields: vec![FieldDiff {
                field: "rollout_percent".into(),
                expected: percent("5"),
                found: percent("100"),
            }],
        }]
    );
    assert!(!report.agrees());
    assert_eq!(
        report.findings[0].to_string(),
        format!(
            "flag checkout: the row differs from the log (after entry 2): rollout_percent is {} \
             in the row, {} in the log",
            percent("100"),
            percent("5")
        )
    );
}

#[test]
fn missing_inserted_and_resurrected_rows_are_named() {
    let (mut log, v2) = checkout_log();
    let scratch = flag("scratch", 1, "0");
    log.push("flag.create", "flag:scratch", None, Some(&scratch));
    log.push("flag.delete", "flag:scratch", Some(&scratch), None);
    let report = log.report(&rows(vec![flag("extra", 1, "100"), scratch]));
    assert_eq!(
        report.findings,
        [
            StateFinding::RowMissing {
                entity: "flag:checkout".into(),
                entry: 2,
            },
            StateFinding::RowUnlogged {
                entity: "flag:scratch".into(),
                entry: Some(4),
            },
            StateFinding::RowUnlogged {
                entity: "flag:extra".into(),
                entry: None,
            },
        ]
    );
    assert!(log.report(&rows(vec![as_row(v2)])).agrees());
}

#[test]
fn an_edit_carried_into_the_log_shows_as_a_jump_between_entries() {
    let (mut log, v2) = checkout_log();
    // Someone set 100 % by hand; the next honest change read that row as its `before`.
    let mut tampered = as_row(v2);
    tampered.rollout = Rollout::from_percent_str("100").unwrap();
    let mut v3 = tampered.clone();
    v3.version = 3;
    v3.owner = "payments".into();
    log.push("flag.owner", "flag:checkout", Some(&tampered), Some(&v3));
    let report = log.report(&rows(vec![v3.clone()]));
    assert_eq!(
        report.findings,
        [StateFinding::ChangedOutsideLog {
            entity: "flag:checkout".into(),
            entry: 3,
            previous: Some(2),
            fields: vec![FieldDiff {
                field: "rollout_percent".into(),
                expected: percent("5"),
                found: percent("100"),
            }],
            accepted_by: None,
        }]
    );
    assert!(!report.agrees());

    // An entry that changes what no entry created, or creates what exists, is a jump too.
    let mut log = Log::default();
    log.push("flag.kill", "flag:ghost", Some(&v3), Some(&v3));
    let finding = &log.report(&rows(vec![v3])).findings[0];
    assert!(
        matches!(
            finding,
            StateFinding::ChangedOutsideLog { previous: None, .. }
        ),
        "{finding:?}"
    );
}

#[test]
fn a_trust_entry_accepts_a_jump_and_the_row_it_found() {
    let (mut log, v2) = checkout_log();
    let mut tampered = as_row(v2.clone());
    tampered.rollout = Rollout::from_percent_str("100").unwrap();
    let mut v3 = tampered.clone();
    v3.version = 3;
    v3.owner = "payments".into();
    log.push("flag.owner", "flag:checkout", Some(&tampered), Some(&v3));
    let mut edited_again = v3.clone();
    edited_again.killed = true;
    log.push(
        TRUST_ACTION,
        "flag:checkout",
        Some(&v3),
        Some(&edited_again),
    );
    let report = log.report(&rows(vec![edited_again]));
    assert!(report.agrees(), "{report:?}");
    assert!(
        matches!(
            report.findings.as_slice(),
            [StateFinding::ChangedOutsideLog {
                accepted_by: Some(4),
                ..
            }]
        ),
        "{report:?}"
    );
    assert!(
        report.findings[0]
            .to_string()
            .ends_with("; accepted by entry 4")
    );
}

#[test]
fn tokens_are_bound_by_a_digest_of_their_stored_hash() {
    let stored = "c".repeat(64);
    let mut log = Log::default();
    let ci = token("ci", Role::Operator, &stored, true);
    log.push("token.create", "token:ci", None, Some(&ci));
    let swapped = token("ci", Role::Operator, &"d".repeat(64), true);
    let report = log.report(&StoredState {
        tokens: vec![swapped],
        ..StoredState::default()
    });
    assert!(
        matches!(
            report.findings.as_slice(),
            [StateFinding::RowDiffers { fields, .. }] if fields[0].field == "hash_binding"
        ),
        "{report:?}"
    );
    assert_ne!(
        token_binding(&stored),
        stored,
        "the log never holds the stored hash"
    );

    // A token created before binding: its hash cannot be checked, the rest can, and the report
    // says which tokens are in that position.
    let mut log = Log::default();
    let legacy = token("legacy", Role::Viewer, &stored, false);
    log.push("token.create", "token:legacy", None, Some(&legacy));
    let row = token("legacy", Role::Viewer, &"d".repeat(64), true);
    let report = log.report(&StoredState {
        tokens: vec![row.clone()],
        ..StoredState::default()
    });
    assert!(report.agrees(), "{report:?}");
    assert_eq!(report.unbound_tokens, ["legacy"]);
    let raised = TokenState {
        role: Role::Admin,
        ..row
    };
    let report = log.report(&StoredState {
        tokens: vec![raised],
        ..StoredState::default()
    });
    assert!(
        !report.agrees(),
        "a raised role is caught without a binding"
    );
}

#[test]
fn an_entry_that_cannot_be_read_is_named() {
    let (mut log, v2) = checkout_log();
    let id = log.push("flag.update", "flag:checkout", Some(&v2), Some(&v2));
    log.entries[id as usize - 1].before = Some(r#"{"key":"checkout","rollout":5}"#.into());
    let report = log.report(&rows(vec![as_row(v2)]));
    assert!(
        matches!(
            report.findings.as_slice(),
            [StateFinding::Unreadable { entry: 3, .. }]
        ),
        "{report:?}"
    );
}

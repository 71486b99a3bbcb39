//! Component schemas of presets, the audit log, its verification and tokens.

use serde_json::{Map, Value, json};

use crate::openapi::vocab::*;

pub(crate) fn preset_schemas() -> Value {
    let settings = ["enabled", "stage", "rollout_percent", "killed"];
    let mut entry = described(
        object(
            &["flag"],
            json!({
                "flag": schema("FlagKey"),
                "enabled": boolean(),
                "stage": schema("Stage"),
                "rollout_percent": described(schema("Percent"), "Applied after stage."),
                "killed": described(boolean(), "true pulls the kill switch, false lifts it."),
            }),
            true,
        ),
        "The state one flag takes; settings left out are left as they are. At least one is \
         needed (422).",
    );
    entry["anyOf"] = settings
        .iter()
        .map(|f| json!({ "required": [f] }))
        .collect();
    json!({
        "PresetEntry": entry,
        "Preset": described(object(&["name", "entries"], json!({
            "name": schema("FlagKey"),
            "description": described(text(), "At most 4096 bytes; left out when empty."),
            "entries": json!({ "type": "array", "items": schema("PresetEntry"), "minItems": 1 }),
        }), true), "A named set of flag states applied together; each flag once."),
        "FlagDocument": described(object(&[], json!({
            "flags": array(schema("Flag")),
            "presets": array(schema("Preset")),
        }), true), "Every flag and preset; presets may name only flags of the document."),
        "ImportReport": object(
            &["created", "updated", "unchanged", "deleted", "presets_defined", "presets_deleted"],
            json!({
                "created": array(schema("FlagKey")),
                "updated": array(schema("FlagKey")),
                "unchanged": array(schema("FlagKey")),
                "deleted": array(schema("FlagKey")),
                "presets_defined": described(array(schema("FlagKey")), "Presets new or changed."),
                "presets_deleted": array(schema("FlagKey")),
                "changes": described(array(object(&["flag", "field", "before", "after"], json!({
                    "flag": schema("FlagKey"),
                    "field": text(),
                    "before": described(json!({}), "The field's value before; null when absent."),
                    "after": described(json!({}), "The field's value after; null when absent."),
                }), true)), "Every field an update changes."),
                "dry_run": described(json!({"type": "boolean"}), "Nothing was written: this is what the import would do."),
            }),
            true,
        ),
    })
}

pub(crate) fn audit_schemas() -> Value {
    let fault = |tag: &str, fields: Value, required: &[&str], note: &str| {
        let mut fields = fields;
        fields["fault"] = json!({ "const": tag });
        let required: Vec<&str> = std::iter::once("fault")
            .chain(required.iter().copied())
            .collect();
        described(object(&required, fields, true), note)
    };
    json!({
        "AuditEntry": described(object(
            &["id", "at", "actor", "action", "entity", "before", "after", "reason", "prev_hash", "hash"],
            json!({
                "id": count(),
                "at": instant(),
                "actor": described(text(), "The token name (the OS user or --actor from the CLI)."),
                "action": described(text(), "flag.create, flag.rollout, override.add, preset.apply, token.revoke, \
                                            rollout.plan, rollout.start, rollout.advance, golden.record, ..."),
                "entity": described(text(), "kind:name, such as flag:checkout or preset:phase1."),
                "before": { "description": "The entity's JSON before, exactly as hashed; null on create." },
                "after": { "description": "The entity's JSON after, exactly as hashed; null on delete." },
                "reason": { "type": ["string", "null"] },
                "txn": described(count(), "The id of the first entry its transaction wrote (entries \
                    of one preset or import share it); written only when it is not this entry's \
                    own id. Not hashed: it groups, it does not record."),
                "prev_hash": described(text(), "The previous entry's hash (64 zeros for the first)."),
                "hash": described(text(), "SHA-256, hex, over this entry's fields and prev_hash."),
            }),
            true,
        ), "One committed entry of the audit log."),
        "ChainFault": {
            "description": "The first thing wrong with the chain, tagged by `fault`.",
            "oneOf": [
                fault("edited", json!({ "id": count() }), &["id"],
                      "The entry does not match its hash."),
                fault("missing", json!({ "expected": count(), "found": nullable(count()) }),
                      &["expected", "found"], "Entries were deleted: found came where expected should (null: the chain ends)."),
                fault("broken_link", json!({ "id": count() }), &["id"],
                      "The entry does not link to the one before it."),
                fault("head_mismatch", json!({ "head_id": count(), "last_id": count() }),
                      &["head_id", "last_id"], "The chain ends elsewhere than the recorded head."),
            ],
        },
        "VerifyReport": object(
            &["intact", "problems", "entries", "head_id", "head_hash", "fault", "state", "anchor", "seal"],
            json!({
                "intact": described(boolean(), "The chain is unbroken, the rows agree with the log, \
                                                the anchor holds and the seal (if the server has a key) verifies."),
                "problems": described(array(text()), "Every reason it is not intact, in words."),
                "entries": described(count(), "Entries the chain walk accepted."),
                "head_id": described(count(), "The last entry walked: ID:HASH anchors the log."),
                "head_hash": described(text(), "Hash of the last entry walked; keep a copy elsewhere to anchor the log."),
                "fault": nullable(schema("ChainFault")),
                "state": nullable(schema("StateReport")),
                "anchor": nullable(schema("AnchorOutcome")),
                "seal": nullable(schema("SealOutcome")),
            }),
            true,
        ),
    })
}

/// What `GET /api/v1/audit/verify` answers besides the chain's fault.
pub(crate) fn verify_schemas() -> Map<String, Value> {
    let count_or_null = || nullable(count());
    let mut out = Map::new();
    out.insert("StateReport".into(), described(object(
        &["flags", "presets", "tokens", "findings", "unbound_tokens"],
        json!({
            "flags": described(count(), "Flag rows compared."),
            "presets": described(count(), "Preset rows compared."),
            "tokens": described(count(), "Token rows compared."),
            "findings": array(schema("StateFinding")),
            "unbound_tokens": described(array(text()),
                "Tokens created before tokens were bound to their hash: checked by name, role \
                 and creation only."),
        }),
        true,
    ), "The audit log replayed into the flags, presets and tokens it describes, compared with the rows."));
    out.insert("FieldDiff".into(), object(&["field", "expected", "found"], json!({
        "field": text(),
        "expected": { "description": "The value the log holds." },
        "found": { "description": "The value in the row, or in the entry that found it changed." },
    }), true));
    out.insert(
        "SealGap".into(),
        object(
            &["from", "to"],
            json!({ "from": count(), "to": count() }),
            true,
        ),
    );
    let diffs = || array(schema("FieldDiff"));
    out.extend(tagged(
        "StateFinding",
        "finding",
        "A disagreement between the log and the rows, tagged by `finding`; `entity` is kind:name \
         (flag:checkout, preset:phase1, token:ci).",
        vec![
            ("row_differs", json!({ "entity": text(), "entry": count(), "fields": diffs() }),
             &["entity", "entry", "fields"], "The row differs from the state the log leaves after `entry`."),
            ("row_missing", json!({ "entity": text(), "entry": count() }), &["entity", "entry"],
             "The log holds the entity (since `entry`); there is no row."),
            ("row_unlogged", json!({ "entity": text(), "entry": count_or_null() }), &["entity", "entry"],
             "A row no entry created (null), or one `entry` deleted."),
            ("changed_outside_log", json!({
                "entity": text(), "entry": count(), "previous": count_or_null(), "fields": diffs(),
                "accepted_by": count_or_null(),
             }), &["entity", "entry", "previous", "fields", "accepted_by"],
             "Entry `entry` found the entity other than entry `previous` left it: changed outside \
              cutover in between. `accepted_by`: the state.trust entry that accepted it."),
            ("unreadable", json!({ "entity": text(), "entry": count(), "why": text() }),
             &["entity", "entry", "why"], "The entry's state cannot be read by this build."),
        ],
    ));
    out.extend(tagged(
        "AnchorOutcome",
        "anchor",
        "Whether the log still holds the head given as expect_head, tagged by `anchor`.",
        vec![
            (
                "held",
                json!({ "id": count() }),
                &["id"],
                "The anchored hash is entry `id`'s.",
            ),
            (
                "rewritten",
                json!({ "id": count(), "hash": text() }),
                &["id", "hash"],
                "Entry `id` now has another hash: the log was rewritten at or before it.",
            ),
            (
                "rolled_back",
                json!({ "id": count(), "last_id": count() }),
                &["id", "last_id"],
                "The log ends before the anchored entry: an older copy was put back.",
            ),
            (
                "not_on_chain",
                json!({ "last_id": count() }),
                &["last_id"],
                "No entry has the anchored hash (an anchor given without its id).",
            ),
        ],
    ));
    out.extend(tagged(
        "SealOutcome",
        "seal",
        "The HMAC seal of the audit head, tagged by `seal`; checked only when the server was \
         started with an audit key.",
        vec![
            ("not_checked", json!({ "sealed": boolean() }), &["sealed"],
             "The server has no key; `sealed` says whether the head carries a seal."),
            ("valid", json!({ "id": count() }), &["id"], "The seal verifies and covers the head."),
            ("missing", json!({ "head_id": count() }), &["head_id"], "The head carries no seal."),
            ("wrong", json!({ "id": count() }), &["id"],
             "The seal does not verify under the key: another key made it, or the log was rewritten."),
            ("stale", json!({ "id": count(), "head_id": count() }), &["id", "head_id"],
             "Entries after `id` were appended without the key."),
            ("gap", json!({ "id": count(), "gap": schema("SealGap") }), &["id", "gap"],
             "A writer with the key found entries written without it."),
        ],
    ));
    out
}

pub(crate) fn token_schemas() -> Value {
    json!({
        "Token": object(&["name", "role", "created_at", "created_by"], json!({
            "name": schema("TokenName"),
            "role": schema("Role"),
            "created_at": instant(),
            "created_by": described(text(), "The token that created it."),
            "expires_at": described(instant(), "When it stops working (and its change streams end); absent: never."),
        }), true),
        "CreateTokenRequest": object(&["name", "role"], json!({
            "name": schema("TokenName"),
            "role": schema("Role"),
            "expires_at": described(nullable(instant()), "When it stops working; an instant to come. Absent or null: never."),
        }), true),
        "TokenCreated": object(&["name", "role", "token"], json!({
            "name": schema("TokenName"),
            "role": schema("Role"),
            "expires_at": instant(),
            "token": described(text(), "The secret: in this answer only. Send it as `Authorization: Bearer <token>`."),
        }), true),
        "Error": object(&["error", "message"], json!({
            "error": described(text(), "A stable code: bad_request, unauthorized, forbidden, not_found, \
                                        version_conflict, already_exists, identity_taken, last_admin, in_use, stale_import, \
                                        rollout_state, too_large, \
                                        invalid, rate_limited, store_unavailable, store_failure, \
                                        method_not_allowed, ..."),
            "message": described(text(), "What was wrong, with the value and what is accepted."),
            "field": described(text(), "The request field at fault, when there is one."),
        }), true),
    })
}

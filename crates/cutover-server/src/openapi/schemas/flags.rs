//! Component schemas of flags and their changes: scalars, the flag, FlagChange.

use serde_json::{Map, Value, json};

use crate::openapi::change_roles::{TAGS, capability_of};
use crate::openapi::vocab::*;

pub(crate) fn scalar_schemas() -> Value {
    json!({
        "FlagKey": {
            "type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,127}$",
            "description": "Flag keys and preset names: lower case, digits, '.', '_', '-'; at most 128.",
        },
        "TokenName": {
            "type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$",
            "description": "The token's name, also the audit actor of its changes; at most 64.",
        },
        "AttributeName": {
            "type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,128}$",
            "description": "A context attribute (user_id, tenant, targetingKey, ...).",
        },
        "Stage": {
            "enum": ["disabled", "canary", "beta", "production", "legacy_disabled"],
            "description": "A rung of the ladder and the rollout it sets on entry: 0, 5, 50, 100 and \
                            100 % (legacy_disabled: the legacy path is retired, everyone gets new).",
        },
        "Variant": { "enum": ["legacy", "new"] },
        "EnvVarName": {
            "type": "string", "pattern": "^[A-Z_][A-Z0-9_]{0,127}$",
            "description": "An environment variable a flag reads by its own name: A-Z, 0-9 and \
                            '_', not starting with a digit, at most 128; names starting with \
                            CUTOVER_ are refused (cutover's own). No two flags read one \
                            variable, CUTOVER_FLAG_<KEY> names included: a name another flag \
                            reads is a 409 `identity_taken` naming both flags.",
        },
        "EnvMode": {
            "enum": ["force", "enable"],
            "description": "What the switch variable `env` does when set. force (the default): \
                            truthy forces new and falsy legacy for every context, like \
                            CUTOVER_FLAG_<KEY>. enable: the variable is the flag's global switch \
                            in that process; truthy enables the flag and the rollout still \
                            decides, falsy sends everyone to legacy.",
        },
        "Role": { "enum": ["admin", "operator", "viewer", "sdk"] },
        "Percent": {
            "description": "Percent from 0 to 100 with at most two decimals, as a JSON number \
                            written as a plain decimal (12.5, 0.01; no exponent) or as a string \
                            holding the same, with an optional % (\"12.5\", \"12.5%\"); every \
                            request takes both. More decimals are refused, not rounded. Answers \
                            write a number, whole values as integers.",
            "anyOf": [
                { "type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01 },
                { "type": "string", "pattern": cutover_core::PERCENT_TEXT_PATTERN },
            ],
        },
    })
}

pub(crate) fn flag_schemas() -> Value {
    json!({
        "Flag": described(object(&["key"], json!({
            "key": schema("FlagKey"),
            "description": described(text(), "At most 4096 bytes; left out when empty."),
            "owner": described(text(), "At most 256 bytes; left out when empty."),
            "enabled": described(json!({ "type": "boolean", "default": true }),
                "false sends everyone to legacy, overrides included."),
            "stage": described(schema("Stage"), "Default disabled."),
            "rollout_percent": described(nullable(schema("Percent")),
                "The share of eligible contexts on new; left out or null in a request: the \
                 stage's rollout. Answers always write it."),
            "killed": described(json!({ "type": "boolean", "default": false }),
                "The kill switch: legacy for everyone, whatever else is set."),
            "stickiness": described(schema("AttributeName"),
                "The attribute bucketing reads first (then session_id, targetingKey); default user_id."),
            "salt": described(json!({ "type": ["string", "null"] }),
                "Salt of the bucketing hash, at most 256 bytes; unset (left out) means the key."),
            "scope": described(array(schema("Constraint")),
                "Constraints a context must all meet to be in the rollout; left out when empty."),
            "overrides": described(array(schema("Override")), "Left out when empty."),
            "env": described(schema("EnvVarName"),
                "The switch variable the flag answers to by its own name in an evaluating \
                 process (true/1/yes/on, false/0/no/off), besides CUTOVER_FLAG_<KEY>; left out \
                 when none."),
            "env_mode": described(schema("EnvMode"), "Left out when force."),
            "env_percent": described(schema("EnvVarName"),
                "The variable whose value (25, 12.5) is the rollout percentage in an evaluating \
                 process; left out when none."),
            "env_stage": described(schema("EnvVarName"),
                "The variable whose value (canary, ...) is the stage, with its rollout, in an \
                 evaluating process; left out when none."),
            "plan": described(nullable(schema("RolloutPlan")),
                "The guarded rollout plan; left out when there is none."),
            "run": described(nullable(schema("RolloutRun")),
                "The guarded rollout in progress, or the last one; left out when none ever \
                 started. Moved by the rollout moves and the guard; a replace keeps it, a create \
                 takes it as sent."),
            "verdicts": described(
                json!({ "type": "object", "additionalProperties": schema("NamedVerdict"),
                        "propertyNames": { "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$" } }),
                "The latest verdict of each named check (golden runs, CI jobs, sign-offs), by \
                 name; left out when none. Recorded only by record_verdict changes (a create \
                 or an import starts without any; a replace keeps them)."),
            "golden": described(nullable(schema("GoldenResult")),
                "Read only, from documents written before named verdicts: taken as the \
                 verdict `golden`. Never written."),
            "requires": described(
                json!({ "type": "object", "additionalProperties": schema("StageRequirement"),
                        "propertyNames": { "enum": ["disabled", "canary", "beta", "production",
                                                    "legacy_disabled"] } }),
                "What entering each stage needs; left out when nothing. A move into a stage \
                 that lacks any of it is a 409 `prerequisites` naming what is missing, unless \
                 forced (X-Cutover-Force)."),
            "stage_since": described(instant(),
                "When the flag entered its stage (to the millisecond); left out when not \
                 recorded. Set by the store."),
            "version": described(count(),
                "Bumped by every change that alters the flag; ignored in requests (the store sets it)."),
        }), true), "One flag. Requests need only `key`; answers always carry enabled, stage, \
                    rollout_percent, killed, stickiness and version. As JSON a flag is at most \
                    256 KiB (overrides and scope values add up): a change that would make it \
                    larger is a 422 (field `flag`)."),
        "Constraint": {
            "description": "One condition of a rollout scope. The CLI writes it as text \
                            (`tenant in acme,globex`, `tenant not_in acme`, `plan exists`); \
                            in JSON it is this object, the list under `values`.",
            "type": "object",
            "required": ["attribute", "op"],
            "additionalProperties": false,
            "properties": {
                "attribute": schema("AttributeName"),
                "op": { "enum": ["in", "not_in", "exists"] },
                "values": described(array(text()),
                    "Each at most 1024 bytes. Required by in and not_in; exists takes none \
                     (the key left out, not even null or [])."),
            },
            "oneOf": [
                { "properties": { "op": { "enum": ["in", "not_in"] } }, "required": ["values"] },
                { "properties": { "op": { "const": "exists" } }, "not": { "required": ["values"] } },
            ],
        },
        "Override": described(object(&["attribute", "value", "variant"], json!({
            "attribute": schema("AttributeName"),
            "value": described(text(), "At most 1024 bytes."),
            "variant": schema("Variant"),
            "expires_at": described(nullable(instant()), "It stops applying at this instant; left out or null: never."),
        }), true), "Forces variant for every context whose attribute equals value."),
        "CommittedFlag": object(&["value", "audit_id"], json!({
            "value": schema("Flag"),
            "audit_id": described(nullable(count()),
                "The audit entry written; null when the flag was already so."),
        }), true),
    })
}

/// The variants of `FlagChange`.
pub(crate) fn change_variants() -> Vec<TaggedVariant> {
    vec![
        (
            "set_enabled",
            json!({ "enabled": boolean() }),
            &["enabled"],
            "",
        ),
        (
            "set_stage",
            json!({ "stage": schema("Stage") }),
            &["stage"],
            "Sets the rollout the stage implies.",
        ),
        (
            "set_rollout",
            json!({ "rollout_percent": schema("Percent") }),
            &["rollout_percent"],
            "",
        ),
        ("kill", json!({}), &[], ""),
        ("unkill", json!({}), &[], ""),
        (
            "set_description",
            json!({ "description": text() }),
            &["description"],
            "",
        ),
        ("set_owner", json!({ "owner": text() }), &["owner"], ""),
        (
            "set_stickiness",
            json!({ "attribute": schema("AttributeName") }),
            &["attribute"],
            "",
        ),
        (
            "set_salt",
            json!({ "salt": { "type": ["string", "null"] } }),
            &[],
            "null or left out: the key.",
        ),
        (
            "set_scope",
            json!({ "scope": array(schema("Constraint")) }),
            &["scope"],
            "",
        ),
        (
            "set_env",
            json!({ "env": nullable(schema("EnvVarName")), "env_mode": schema("EnvMode") }),
            &[],
            "Sets the switch variable and its mode (force when left out); env null or left \
             out clears it. 409 `identity_taken` when another flag reads the name.",
        ),
        (
            "set_env_percent",
            json!({ "env_percent": nullable(schema("EnvVarName")) }),
            &[],
            "null or left out: clear it. 409 `identity_taken` when another flag reads the name.",
        ),
        (
            "set_env_stage",
            json!({ "env_stage": nullable(schema("EnvVarName")) }),
            &[],
            "null or left out: clear it. 409 `identity_taken` when another flag reads the name.",
        ),
        (
            "add_override",
            json!({ "override": schema("Override") }),
            &["override"],
            "Replaces an override for the same attribute and value.",
        ),
        (
            "remove_override",
            json!({ "attribute": schema("AttributeName"), "value": text() }),
            &["attribute", "value"],
            "404 when there is no such override.",
        ),
        ("clear_overrides", json!({}), &[], ""),
        ("remove_expired_overrides", json!({}), &[], ""),
        (
            "replace",
            json!({ "flag": schema("Flag") }),
            &["flag"],
            "Everything but the key, the version, the rollout run and the golden \
             result; the flag's key must be the path's. 409 `rollout_state` when a rollout in \
             progress does not fit the new plan.",
        ),
        (
            "set_plan",
            json!({ "plan": nullable(schema("RolloutPlan")) }),
            &[],
            "null or left out: remove the plan. 409 `rollout_state` when a rollout \
             in progress does not fit (no plan, or fewer steps than the step it is on).",
        ),
        (
            "rollout_move",
            json!({ "move": { "enum": ["start", "pause", "resume", "promote", "promote_full", "abort"] } }),
            &["move"],
            "As POST /flags/{key}/rollout/{move} (promote_full: promote with full: \
             true); 409 `rollout_state` when the move does not fit the rollout's state.",
        ),
        (
            "record_verdict",
            json!({ "name": described(text(), "The verdict's name: 1 to 64 of a-z, 0-9, '.', \
                                               '_', '-'."),
                    "verdict": schema("NamedVerdict") }),
            &["name", "verdict"],
            "Records the latest verdict of a named check, replacing that name's previous one. \
             The node sets `by` to the token's name and `at` to its clock (a golden run keeps \
             its own `at`). At most 64 verdicts a flag (422 otherwise).",
        ),
        (
            "set_requirement",
            json!({ "stage": schema("Stage"),
                    "requirement": nullable(schema("StageRequirement")) }),
            &["stage"],
            "Sets what entering the stage needs; null (or nothing) removes it.",
        ),
        (
            "record_golden",
            json!({ "result": schema("GoldenResult"),
                    "verdict": described(text(), "The verdict's name; `golden` when left out.") }),
            &["result"],
            "The older form of record_verdict for a golden-corpus run: recorded as the verdict \
             `verdict` (default `golden`), which the `golden` gate reads.",
        ),
        (
            "guard_action",
            json!({
                "decision": schema("Action"),
                "step": described(count(), "The step the guard decided on."),
                "reason": described(text(), "The verdict with its numbers."),
            }),
            &["decision", "step", "reason"],
            "Made by the guard loop only: refused over the API with a 422.",
        ),
    ]
}

pub(crate) fn change_schemas() -> Map<String, Value> {
    let mut out = tagged(
        "FlagChange",
        "change",
        "One edit of a flag, tagged by `change`; the note of each says which role it needs.",
        change_variants(),
    );
    // The roles each change needs, from the rule the generic change route applies.
    for tag in TAGS {
        let (Some(capability), Some(Value::Object(variant))) = (
            capability_of(tag),
            out.get_mut(&format!("FlagChange.{tag}")),
        ) else {
            continue;
        };
        let note = variant
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let described = format!("{} {note}", roles_line(capability));
        variant.insert("description".to_owned(), json!(described.trim_end()));
    }
    let expected = || {
        described(
            // `anyOf`, not `"type": ["integer", "null"]`: validators read 3.0 as an integer
            // only on the single-type path.
            nullable(count()),
            "The flag version the change expects, like If-Match (both given must agree).",
        )
    };
    out.insert(
        "ChangesRequest".into(),
        object(
            &["changes"],
            json!({
                "changes": json!({ "type": "array", "items": schema("FlagChange"), "minItems": 1 }),
                "expected_version": expected(),
            }),
            true,
        ),
    );
    let mut update = object(
        &[],
        json!({
            "description": text(),
            "owner": text(),
            "enabled": boolean(),
            "stickiness": schema("AttributeName"),
            "salt": described(json!({ "type": ["string", "null"] }), "null: back to the key."),
            "scope": array(schema("Constraint")),
            "env": described(nullable(schema("EnvVarName")), "null: clear the switch variable."),
            "env_mode": described(schema("EnvMode"),
                "Only with env (422 otherwise, field env_mode); force when left out."),
            "env_percent": described(nullable(schema("EnvVarName")), "null: clear it."),
            "env_stage": described(nullable(schema("EnvVarName")), "null: clear it."),
            "expected_version": expected(),
        }),
        true,
    );
    update["anyOf"] = [
        "description",
        "owner",
        "enabled",
        "stickiness",
        "salt",
        "scope",
        "env",
        "env_percent",
        "env_stage",
    ]
    .iter()
    .map(|f| json!({ "required": [f] }))
    .collect();
    out.insert("UpdateRequest".into(), update);
    out.insert(
        "RolloutRequest".into(),
        object(
            &["percent"],
            json!({
                "percent": described(schema("Percent"), "Out of range is a 422."),
                "expected_version": expected(),
            }),
            true,
        ),
    );
    out.insert(
        "StageRequest".into(),
        object(
            &["stage"],
            json!({ "stage": schema("Stage"), "expected_version": expected() }),
            true,
        ),
    );
    out.insert(
        "PlanRequest".into(),
        object(
            &[],
            json!({
                "plan": described(nullable(schema("RolloutPlan")),
                    "The plan; null or left out removes it."),
                "expected_version": expected(),
            }),
            true,
        ),
    );
    out.insert(
        "MoveRequest".into(),
        described(
            object(
                &[],
                json!({
                    "plan": described(nullable(schema("RolloutPlan")),
                        "start only: set this plan first (else the flag's own); with another \
                         move a 422."),
                    "full": described(json!({ "type": "boolean", "default": false }),
                        "promote only: straight to 100 %, completing the rollout; other moves \
                         ignore it."),
                    "expected_version": expected(),
                }),
                true,
            ),
            "Every field is optional, and so is the body.",
        ),
    );
    out
}

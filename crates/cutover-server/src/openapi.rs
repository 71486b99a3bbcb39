//! `GET /api/v1/openapi.json`: the HTTP API described as OpenAPI 3.1, built once.
//!
//! Written out rather than derived: the model lives in `cutover-core`, which stays free of
//! HTTP concerns, and the schemas below are checked against real answers by the tests
//! (`tests/openapi.rs` checks every route of the router is described and every `$ref`
//! resolves).

use std::sync::LazyLock;

use axum::Json;
use serde_json::{Map, Value, json};

/// Who may call an operation, as the route table's capability implies.
#[derive(Clone, Copy)]
enum Who {
    Public,
    Read,
    Operate,
    Admin,
    Evaluate,
}

impl Who {
    fn says(self) -> &'static str {
        match self {
            Who::Public => "No token needed.",
            Who::Read => "Roles: viewer, operator, admin.",
            Who::Operate => "Roles: operator, admin.",
            Who::Admin => "Role: admin.",
            Who::Evaluate => "Roles: sdk, operator, admin.",
        }
    }
}

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn json_body(schema: Value) -> Value {
    json!({ "content": { "application/json": { "schema": schema } } })
}

fn error(description: &str) -> Value {
    let mut e = json_body(schema("Error"));
    e["description"] = json!(description);
    e
}

struct Op {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    who: Who,
    params: Vec<Value>,
    body: Option<Value>,
    ok: (u16, Value),
    /// Error statuses besides the auth ones every guarded route has.
    errors: &'static [u16],
    /// A change: takes If-Match and X-Cutover-Reason, may be rate limited.
    change: bool,
}

fn path_param(name: &str, what: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": what, "schema": {"type": "string"}})
}

fn query(name: &str, what: &str, kind: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": what, "schema": {"type": kind}})
}

fn header(name: &str, what: &str) -> Value {
    json!({"name": name, "in": "header", "required": false, "description": what, "schema": {"type": "string"}})
}

fn key() -> Value {
    path_param("key", "The flag key.")
}

fn error_description(status: u16) -> &'static str {
    match status {
        400 => "The request is malformed (JSON, query string, If-Match).",
        401 => "No token, an unknown token, or a revoked one.",
        403 => "The token's role may not do this.",
        404 => "No such flag, preset, token or override.",
        409 => "A stale expected version (`version_conflict`) or a name already taken.",
        413 => "The body is over 2 MiB.",
        422 => "A value is not accepted; `field` names it.",
        429 => "Too many change requests for this token; see Retry-After.",
        503 => "The database cannot be reached; evaluation goes on, changes wait. See Retry-After.",
        _ => "An error.",
    }
}

impl Op {
    fn render(&self) -> Value {
        let mut responses = Map::new();
        let (code, ok) = &self.ok;
        responses.insert(code.to_string(), ok.clone());
        let mut statuses: Vec<u16> = self.errors.to_vec();
        if !matches!(self.who, Who::Public) {
            statuses.extend([401, 403]);
        }
        if self.change {
            statuses.extend([400, 429, 503]);
        }
        statuses.sort_unstable();
        statuses.dedup();
        for status in statuses {
            let mut e = error(error_description(status));
            if matches!(status, 429 | 503) {
                e["headers"] = json!({"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}});
            }
            responses.insert(status.to_string(), e);
        }
        let mut params = self.params.clone();
        if self.change {
            params.push(header(
                "If-Match",
                "The flag version the change expects, as its ETag (\"3\"); a stale one answers 409.",
            ));
            params.push(header("X-Cutover-Reason", "Why, for the audit log."));
        }
        let mut op = json!({
            "summary": self.summary,
            "description": self.who.says(),
            "parameters": params,
            "responses": responses,
        });
        if let Some(body) = &self.body {
            op["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": body}}});
        }
        if matches!(self.who, Who::Public) {
            op["security"] = json!([]);
        }
        op
    }
}

fn ok(description: &str, body: Option<Value>) -> Value {
    let mut r = match body {
        Some(schema) => json_body(schema),
        None => json!({}),
    };
    r["description"] = json!(description);
    r
}

fn array(item: Value) -> Value {
    json!({"type": "array", "items": item})
}

fn committed_flags() -> Value {
    array(json!({"type": "object", "properties": {
        "value": schema("Flag"),
        "audit_id": {"type": ["integer", "null"], "description": "The audit entry written; null when nothing changed."}
    }, "required": ["value"]}))
}

fn ops() -> Vec<Op> {
    use Who::*;
    let flag = || ok("The flag; its version is the ETag.", Some(schema("Flag")));
    let change = |method, path, summary, body: Option<Value>| Op {
        method,
        path,
        summary,
        who: Operate,
        params: vec![key()],
        body,
        ok: (200, flag()),
        errors: &[404, 409, 422],
        change: true,
    };
    let read = |path, summary, params: Vec<Value>, body: Value| Op {
        method: "get",
        path,
        summary,
        who: Read,
        params,
        body: None,
        ok: (200, ok("The answer.", Some(body))),
        errors: &[503],
        change: false,
    };
    let audit_params = || {
        vec![
            query("after_id", "Only entries after this id.", "integer"),
            query("actor", "Only this actor's entries.", "string"),
            query("flag", "Only entries about this flag.", "string"),
            query(
                "action",
                "An exact action (flag.rollout) or a family (override.*).",
                "string",
            ),
            query("since", "RFC 3339 instant, inclusive.", "string"),
            query("until", "RFC 3339 instant, exclusive.", "string"),
            query("limit", "At most this many entries.", "integer"),
            query("order", "oldest (default) or newest first.", "string"),
        ]
    };
    vec![
        read(
            "/api/v1/flags",
            "List every flag",
            vec![],
            array(schema("Flag")),
        ),
        Op {
            method: "post",
            path: "/api/v1/flags",
            summary: "Create a flag",
            who: Admin,
            params: vec![],
            body: Some(schema("Flag")),
            ok: (201, flag()),
            errors: &[409, 422],
            change: true,
        },
        read(
            "/api/v1/flags/{key}",
            "Read a flag",
            vec![key()],
            schema("Flag"),
        ),
        Op {
            method: "patch",
            path: "/api/v1/flags/{key}",
            summary: "Reshape a flag: description, owner, enabled, stickiness, salt, scope",
            who: Admin,
            ..change("patch", "", "", Some(schema("UpdateRequest")))
        },
        Op {
            method: "delete",
            path: "/api/v1/flags/{key}",
            summary: "Delete a flag (refused while a preset names it)",
            who: Admin,
            ..change("delete", "", "", None)
        },
        change(
            "post",
            "/api/v1/flags/{key}/changes",
            "Apply a list of changes together; each is checked against the caller's role",
            Some(schema("ChangesRequest")),
        ),
        change(
            "put",
            "/api/v1/flags/{key}/rollout",
            "Set the rollout percentage",
            Some(schema("RolloutRequest")),
        ),
        change(
            "put",
            "/api/v1/flags/{key}/stage",
            "Move along the stage ladder",
            Some(schema("StageRequest")),
        ),
        change(
            "post",
            "/api/v1/flags/{key}/kill",
            "Pull the kill switch: everyone to legacy",
            None,
        ),
        change(
            "delete",
            "/api/v1/flags/{key}/kill",
            "Lift the kill switch",
            None,
        ),
        read(
            "/api/v1/flags/{key}/overrides",
            "List a flag's overrides",
            vec![key()],
            array(schema("Override")),
        ),
        change(
            "post",
            "/api/v1/flags/{key}/overrides",
            "Add an override",
            Some(schema("Override")),
        ),
        Op {
            params: vec![
                key(),
                query("attribute", "With value: the override to remove.", "string"),
                query("value", "With attribute: the override to remove.", "string"),
                query("all", "true: remove every override.", "boolean"),
            ],
            ..change(
                "delete",
                "/api/v1/flags/{key}/overrides",
                "Remove one override, or all",
                None,
            )
        },
        Op {
            params: vec![],
            ok: (
                200,
                ok("Each flag the sweep touched.", Some(committed_flags())),
            ),
            ..change(
                "post",
                "/api/v1/overrides/sweep",
                "Remove expired overrides from every flag",
                None,
            )
        },
        read(
            "/api/v1/flags/{key}/metrics",
            "Per-arm error, fallback and retry rates and latency quantiles over a window",
            vec![
                key(),
                query(
                    "since",
                    "RFC 3339; default 15 minutes before until.",
                    "string",
                ),
                query("until", "RFC 3339; default now.", "string"),
            ],
            schema("FlagMetrics"),
        ),
        read(
            "/api/v1/flags/{key}/shadow",
            "What shadow runs found over a window: per-field agreement ratios with 95 % intervals, failures, a mismatch sample",
            vec![
                key(),
                query(
                    "since",
                    "RFC 3339; default 15 minutes before until.",
                    "string",
                ),
                query("until", "RFC 3339; default now.", "string"),
            ],
            json!({"type": "object"}),
        ),
        read(
            "/api/v1/presets",
            "List presets",
            vec![],
            array(schema("Preset")),
        ),
        Op {
            params: vec![path_param("name", "The preset's name.")],
            ok: (200, ok("The preset.", Some(schema("Preset")))),
            ..change(
                "put",
                "/api/v1/presets/{name}",
                "Define or replace a preset",
                Some(schema("Preset")),
            )
        },
        Op {
            params: vec![path_param("name", "The preset's name.")],
            ok: (200, ok("The preset as it was.", Some(schema("Preset")))),
            ..change("delete", "/api/v1/presets/{name}", "Delete a preset", None)
        },
        Op {
            params: vec![path_param("name", "The preset's name.")],
            ok: (
                200,
                ok("Each flag after the preset.", Some(committed_flags())),
            ),
            ..change(
                "post",
                "/api/v1/presets/{name}/apply",
                "Apply every entry of a preset in one transaction",
                None,
            )
        },
        read(
            "/api/v1/audit",
            "Query the audit log",
            audit_params(),
            array(schema("AuditEntry")),
        ),
        read(
            "/api/v1/audit/verify",
            "Walk the audit chain",
            vec![],
            schema("ChainReport"),
        ),
        Op {
            ok: (
                200,
                json!({"description": "Matching entries as JSON lines.", "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}),
            ),
            ..read(
                "/api/v1/audit/export",
                "Export audit entries as JSON lines",
                audit_params(),
                json!({}),
            )
        },
        Op {
            method: "post",
            path: "/api/v1/import",
            summary: "Make the store hold a document's flags and presets, all or nothing",
            who: Admin,
            params: vec![query(
                "prune",
                "Also delete what the document does not name.",
                "boolean",
            )],
            body: Some(schema("FlagDocument")),
            ok: (200, ok("What changed.", Some(schema("ImportReport")))),
            errors: &[409, 422],
            change: true,
        },
        read(
            "/api/v1/export",
            "Every flag and preset as one document",
            vec![],
            schema("FlagDocument"),
        ),
        Op {
            who: Admin,
            ..read(
                "/api/v1/tokens",
                "List tokens (never their secrets)",
                vec![],
                array(schema("Token")),
            )
        },
        Op {
            method: "post",
            path: "/api/v1/tokens",
            summary: "Create a token; its secret is in this answer only",
            who: Admin,
            params: vec![],
            body: Some(schema("TokenRequest")),
            ok: (
                201,
                ok("The token and its secret.", Some(schema("TokenCreated"))),
            ),
            errors: &[409, 422],
            change: true,
        },
        Op {
            method: "delete",
            path: "/api/v1/tokens/{name}",
            summary: "Revoke a token: it stops working on every node",
            who: Admin,
            params: vec![path_param("name", "The token's name.")],
            body: None,
            ok: (200, ok("The token as it was.", Some(schema("Token")))),
            errors: &[404],
            change: true,
        },
        Op {
            method: "get",
            path: "/api/v1/stream",
            summary: "Server-sent events: a snapshot, then every change with its sequence as the event id",
            who: Evaluate,
            params: vec![
                header(
                    "Last-Event-ID",
                    "Resume after this sequence: only the missed changes are sent.",
                ),
                query(
                    "format",
                    "ofrep: send OFREP refetchEvaluation notifications instead.",
                    "string",
                ),
            ],
            body: None,
            ok: (
                200,
                json!({"description": "event: snapshot {type, seq, flags}; event: change {type, seq, action, key, at, flag}; comments as heartbeats.", "content": {"text/event-stream": {"schema": {"type": "string"}}}}),
            ),
            errors: &[],
            change: false,
        },
        Op {
            method: "post",
            path: "/api/v1/metrics",
            summary: "Upload arm metrics (what SDKs do every few seconds)",
            who: Evaluate,
            params: vec![],
            body: Some(schema("MetricsBatch")),
            ok: (
                200,
                ok(
                    "Accepted.",
                    Some(
                        json!({"type": "object", "properties": {"arms": {"type": "integer"}, "window_start": {"type": "string"}}}),
                    ),
                ),
            ),
            errors: &[400, 422, 503],
            change: false,
        },
        Op {
            method: "post",
            path: "/ofrep/v1/evaluate/flags/{key}",
            summary: "OFREP: evaluate one flag (shapes as the OFREP OpenAPI document defines them)",
            who: Evaluate,
            params: vec![key()],
            body: Some(schema("OfrepRequest")),
            ok: (
                200,
                ok(
                    "value: true for the new path; variant legacy or new; metadata with flagVersion and cutoverReason.",
                    Some(schema("OfrepEvaluation")),
                ),
            ),
            errors: &[400, 404, 429],
            change: false,
        },
        Op {
            method: "post",
            path: "/ofrep/v1/evaluate/flags",
            summary: "OFREP: evaluate every flag for one context; ETag / If-None-Match gives 304",
            who: Evaluate,
            params: vec![header(
                "If-None-Match",
                "The ETag of an earlier answer for the same context.",
            )],
            body: Some(schema("OfrepRequest")),
            ok: (
                200,
                ok(
                    "Every flag's evaluation.",
                    Some(
                        json!({"type": "object", "properties": {"flags": array(schema("OfrepEvaluation"))}}),
                    ),
                ),
            ),
            errors: &[400, 429],
            change: false,
        },
        Op {
            method: "get",
            path: "/healthz",
            summary: "Liveness",
            who: Public,
            params: vec![],
            body: None,
            ok: (200, ok("ok", None)),
            errors: &[],
            change: false,
        },
        Op {
            method: "get",
            path: "/readyz",
            summary: "Readiness: serving from a loaded state, with its audit head",
            who: Public,
            params: vec![],
            body: None,
            ok: (
                200,
                ok(
                    "Ready.",
                    Some(
                        json!({"type": "object", "properties": {"status": {"type": "string"}, "head": {"type": "integer"}}}),
                    ),
                ),
            ),
            errors: &[],
            change: false,
        },
        Op {
            method: "get",
            path: "/metrics",
            summary: "Prometheus metrics",
            who: Public,
            params: vec![],
            body: None,
            ok: (
                200,
                json!({"description": "Prometheus text format.", "content": {"text/plain": {"schema": {"type": "string"}}}}),
            ),
            errors: &[],
            change: false,
        },
        Op {
            method: "get",
            path: "/api/v1/openapi.json",
            summary: "This document",
            who: Public,
            params: vec![],
            body: None,
            ok: (200, ok("OpenAPI 3.1.", Some(json!({"type": "object"})))),
            errors: &[],
            change: false,
        },
    ]
}

fn schemas() -> Value {
    let string = json!({"type": "string"});
    let int = json!({"type": "integer", "minimum": 0});
    json!({
        "Error": {"type": "object", "required": ["error", "message"], "properties": {
            "error": {"type": "string", "description": "A stable code: bad_request, invalid, unauthorized, forbidden, not_found, version_conflict, already_exists, in_use, rate_limited, store_unavailable, ..."},
            "message": {"type": "string", "description": "What was wrong, with the value and what is accepted."},
            "field": {"type": "string", "description": "The request field at fault, when there is one."}}},
        "Constraint": {"type": "object", "required": ["attribute", "op"], "properties": {
            "attribute": string, "op": {"enum": ["in", "not_in", "exists"]}, "values": array(json!({"type": "string"}))}},
        "Override": {"type": "object", "required": ["attribute", "value", "variant"], "additionalProperties": false, "properties": {
            "attribute": string, "value": string, "variant": {"enum": ["legacy", "new"]},
            "expires_at": {"type": "string", "format": "date-time"}}},
        "Flag": {"type": "object", "required": ["key"], "additionalProperties": false, "properties": {
            "key": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,127}$"},
            "description": string, "owner": string, "enabled": {"type": "boolean"},
            "stage": {"enum": ["disabled", "canary", "beta", "production", "legacy_disabled"]},
            "rollout_percent": {"type": "number", "minimum": 0, "maximum": 100, "description": "At most two decimals."},
            "killed": {"type": "boolean"}, "stickiness": string, "salt": string,
            "scope": array(schema("Constraint")), "overrides": array(schema("Override")),
            "version": {"type": "integer", "minimum": 1, "readOnly": true}}},
        "FlagChange": {"type": "object", "required": ["change"], "description": "One edit, tagged by `change`.", "properties": {
            "change": {"enum": ["set_enabled", "set_stage", "set_rollout", "kill", "unkill", "set_description", "set_owner",
                                "set_stickiness", "set_salt", "set_scope", "add_override", "remove_override", "clear_overrides",
                                "remove_expired_overrides", "replace"]},
            "enabled": {"type": "boolean"}, "stage": string, "rollout_percent": {"type": "number"}, "description": string,
            "owner": string, "attribute": string, "salt": {"type": ["string", "null"]}, "scope": array(schema("Constraint")),
            "override": schema("Override"), "value": string, "flag": schema("Flag")}},
        "ChangesRequest": {"type": "object", "required": ["changes"], "properties": {
            "changes": array(schema("FlagChange")), "expected_version": int}},
        "UpdateRequest": {"type": "object", "properties": {
            "description": string, "owner": string, "enabled": {"type": "boolean"}, "stickiness": string,
            "salt": {"type": ["string", "null"]}, "scope": array(schema("Constraint")), "expected_version": int}},
        "RolloutRequest": {"type": "object", "required": ["percent"], "properties": {
            "percent": {"type": ["number", "string"], "description": "0 to 100, at most two decimals."}, "expected_version": int}},
        "StageRequest": {"type": "object", "required": ["stage"], "properties": {
            "stage": {"enum": ["disabled", "canary", "beta", "production", "legacy_disabled"]}, "expected_version": int}},
        "PresetEntry": {"type": "object", "required": ["flag"], "properties": {
            "flag": string, "enabled": {"type": "boolean"}, "stage": string, "rollout_percent": {"type": "number"}, "killed": {"type": "boolean"}}},
        "Preset": {"type": "object", "required": ["name", "entries"], "properties": {
            "name": string, "description": string, "entries": array(schema("PresetEntry"))}},
        "FlagDocument": {"type": "object", "properties": {"flags": array(schema("Flag")), "presets": array(schema("Preset"))}},
        "ImportReport": {"type": "object", "properties": {
            "created": array(string.clone()), "updated": array(string.clone()), "unchanged": array(string.clone()),
            "deleted": array(string.clone()), "presets_defined": array(string.clone()), "presets_deleted": array(string.clone())}},
        "AuditEntry": {"type": "object", "required": ["id", "at", "actor", "action", "entity", "prev_hash", "hash"], "properties": {
            "id": int, "at": {"type": "string", "format": "date-time"}, "actor": string, "action": string, "entity": string,
            "before": {"description": "The state before, as hashed."}, "after": {"description": "The state after, as hashed."},
            "reason": {"type": ["string", "null"]}, "prev_hash": string, "hash": string}},
        "ChainReport": {"type": "object", "required": ["entries", "head_hash"], "properties": {
            "entries": int, "head_hash": string,
            "fault": {"type": ["object", "null"], "description": "The first thing wrong: edited, missing, broken_link or head_mismatch, with ids."}}},
        "Token": {"type": "object", "properties": {
            "name": string, "role": {"enum": ["admin", "operator", "viewer", "sdk"]},
            "created_at": {"type": "string", "format": "date-time"}, "created_by": string}},
        "TokenRequest": {"type": "object", "required": ["name", "role"], "properties": {
            "name": string, "role": {"enum": ["admin", "operator", "viewer", "sdk"]}}},
        "TokenCreated": {"type": "object", "required": ["name", "role", "token"], "properties": {
            "name": string, "role": string, "token": {"type": "string", "description": "The secret: shown once."}}},
        "ArmCounts": {"type": "object", "properties": {
            "calls": int, "errors": int, "fallbacks": int, "retries": int,
            "latency": {"type": "object", "properties": {"buckets": array(array(int.clone()))},
                        "description": "Log-linear latency histogram in microseconds: [bucket, count] pairs."}}},
        "MetricsBatch": {"type": "object", "required": ["window_start", "window_end", "arms"], "properties": {
            "window_start": {"type": "string", "format": "date-time"}, "window_end": {"type": "string", "format": "date-time"},
            "arms": array(json!({"allOf": [schema("ArmCounts"), {"type": "object", "required": ["flag", "arm"], "properties": {
                "flag": string, "arm": {"enum": ["legacy", "new"]}}}]})),
            "dropped_batches": int}},
        "FlagMetrics": {"type": "object", "properties": {
            "flag": string, "since": string, "until": string,
            "legacy": {"type": "object"}, "new": {"type": "object"}}},
        "OfrepRequest": {"type": "object", "required": ["context"], "properties": {
            "context": {"type": "object", "properties": {"targetingKey": string}, "additionalProperties": true}}},
        "OfrepEvaluation": {"type": "object", "description": "See the OFREP OpenAPI document (open-feature/protocol).", "properties": {
            "key": string, "value": {"type": "boolean"}, "reason": string, "variant": {"enum": ["legacy", "new"]},
            "metadata": {"type": "object"}, "errorCode": string, "errorDetails": string}},
    })
}

fn build() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for op in ops() {
        let entry = paths.entry(op.path).or_insert_with(|| json!({}));
        entry[op.method] = op.render();
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "cutover",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Control plane for cutting a live service over from a legacy code path to a new one. \
                            Send `Authorization: Bearer <token>`; every change is audited under the token's name.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(),
        },
    })
}

static DOCUMENT: LazyLock<Value> = LazyLock::new(build);

pub(crate) async fn document() -> Json<&'static Value> {
    Json(&DOCUMENT)
}

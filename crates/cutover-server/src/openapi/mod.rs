//! `GET /api/v1/openapi.json`: the HTTP API described as OpenAPI 3.1, built and serialised once.
//!
//! The paths come from the route table (`routes/`), where each route is declared once with its
//! handler, capability and documentation; the roles each operation names are derived from
//! `cutover_core::access`. The component schemas are written out (`schemas/`) rather than
//! derived: the model lives in `cutover-core`, which stays free of HTTP and OpenAPI concerns, and
//! several wire shapes are not what a derive would see anyway (`Flag` is read through the
//! lenient `FlagRepr`, `Rollout` and `AuditEntry` serialise by hand, changes and chain faults are
//! internally tagged). The schemas follow what serde writes and accepts; `tests/openapi/` holds
//! them to it with real answers of the router, checks every route of the router is described and
//! every `$ref` resolves, and `tests/openapi_superset.rs` that nothing described before is lost.

pub(crate) mod change_roles;
mod schemas;
pub(crate) mod vocab;

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use crate::routes;
use vocab::{Fail, OFREP_SPEC, answer, count, header_param, schema, text};

fn paths() -> Value {
    let mut paths = Map::new();
    for (tag, routes) in routes::areas() {
        for route in routes {
            let item = paths.entry(route.path()).or_insert_with(|| json!({}));
            item[route.method()] = route.render(tag);
        }
    }
    Value::Object(paths)
}

fn tags() -> Value {
    json!([
        { "name": "flags", "description": "Flags and the moves of a cutover: rollout, stage, kill switch." },
        { "name": "rollouts", "description": "Guarded rollouts: a plan of steps and gates the guard \
                                               climbs on its own, the moves people make on it, where it \
                                               stands and what the guard saw." },
        { "name": "overrides", "description": "Force new or legacy for one value of one attribute." },
        { "name": "presets", "description": "Named sets of flag states applied together." },
        { "name": "audit", "description": "The hash-chained audit log." },
        { "name": "transfer", "description": "The whole flag set as one document." },
        { "name": "backup", "description": "The whole store, as a SQLite file." },
        { "name": "verdicts", "description": "Named verdicts a release waits for: CI jobs, load tests, sign-offs, golden runs." },
        { "name": "tokens", "description": "API tokens and their roles." },
        { "name": "sdk", "description": "What SDKs use: the change stream, metric upload, and the figures read from it." },
        { "name": "ofrep", "description": "OpenFeature Remote Evaluation Protocol.",
          "externalDocs": { "url": OFREP_SPEC } },
        { "name": "node", "description": "Health, readiness, metrics and this document." },
    ])
}

fn parameters() -> Value {
    let path = |name: &str, description: &str, schema: Value| json!({ "name": name, "in": "path", "required": true, "description": description, "schema": schema });
    json!({
        "FlagKey": path("key", "The flag key.", schema("FlagKey")),
        "PresetName": path("name", "The preset's name.", schema("FlagKey")),
        "TokenName": path("name", "The token's name.", schema("TokenName")),
        "VerdictName": path("name", "The verdict's name: 1 to 64 of a-z, 0-9, '.', '_', '-'.",
                            schema("TokenName")),
        "RolloutMove": path("move", "The move; promote with full: true goes straight to 100 %. \
                                     Any other name is a 404.",
                            json!({ "enum": ["start", "pause", "resume", "promote", "abort"] })),
        "IfMatch": {
            "name": "If-Match", "in": "header", "required": false,
            "schema": { "type": "string", "pattern": crate::admin::IF_MATCH_PATTERN },
            "description": "The flag version the change expects, as the ETag gives it (\"3\"; \
                            W/ and the quotes are optional; at most 19 digits). A stale one is a \
                            409; any other form (empty, `*`, a list of tags) a 400. The body's \
                            expected_version does the same; both given must agree.",
        },
        "Reason": header_param(
            "X-Cutover-Reason",
            "Why, recorded in the audit entry: at most 1024 bytes (a 422 naming the field \
             otherwise).",
        ),
        "Force": {
            "name": "X-Cutover-Force",
            "in": "header",
            "required": false,
            "description": "`true`: move the flag into a stage although its prerequisites are \
                            missing (a 409 `prerequisites` otherwise). Needs X-Cutover-Reason (a \
                            422 otherwise); the audit entry's reason then says it was forced and \
                            past what. Anything but true or false is a 400.",
            "schema": { "enum": ["true", "false"] },
        },
    })
}

fn headers() -> Value {
    json!({
        "ETag": {
            "description": "The flag's version, quoted (\"3\"): send it back as If-Match. On the \
                            OFREP bulk answer, a tag of the node's state and the request.",
            "schema": text(),
        },
        "X-Cutover-Audit-Id": {
            "description": "The audit entry the change wrote; absent when it changed nothing.",
            "schema": count(),
        },
        "Retry-After": { "description": "Seconds to wait.", "schema": count() },
        "Repr-Digest": {
            "description": "The SHA-256 digest of the bytes sent (RFC 9530): \
                            `sha-256=:BASE64:`.",
            "schema": text(),
        },
        "X-Cutover-Backup-Report": {
            "description": "The node's verification of the backup it sends: base64url without \
                            padding of a JSON object with `method` (`sqlite_vacuum_into` or \
                            `store_copy`), `head_id`, `head_hash` and `verify` (the fields of \
                            a VerifyReport but `intact` and `problems`), and an empty `path`. \
                            A report with a great many findings is cut to fit a header, open \
                            findings first; the verdict is kept.",
            "schema": text(),
        },
        "Link": {
            "description": "When more entries match: `</api/v1/audit?...>; rel=\"next\"`, the \
                            URL of the next page.",
            "schema": text(),
        },
    })
}

fn responses() -> Value {
    let mut out = Map::new();
    for fail in Fail::ALL {
        let headers: &[&str] = if fail.retry_after() {
            &["Retry-After"]
        } else {
            &[]
        };
        out.insert(
            fail.name(),
            answer(fail.says(), Some(schema("Error")), headers),
        );
    }
    Value::Object(out)
}

fn build() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "cutover",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Control plane for cutting a live service over from a legacy code path to a \
                            new one. Send `Authorization: Bearer <token>` (or `X-API-Key: <token>`); \
                            each operation says which roles may call it. Every change is audited under \
                            the token's name, with X-Cutover-Reason as its reason. Changes to a flag \
                            may name the version they expect (If-Match with the flag's ETag). Errors \
                            answer `{error, message, field?}` (the Error schema), but OFREP's, which \
                            follow OFREP.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }, { "apiKey": [] }],
        "tags": tags(),
        "paths": paths(),
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An API token." },
                "apiKey": { "type": "apiKey", "in": "header", "name": "X-API-Key",
                            "description": "The same token, the other way OFREP names." },
            },
            "parameters": parameters(),
            "headers": headers(),
            "responses": responses(),
            "schemas": schemas::all(),
        },
    })
}

/// Serialised once: the document never changes while the process runs.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| build().to_string());

/// The document as served at `/api/v1/openapi.json`.
pub(crate) fn document() -> &'static str {
    DOCUMENT.as_str()
}

//! `GET /api/v1/openapi.json`: the HTTP API described as OpenAPI 3.1, built and serialised once.
//!
//! Written out rather than derived: the model lives in `cutover-core`, which stays free of HTTP
//! and OpenAPI concerns, and several wire shapes are not what a derive would see anyway (`Flag`
//! is read through the lenient `FlagRepr`, `Rollout` and `AuditEntry` serialise by hand, changes
//! and chain faults are internally tagged). The schemas follow what serde writes and accepts;
//! `tests/openapi.rs` holds them to it with real answers of the router, checks every route of
//! the router is described and every `$ref` resolves.
//!
//! Each fact about a handler is stated once, as a builder call (`body`, `store`, `audited`,
//! `versioned`, ...), and the error statuses follow from those facts the way the extractors,
//! the guard and `ApiError` produce them, so a route's statuses cannot drift from its inputs.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

const OFREP_SPEC: &str = "https://github.com/open-feature/protocol/blob/main/service/openapi.yaml";

/// The capability a route needs in `app.rs`, and so which roles may call it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    Public,
    Read,
    Operate,
    Configure,
    ManageTokens,
    Evaluate,
}

impl Who {
    fn says(self) -> &'static str {
        match self {
            Who::Public => "No token needed.",
            Who::Read => "Roles: viewer, operator, admin (capability Read).",
            Who::Operate => "Roles: operator, admin (capability Operate).",
            Who::Configure => "Role: admin (capability Configure).",
            Who::ManageTokens => "Role: admin (capability ManageTokens).",
            Who::Evaluate => "Roles: sdk, operator, admin (capability Evaluate).",
        }
    }

    /// Mirrors `auth::require`, which limits per token every request but a GET that needs one
    /// of these capabilities.
    fn rate_limited(self, method: &str) -> bool {
        method != "get" && matches!(self, Who::Operate | Who::Configure | Who::ManageTokens)
    }
}

/// The error answers in the `Error` shape, shared by every operation through
/// `#/components/responses`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fail {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    TooLarge,
    Invalid,
    RateLimited,
    ServerFailure,
    StoreUnavailable,
}

impl Fail {
    const ALL: [Fail; 10] = [
        Fail::BadRequest,
        Fail::Unauthorized,
        Fail::Forbidden,
        Fail::NotFound,
        Fail::Conflict,
        Fail::TooLarge,
        Fail::Invalid,
        Fail::RateLimited,
        Fail::ServerFailure,
        Fail::StoreUnavailable,
    ];

    fn status(self) -> u16 {
        match self {
            Fail::BadRequest => 400,
            Fail::Unauthorized => 401,
            Fail::Forbidden => 403,
            Fail::NotFound => 404,
            Fail::Conflict => 409,
            Fail::TooLarge => 413,
            Fail::Invalid => 422,
            Fail::RateLimited => 429,
            Fail::ServerFailure => 500,
            Fail::StoreUnavailable => 503,
        }
    }

    fn name(self) -> String {
        format!("{self:?}")
    }

    fn says(self) -> &'static str {
        match self {
            Fail::BadRequest => {
                "`bad_request`: the body is missing or is not JSON, a query parameter or header \
                 cannot be read, or a PATCH names no field (which its schema refuses too)."
            }
            Fail::Unauthorized => {
                "`unauthorized`: no token, an Authorization header that is not `Bearer <token>`, \
                 or a token that is unknown or was revoked."
            }
            Fail::Forbidden => {
                "`forbidden`: the token's role may not do this; the message names the role and \
                 what it may do."
            }
            Fail::NotFound => "`not_found`: no such flag, preset, token, override or rollout move.",
            Fail::Conflict => {
                "`version_conflict`: If-Match or expected_version names a version the flag has \
                 moved on from (or the two name different versions); read it again. `already_exists`: the key or name is taken. \
                 `identity_taken`: another flag's key answers to the same `CUTOVER_FLAG_*` \
                 variable (keys that differ only in '-', '_' and '.'). `last_admin`: revoking \
                 the last admin token is refused. `in_use`: a preset names the flag. `rollout_state`: the guarded rollout is not \
                 in a state the move or plan fits (pausing one that is not running, starting \
                 one already in progress, removing the plan of one in progress, ...); the \
                 message says what it is and what is allowed."
            }
            Fail::TooLarge => "`too_large`: the body is over 2 MiB.",
            Fail::Invalid => {
                "`invalid`: a value is not accepted (a path key, a percent, a stage, an instant, \
                 a preset that sets nothing, a text over its size limit, ...); `field` names it \
                 and the message says what is accepted. A JSON body whose shape or values its \
                 types refuse while reading it (an unknown field, a percent with more than two \
                 decimals, a mistyped gate inside a plan, an invalid flag key) is answered here \
                 too, with the message of that value's own parser."
            }
            Fail::RateLimited => {
                "`rate_limited`: too many change requests (or, on the upload route, metric \
                 uploads) for this token; retry after Retry-After seconds."
            }
            Fail::ServerFailure => {
                "`store_failure`: the database answered something cutover cannot use (corrupt, \
                 a newer schema); other codes for failures of the node itself."
            }
            Fail::StoreUnavailable => {
                "`store_unavailable`: the database cannot be reached or is busy. Evaluation, \
                 authentication and the stream go on from memory; retry after Retry-After \
                 seconds."
            }
        }
    }

    fn retry_after(self) -> bool {
        matches!(self, Fail::RateLimited | Fail::StoreUnavailable)
    }
}

fn reference(kind: &str, name: &str) -> Value {
    json!({ "$ref": format!("#/components/{kind}/{name}") })
}

fn schema(name: &str) -> Value {
    reference("schemas", name)
}

fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

fn nullable(inner: Value) -> Value {
    json!({ "anyOf": [inner, { "type": "null" }] })
}

fn described(mut schema: Value, description: &str) -> Value {
    schema["description"] = json!(description);
    schema
}

fn text() -> Value {
    json!({ "type": "string" })
}

fn boolean() -> Value {
    json!({ "type": "boolean" })
}

/// A `u64`: JSON Schema's integer (so `3.0` too, which the server reads as 3 through
/// `cutover_core::count`), at most `u64::MAX`.
fn count() -> Value {
    json!({ "type": "integer", "minimum": 0, "maximum": u64::MAX })
}

fn ratio() -> Value {
    json!({ "type": ["number", "null"], "minimum": 0, "maximum": 1 })
}

fn instant() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

/// An object schema. `closed` for types serde reads with `deny_unknown_fields` (or only ever
/// writes), so a typo is refused here as it is by the server.
fn object(required: &[&str], properties: Value, closed: bool) -> Value {
    let mut o = json!({ "type": "object", "properties": properties });
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    if closed {
        o["additionalProperties"] = json!(false);
    }
    o
}

/// A JSON answer, with headers from `#/components/headers`.
fn answer(description: &str, body: Option<Value>, headers: &[&str]) -> Value {
    let mut r = json!({ "description": description });
    if let Some(body) = body {
        r["content"] = json!({ "application/json": { "schema": body } });
    }
    if !headers.is_empty() {
        let headers: Map<String, Value> = headers
            .iter()
            .map(|h| ((*h).to_owned(), reference("headers", h)))
            .collect();
        r["headers"] = Value::Object(headers);
    }
    r
}

/// A non-JSON answer.
fn answer_as(description: &str, media: &str, body: Value) -> Value {
    json!({ "description": description, "content": { media: { "schema": body } } })
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn header_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "header", "required": false, "description": description, "schema": text() })
}

/// One operation, built from the facts about its handler.
struct Op {
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    notes: Vec<&'static str>,
    who: Who,
    params: Vec<Value>,
    /// The body's schema, and whether the body is required.
    body: Option<(Value, bool)>,
    ok: (u16, Value),
    fails: Vec<Fail>,
    /// Answers not in the `Error` shape (OFREP's own, 304); they replace a shared one of the
    /// same status.
    other: Vec<(u16, Value)>,
    ofrep: bool,
}

fn op(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    who: Who,
    summary: &'static str,
) -> Op {
    Op {
        method,
        path,
        id,
        summary,
        notes: Vec::new(),
        who,
        params: Vec::new(),
        body: None,
        ok: (200, answer("Done.", None, &[])),
        fails: Vec::new(),
        other: Vec::new(),
        ofrep: false,
    }
}

impl Op {
    fn notes(mut self, text: &'static str) -> Self {
        self.notes.push(text);
        self
    }

    fn ok(mut self, status: u16, response: Value) -> Self {
        self.ok = (status, response);
        self
    }

    fn fails(mut self, fails: &[Fail]) -> Self {
        self.fails.extend_from_slice(fails);
        self
    }

    fn param(mut self, param: Value) -> Self {
        self.params.push(param);
        self
    }

    /// Read through `admin::Params`: an unreadable query string is a 400.
    fn query(self, name: &str, schema: Value, description: &str) -> Self {
        self.param(query(name, schema, description))
            .fails(&[Fail::BadRequest])
    }

    /// Read through `admin::Body` (or as bytes): no body or bad JSON is a 400, JSON of another
    /// shape or with a refused value a 422, over 2 MiB a 413.
    fn body(mut self, schema: Value) -> Self {
        self.body = Some((schema, true));
        self.fails(&[Fail::BadRequest, Fail::Invalid, Fail::TooLarge])
    }

    /// Read as bytes by `admin::rollouts`: an empty body reads as `{}`; bad JSON is a 400, JSON
    /// of another shape or with a refused value a 422, over 2 MiB a 413.
    fn optional_body(mut self, schema: Value) -> Self {
        self.body = Some((schema, false));
        self.fails(&[Fail::BadRequest, Fail::Invalid, Fail::TooLarge])
    }

    /// Reads and writes the store: it may be down (503) or broken (500).
    fn store(self) -> Self {
        self.fails(&[Fail::ServerFailure, Fail::StoreUnavailable])
    }

    /// Writes an audit entry: the reason header is read, and refused when not text (400) or
    /// over its size limit (422).
    fn audited(self) -> Self {
        self.param(reference("parameters", "Reason"))
            .fails(&[Fail::BadRequest, Fail::Invalid])
    }

    /// Names the flag version it expects through If-Match (or the body's expected_version).
    fn versioned(self) -> Self {
        self.param(reference("parameters", "IfMatch"))
            .fails(&[Fail::BadRequest, Fail::Conflict])
    }

    /// `{key}` through `admin::flag_key`: a key outside the alphabet is a 422.
    fn key(self) -> Self {
        self.param(reference("parameters", "FlagKey"))
            .fails(&[Fail::Invalid])
    }

    /// `{name}` checked like a key (preset and token names share the alphabet).
    fn name(self, param: &str) -> Self {
        self.param(reference("parameters", param))
            .fails(&[Fail::Invalid])
    }

    fn other(mut self, status: u16, response: Value) -> Self {
        self.other.push((status, response));
        self
    }

    fn ofrep(mut self) -> Self {
        self.ofrep = true;
        self
    }

    fn render(self, tag: &str) -> Value {
        let mut fails = self.fails;
        if self.who != Who::Public {
            fails.extend([Fail::Unauthorized, Fail::Forbidden]);
        }
        if self.who.rate_limited(self.method) {
            fails.push(Fail::RateLimited);
        }
        fails.sort_unstable();
        fails.dedup();
        let mut responses = Map::new();
        responses.insert(self.ok.0.to_string(), self.ok.1);
        for fail in fails {
            responses.insert(
                fail.status().to_string(),
                reference("responses", &fail.name()),
            );
        }
        for (status, response) in self.other {
            responses.insert(status.to_string(), response);
        }
        let mut description = self.who.says().to_owned();
        for note in self.notes {
            description.push(' ');
            description.push_str(note);
        }
        let mut op = json!({
            "operationId": self.id,
            "summary": self.summary,
            "description": description,
            "tags": [tag],
            "responses": responses,
        });
        if !self.params.is_empty() {
            op["parameters"] = json!(self.params);
        }
        if let Some((body, required)) = self.body {
            op["requestBody"] = json!({
                "required": required,
                "content": { "application/json": { "schema": body } },
            });
        }
        if self.who == Who::Public {
            op["security"] = json!([]);
        }
        if self.ofrep {
            op["externalDocs"] =
                json!({ "description": "The OFREP OpenAPI document", "url": OFREP_SPEC });
        }
        op
    }
}

/// One server-sent event of the change stream, as a client parses it (its fields; a heartbeat is
/// a comment, no event): the `data` of each kind is JSON of the schema named for it.
fn stream_event() -> Value {
    let kinds = [
        ("snapshot", "StreamSnapshot"),
        ("change", "StreamChange"),
        ("changes", "StreamChanges"),
        ("message", "OfrepRefetch"),
    ];
    let one_of: Vec<Value> = kinds
        .iter()
        .map(|(event, data)| {
            json!({
                "required": ["event", "data"],
                "properties": {
                    "event": { "const": event },
                    "data": {
                        "contentMediaType": "application/json",
                        "contentSchema": schema(data),
                    },
                },
            })
        })
        .collect();
    json!({
        "type": "object",
        "properties": {
            "event": { "enum": kinds.iter().map(|(e, _)| *e).collect::<Vec<_>>() },
            "id": described(text(), "The audit id the event brings the client to."),
            "data": text(),
        },
        "oneOf": one_of,
    })
}

/// The answer of a change to one flag (`admin::committed_flag`).
fn changed_flag() -> Value {
    answer(
        "The flag after the change. When the change altered nothing (the flag was already so), \
         the version stays and X-Cutover-Audit-Id is absent.",
        Some(schema("Flag")),
        &["ETag", "X-Cutover-Audit-Id"],
    )
}

/// A move of a cutover on one flag: the shape every flag-change route but create shares.
fn flag_change(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
) -> Op {
    op(method, path, id, Who::Operate, summary)
        .key()
        .versioned()
        .audited()
        .store()
        .fails(&[Fail::NotFound, Fail::Invalid])
        .ok(200, changed_flag())
}

/// `guard::pause_for_hand_change`: a person moving the exposure takes over from the guard.
const HAND_CHANGE: &str = "A guarded rollout that is running pauses: the person takes over \
                           from the guard (resume it with POST rollout/resume).";

fn flag_ops() -> Vec<Op> {
    use Who::*;
    vec![
        op("get", "/api/v1/flags", "listFlags", Read, "List every flag")
            .store()
            .ok(
                200,
                answer("Every flag, by key.", Some(array(schema("Flag"))), &[]),
            ),
        op(
            "post",
            "/api/v1/flags",
            "createFlag",
            Configure,
            "Create a flag",
        )
        .notes(
            "Only `key` is required; other fields take the defaults the Flag schema gives, \
                 and a stage without rollout_percent sets the stage's rollout. The store sets \
                 version 1. 409 `already_exists` when the key is taken, `identity_taken` when \
                 another flag's key answers to the same `CUTOVER_FLAG_*` variable (`x-y`, \
                 `x_y` and `x.y` are one flag to the environment).",
        )
        .body(schema("Flag"))
        .audited()
        .store()
        .fails(&[Fail::Conflict, Fail::Invalid])
        .ok(
            201,
            answer(
                "The flag as created.",
                Some(schema("Flag")),
                &["ETag", "X-Cutover-Audit-Id"],
            ),
        ),
        op("get", "/api/v1/flags/{key}", "getFlag", Read, "Read a flag")
            .key()
            .store()
            .fails(&[Fail::NotFound])
            .ok(
                200,
                answer(
                    "The flag; its ETag is the version to send as If-Match.",
                    Some(schema("Flag")),
                    &["ETag"],
                ),
            ),
        Op {
            who: Configure,
            ..flag_change(
                "patch",
                "/api/v1/flags/{key}",
                "updateFlag",
                "Reshape a flag: description, owner, enabled, stickiness, salt, scope",
            )
        }
        .notes(
            "Send at least one of description, owner, enabled, stickiness, salt, scope (400 \
             otherwise); `salt: null` goes back to the key. `enabled: false` pauses a running \
             guarded rollout.",
        )
        .body(schema("UpdateRequest")),
        op(
            "delete",
            "/api/v1/flags/{key}",
            "deleteFlag",
            Configure,
            "Delete a flag",
        )
        .notes("Refused with 409 `in_use` while a preset names the flag.")
        .key()
        .versioned()
        .audited()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "The flag as it was.",
                Some(schema("Flag")),
                &["X-Cutover-Audit-Id"],
            ),
        ),
        flag_change(
            "post",
            "/api/v1/flags/{key}/changes",
            "changeFlag",
            "Apply a list of changes together",
        )
        .notes(
            "Each change is also checked against the caller's role: set_description, \
             set_owner, set_stickiness, set_salt, set_scope and replace need admin (403 \
             otherwise). An empty list is a 422, and so is a guard_action change: only the \
             guard loop makes those. set_plan and rollout_move answer 409 `rollout_state` \
             like their own routes.",
        )
        .body(schema("ChangesRequest")),
        flag_change(
            "put",
            "/api/v1/flags/{key}/rollout",
            "setRollout",
            "Set the rollout percentage",
        )
        .notes(HAND_CHANGE)
        .body(schema("RolloutRequest")),
        flag_change(
            "put",
            "/api/v1/flags/{key}/stage",
            "setStage",
            "Move to a stage of the ladder, with the rollout it implies",
        )
        .notes(HAND_CHANGE)
        .body(schema("StageRequest")),
        flag_change(
            "post",
            "/api/v1/flags/{key}/kill",
            "killFlag",
            "Pull the kill switch: everyone to legacy",
        )
        .notes(HAND_CHANGE),
        flag_change(
            "delete",
            "/api/v1/flags/{key}/kill",
            "unkillFlag",
            "Lift the kill switch",
        ),
    ]
}

/// `admin::rollouts`: status and history read; the moves and the plan answer through the same
/// change path as every other flag change, with a body that may be left out.
fn rollout_ops() -> Vec<Op> {
    use Who::*;
    vec![
        op(
            "get",
            "/api/v1/flags/{key}/rollout",
            "getRolloutStatus",
            Read,
            "Where a guarded rollout stands, with every gate's numbers now",
        )
        .notes(
            "Judged as the guard would at this instant: look is null when the flag has no plan \
             or no rollout ever started; its decision is what the plan would do now (`hold` \
             unless the rollout is running).",
        )
        .key()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer("The rollout's state.", Some(schema("RolloutStatus")), &[]),
        ),
        op(
            "get",
            "/api/v1/flags/{key}/rollout/history",
            "getRolloutHistory",
            Read,
            "The guard's looks at a flag's rollouts, newest first",
        )
        .notes(
            "The guard keeps every look that acted or whose verdicts changed, and at most one \
             every record_every (10 s by default) otherwise. A limit outside 1 to 10000 is a 422.",
        )
        .key()
        .query(
            "limit",
            json!({ "type": "integer", "minimum": 1, "maximum": 10_000, "default": 100 }),
            "At most this many records.",
        )
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "The records, newest first.",
                Some(array(schema("GuardRecord"))),
                &[],
            ),
        ),
        flag_change(
            "post",
            "/api/v1/flags/{key}/rollout/{move}",
            "moveRollout",
            "Start, pause, resume, promote or abort a guarded rollout",
        )
        .notes(
            "start: when no rollout is in progress (none yet, or the last completed or was \
             aborted) and the flag is not killed, at the plan's first step; the body's plan \
             is set first (a plan with another move is a 422), else the flag's own is used. \
             pause: a running one. resume: a paused or breached one, at its step, with fresh \
             evidence. promote: a running, paused or breached one to its next step now (the \
             last completes it), or with full: true straight to 100 %, completed. abort: a \
             running, paused or breached one, back to 0 %. A move that does not fit the \
             rollout's state (or a flag without a plan) is a 409 `rollout_state`; a move not \
             listed is a 404. The body may be left out. Audited as rollout.start, \
             rollout.pause, rollout.resume, rollout.promote or rollout.abort.",
        )
        .param(reference("parameters", "RolloutMove"))
        .optional_body(schema("MoveRequest")),
        flag_change(
            "put",
            "/api/v1/flags/{key}/plan",
            "setPlan",
            "Set or remove a flag's guarded rollout plan",
        )
        .notes(
            "plan: null (or left out, or an empty body) removes the plan. While a rollout is \
             in progress, removing its plan or giving one with fewer steps than the step it is \
             on is a 409 `rollout_state`; a paused or breached rollout stays so. A plan that \
             does not read (steps not increasing or not ending at 100, a gate that does not \
             parse, an unknown field) is a 400 whose message says why. Audited as \
             rollout.plan.",
        )
        .optional_body(schema("PlanRequest")),
    ]
}

fn override_ops() -> Vec<Op> {
    vec![
        op(
            "get",
            "/api/v1/flags/{key}/overrides",
            "listOverrides",
            Who::Read,
            "List a flag's overrides",
        )
        .key()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "The flag's overrides.",
                Some(array(schema("Override"))),
                &[],
            ),
        ),
        flag_change(
            "post",
            "/api/v1/flags/{key}/overrides",
            "addOverride",
            "Add an override, replacing one for the same attribute and value",
        )
        .notes("An expires_at that has already passed is a 422.")
        .body(schema("Override")),
        flag_change(
            "delete",
            "/api/v1/flags/{key}/overrides",
            "removeOverrides",
            "Remove one override, or all",
        )
        .notes(
            "Send attribute and value to remove one (404 when the flag has none such), or \
             all=true for every one; any other combination is a 422 naming `all`.",
        )
        .query(
            "attribute",
            schema("AttributeName"),
            "With value: the override to remove.",
        )
        .query("value", text(), "With attribute: the override to remove.")
        .query(
            "all",
            json!({ "type": "boolean", "default": false }),
            "true: remove every override.",
        ),
        op(
            "post",
            "/api/v1/overrides/sweep",
            "sweepOverrides",
            Who::Operate,
            "Remove expired overrides from every flag",
        )
        .audited()
        .store()
        .ok(
            200,
            answer(
                "Each flag the sweep changed, with the audit entry of its change.",
                Some(array(schema("CommittedFlag"))),
                &[],
            ),
        ),
    ]
}

fn preset_ops() -> Vec<Op> {
    use Who::*;
    vec![
        op(
            "get",
            "/api/v1/presets",
            "listPresets",
            Read,
            "List presets",
        )
        .store()
        .ok(
            200,
            answer("Every preset.", Some(array(schema("Preset"))), &[]),
        ),
        op(
            "put",
            "/api/v1/presets/{name}",
            "definePreset",
            Operate,
            "Define or replace a preset",
        )
        .notes(
            "The body's name must be the path's (422 otherwise); 404 when an entry names a \
             flag that does not exist. X-Cutover-Audit-Id is absent when the preset was \
             already so.",
        )
        .name("PresetName")
        .body(schema("Preset"))
        .audited()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "The preset.",
                Some(schema("Preset")),
                &["X-Cutover-Audit-Id"],
            ),
        ),
        op(
            "delete",
            "/api/v1/presets/{name}",
            "deletePreset",
            Operate,
            "Delete a preset",
        )
        .name("PresetName")
        .audited()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "The preset as it was.",
                Some(schema("Preset")),
                &["X-Cutover-Audit-Id"],
            ),
        ),
        op(
            "post",
            "/api/v1/presets/{name}/apply",
            "applyPreset",
            Operate,
            "Apply every entry of a preset in one transaction",
        )
        .notes("Audited as preset.apply, with the reason prefixed by the preset's name.")
        .name("PresetName")
        .audited()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "Each flag after the preset, with its audit entry (null when the flag was \
                 already so).",
                Some(array(schema("CommittedFlag"))),
                &[],
            ),
        ),
    ]
}

/// The filter `admin::audit::QueryParams` reads; bad instants, order or flag are 422s.
fn audit_filter(op: Op, limit: &str) -> Op {
    op.query(
        "after_id",
        count(),
        "Only entries after this id: the cursor of the next page when reading oldest first.",
    )
    .query(
        "before_id",
        count(),
        "Only entries before this id: the cursor of the next page when reading newest first.",
    )
    .query("actor", text(), "Only this actor's entries (a token name).")
    .query("flag", schema("FlagKey"), "Only entries about this flag.")
    .query(
        "action",
        text(),
        "An exact action (`flag.rollout`) or a family (`override.*`).",
    )
    .query("since", instant(), "RFC 3339 instant, inclusive.")
    .query("until", instant(), "RFC 3339 instant, exclusive.")
    .query(
        "limit",
        json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX }),
        limit,
    )
    .query(
        "order",
        json!({ "enum": ["oldest", "newest"], "default": "oldest" }),
        "Which end of the log comes first.",
    )
    .store()
    .fails(&[Fail::Invalid])
}

fn audit_ops() -> Vec<Op> {
    use Who::*;
    use cutover_core::limits::{AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX};
    let page = format!(
        "Entries per page: 1 to {AUDIT_PAGE_MAX}, {AUDIT_PAGE_DEFAULT} when not given (anything \
         else is a 422). A page also ends once its entries pass about 1 MiB."
    );
    vec![
        audit_filter(
            op(
                "get",
                "/api/v1/audit",
                "queryAudit",
                Read,
                "Query the audit log, one page at a time",
            )
            .notes(
                "Answers one page of the matching entries. When more match, the Link header \
                 names the next page (the same filters, the cursor moved past the last entry \
                 answered); follow it until an answer has no Link.",
            ),
            &page,
        )
        .ok(
            200,
            answer(
                "One page of the matching entries.",
                Some(array(schema("AuditEntry"))),
                &["Link"],
            ),
        ),
        op(
            "get",
            "/api/v1/audit/verify",
            "verifyAudit",
            Read,
            "Verify the audit log: its hash chain, the rows it describes, the seal, an anchor",
        )
        .query(
            "expect_head",
            text(),
            "A head to hold the log to, as `cutover audit head` prints it: ID:HASH or HASH. \
             A value that is neither is a 422 naming expect_head.",
        )
        .store()
        .fails(&[Fail::Invalid])
        .ok(
            200,
            answer(
                "The verification; `intact` is false when anything failed, and `problems` says \
                 what, one sentence each.",
                Some(schema("VerifyReport")),
                &[],
            ),
        ),
        audit_filter(
            op(
                "get",
                "/api/v1/audit/export",
                "exportAudit",
                Read,
                "Export audit entries as JSON lines",
            )
            .notes(
                "Streamed: the node reads the log page by page as it sends, so an export of any \
                 size is never built in memory. A store failure after the first page ends the \
                 answer early (an incomplete chunked body).",
            ),
            "The most entries to send (all matching when not given).",
        )
        .ok(
            200,
            answer_as(
                "The matching entries, one AuditEntry per line; before and after are the \
                 exact JSON that was hashed, so an export verifies on its own.",
                "application/x-ndjson",
                text(),
            ),
        ),
    ]
}

fn transfer_ops() -> Vec<Op> {
    vec![
        op(
            "post",
            "/api/v1/import",
            "importDocument",
            Who::Configure,
            "Make the store hold a document's flags and presets, all or nothing",
        )
        .notes(
            "Flags the store has are replaced whole (key, version, rollout run and golden \
             result kept), others created; presets are defined. A preset naming a flag the \
             document does not define is a 422. A replaced flag whose guarded rollout is in \
             progress must keep a plan it fits (409 `rollout_state` otherwise), and pauses if \
             its rollout percentage or kill switch changes. An override whose expires_at has \
             passed is left out (it would never apply again, as a sweep would remove it), so \
             an exported file imports back after its overrides expire; the report's changes \
             show it gone from a flag that had it.",
        )
        .query(
            "prune",
            json!({ "type": "boolean", "default": false }),
            "Also delete the flags and presets the document does not name.",
        )
        .query(
            "force",
            json!({ "type": "boolean", "default": false }),
            "Overwrite flags that changed in the store after the document's versions of them; \
             without it such an import is a 409 `stale_import` naming them. (A flag without a \
             version, as in a file written by hand, claims none.)",
        )
        .query(
            "dry_run",
            json!({ "type": "boolean", "default": false }),
            "Answer with what the import would change, field by field, and write nothing.",
        )
        .body(schema("FlagDocument"))
        .audited()
        .store()
        .fails(&[Fail::Conflict, Fail::Invalid])
        .ok(
            200,
            answer("What changed.", Some(schema("ImportReport")), &[]),
        ),
        op(
            "get",
            "/api/v1/export",
            "exportDocument",
            Who::Read,
            "Every flag and preset as one document",
        )
        .store()
        .ok(
            200,
            answer(
                "The document; importing it elsewhere reproduces the flags and presets.",
                Some(schema("FlagDocument")),
                &[],
            ),
        ),
    ]
}

fn token_ops() -> Vec<Op> {
    use Who::*;
    vec![
        op(
            "get",
            "/api/v1/tokens",
            "listTokens",
            ManageTokens,
            "List tokens",
        )
        .store()
        .ok(
            200,
            answer(
                "Every token, never its secret.",
                Some(array(schema("Token"))),
                &[],
            ),
        ),
        op(
            "post",
            "/api/v1/tokens",
            "createToken",
            ManageTokens,
            "Create a token",
        )
        .notes(
            "Its secret is in this answer only; the store keeps its hash. 409 \
             `already_exists` when the name is taken; 422 for a name cutover writes into the \
             audit log itself (guard, cutover-serve, cutover).",
        )
        .body(schema("CreateTokenRequest"))
        .audited()
        .store()
        .fails(&[Fail::Conflict, Fail::Invalid])
        .ok(
            201,
            answer(
                "The token and its secret.",
                Some(schema("TokenCreated")),
                &["X-Cutover-Audit-Id"],
            ),
        ),
        op(
            "delete",
            "/api/v1/tokens/{name}",
            "revokeToken",
            ManageTokens,
            "Revoke a token",
        )
        .notes(
            "It stops working on every node as the revocation reaches it. 409 `last_admin` for \
             the last admin token: create another admin token first (with direct access to the \
             store, `cutover token recover NAME` makes one).",
        )
        .name("TokenName")
        .audited()
        .store()
        .fails(&[Fail::NotFound, Fail::Conflict])
        .ok(
            200,
            answer(
                "The token as it was.",
                Some(schema("Token")),
                &["X-Cutover-Audit-Id"],
            ),
        ),
    ]
}

fn window(op: Op) -> Op {
    op.key()
        .query(
            "since",
            instant(),
            "RFC 3339; default 15 minutes before until. Counts are per minute, so the minute \
             it falls in is included.",
        )
        .query("until", instant(), "RFC 3339; default now.")
        .store()
        .fails(&[Fail::NotFound])
        .notes("since must be before until (422); a flag that does not exist is a 404.")
}

fn sdk_ops() -> Vec<Op> {
    use Who::*;
    vec![
        op(
            "get",
            "/api/v1/stream",
            "followChanges",
            Evaluate,
            "Follow every change as server-sent events",
        )
        .notes(
            "On connect, a `snapshot` event; with Last-Event-ID, only the `change` events \
             missed (or a snapshot when too many were). Then every change as this node applies \
             it, each with its audit id as the event id, and a `heartbeat` comment when idle. \
             With format=ofrep, OFREP `refetchEvaluation` notifications (event `message`) \
             instead. Served from memory: no store errors.",
        )
        .param(header_param(
            "Last-Event-ID",
            "The id of the last event seen: resume after it.",
        ))
        .query(
            "format",
            json!({ "enum": ["ofrep"] }),
            "ofrep: send OFREP refetchEvaluation notifications instead of flags.",
        )
        .ok(
            200,
            json!({
                "description": "An event stream; `data` of each event as the x-event-data schemas say.",
                "content": { "text/event-stream": { "schema": stream_event() } },
                "x-event-data": {
                    "snapshot": schema("StreamSnapshot"),
                    "change": schema("StreamChange"),
                    "changes": schema("StreamChanges"),
                    "message": schema("OfrepRefetch"),
                },
            }),
        ),
        op(
            "post",
            "/api/v1/metrics",
            "uploadMetrics",
            Evaluate,
            "Upload per-arm metrics and shadow findings (what SDKs do every few seconds)",
        )
        .notes(
            "A batch counts in the second its window ends in. The guard acts on these figures, \
             so a batch that cannot be true is refused whole (422, `field` names the part): \
             errors, fallbacks, retries and every counter at most the calls; the latency sketch \
             adding up to the calls, buckets in order; at most 100,000,000 calls a second of \
             window; shadow outcomes at most the runs, each field's outcomes adding up to its \
             comparisons; each flag and arm once; a window that starts at most 10 minutes \
             before the server's time and ends at most 1 minute after it. Reports for flags \
             this node does not know are set aside and counted (`ignored`, and the Prometheus \
             counter cutover_metrics_unknown_flag_reports_total), the rest is kept. Uploads \
             are limited per token (default 50 a second, bursts of 100; `serve \
             --upload-rate/--upload-burst`) on a budget apart from change requests.",
        )
        .body(schema("MetricsBatch"))
        .store()
        .fails(&[Fail::Invalid, Fail::RateLimited])
        .ok(200, answer("Kept.", Some(schema("UploadAccepted")), &[])),
        window(op(
            "get",
            "/api/v1/flags/{key}/metrics",
            "flagMetrics",
            Read,
            "Per-arm error, fallback and retry rates and latency quantiles over a window",
        ))
        .ok(
            200,
            answer("Both arms' figures.", Some(schema("FlagMetrics")), &[]),
        ),
        window(op(
            "get",
            "/api/v1/flags/{key}/shadow",
            "flagShadow",
            Read,
            "What shadow runs found over a window",
        ))
        .ok(
            200,
            answer(
                "Per-field agreement ratios with 95 % Wilson intervals, failures and a \
                 sample of mismatches.",
                Some(schema("FlagShadowReport")),
                &[],
            ),
        ),
    ]
}

fn ofrep_failure(description: &str) -> Value {
    answer(description, Some(schema("OfrepFailure")), &[])
}

/// OFREP's 429 differs from the admin API's: Retry-After is an instant, the body OFREP's.
fn ofrep_rate_limited() -> Value {
    json!({
        "description": "Only when the node limits evaluations per token (eval_rate_per_second). \
                        The body is OFREP's (errorCode GENERAL).",
        "headers": { "Retry-After": {
            "description": "The instant to retry at, RFC 3339.",
            "schema": instant(),
        } },
        "content": { "application/json": { "schema": schema("OfrepFailure") } },
    })
}

fn ofrep_ops() -> Vec<Op> {
    vec![
        op(
            "post",
            "/ofrep/v1/evaluate/flags/{key}",
            "ofrepEvaluateFlag",
            Who::Evaluate,
            "OFREP: evaluate one flag for a context",
        )
        .notes(
            "Shapes as the OFREP OpenAPI document defines them (see externalDocs). A cutover \
             flag is a boolean to OpenFeature: true sends the caller down the new path.",
        )
        .ofrep()
        .param(json!({
            "name": "key", "in": "path", "required": true,
            "description": "The flag key; one that is not a flag (however spelled) is a 404.",
            "schema": text(),
        }))
        .body(schema("OfrepRequest"))
        .ok(
            200,
            answer("The evaluation.", Some(schema("OfrepEvaluation")), &[]),
        )
        .other(
            400,
            ofrep_failure(
                "PARSE_ERROR (the body is not JSON) or INVALID_CONTEXT (no context object, \
                 or a targetingKey that is not a string).",
            ),
        )
        .other(404, ofrep_failure("FLAG_NOT_FOUND."))
        .other(429, ofrep_rate_limited()),
        op(
            "post",
            "/ofrep/v1/evaluate/flags",
            "ofrepEvaluateAll",
            Who::Evaluate,
            "OFREP: evaluate every flag for a context",
        )
        .notes(
            "Shapes as the OFREP OpenAPI document defines them (see externalDocs). The ETag \
             covers the node's state and the request body, so If-None-Match gives a 304 until \
             either changes.",
        )
        .ofrep()
        .param(header_param(
            "If-None-Match",
            "The ETag of an earlier answer for the same context.",
        ))
        .body(schema("OfrepRequest"))
        .ok(
            200,
            answer(
                "Every flag's evaluation.",
                Some(schema("OfrepBulkEvaluation")),
                &["ETag"],
            ),
        )
        .other(
            304,
            json!({
                "description": "Nothing changed since the ETag sent.",
                "headers": { "ETag": reference("headers", "ETag") },
            }),
        )
        .other(
            400,
            ofrep_failure(
                "PARSE_ERROR (the body is not JSON) or INVALID_CONTEXT (no context object, \
                 or a targetingKey that is not a string).",
            ),
        )
        .other(429, ofrep_rate_limited()),
    ]
}

fn node_ops() -> Vec<Op> {
    use Who::Public;
    vec![
        op("get", "/healthz", "health", Public, "Liveness").ok(
            200,
            answer_as(
                "The process serves.",
                "text/plain",
                json!({ "const": "ok" }),
            ),
        ),
        op(
            "get",
            "/readyz",
            "ready",
            Public,
            "Readiness: serving from a loaded state",
        )
        .notes("Ready once the state is loaded; the store's health is not required.")
        .ok(200, answer("Ready.", Some(schema("Ready")), &[])),
        op(
            "get",
            "/metrics",
            "prometheus",
            Public,
            "Prometheus metrics",
        )
        .ok(
            200,
            answer_as(
                "Prometheus text format 0.0.4.",
                "text/plain; version=0.0.4",
                text(),
            ),
        ),
        op(
            "get",
            "/api/v1/openapi.json",
            "openapi",
            Public,
            "This document",
        )
        .ok(
            200,
            answer("OpenAPI 3.1.", Some(json!({ "type": "object" })), &[]),
        ),
    ]
}

fn paths() -> Value {
    let areas = [
        ("flags", flag_ops()),
        ("rollouts", rollout_ops()),
        ("overrides", override_ops()),
        ("presets", preset_ops()),
        ("audit", audit_ops()),
        ("transfer", transfer_ops()),
        ("tokens", token_ops()),
        ("sdk", sdk_ops()),
        ("ofrep", ofrep_ops()),
        ("node", node_ops()),
    ];
    let mut paths = Map::new();
    for (tag, ops) in areas {
        for op in ops {
            let (path, method) = (op.path, op.method);
            let item = paths.entry(path).or_insert_with(|| json!({}));
            item[method] = op.render(tag);
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

fn scalar_schemas() -> Value {
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

fn flag_schemas() -> Value {
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
            "plan": described(nullable(schema("RolloutPlan")),
                "The guarded rollout plan; left out when there is none."),
            "run": described(nullable(schema("RolloutRun")),
                "The guarded rollout in progress, or the last one; left out when none ever \
                 started. Moved by the rollout moves and the guard; a replace keeps it, a create \
                 takes it as sent."),
            "golden": described(nullable(schema("GoldenResult")),
                "The latest golden-corpus run recorded against the flag; left out when none. \
                 A replace keeps it, a create takes it as sent."),
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
fn change_variants() -> Vec<TaggedVariant> {
    vec![
        (
            "set_enabled",
            json!({ "enabled": boolean() }),
            &["enabled"],
            "Operator.",
        ),
        (
            "set_stage",
            json!({ "stage": schema("Stage") }),
            &["stage"],
            "Operator. Sets the rollout the stage implies.",
        ),
        (
            "set_rollout",
            json!({ "rollout_percent": schema("Percent") }),
            &["rollout_percent"],
            "Operator.",
        ),
        ("kill", json!({}), &[], "Operator."),
        ("unkill", json!({}), &[], "Operator."),
        (
            "set_description",
            json!({ "description": text() }),
            &["description"],
            "Admin.",
        ),
        (
            "set_owner",
            json!({ "owner": text() }),
            &["owner"],
            "Admin.",
        ),
        (
            "set_stickiness",
            json!({ "attribute": schema("AttributeName") }),
            &["attribute"],
            "Admin.",
        ),
        (
            "set_salt",
            json!({ "salt": { "type": ["string", "null"] } }),
            &[],
            "Admin. null or left out: the key.",
        ),
        (
            "set_scope",
            json!({ "scope": array(schema("Constraint")) }),
            &["scope"],
            "Admin.",
        ),
        (
            "add_override",
            json!({ "override": schema("Override") }),
            &["override"],
            "Operator. Replaces an override for the same attribute and value.",
        ),
        (
            "remove_override",
            json!({ "attribute": schema("AttributeName"), "value": text() }),
            &["attribute", "value"],
            "Operator. 404 when there is no such override.",
        ),
        ("clear_overrides", json!({}), &[], "Operator."),
        ("remove_expired_overrides", json!({}), &[], "Operator."),
        (
            "replace",
            json!({ "flag": schema("Flag") }),
            &["flag"],
            "Admin. Everything but the key, the version, the rollout run and the golden \
             result; the flag's key must be the path's. 409 `rollout_state` when a rollout in \
             progress does not fit the new plan.",
        ),
        (
            "set_plan",
            json!({ "plan": nullable(schema("RolloutPlan")) }),
            &[],
            "Operator. null or left out: remove the plan. 409 `rollout_state` when a rollout \
             in progress does not fit (no plan, or fewer steps than the step it is on).",
        ),
        (
            "rollout_move",
            json!({ "move": { "enum": ["start", "pause", "resume", "promote", "promote_full", "abort"] } }),
            &["move"],
            "Operator. As POST /flags/{key}/rollout/{move} (promote_full: promote with full: \
             true); 409 `rollout_state` when the move does not fit the rollout's state.",
        ),
        (
            "record_golden",
            json!({ "result": schema("GoldenResult") }),
            &["result"],
            "Operator. Records a golden-corpus run's verdict, which the `golden` gate reads.",
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

/// A variant of an internally tagged enum: (tag, fields, required fields, note).
type TaggedVariant = (&'static str, Value, &'static [&'static str], &'static str);

/// An internally tagged enum as serde writes it: a closed schema `{name}.{tag}` per variant,
/// joined by a oneOf with a discriminator on `tag_field`.
fn tagged(
    name: &str,
    tag_field: &str,
    description: &str,
    variants: Vec<TaggedVariant>,
) -> Map<String, Value> {
    let mut out = Map::new();
    let mut one_of = Vec::new();
    let mut mapping = Map::new();
    for (tag, mut fields, required, note) in variants {
        let variant = format!("{name}.{tag}");
        fields[tag_field] = json!({ "const": tag });
        let required: Vec<&str> = std::iter::once(tag_field)
            .chain(required.iter().copied())
            .collect();
        let mut shape = object(&required, fields, true);
        if !note.is_empty() {
            shape = described(shape, note);
        }
        out.insert(variant.clone(), shape);
        one_of.push(schema(&variant));
        mapping.insert(
            tag.to_owned(),
            json!(format!("#/components/schemas/{variant}")),
        );
    }
    out.insert(
        name.to_owned(),
        json!({
            "description": description,
            "oneOf": one_of,
            "discriminator": { "propertyName": tag_field, "mapping": mapping },
        }),
    );
    out
}

fn change_schemas() -> Map<String, Value> {
    let mut out = tagged(
        "FlagChange",
        "change",
        "One edit of a flag, tagged by `change`; the note of each says which role it needs.",
        change_variants(),
    );
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

/// The names of `Action`, also the `action` of a guard record (`guard::action_name`).
const ACTIONS: [&str; 7] = [
    "hold",
    "advance",
    "complete",
    "rollback",
    "step_down",
    "extend",
    "pause",
];

fn action_variants() -> Vec<TaggedVariant> {
    vec![
        ("hold", json!({}), &[], "Keep baking."),
        (
            "advance",
            json!({ "to": schema("Percent") }),
            &["to"],
            "Go to the next step, at this rollout.",
        ),
        (
            "complete",
            json!({}),
            &[],
            "The last step passed: the rollout is done.",
        ),
        ("rollback", json!({}), &[], "Breach: back to 0 %."),
        (
            "step_down",
            json!({ "to": schema("Percent") }),
            &["to"],
            "Breach: back to the previous step's rollout, paused.",
        ),
        (
            "extend",
            json!({}),
            &[],
            "Not enough data at the end of the bake: bake once more.",
        ),
        (
            "pause",
            json!({}),
            &[],
            "Not enough data after every extension: stop and wait for a person.",
        ),
    ]
}

/// A bake as plans read it: the whole-unit subset of the core's duration grammar
/// (`cutover_core::duration`), which also takes decimals and several units.
fn duration_text() -> Value {
    json!({ "type": "string", "pattern": "^\\s*[0-9]+[smhd]\\s*$" })
}

fn guard_schemas() -> Map<String, Value> {
    let shorthand = || {
        described(
            json!({ "type": "string", "pattern": " every ", "examples": ["5,25,50,100 every 10m"] }),
            "Percentages strictly increasing and ending at 100, each baking the same time \
             (s, m, h or d) with the default min_samples (200).",
        )
    };
    let nullable_number = || json!({ "type": ["number", "null"] });
    let mut all = tagged(
        "Action",
        "action",
        "What the guard does after a look, tagged by `action`.",
        action_variants(),
    );
    let more = json!({
        "RolloutPlan": {
            "description": "A guarded rollout plan: the steps the guard climbs, how long each \
                            bakes, how many calls each arm needs, the gates every step must \
                            satisfy and what a breach or too little data does. Accepted as the \
                            shorthand string or as the object; always written as the object, \
                            steps as a list, bakes in seconds.",
            "oneOf": [
                shorthand(),
                object(&["steps"], json!({
                    "steps": {
                        "oneOf": [
                            shorthand(),
                            { "type": "array", "items": schema("Step"), "minItems": 1 },
                        ],
                    },
                    "gates": described(array(described(text(),
                        "A gate of at most 256 bytes: `new.error_rate <= legacy.error_rate` (also fallback_rate, \
                         retry_rate; with `* 1.5` or `+ 2pp`, or a fixed rate such as `2%`), \
                         `new.p95 <= 100ms` (p50, p99; or against legacy.p95 with a margin), \
                         `baseline.` instead of `legacy.` for the figures from before the start, \
                         `agreement(field) >= 0.80`, `golden`.")),
                        "Every step must satisfy all of them; empty (the default): \
                         `new.error_rate <= legacy.error_rate`."),
                    "on_breach": described(
                        json!({ "enum": ["rollback", "step_down"], "default": "rollback" }),
                        "rollback: back to 0 %; step_down: back to the previous step, paused."),
                    "on_inconclusive": described(
                        json!({ "enum": ["extend_then_pause", "extend_then_rollback"],
                                "default": "extend_then_pause" }),
                        "What a step whose bake ended without enough data does, after \
                         max_extensions more bakes."),
                    "max_extensions": described(
                        json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX, "default": 2 }),
                        "Extra bakes an inconclusive step may take."),
                    "baseline_window": described(
                        json!({ "oneOf": [count(), duration_text()], "default": 3600 }),
                        "How far back from the start `baseline.` gates read the legacy path's \
                         figures: seconds, or a duration such as \"1h\"; always seconds when \
                         written."),
                }), true),
            ],
        },
        "Step": object(&["percent", "bake"], json!({
            "percent": schema("Percent"),
            "bake": described(json!({ "oneOf": [count(), duration_text()] }),
                "How long the step bakes: seconds, or a duration such as \"10m\" (s, m, h, d) \
                 when read; always seconds when written."),
            "min_samples": described(json!({ "type": "integer", "minimum": 0, "default": 200 }),
                "Calls each arm needs in the step before it may pass."),
        }), true),
        "RolloutRun": described(object(
            &["status", "step", "extensions", "started_at", "evidence"],
            json!({
                "status": described(
                    json!({ "enum": ["running", "paused", "breached", "completed", "aborted"] }),
                    "running: the guard moves it. paused: held by a person or for lack of \
                     data. breached: a gate failed and the guard rolled back or stepped down; \
                     only a resume moves it on. completed, aborted: over."),
                "step": described(count(), "The plan step it is on, from 0."),
                "extensions": described(count(), "Extra bakes the current step has taken."),
                "started_at": instant(),
                "evidence": described(array(instant()),
                    "When each step whose figures count as evidence began, oldest first; the \
                     last is the current step's start. A resume starts it afresh."),
                "reason": described(nullable(text()),
                    "Why it is paused, breached or over; left out (or null) while running."),
            }),
            true,
        ), "A guarded rollout in progress, or the last one."),
        "GoldenResult": described(object(
            &["passed", "at", "corpus", "cases", "failed"],
            json!({
                "passed": boolean(),
                "at": described(instant(), "When the run finished."),
                "corpus": described(text(), "The corpus it ran (a path or a name), at most 1024 bytes."),
                "cases": count(),
                "failed": count(),
                "summary": described(text(), "What failed, in a line of at most 1024 bytes; left out when empty."),
            }),
            true,
        ), "A golden-corpus run's verdict recorded against a flag: what the `golden` gate reads."),
        "Verdict": { "enum": ["pass", "fail", "inconclusive"] },
        "GateReading": described(object(
            &["gate", "verdict", "unit", "new", "legacy", "threshold", "samples",
              "legacy_samples", "log_statistic", "fail_at", "suggested_action"],
            json!({
                "gate": described(text(), "The gate's expression."),
                "verdict": schema("Verdict"),
                "unit": described(json!({ "enum": ["ratio", "microseconds", "outcome"] }),
                    "Of new, legacy and threshold: a share 0 to 1, microseconds, or passed (1) / \
                     failed (0)."),
                "new": described(nullable_number(),
                    "The new arm's figure in the current step; null without data."),
                "legacy": described(nullable_number(),
                    "The legacy arm's figure in the current step, when the gate compares with it."),
                "threshold": described(nullable_number(),
                    "The bound the new arm's figure must stay under (over, for agreement)."),
                "samples": described(count(),
                    "Observations of the new arm in the current step (calls, timed calls or \
                     comparisons)."),
                "legacy_samples": count(),
                "log_statistic": described(json!({ "type": "number" }),
                    "log of the sequential statistic over the rollout so far."),
                "fail_at": described(json!({ "type": "number" }),
                    "The gate fails once log_statistic reaches this."),
                "suggested_action": described(text(), "What to look at if this gate breaks."),
            }),
            true,
        ), "One gate's verdict with its numbers."),
        "Assessment": described(object(&["verdict", "gates"], json!({
            "verdict": schema("Verdict"),
            "gates": array(schema("GateReading")),
        }), true), "The step's verdict: fail if any gate fails, pass when every gate passes."),
        "Look": described(object(
            &["step", "extensions", "elapsed_s", "assessment", "decision"],
            json!({
                "step": count(),
                "extensions": count(),
                "elapsed_s": described(count(), "Seconds since the current step began."),
                "assessment": schema("Assessment"),
                "decision": described(schema("Action"),
                    "What the plan decides now; hold when the rollout is not running."),
            }),
            true,
        ), "What a look at a rollout found, and what the plan says to do about it."),
        "RolloutStatus": object(
            &["flag", "version", "rollout_percent", "plan", "run", "golden", "look", "at"],
            json!({
                "flag": schema("FlagKey"),
                "version": described(count(), "The flag's version."),
                "rollout_percent": schema("Percent"),
                "plan": nullable(schema("RolloutPlan")),
                "run": nullable(schema("RolloutRun")),
                "golden": nullable(schema("GoldenResult")),
                "look": described(nullable(schema("Look")),
                    "null when the flag has no plan or no rollout ever started."),
                "at": described(instant(), "When the look was taken."),
            }),
            true,
        ),
        "GuardRecord": described(object(
            &["flag", "at", "step", "rollout_percent", "action", "assessment"],
            json!({
                "flag": schema("FlagKey"),
                "at": instant(),
                "step": count(),
                "rollout_percent": described(schema("Percent"), "The rollout at the look."),
                "action": described(json!({ "enum": ACTIONS }),
                    "What the guard did: hold when it only looked."),
                "assessment": schema("Assessment"),
            }),
            true,
        ), "One look of the guard at a flag's rollout."),
    });
    if let Value::Object(more) = more {
        all.extend(more);
    }
    all
}

fn preset_schemas() -> Value {
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

fn audit_schemas() -> Value {
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
fn verify_schemas() -> Map<String, Value> {
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

fn token_schemas() -> Value {
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

fn metric_schemas() -> Value {
    let counts = || {
        json!({
            "calls": count(), "errors": count(), "fallbacks": count(), "retries": count(),
            "latency": schema("LatencySketch"),
            "custom": described(json!({ "type": "object", "additionalProperties": count() }),
                "The service's own counters (name: 1 to 64 of a-z, 0-9, '_'), calls counted in \
                 each; read by gates such as new.invalid_json_rate <= 1%."),
        })
    };
    let mut arm = counts();
    arm["flag"] = schema("FlagKey");
    arm["arm"] = schema("Variant");
    let mut shadow = shadow_counts();
    shadow["flag"] = schema("FlagKey");
    let summary = object(
        &[
            "calls",
            "errors",
            "fallbacks",
            "retries",
            "error_rate",
            "fallback_rate",
            "retry_rate",
            "latency_ms",
        ],
        json!({
            "calls": count(), "errors": count(), "fallbacks": count(), "retries": count(),
            "error_rate": described(ratio(), "null before any call."),
            "fallback_rate": ratio(),
            "retry_rate": ratio(),
            "latency_ms": nullable(described(object(&["p50", "p90", "p95", "p99"], json!({
                "p50": { "type": "number" }, "p90": { "type": "number" },
                "p95": { "type": "number" }, "p99": { "type": "number" },
            }), true), "Quantiles in milliseconds, each at most 1/32 below the true value.")),
            "counters": described(json!({ "type": "object", "additionalProperties":
                object(&["count", "rate"], json!({ "count": count(), "rate": ratio() }), true) }),
                "The service's own counters: count and count / calls; absent when none."),
        }),
        true,
    );
    let mut report_fields = shadow_counts();
    report_fields["flag"] = schema("FlagKey");
    report_fields["since"] = instant();
    report_fields["until"] = instant();
    report_fields["fields"] =
        json!({ "type": "object", "additionalProperties": schema("FieldAgreement") });
    let mut agreement = field_tally();
    agreement["ratio"] = described(ratio(), "agreed / compared; null before any comparison.");
    agreement["interval95"] = described(
        json!({ "type": ["array", "null"], "prefixItems": [{ "type": "number" }, { "type": "number" }], "items": false }),
        "The 95 % Wilson interval of the ratio: [low, high].",
    );
    json!({
        "LatencySketch": object(&["buckets"], json!({
            "buckets": described(array(pair(
                    json!({ "type": "integer", "minimum": 0, "maximum": cutover_core::LATENCY_BUCKETS - 1 }),
                    count())),
                "[bucket, count] pairs of a log-linear histogram of microseconds, sorted, no zero counts."),
        }), true),
        "ArmReport": object(&["flag", "arm", "calls", "errors", "fallbacks", "retries", "latency"], arm, false),
        "FlagShadow": object(&shadow_required(&["flag"]), shadow, false),
        "MetricsBatch": object(&["window_start", "window_end", "arms"], json!({
            "window_start": described(instant(),
                "At most 10 minutes before the server's time (422 otherwise)."),
            "window_end": described(instant(),
                "Not before window_start, at most 1 minute after the server's time (422)."),
            "arms": array(schema("ArmReport")),
            "shadows": array(schema("FlagShadow")),
            "dropped_batches": described(count(), "Batches the SDK dropped since its last upload."),
        }), false),
        "UploadAccepted": object(&["arms", "shadows", "window_start", "ignored"], json!({
            "arms": described(count(), "Arm reports kept."),
            "shadows": described(count(), "Shadow reports kept."),
            "window_start": described(instant(), "The second they were counted in."),
            "ignored": described(object(&["arms", "shadows", "unknown_flags"], json!({
                "arms": count(),
                "shadows": count(),
                "unknown_flags": array(schema("FlagKey")),
            }), true), "Reports for flags this node does not know, set aside."),
        }), true),
        "ArmSummary": summary,
        "FlagMetrics": object(&["flag", "since", "until", "legacy", "new"], json!({
            "flag": schema("FlagKey"), "since": instant(), "until": instant(),
            "legacy": schema("ArmSummary"), "new": schema("ArmSummary"),
        }), true),
        "FieldTally": object(&TALLY, field_tally(), true),
        "FieldAgreement": object(&TALLY, agreement, true),
        "ShadowTally": object(&["fields", "cases", "cases_agreed"], json!({
            "fields": { "type": "object", "additionalProperties": schema("FieldTally") },
            "cases": count(), "cases_agreed": count(),
        }), true),
        "MismatchSample": object(&["path", "context"], json!({
            "path": text(),
            "legacy": { "description": "The legacy output at path; left out or null when absent." },
            "new": { "description": "The new output at path; left out or null when absent." },
            "context": described(array(pair(text(), text())), "[attribute, value] pairs."),
        }), true),
        "FlagShadowReport": object(&shadow_required(&["flag", "since", "until", "fields"]), report_fields, true),
    })
}

const TALLY: [&str; 5] = ["compared", "agreed", "disagreed", "missing", "extra"];

fn field_tally() -> Value {
    json!({
        "compared": count(), "agreed": count(), "disagreed": count(),
        "missing": described(count(), "The new output lacked the field."),
        "extra": described(count(), "The new output had a field the legacy one did not."),
    })
}

/// `ShadowCounts`, flattened into the shapes that carry it.
fn shadow_counts() -> Value {
    json!({
        "runs": count(), "compared": count(), "new_errors": count(), "new_panics": count(),
        "timeouts": count(),
        "tally": schema("ShadowTally"),
        "mismatches": described(array(schema("MismatchSample")), "At most 100 kept per flag and minute."),
        "mismatches_dropped": described(count(), "Mismatches seen beyond the kept sample."),
    })
}

fn shadow_required(extra: &[&'static str]) -> Vec<&'static str> {
    let own = [
        "runs",
        "compared",
        "new_errors",
        "new_panics",
        "timeouts",
        "tally",
        "mismatches",
        "mismatches_dropped",
    ];
    extra.iter().copied().chain(own).collect()
}

/// A Rust tuple as serde writes it: a two-element array.
fn pair(first: Value, second: Value) -> Value {
    json!({ "type": "array", "prefixItems": [first, second], "items": false, "minItems": 2 })
}

fn stream_schemas() -> Value {
    json!({
        "StreamSnapshot": object(&["type", "seq", "flags"], json!({
            "type": { "const": "snapshot" },
            "seq": described(count(), "The audit id the snapshot is at; also the event id."),
            "flags": array(schema("Flag")),
        }), true),
        "StreamChange": object(&["type", "seq", "action", "key", "at", "flag"], json!({
            "type": { "const": "change" },
            "seq": described(count(), "The change's audit id; also the event id."),
            "action": text(),
            "key": schema("FlagKey"),
            "at": instant(),
            "flag": described(nullable(schema("Flag")), "The flag after the change; null when it was deleted."),
        }), true),
        "StreamChanges": described(object(&["type", "seq", "changes"], json!({
            "type": { "const": "changes" },
            "seq": described(count(), "The audit id of the transaction's last change; also the event id."),
            "changes": array(schema("StreamChange")),
        }), true), "Several flags changed by one transaction (a preset applied, an import): apply them together."),
        "OfrepRefetch": described(object(&["type", "etag"], json!({
            "type": { "const": "refetchEvaluation" },
            "etag": text(),
        }), true), "OFREP's change notification: evaluate again."),
        "Ready": object(&["status", "head"], json!({
            "status": { "const": "ready" },
            "head": described(count(), "The last audit id this node applied."),
        }), true),
    })
}

fn ofrep_schemas() -> Value {
    let docs = json!({ "url": OFREP_SPEC });
    json!({
        "OfrepRequest": {
            "type": "object",
            "description": "OFREP's evaluation request. String, number and boolean attributes are \
                            used (numbers and booleans in their JSON spelling); null, objects and \
                            arrays are skipped. Without a context, the context is empty.",
            "externalDocs": docs,
            "properties": {
                "context": {
                    "type": "object",
                    "properties": { "targetingKey": text() },
                    "additionalProperties": true,
                },
            },
        },
        "OfrepEvaluation": {
            "type": "object",
            "required": ["key", "value", "reason", "variant", "metadata"],
            "description": "OFREP's evaluation success, for a boolean flag.",
            "externalDocs": docs,
            "properties": {
                "key": schema("FlagKey"),
                "value": described(boolean(), "true: the new path."),
                "reason": { "enum": ["DISABLED", "STATIC", "TARGETING_MATCH", "SPLIT", "UNKNOWN", "DEFAULT"] },
                "variant": schema("Variant"),
                "metadata": {
                    "type": "object",
                    "required": ["flagVersion", "cutoverReason", "explanation"],
                    "properties": {
                        "flagVersion": count(),
                        "cutoverReason": { "enum": ["kill_switch", "env_override", "disabled", "legacy_retired",
                                                    "override", "out_of_scope", "rollout", "flag_not_found"] },
                        "explanation": text(),
                        "attribute": described(text(), "The attribute that decided it."),
                        "bucket": described(json!({ "type": "integer", "minimum": 0, "maximum": 9999 }),
                            "The bucket, in basis points."),
                        "rolloutPercent": described(text(), "As text, such as 12.5%."),
                        "envVar": described(text(), "The CUTOVER_FLAG_<KEY> variable that decided it."),
                    },
                },
            },
        },
        "OfrepBulkEvaluation": {
            "type": "object",
            "required": ["flags", "metadata", "eventStreams"],
            "description": "OFREP's bulk evaluation success, with the change stream to follow.",
            "externalDocs": docs,
            "properties": {
                "flags": array(schema("OfrepEvaluation")),
                "metadata": { "type": "object", "properties": { "version": count() } },
                "eventStreams": array(json!({
                    "type": "object",
                    "properties": {
                        "type": { "const": "sse" },
                        "endpoint": { "type": "object", "properties": { "requestUri": text() } },
                        "inactivityDelaySec": count(),
                    },
                })),
            },
        },
        "OfrepFailure": {
            "type": "object",
            "required": ["errorCode"],
            "description": "OFREP's evaluation failure.",
            "externalDocs": docs,
            "properties": {
                "key": text(),
                "errorCode": { "enum": ["PARSE_ERROR", "INVALID_CONTEXT", "FLAG_NOT_FOUND", "GENERAL"] },
                "errorDetails": text(),
            },
        },
    })
}

fn schemas() -> Value {
    let mut all = Map::new();
    for part in [
        scalar_schemas(),
        flag_schemas(),
        preset_schemas(),
        audit_schemas(),
        token_schemas(),
        metric_schemas(),
        stream_schemas(),
        ofrep_schemas(),
    ] {
        if let Value::Object(part) = part {
            all.extend(part);
        }
    }
    all.extend(change_schemas());
    all.extend(verify_schemas());
    all.extend(guard_schemas());
    Value::Object(all)
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
            "schemas": schemas(),
        },
    })
}

/// Serialised once: the document never changes while the process runs.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| build().to_string());

pub(crate) async fn document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

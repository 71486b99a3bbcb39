//! The vocabulary the route table and the component schemas are written in: JSON Schema and
//! OpenAPI fragments, and the shared error answers.

use cutover_core::Capability;
use serde_json::{Map, Value, json};

use crate::auth::holders;

/// Who holds a capability, from `cutover_core::access`: "Roles: viewer, operator, admin
/// (capability Read)." The roles are named least powerful first.
pub(crate) fn roles_line(capability: Capability) -> String {
    let roles = holders(capability);
    let label = if roles.len() == 1 { "Role" } else { "Roles" };
    format!("{label}: {} (capability {capability:?}).", roles.join(", "))
}

pub(crate) const OFREP_SPEC: &str =
    "https://github.com/open-feature/protocol/blob/main/service/openapi.yaml";

/// The error answers in the `Error` shape, shared by every operation through
/// `#/components/responses`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Fail {
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
    pub(crate) const ALL: [Fail; 10] = [
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

    pub(crate) fn status(self) -> u16 {
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

    pub(crate) fn name(self) -> String {
        format!("{self:?}")
    }

    pub(crate) fn says(self) -> &'static str {
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
                 `identity_taken`: another flag reads the same environment variable (a key \
                 answering to the same `CUTOVER_FLAG_*` variable, keys that differ only in '-', \
                 '_' and '.', or a declared env name); the message names both flags. `last_admin`: revoking \
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

    pub(crate) fn retry_after(self) -> bool {
        matches!(self, Fail::RateLimited | Fail::StoreUnavailable)
    }
}

pub(crate) fn reference(kind: &str, name: &str) -> Value {
    json!({ "$ref": format!("#/components/{kind}/{name}") })
}

pub(crate) fn schema(name: &str) -> Value {
    reference("schemas", name)
}

pub(crate) fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

pub(crate) fn nullable(inner: Value) -> Value {
    json!({ "anyOf": [inner, { "type": "null" }] })
}

pub(crate) fn described(mut schema: Value, description: &str) -> Value {
    schema["description"] = json!(description);
    schema
}

pub(crate) fn text() -> Value {
    json!({ "type": "string" })
}

pub(crate) fn boolean() -> Value {
    json!({ "type": "boolean" })
}

/// A `u64`: JSON Schema's integer (so `3.0` too, which the server reads as 3 through
/// `cutover_core::count`), at most `u64::MAX`.
pub(crate) fn count() -> Value {
    json!({ "type": "integer", "minimum": 0, "maximum": u64::MAX })
}

pub(crate) fn ratio() -> Value {
    json!({ "type": ["number", "null"], "minimum": 0, "maximum": 1 })
}

pub(crate) fn instant() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

/// An object schema. `closed` for types serde reads with `deny_unknown_fields` (or only ever
/// writes), so a typo is refused here as it is by the server.
pub(crate) fn object(required: &[&str], properties: Value, closed: bool) -> Value {
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
pub(crate) fn answer(description: &str, body: Option<Value>, headers: &[&str]) -> Value {
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
pub(crate) fn answer_as(description: &str, media: &str, body: Value) -> Value {
    json!({ "description": description, "content": { media: { "schema": body } } })
}

pub(crate) fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

pub(crate) fn header_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "header", "required": false, "description": description, "schema": text() })
}

/// A variant of an internally tagged enum: (tag, fields, required fields, note).
pub(crate) type TaggedVariant = (&'static str, Value, &'static [&'static str], &'static str);

/// An internally tagged enum as serde writes it: a closed schema `{name}.{tag}` per variant,
/// joined by a oneOf with a discriminator on `tag_field`.
pub(crate) fn tagged(
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

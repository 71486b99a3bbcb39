//! OpenFeature Remote Evaluation (OFREP).

use serde_json::{Value, json};

use super::route::Access::Requires;
use super::route::{Route, route};
use crate::openapi::vocab::*;
use cutover_core::Capability::*;

use crate::ofrep;
pub(crate) fn ofrep_failure(description: &str) -> Value {
    answer(description, Some(schema("OfrepFailure")), &[])
}

/// OFREP's 429 differs from the admin API's: Retry-After is an instant, the body OFREP's.
pub(crate) fn ofrep_rate_limited() -> Value {
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

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route(
            "post",
            "/ofrep/v1/evaluate/flags/{key}",
            "ofrepEvaluateFlag",
            Requires(Evaluate),
            "OFREP: evaluate one flag for a context",
        )
        .serve(ofrep::evaluate_one)
        .sample(
            "/ofrep/v1/evaluate/flags/checkout",
            Some(r#"{"context": {"targetingKey": "u1"}}"#),
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
        route(
            "post",
            "/ofrep/v1/evaluate/flags",
            "ofrepEvaluateAll",
            Requires(Evaluate),
            "OFREP: evaluate every flag for a context",
        )
        .serve(ofrep::evaluate_all)
        .sample(
            "/ofrep/v1/evaluate/flags",
            Some(r#"{"context": {"targetingKey": "u1"}}"#),
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

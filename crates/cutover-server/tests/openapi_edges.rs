//! Where the OpenAPI document and the server once disagreed, each value is sent to the server
//! and checked against the document's schema for it: the server takes it exactly when the
//! document admits it. (An empty If-Match, `exists` with values, counts written `3.0`, an
//! `after_id` beyond 2^64, an import carrying an expired override, percentages as strings.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Fixture, fixture};
use cutover_core::{Role, Timestamp};
use cutover_server::ServerConfig;
use serde_json::{Value, json};

/// Changes back to back: the per-token limiter is tested on its own elsewhere.
fn generous() -> ServerConfig {
    ServerConfig {
        change_rate_per_second: 10_000,
        change_burst: 10_000,
        upload_rate_per_second: 10_000,
        upload_burst: 10_000,
        ..ServerConfig::default()
    }
}

async fn the_document(f: &Fixture) -> Value {
    let answer = f.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

/// Whether `instance` satisfies `schema`, resolved against the document's components.
fn admits(doc: &Value, schema: &Value, instance: &Value) -> bool {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}\n{schema}"))
        .is_valid(instance)
}

fn component(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Collects the values on which document and server disagree.
#[derive(Default)]
struct Disagreements(Vec<String>);

impl Disagreements {
    fn check(&mut self, what: &str, value: &Value, in_document: bool, status: u16, text: &str) {
        let taken = (200..300).contains(&status) || status == 409;
        if taken != in_document {
            self.0.push(format!(
                "{what} {value}: the document {} it, the server answered {status}: {text}",
                if in_document { "admits" } else { "refuses" }
            ));
        }
    }

    fn assert_none(&self) {
        assert!(self.0.is_empty(), "{}", self.0.join("\n"));
    }
}

#[tokio::test]
async fn if_match_is_taken_exactly_in_the_forms_the_document_gives() {
    let f = fixture(generous()).await;
    let doc = the_document(&f).await;
    let schema = &doc["components"]["parameters"]["IfMatch"]["schema"];
    let mut found = Disagreements::default();
    for tag in [
        "",
        "*",
        "\"1\"",
        "W/\"1\"",
        "1",
        "W/1",
        "\"1",
        "1\"",
        "W/W/1",
        "\"1\", \"2\"",
        "x1",
        "-1",
        "1.0",
        "0000000000000000001",
        "9999999999999999999",
        "99999999999999999999",
    ] {
        let answer = f
            .call_with(
                "PUT",
                "/api/v1/flags/checkout/rollout",
                Some(Role::Operator),
                Some(r#"{"percent": 5}"#),
                &[("if-match", tag)],
            )
            .await;
        let value = json!(tag);
        found.check(
            "If-Match",
            &value,
            admits(&doc, schema, &value),
            answer.status.as_u16(),
            &answer.text,
        );
    }
    found.assert_none();
}

#[tokio::test]
async fn exists_takes_no_values_in_the_document_as_in_the_server() {
    let f = fixture(generous()).await;
    let doc = the_document(&f).await;
    let mut found = Disagreements::default();
    for constraint in [
        json!({"attribute": "plan", "op": "exists"}),
        json!({"attribute": "plan", "op": "exists", "values": ["pro"]}),
        json!({"attribute": "plan", "op": "exists", "values": []}),
        json!({"attribute": "plan", "op": "exists", "values": null}),
        json!({"attribute": "plan", "op": "in", "values": ["pro"]}),
        json!({"attribute": "plan", "op": "not_in", "values": ["pro"]}),
        json!({"attribute": "plan", "op": "in"}),
        json!({"attribute": "plan", "op": "in", "values": null}),
        json!({"attribute": "plan", "op": "exists", "value": "pro"}),
    ] {
        let body = json!({ "scope": [constraint] }).to_string();
        let answer = f
            .call(
                "PATCH",
                "/api/v1/flags/checkout",
                Some(Role::Admin),
                Some(&body),
            )
            .await;
        found.check(
            "Constraint",
            &constraint,
            admits(&doc, &component("Constraint"), &constraint),
            answer.status.as_u16(),
            &answer.text,
        );
    }
    found.assert_none();
    let refused = f
        .call(
            "PATCH",
            "/api/v1/flags/checkout",
            Some(Role::Admin),
            Some(r#"{"scope": [{"attribute": "plan", "op": "exists", "values": ["pro"]}]}"#),
        )
        .await;
    assert!(
        refused.text.contains("'exists' takes no values"),
        "{}",
        refused.text
    );
}

fn batch(calls: &str, errors: &str) -> String {
    let now = Timestamp::now();
    format!(
        r#"{{"window_start": "{now}", "window_end": "{now}", "dropped_batches": {errors},
            "arms": [{{"flag": "checkout", "arm": "new", "calls": {calls}, "errors": {errors},
                "fallbacks": 0, "retries": 0.0, "custom": {{"invalid_json": {errors}}},
                "latency": {{"buckets": [[3.0, {calls}]]}}}}]}}"#
    )
}

#[tokio::test]
async fn counts_are_integers_as_json_schema_says_so_3_0_is_3() {
    let f = fixture(generous()).await;
    let doc = the_document(&f).await;
    let mut found = Disagreements::default();
    for (calls, errors) in [
        ("4", "1"),
        ("4.0", "1.0"),
        ("4e0", "1E0"),
        ("4.5", "1"),
        ("4", "-1"),
        ("4", "18446744073709551616"),
    ] {
        let body = batch(calls, errors);
        let value: Value = serde_json::from_str(&body).unwrap();
        let answer = f
            .call("POST", "/api/v1/metrics", Some(Role::Sdk), Some(&body))
            .await;
        found.check(
            "MetricsBatch",
            &value,
            admits(&doc, &component("MetricsBatch"), &value),
            answer.status.as_u16(),
            &answer.text,
        );
    }
    // A flag version in a body is a count too.
    for version in ["1.0", "1.5"] {
        let body = format!(r#"{{"stage": "canary", "expected_version": {version}}}"#);
        let value: Value = serde_json::from_str(&body).unwrap();
        let answer = f
            .call(
                "PUT",
                "/api/v1/flags/other/stage",
                Some(Role::Operator),
                Some(&body),
            )
            .await;
        found.check(
            "StageRequest",
            &value,
            admits(&doc, &component("StageRequest"), &value),
            answer.status.as_u16(),
            &answer.text,
        );
    }
    found.assert_none();
}

#[tokio::test]
async fn audit_cursors_stop_where_an_audit_id_does() {
    let f = fixture(generous()).await;
    let doc = the_document(&f).await;
    let params = doc["paths"]["/api/v1/audit"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let mut found = Disagreements::default();
    for name in ["after_id", "before_id"] {
        let schema = &params.iter().find(|p| p["name"] == name).unwrap()["schema"];
        for value in ["0", "18446744073709551615", "18446744073709551616", "-1"] {
            let answer = f
                .call(
                    "GET",
                    &format!("/api/v1/audit?{name}={value}"),
                    Some(Role::Viewer),
                    None,
                )
                .await;
            let number: Value = serde_json::from_str(value).unwrap();
            found.check(
                name,
                &number,
                admits(&doc, schema, &number),
                answer.status.as_u16(),
                &answer.text,
            );
        }
    }
    found.assert_none();
}

#[tokio::test]
async fn an_import_leaves_out_overrides_that_have_expired_as_the_document_says() {
    let f = fixture(generous()).await;
    let doc = the_document(&f).await;
    let notes = doc["paths"]["/api/v1/import"]["post"]["description"]
        .as_str()
        .unwrap();
    assert!(
        notes.contains("expires_at has passed is left out"),
        "{notes}"
    );
    let document = json!({"flags": [
        {"key": "checkout", "overrides": [
            {"attribute": "user_id", "value": "gone", "variant": "new",
             "expires_at": "2020-01-01T00:00:00Z"},
            {"attribute": "user_id", "value": "kept", "variant": "new",
             "expires_at": "2999-01-01T00:00:00Z"}]},
        {"key": "fresh", "overrides": [
            {"attribute": "user_id", "value": "gone", "variant": "new",
             "expires_at": "2020-01-01T00:00:00Z"}]}]});
    assert!(admits(&doc, &component("FlagDocument"), &document));
    let answer = f
        .call(
            "POST",
            "/api/v1/import",
            Some(Role::Admin),
            Some(&document.to_string()),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let checkout = override_values(&f, "checkout").await;
    let fresh = override_values(&f, "fresh").await;
    assert_eq!(checkout, [json!("kept")]);
    assert!(fresh.is_empty(), "{fresh:?}");
    // Adding one through the API is still refused: it would never apply.
    let added = f
        .call(
            "POST",
            "/api/v1/flags/checkout/overrides",
            Some(Role::Operator),
            Some(r#"{"attribute": "user_id", "value": "late", "variant": "new", "expires_at": "2020-01-01T00:00:00Z"}"#),
        )
        .await;
    assert_eq!(added.status, 422, "{}", added.text);
}

async fn override_values(f: &Fixture, key: &str) -> Vec<Value> {
    let flag = f
        .call(
            "GET",
            &format!("/api/v1/flags/{key}"),
            Some(Role::Viewer),
            None,
        )
        .await
        .body;
    flag["overrides"]
        .as_array()
        .map(|os| os.iter().map(|o| o["value"].clone()).collect())
        .unwrap_or_default()
}

/// What schemathesis found once the six agreed: requests the document admits that the server
/// answered 400, and answers the document did not describe.
#[tokio::test]
async fn what_the_document_admits_is_never_a_400_and_answers_match_it() {
    let f = fixture(generous()).await;
    let doc = the_document(&f).await;
    // If-Match and expected_version naming different versions: a conflict, not a bad request.
    let answer = f
        .call_with(
            "PUT",
            "/api/v1/flags/checkout/stage",
            Some(Role::Operator),
            Some(r#"{"stage": "beta", "expected_version": 18446744073709551614}"#),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(answer.status, 409, "{}", answer.text);
    assert_eq!(answer.body["error"], "version_conflict", "{}", answer.text);
    // Removing overrides with both a target and all=true: each parameter is readable, the
    // combination is refused.
    let answer = f
        .call(
            "DELETE",
            "/api/v1/flags/checkout/overrides?attribute=user_id&value=u1&all=true",
            Some(Role::Operator),
            None,
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    // A token whose expires_at is null never expires.
    let body = json!({"name": "forever", "role": "sdk", "expires_at": null});
    assert!(admits(&doc, &component("CreateTokenRequest"), &body));
    let answer = f
        .call(
            "POST",
            "/api/v1/tokens",
            Some(Role::Admin),
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    // A run's reason may be null in a document.
    let run = json!({"status": "running", "step": 0, "extensions": 0, "reason": null,
        "started_at": "2030-01-01T00:00:00Z", "evidence": []});
    let read: Result<cutover_core::guard::RolloutRun, _> = serde_json::from_value(run.clone());
    assert!(read.is_ok(), "{read:?}");
    assert!(admits(&doc, &component("RolloutRun"), &run));
    // Entries of one transaction carry its first id as `txn`.
    let both =
        r#"{"flags": [{"key": "checkout", "stage": "beta"}, {"key": "other", "stage": "beta"}]}"#;
    let answer = f
        .call("POST", "/api/v1/import", Some(Role::Admin), Some(both))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let entries = f
        .call("GET", "/api/v1/audit?limit=500", Some(Role::Viewer), None)
        .await
        .body;
    let entries = entries.as_array().unwrap();
    assert!(
        entries.iter().any(|e| e.get("txn").is_some()),
        "{entries:?}"
    );
    for entry in entries {
        assert!(
            admits(&doc, &component("AuditEntry"), entry),
            "the document refuses {entry}"
        );
    }
}

#[tokio::test]
async fn a_stream_format_outside_the_enum_and_a_null_rollout_are_as_documented() {
    let f = fixture(generous()).await;
    let doc = the_document(&f).await;
    // Not the default stream: an unknown format is refused before any event.
    let answer = f
        .call("GET", "/api/v1/stream?format=null", Some(Role::Sdk), None)
        .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    // A flag in a document may give rollout_percent as null: the stage's rollout.
    let document =
        json!({"flags": [{"key": "checkout", "stage": "canary", "rollout_percent": null}]});
    assert!(admits(&doc, &component("FlagDocument"), &document));
    let answer = f
        .call(
            "POST",
            "/api/v1/import",
            Some(Role::Admin),
            Some(&document.to_string()),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let flag = f
        .call("GET", "/api/v1/flags/checkout", Some(Role::Viewer), None)
        .await
        .body;
    assert_eq!(flag["rollout_percent"], 5, "{flag}");
}

#[tokio::test]
async fn null_is_refused_where_the_document_has_no_null_and_taken_where_it_does() {
    let f = fixture(generous()).await;
    let doc = the_document(&f).await;
    let mut found = Disagreements::default();
    for field in ["description", "owner", "enabled", "stickiness", "scope"] {
        let body = json!({ field: null });
        let answer = f
            .call(
                "PATCH",
                "/api/v1/flags/checkout",
                Some(Role::Admin),
                Some(&body.to_string()),
            )
            .await;
        found.check(
            "UpdateRequest",
            &body,
            admits(&doc, &component("UpdateRequest"), &body),
            answer.status.as_u16(),
            &answer.text,
        );
    }
    for field in ["enabled", "stage", "rollout_percent", "killed"] {
        let body = json!({"name": "phase-1", "entries": [{"flag": "checkout", "stage": "beta", field: null}]});
        let answer = f
            .call(
                "PUT",
                "/api/v1/presets/phase-1",
                Some(Role::Admin),
                Some(&body.to_string()),
            )
            .await;
        found.check(
            "Preset",
            &body,
            admits(&doc, &component("Preset"), &body),
            answer.status.as_u16(),
            &answer.text,
        );
    }
    let body = json!({"attribute": "user_id", "value": "u9", "variant": "new", "expires_at": null});
    let answer = f
        .call(
            "POST",
            "/api/v1/flags/checkout/overrides",
            Some(Role::Operator),
            Some(&body.to_string()),
        )
        .await;
    found.check(
        "Override",
        &body,
        admits(&doc, &component("Override"), &body),
        answer.status.as_u16(),
        &answer.text,
    );
    found.assert_none();
}

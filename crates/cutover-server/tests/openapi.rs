//! The API description: served without a token as OpenAPI 3.1, describing exactly the routes of
//! the route table (each documented operation is called to see the router knows it), with every `$ref` resolving and every operation that needs a token documenting 401
//! and 403. Its schemas are then held to real traffic: requests the server accepts validate
//! against the request schemas, and answers against the schema documented for their status, so
//! the document says what serde actually writes and reads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use common::{Fixture, fixture, meta, secret};
use cutover_core::guard::{GateExpr, Judging, StepFigures, assess};
use cutover_core::{
    ArmCounts, AttributeName, EnvOverrides, Flag, FlagKey, LatencySketch, Override, Role, Rollout,
    Timestamp, Variant, latency_bucket,
};
use cutover_server::{Access, Live, ServerConfig, declared_routes, router};
use cutover_store::{GuardRecord, SqliteStore, Store};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Every route of the route table: (method, path, public). The table is the router's only
/// source; `openapi_superset.rs` holds it to every route the API ever had.
fn routes() -> Vec<(&'static str, &'static str, bool)> {
    declared_routes()
        .into_iter()
        .map(|r| (r.method, r.path, r.access == Access::Public))
        .collect()
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn bare_router(dir: &tempfile::TempDir) -> Router {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("x.db")).await.unwrap());
    let live = Live::load(store, EnvOverrides::none()).await.unwrap();
    router(live, &ServerConfig::default()).unwrap()
}

/// Status, content type and body of one request without a token.
async fn anonymous(app: &Router, method: &str, uri: &str) -> (u16, String, Vec<u8>) {
    let request = Request::builder()
        .method(method.to_uppercase().as_str())
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let media = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if media.starts_with("text/event-stream") {
        return (status, media, Vec::new());
    }
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, media, bytes.to_vec())
}

async fn the_document(app: &Router) -> Value {
    let (status, media, body) = anonymous(app, "get", "/api/v1/openapi.json").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(media.starts_with("application/json"), "{media}");
    serde_json::from_slice(&body).unwrap()
}

/// Every local reference: `$ref`s and the discriminator mappings, which name schemas by
/// reference too.
fn references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(s)) => out.push(s.clone()),
                    ("mapping", Value::Object(mapping)) => out.extend(
                        mapping
                            .values()
                            .filter_map(|t| t.as_str().map(str::to_owned)),
                    ),
                    _ => {}
                }
                references(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| references(x, out)),
        _ => {}
    }
}

/// Follows local `$ref`s from `value` until a non-reference.
fn deref<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    while let Some(r) = value.get("$ref").and_then(Value::as_str) {
        value = doc
            .pointer(r.strip_prefix('#').unwrap())
            .unwrap_or_else(|| panic!("{r} does not resolve"));
    }
    value
}

fn concrete(path: &str) -> String {
    path.replace("{key}", "checkout")
        .replace("{name}", "phase-1")
        .replace("{move}", "pause")
}

#[tokio::test]
async fn the_document_describes_every_route() {
    let dir = tempfile::tempdir().unwrap();
    let app = bare_router(&dir).await;
    let doc = the_document(&app).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );

    let mut refs = Vec::new();
    references(&doc, &mut refs);
    assert!(refs.len() > 100, "only {} references", refs.len());
    for r in &refs {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{r} is not local"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }

    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| METHODS.contains(&k.as_str()))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let routes = routes();
    assert!(routes.len() >= 40, "{} routes", routes.len());
    let routed: BTreeSet<(String, String)> = routes
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(missing.is_empty(), "routes not documented: {missing:?}");
    assert!(extra.is_empty(), "documented but not routes: {extra:?}");

    let mut ids = BTreeSet::new();
    for (method, path, public) in &routes {
        let op = &doc["paths"][path][method];
        let what = format!("{method} {path}");
        assert!(
            ids.insert(op["operationId"].as_str().unwrap()),
            "{what}: operationId reused"
        );
        let description = op["description"].as_str().unwrap();
        let says_who = if *public {
            description.contains("No token")
        } else {
            ["admin", "operator", "viewer", "sdk"]
                .iter()
                .any(|r| description.contains(r))
        };
        assert!(
            says_who,
            "{what}: the description does not say who may call it"
        );
        assert_eq!(
            op.get("security") == Some(&json!([])),
            *public,
            "{what}: security"
        );
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{what}: no success answer"
        );
        if !public {
            for status in ["401", "403"] {
                assert!(responses.contains_key(status), "{what} lacks {status}");
            }
        }
        // Every `{param}` of the path is declared as a path parameter.
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| deref(&doc, p))
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        let templated: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        assert_eq!(declared, templated, "{what}: path parameters");

        // The list mirrors the router: without a token a route that needs one answers 401 (not 404 or
        // 405), a public one 200.
        let (status, _, body) = anonymous(&app, method, &concrete(path)).await;
        let expected = if *public { 200 } else { 401 };
        assert_eq!(
            status,
            expected,
            "{what} is not a route of the router as listed: {}",
            String::from_utf8_lossy(&body)
        );
    }
}

fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}\n{schema}"))
}

fn problems(doc: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    validator(doc, schema)
        .iter_errors(instance)
        .map(|e| format!("{e} (at {})", e.instance_path))
        .collect()
}

/// The documented path a request goes to: the one its segments match, literal segments
/// preferred over `{parameters}`.
fn template_of(doc: &Value, uri: &str) -> String {
    let path = uri.split('?').next().unwrap();
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|t| {
            let parts: Vec<&str> = t.split('/').collect();
            let fits = parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| p.starts_with('{') || p == s);
            fits.then(|| (parts.iter().filter(|p| !p.starts_with('{')).count(), t))
        })
        .max()
        .map(|(_, t)| t.clone())
        .unwrap_or_else(|| panic!("{uri} matches no documented path"))
}

/// Sends requests through the fixture's router and checks each against the document.
struct Checker {
    f: Fixture,
    doc: Value,
    failures: Vec<String>,
}

impl Checker {
    /// A request the server accepts must satisfy its request schema; the answer must be
    /// documented for its status and satisfy that schema.
    async fn call(
        &mut self,
        role: Option<Role>,
        method: &str,
        uri: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
        expect: u16,
    ) -> Value {
        let what = format!("{method} {uri}");
        let answer = self
            .f
            .call_with(&method.to_uppercase(), uri, role, body, headers)
            .await;
        let status = answer.status.as_u16();
        if status != expect {
            self.failures
                .push(format!("{what}: {status}, not {expect}: {}", answer.text));
            return answer.body;
        }
        let template = template_of(&self.doc, uri);
        let op = deref(&self.doc, &self.doc["paths"][&template][method]).clone();
        if (200..300).contains(&status)
            && let Some(body) = body
        {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let request: Value = serde_json::from_str(body).unwrap();
            for p in problems(&self.doc, schema, &request) {
                self.failures.push(format!(
                    "{what}: the accepted request breaks its schema: {p}"
                ));
            }
        }
        let documented = deref(&self.doc, &op["responses"][status.to_string()]).clone();
        if !documented.is_object() {
            self.failures
                .push(format!("{what}: {status} is not documented"));
            return answer.body;
        }
        if let Some(schema) = documented["content"]["application/json"].get("schema") {
            for p in problems(&self.doc, schema, &answer.body) {
                self.failures.push(format!(
                    "{what}: the {status} answer breaks its schema: {p}"
                ));
            }
        }
        answer.body
    }

    async fn ok(&mut self, role: Role, method: &str, uri: &str, body: Option<&str>) -> Value {
        let expect = if method == "post" && ["/api/v1/flags", "/api/v1/tokens"].contains(&uri) {
            201
        } else {
            200
        };
        self.call(Some(role), method, uri, body, &[], expect).await
    }

    async fn fails(
        &mut self,
        role: Role,
        method: &str,
        uri: &str,
        body: Option<&str>,
        status: u16,
    ) {
        self.call(Some(role), method, uri, body, &[], status).await;
    }

    fn holds(&mut self, name: &str, instance: &Value, valid: bool) {
        let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
        let found = problems(&self.doc, &schema, instance);
        if found.is_empty() != valid {
            self.failures.push(format!(
                "{name} {} {instance}: {found:?}",
                if valid { "refuses" } else { "accepts" }
            ));
        }
    }
}

#[tokio::test]
async fn the_schemas_hold_real_traffic() {
    use Role::*;
    // Many changes in a row: the per-token limiter is checked on its own below.
    let generous = ServerConfig {
        change_rate_per_second: 10_000,
        change_burst: 10_000,
        ..ServerConfig::default()
    };
    let f = fixture(generous).await;
    // An expired override can only come from the store: the API refuses to add one.
    let mut stale = Flag::new(FlagKey::new("stale").unwrap());
    stale.overrides.push(Override {
        attribute: AttributeName::new("user_id").unwrap(),
        value: "gone".into(),
        variant: Variant::New,
        expires_at: Some(Timestamp::from_second(1_700_000_000).unwrap()),
    });
    f.store.create_flag(stale, &meta()).await.unwrap();
    f.live.catch_up().await.unwrap();
    let doc = the_document(&f.app).await;
    let mut c = Checker {
        f,
        doc,
        failures: Vec::new(),
    };

    c.call(None, "get", "/readyz", None, &[], 200).await;
    c.call(None, "get", "/api/v1/flags", None, &[], 401).await;
    c.fails(Viewer, "get", "/api/v1/tokens", None, 403).await;

    // Flags.
    let full = r#"{"key": "full", "description": "d", "owner": "o", "enabled": true,
        "stage": "canary", "rollout_percent": 12.5, "stickiness": "tenant", "salt": "s",
        "scope": [{"attribute": "tenant", "op": "in", "values": ["acme", "globex"]},
                  {"attribute": "plan", "op": "exists"}],
        "overrides": [{"attribute": "user_id", "value": "u9", "variant": "new",
                       "expires_at": "2999-01-01T00:00:00Z"}]}"#;
    c.ok(Admin, "post", "/api/v1/flags", Some(full)).await;
    c.fails(Admin, "post", "/api/v1/flags", Some(full), 409)
        .await;
    // Another key for the same CUTOVER_FLAG_* variable as an existing flag.
    c.ok(
        Admin,
        "post",
        "/api/v1/flags",
        Some(r#"{"key": "new-path"}"#),
    )
    .await;
    c.fails(
        Admin,
        "post",
        "/api/v1/flags",
        Some(r#"{"key": "new_path"}"#),
        409,
    )
    .await;
    let typo = r#"{"key": "x", "rollout": 5}"#;
    c.fails(Admin, "post", "/api/v1/flags", Some(typo), 422)
        .await;
    c.ok(
        Admin,
        "post",
        "/api/v1/flags",
        Some(r#"{"key": "minimal"}"#),
    )
    .await;
    c.ok(Admin, "get", "/api/v1/flags", None).await;
    c.ok(Admin, "get", "/api/v1/flags/full", None).await;
    c.fails(Admin, "get", "/api/v1/flags/nope", None, 404).await;
    c.fails(Admin, "get", "/api/v1/flags/BAD", None, 422).await;
    let reshape = r#"{"description": "e", "salt": null,
        "scope": [{"attribute": "tenant", "op": "not_in", "values": ["x"]}]}"#;
    c.ok(Admin, "patch", "/api/v1/flags/full", Some(reshape))
        .await;
    c.fails(Admin, "patch", "/api/v1/flags/full", Some("{}"), 400)
        .await;
    let changes = r#"{"changes": [
        {"change": "set_rollout", "rollout_percent": 20}, {"change": "set_enabled", "enabled": true},
        {"change": "add_override", "override": {"attribute": "user_id", "value": "u8", "variant": "legacy"}},
        {"change": "set_salt"}, {"change": "set_owner", "owner": "team"}]}"#;
    let uri = "/api/v1/flags/full/changes";
    c.ok(Admin, "post", uri, Some(changes)).await;
    let stale_version = [("if-match", "\"1\""), ("x-cutover-reason", "test")];
    c.call(Some(Admin), "post", uri, Some(changes), &stale_version, 409)
        .await;
    c.fails(Admin, "post", uri, Some(r#"{"changes": []}"#), 422)
        .await;
    let uri = "/api/v1/flags/full/rollout";
    c.ok(Admin, "put", uri, Some(r#"{"percent": "12.5%"}"#))
        .await;
    c.fails(Admin, "put", uri, Some(r#"{"percent": 100.5}"#), 422)
        .await;
    let stage = r#"{"stage": "beta", "expected_version": null}"#;
    c.ok(Admin, "put", "/api/v1/flags/full/stage", Some(stage))
        .await;
    c.ok(Admin, "post", "/api/v1/flags/full/kill", None).await;
    c.ok(Admin, "delete", "/api/v1/flags/full/kill", None).await;

    // Overrides.
    let uri = "/api/v1/flags/full/overrides";
    c.ok(Admin, "get", uri, None).await;
    let rule = r#"{"attribute": "user_id", "value": "u7", "variant": "new",
        "expires_at": "2999-01-01T00:00:00Z"}"#;
    c.ok(Admin, "post", uri, Some(rule)).await;
    let expired = r#"{"attribute": "user_id", "value": "u6", "variant": "new",
        "expires_at": "2001-01-01T00:00:00Z"}"#;
    c.fails(Admin, "post", uri, Some(expired), 422).await;
    let huge = json!({"attribute": "user_id", "value": "v".repeat(1025), "variant": "new"});
    c.fails(Admin, "post", uri, Some(&huge.to_string()), 422)
        .await;
    let one_rule = format!("{uri}?attribute=user_id&value=u7");
    c.ok(Admin, "delete", &one_rule, None).await;
    c.fails(Admin, "delete", &one_rule, None, 404).await;
    c.fails(Admin, "delete", &format!("{uri}?value=u7"), None, 422)
        .await;
    c.ok(Admin, "delete", &format!("{uri}?all=true"), None)
        .await;
    let swept = c.ok(Admin, "post", "/api/v1/overrides/sweep", None).await;
    assert_eq!(swept[0]["value"]["key"], "stale", "{swept}");

    // Presets.
    c.ok(Admin, "get", "/api/v1/presets", None).await;
    let preset = r#"{"name": "phase-2", "description": "p", "entries": [
        {"flag": "checkout", "enabled": true, "stage": "beta", "rollout_percent": 40,
         "killed": false}]}"#;
    c.ok(Admin, "put", "/api/v1/presets/phase-2", Some(preset))
        .await;
    c.fails(Admin, "put", "/api/v1/presets/phase-3", Some(preset), 422)
        .await;
    c.ok(Admin, "post", "/api/v1/presets/phase-2/apply", None)
        .await;
    c.ok(Admin, "delete", "/api/v1/presets/phase-2", None).await;
    c.fails(Admin, "delete", "/api/v1/presets/phase-2", None, 404)
        .await;
    c.fails(Admin, "delete", "/api/v1/flags/checkout", None, 409)
        .await;
    c.ok(Admin, "delete", "/api/v1/flags/minimal", None).await;

    // Audit.
    let entries = c
        .ok(Admin, "get", "/api/v1/audit?order=newest&limit=50", None)
        .await;
    assert!(entries.as_array().unwrap().len() > 10, "{entries}");
    c.fails(Admin, "get", "/api/v1/audit?order=sideways", None, 422)
        .await;
    c.fails(Admin, "get", "/api/v1/audit?limit=many", None, 400)
        .await;
    c.fails(Admin, "get", "/api/v1/audit?limit=501", None, 422)
        .await;
    // A page that is not the last links to the next one, with the header the document names.
    let paged =
        c.f.call(
            "GET",
            "/api/v1/audit?limit=2&order=newest",
            Some(Admin),
            None,
        )
        .await;
    let link = paged.headers["link"].to_str().unwrap().to_owned();
    assert!(link.ends_with("; rel=\"next\""), "{link}");
    let documented = &c.doc["paths"]["/api/v1/audit"]["get"]["responses"]["200"]["headers"];
    assert!(documented.get("Link").is_some(), "{documented}");
    let next = link
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned();
    c.ok(Admin, "get", &next, None).await;
    c.ok(Admin, "get", "/api/v1/audit/verify", None).await;
    let exported =
        c.f.call("GET", "/api/v1/audit/export", Some(Admin), None)
            .await;
    assert_eq!(exported.status, 200);
    assert!(exported.text.lines().count() > 10);
    for line in exported.text.lines() {
        c.holds("AuditEntry", &serde_json::from_str(line).unwrap(), true);
    }

    // The whole document, out and back in.
    let document = c.ok(Admin, "get", "/api/v1/export", None).await;
    let body = document.to_string();
    c.ok(Admin, "post", "/api/v1/import", Some(&body)).await;
    let dangling =
        r#"{"presets": [{"name": "p", "entries": [{"flag": "checkout", "killed": true}]}]}"#;
    c.fails(
        Admin,
        "post",
        "/api/v1/import?prune=true",
        Some(dangling),
        422,
    )
    .await;

    // Tokens.
    c.ok(Admin, "get", "/api/v1/tokens", None).await;
    let ci = r#"{"name": "ci", "role": "viewer"}"#;
    c.ok(Admin, "post", "/api/v1/tokens", Some(ci)).await;
    c.fails(Admin, "post", "/api/v1/tokens", Some(ci), 409)
        .await;
    let boss = r#"{"name": "ci2", "role": "boss"}"#;
    c.fails(Admin, "post", "/api/v1/tokens", Some(boss), 422)
        .await;
    c.ok(Admin, "delete", "/api/v1/tokens/ci", None).await;
    c.fails(Admin, "delete", "/api/v1/tokens/ci", None, 404)
        .await;
    c.fails(Admin, "delete", "/api/v1/tokens/admin", None, 409)
        .await;
    let reserved = r#"{"name": "guard", "role": "viewer"}"#;
    c.fails(Admin, "post", "/api/v1/tokens", Some(reserved), 422)
        .await;

    // What SDKs send, and what is read from it.
    let now = Timestamp::now();
    let batch = json!({
        "window_start": now.checked_sub(jiff::SignedDuration::from_secs(5)).unwrap(),
        "window_end": now,
        "arms": [{"flag": "checkout", "arm": "new", "calls": 3, "errors": 1, "fallbacks": 0,
                  "retries": 1, "latency": {"buckets": [[40, 2], [41, 1]]}}],
        "shadows": [{"flag": "checkout", "runs": 3, "compared": 3, "new_errors": 0,
                     "new_panics": 0, "timeouts": 0,
                     "tally": {"fields": {"total": {"compared": 3, "agreed": 2, "disagreed": 1,
                                                     "missing": 0, "extra": 0}},
                               "cases": 3, "cases_agreed": 2},
                     "mismatches": [{"path": "total", "legacy": 1, "new": 2,
                                     "context": [["user_id", "u1"]]}],
                     "mismatches_dropped": 0}],
    })
    .to_string();
    c.ok(Sdk, "post", "/api/v1/metrics", Some(&batch)).await;
    let figures = c
        .ok(Admin, "get", "/api/v1/flags/checkout/metrics", None)
        .await;
    assert_eq!(figures["new"]["calls"], 3, "{figures}");
    let uri = "/api/v1/flags/checkout/metrics?since=yesterday";
    c.fails(Admin, "get", uri, None, 422).await;
    c.fails(Admin, "get", "/api/v1/flags/nope/metrics", None, 404)
        .await;
    c.fails(Admin, "get", "/api/v1/flags/nope/shadow", None, 404)
        .await;
    let untrue = json!({"window_start": now, "window_end": now,
        "arms": [{"flag": "checkout", "arm": "new", "calls": 1, "errors": 2, "fallbacks": 0,
                  "retries": 0, "latency": {"buckets": [[40, 1]]}}]})
    .to_string();
    c.fails(Sdk, "post", "/api/v1/metrics", Some(&untrue), 422)
        .await;
    let unknown = json!({"window_start": now, "window_end": now,
        "arms": [{"flag": "later", "arm": "new", "calls": 1, "errors": 0, "fallbacks": 0,
                  "retries": 0, "latency": {"buckets": [[40, 1]]}}]})
    .to_string();
    let kept = c.ok(Sdk, "post", "/api/v1/metrics", Some(&unknown)).await;
    assert_eq!(kept["ignored"]["unknown_flags"][0], "later", "{kept}");
    let shadow = c
        .ok(Admin, "get", "/api/v1/flags/checkout/shadow", None)
        .await;
    assert_eq!(shadow["fields"]["total"]["agreed"], 2, "{shadow}");

    // OFREP.
    let context = r#"{"context": {"targetingKey": "u1", "user_id": "u1", "n": 3}}"#;
    c.ok(
        Sdk,
        "post",
        "/ofrep/v1/evaluate/flags/checkout",
        Some(context),
    )
    .await;
    c.ok(Sdk, "post", "/ofrep/v1/evaluate/flags/full", Some(context))
        .await;
    let uri = "/ofrep/v1/evaluate/flags/nope";
    c.fails(Sdk, "post", uri, Some(context), 404).await;
    let uri = "/ofrep/v1/evaluate/flags/checkout";
    c.fails(Sdk, "post", uri, Some("nope"), 400).await;
    c.ok(Sdk, "post", "/ofrep/v1/evaluate/flags", Some(context))
        .await;
    // OFREP makes the context optional.
    c.ok(Sdk, "post", "/ofrep/v1/evaluate/flags", Some("{}"))
        .await;

    // The change stream's first event.
    let request = Request::builder()
        .uri("/api/v1/stream")
        .header("authorization", format!("Bearer {}", secret(Sdk)))
        .body(Body::empty())
        .unwrap();
    let response = c.f.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let event = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    let data = event
        .lines()
        .find_map(|l| l.strip_prefix("data:"))
        .unwrap_or_else(|| panic!("no data in {event:?}"));
    let snapshot = serde_json::from_str(data.trim()).unwrap();
    c.holds("StreamSnapshot", &snapshot, true);
    // A preset of two flags arrives as one `changes` event.
    let both = r#"{"name": "both", "entries": [{"flag": "checkout", "stage": "beta"}, {"flag": "other", "killed": true}]}"#;
    assert_eq!(
        c.f.call("PUT", "/api/v1/presets/both", Some(Admin), Some(both))
            .await
            .status,
        200
    );
    assert_eq!(
        c.f.call("POST", "/api/v1/presets/both/apply", Some(Admin), None)
            .await
            .status,
        200
    );
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let event = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    assert!(event.contains("event: changes"), "{event}");
    let data = event
        .lines()
        .find_map(|l| l.strip_prefix("data:"))
        .unwrap_or_else(|| panic!("no data in {event:?}"));
    let changes = serde_json::from_str(data.trim()).unwrap();
    c.holds("StreamChanges", &changes, true);

    // Closed shapes refuse what serde refuses: a misspelt field, a change without its tag.
    c.holds("Flag", &json!({"key": "a", "rollout": 5}), false);
    c.holds("Flag", &json!({"key": "A"}), false);
    let typo = json!({"change": "set_rollout", "rollout": 5});
    c.holds("FlagChange", &typo, false);
    c.holds("FlagChange", &json!({"rollout_percent": 5}), false);
    c.holds("FlagChange", &json!({"change": "kill"}), true);
    let replace = json!({"change": "replace", "flag": {"key": "full"}});
    c.holds("FlagChange", &replace, true);
    let listless = json!({"attribute": "tenant", "op": "in"});
    c.holds("Constraint", &listless, false);
    c.holds("PresetEntry", &json!({"flag": "checkout"}), false);
    c.holds("UpdateRequest", &json!({"expected_version": 3}), false);
    c.holds(
        "RolloutRequest",
        &json!({"percent": 5, "expected": 3}),
        false,
    );

    // The change limiter's answer.
    let tight = ServerConfig {
        change_rate_per_second: 1,
        change_burst: 1,
        ..ServerConfig::default()
    };
    let mut limited = Checker {
        f: fixture(tight).await,
        doc: c.doc.clone(),
        failures: Vec::new(),
    };
    // The kill switch is never refused for want of budget (it is a retreat); lifting it is.
    limited
        .ok(Operator, "post", "/api/v1/flags/checkout/kill", None)
        .await;
    limited
        .fails(Operator, "delete", "/api/v1/flags/checkout/kill", None, 429)
        .await;
    c.failures.append(&mut limited.failures);

    assert!(c.failures.is_empty(), "{}", c.failures.join("\n"));
}

/// Every shape `GET /api/v1/audit/verify` can answer with: an anchor held and lost, rows edited
/// behind the server's back (with the sqlite3 shell), and each finding, anchor and seal outcome
/// as serde writes it.
#[tokio::test]
async fn the_verify_report_holds_to_the_document() {
    use Role::*;
    use cutover_core::{AnchorOutcome, FieldDiff, SealGap, SealOutcome, StateFinding};
    let f = fixture(ServerConfig::default()).await;
    let doc = the_document(&f.app).await;
    let mut c = Checker {
        f,
        doc,
        failures: Vec::new(),
    };
    let clean = c.ok(Viewer, "get", "/api/v1/audit/verify", None).await;
    let head = format!(
        "{}:{}",
        clean["head_id"],
        clean["head_hash"].as_str().unwrap()
    );
    let uri = format!("/api/v1/audit/verify?expect_head={head}");
    c.ok(Viewer, "get", &uri, None).await;
    let uri = format!("/api/v1/audit/verify?expect_head={}", "ab".repeat(32));
    c.ok(Viewer, "get", &uri, None).await;
    let uri = "/api/v1/audit/verify?expect_head=12:nothex";
    c.fails(Viewer, "get", uri, None, 422).await;
    c.fails(Viewer, "get", "/api/v1/audit/verify?expected=1", None, 400)
        .await;

    let edited = std::process::Command::new("sqlite3")
        .arg(c.f.db_path())
        .arg(
            "UPDATE flags SET rollout_bps = 10000 WHERE key = 'other'; \
             INSERT INTO tokens (name, role, hash, created_at, created_by) \
             VALUES ('backup', 'admin', printf('%064d', 7), 0, 'mallory')",
        )
        .status()
        .expect("the sqlite3 shell is needed by this test (Debian package sqlite3)");
    assert!(edited.success());
    let tampered = c.ok(Viewer, "get", "/api/v1/audit/verify", None).await;
    assert_eq!(tampered["intact"], false, "{tampered}");

    let diff = || {
        vec![FieldDiff {
            field: "rollout_percent".into(),
            expected: json!(5),
            found: json!(100),
        }]
    };
    let entity = || "flag:checkout".to_owned();
    let findings = [
        StateFinding::RowDiffers {
            entity: entity(),
            entry: 3,
            fields: diff(),
        },
        StateFinding::RowMissing {
            entity: entity(),
            entry: 3,
        },
        StateFinding::RowUnlogged {
            entity: entity(),
            entry: None,
        },
        StateFinding::RowUnlogged {
            entity: entity(),
            entry: Some(4),
        },
        StateFinding::ChangedOutsideLog {
            entity: entity(),
            entry: 5,
            previous: Some(3),
            fields: diff(),
            accepted_by: Some(9),
        },
        StateFinding::Unreadable {
            entity: entity(),
            entry: 5,
            why: "unknown field".into(),
        },
    ];
    for finding in findings {
        c.holds(
            "StateFinding",
            &serde_json::to_value(finding).unwrap(),
            true,
        );
    }
    let anchors = [
        AnchorOutcome::Held { id: 3 },
        AnchorOutcome::Rewritten {
            id: 3,
            hash: "ab".repeat(32),
        },
        AnchorOutcome::RolledBack { id: 3, last_id: 2 },
        AnchorOutcome::NotOnChain { last_id: 2 },
    ];
    for anchor in anchors {
        c.holds(
            "AnchorOutcome",
            &serde_json::to_value(anchor).unwrap(),
            true,
        );
    }
    let gap = SealGap { from: 1, to: 2 };
    let seals = [
        SealOutcome::NotChecked { sealed: true },
        SealOutcome::Valid { id: 3 },
        SealOutcome::Missing { head_id: 3 },
        SealOutcome::Wrong { id: 3 },
        SealOutcome::Stale { id: 2, head_id: 3 },
        SealOutcome::Gap { id: 3, gap },
    ];
    for seal in seals {
        c.holds("SealOutcome", &serde_json::to_value(seal).unwrap(), true);
    }
    c.holds("SealOutcome", &json!({"seal": "valid"}), false);
    assert!(c.failures.is_empty(), "{}", c.failures.join("\n"));
}

#[tokio::test]
async fn guarded_rollouts_hold_to_the_document() {
    use Role::*;
    let generous = ServerConfig {
        change_rate_per_second: 10_000,
        change_burst: 10_000,
        ..ServerConfig::default()
    };
    let f = fixture(generous).await;
    let doc = the_document(&f.app).await;
    let mut c = Checker {
        f,
        doc,
        failures: Vec::new(),
    };

    // Plans: the object with every field, the shorthand alone or as the steps; always written
    // as the object, steps listed, bakes in seconds.
    c.ok(
        Admin,
        "post",
        "/api/v1/flags",
        Some(r#"{"key": "guarded"}"#),
    )
    .await;
    let uri = "/api/v1/flags/guarded/plan";
    let full = r#"{"plan": {"steps": [{"percent": 5, "bake": "10m", "min_samples": 50},
        {"percent": 50, "bake": 600}, {"percent": 100, "bake": "1h"}],
        "gates": ["new.error_rate <= legacy.error_rate * 1.5", "new.p95 <= 100ms", "golden"],
        "on_breach": "step_down", "on_inconclusive": "extend_then_rollback",
        "max_extensions": 1}}"#;
    let flag = c.ok(Operator, "put", uri, Some(full)).await;
    assert_eq!(flag["plan"]["steps"][0]["bake"], 600, "{flag}");
    let shorthand = r#"{"plan": "5,25,50,100 every 10m"}"#;
    let flag = c.ok(Operator, "put", uri, Some(shorthand)).await;
    assert_eq!(flag["plan"]["steps"][3]["percent"], 100, "{flag}");
    // An empty request must not remove a plan by accident; `"plan": null` does.
    c.fails(Operator, "put", uri, Some("{}"), 422).await;
    let removed = c.ok(Operator, "put", uri, Some(r#"{"plan": null}"#)).await;
    assert!(removed.get("plan").is_none(), "{removed}");
    let version = removed["version"].as_u64().unwrap();
    let steps = format!(
        r#"{{"plan": {{"steps": "5,25,50,100 every 10m",
            "gates": ["new.error_rate <= legacy.error_rate", "agreement(total) >= 0.9"]}},
            "expected_version": {version}}}"#
    );
    c.ok(Operator, "put", uri, Some(&steps)).await;
    c.fails(Operator, "put", uri, Some(&steps), 409).await;
    let unended = r#"{"plan": "5,25,50 every 10m"}"#;
    c.fails(Operator, "put", uri, Some(unended), 422).await;
    let typo = r#"{"plan": {"steps": "5,100 every 1h", "on_breech": "rollback"}}"#;
    c.fails(Operator, "put", uri, Some(typo), 422).await;
    c.fails(Viewer, "put", uri, Some(shorthand), 403).await;

    // A rollout, moved by hand through every state.
    let moves = "/api/v1/flags/guarded/rollout";
    let started = c
        .ok(Operator, "post", &format!("{moves}/start"), None)
        .await;
    assert_eq!(started["run"]["status"], "running", "{started}");
    assert_eq!(started["rollout_percent"], 5, "{started}");
    let status = c.ok(Viewer, "get", moves, None).await;
    assert_eq!(status["look"]["decision"]["action"], "hold", "{status}");
    assert_eq!(
        status["look"]["assessment"]["gates"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{status}"
    );
    let paused = c
        .ok(Operator, "post", &format!("{moves}/pause"), Some("{}"))
        .await;
    assert_eq!(paused["run"]["status"], "paused", "{paused}");
    let again = c
        .call(
            Some(Operator),
            "post",
            &format!("{moves}/pause"),
            None,
            &[],
            409,
        )
        .await;
    assert_eq!(again["error"], "rollout_state", "{again}");
    let paused_status = c.ok(Operator, "get", moves, None).await;
    assert_eq!(paused_status["run"]["reason"], "paused by hand");
    // The move's answer is a flag change's: the flag, its version and the audit entry.
    let resumed =
        c.f.call_with(
            "POST",
            &format!("{moves}/resume"),
            Some(Operator),
            None,
            &[("x-cutover-reason", "figures look fine")],
        )
        .await;
    assert_eq!(resumed.status, 200, "{}", resumed.text);
    assert!(resumed.headers.contains_key("etag"));
    assert!(resumed.headers.contains_key("x-cutover-audit-id"));
    c.holds("Flag", &resumed.body, true);
    let promoted = c
        .ok(Operator, "post", &format!("{moves}/promote"), None)
        .await;
    assert_eq!(promoted["rollout_percent"], 25, "{promoted}");
    assert_eq!(promoted["run"]["step"], 1, "{promoted}");
    // Moves and plans that do not fit.
    c.fails(Operator, "post", &format!("{moves}/start"), None, 409)
        .await;
    c.fails(Operator, "put", uri, Some(r#"{"plan": null}"#), 409)
        .await;
    c.fails(
        Operator,
        "put",
        uri,
        Some(r#"{"plan": "100 every 1m"}"#),
        409,
    )
    .await;
    let with_plan = r#"{"plan": "5,100 every 1m"}"#;
    c.fails(
        Operator,
        "post",
        &format!("{moves}/pause"),
        Some(with_plan),
        422,
    )
    .await;
    c.fails(Operator, "post", &format!("{moves}/sideways"), None, 404)
        .await;
    c.fails(
        Operator,
        "post",
        &format!("{moves}/pause"),
        Some("[1]"),
        422,
    )
    .await;
    // JSON that does not parse at all is still a 400.
    c.fails(
        Operator,
        "post",
        &format!("{moves}/pause"),
        Some("{\"full\": tru"),
        400,
    )
    .await;
    c.fails(
        Operator,
        "post",
        "/api/v1/flags/nope/rollout/pause",
        None,
        404,
    )
    .await;
    c.fails(Viewer, "post", &format!("{moves}/abort"), None, 403)
        .await;
    let replaced = r#"{"flags": [{"key": "guarded"}]}"#;
    c.fails(Admin, "post", "/api/v1/import", Some(replaced), 409)
        .await;
    let aborted = c
        .ok(Operator, "post", &format!("{moves}/abort"), None)
        .await;
    assert_eq!(aborted["run"]["status"], "aborted", "{aborted}");
    assert_eq!(aborted["rollout_percent"], 0, "{aborted}");
    c.fails(Operator, "post", &format!("{moves}/abort"), None, 409)
        .await;
    c.ok(Viewer, "get", moves, None).await;
    // Over: a new one may start, with a plan of its own, and go straight to 100 %.
    let restart = r#"{"plan": {"steps": [{"percent": 10, "bake": 60}, {"percent": 100, "bake": 60}]},
        "expected_version": null}"#;
    c.ok(Operator, "post", &format!("{moves}/start"), Some(restart))
        .await;
    let done = c
        .ok(
            Operator,
            "post",
            &format!("{moves}/promote"),
            Some(r#"{"full": true}"#),
        )
        .await;
    assert_eq!(done["run"]["status"], "completed", "{done}");
    assert_eq!(done["rollout_percent"], 100, "{done}");

    // The same through the generic change endpoint.
    let changes = "/api/v1/flags/guarded/changes";
    let golden = r#"{"changes": [
        {"change": "record_golden", "result": {"passed": true, "at": "2030-01-01T00:00:00Z",
            "corpus": "examples/golden", "cases": 40, "failed": 0}},
        {"change": "set_plan", "plan": "20,100 every 30s"}]}"#;
    let flag = c.ok(Operator, "post", changes, Some(golden)).await;
    assert_eq!(flag["golden"]["cases"], 40, "{flag}");
    let start = r#"{"changes": [{"change": "rollout_move", "move": "start"}]}"#;
    c.ok(Operator, "post", changes, Some(start)).await;
    c.fails(Operator, "post", changes, Some(start), 409).await;
    let forged = json!({"changes": [{"change": "guard_action", "step": 0, "reason": "trust me",
        "decision": {"action": "advance", "to": 100}}]});
    c.holds("ChangesRequest", &forged, true);
    let forged = forged.to_string();
    c.fails(Admin, "post", changes, Some(&forged), 422).await;
    let promote_full = r#"{"changes": [{"change": "rollout_move", "move": "promote_full"}]}"#;
    c.ok(Operator, "post", changes, Some(promote_full)).await;
    c.ok(Viewer, "get", "/api/v1/flags/guarded", None).await;
    c.ok(Viewer, "get", "/api/v1/export", None).await;

    // The guard's history, with a look that had numbers.
    let counts = |calls: u64, errors: u64, micros: u64| ArmCounts {
        calls,
        errors,
        latency: LatencySketch::from_counts([(latency_bucket(micros), calls)]),
        ..ArmCounts::default()
    };
    let gates: Vec<GateExpr> = [
        "new.error_rate <= legacy.error_rate",
        "new.p95 <= 100ms",
        "agreement(total) >= 0.8",
        "golden",
    ]
    .iter()
    .map(|g| GateExpr::new(g).unwrap())
    .collect();
    let figures = [StepFigures {
        legacy: counts(400, 4, 20_000),
        new: counts(300, 12, 30_000),
        ..StepFigures::default()
    }];
    let judging = Judging {
        min_samples: 200,
        full_exposure: false,
        alpha: 0.01,
        golden: Some(true),
        baseline: None,
    };
    let record = GuardRecord {
        flag: FlagKey::new("guarded").unwrap(),
        at: Timestamp::now(),
        step: 1,
        rollout: Rollout::from_bps(2500).unwrap(),
        action: "step_down".into(),
        assessment: assess(&gates, &figures, judging),
    };
    c.f.store.add_guard_record(&record).await.unwrap();
    let history = "/api/v1/flags/guarded/rollout/history";
    let records = c.ok(Viewer, "get", history, None).await;
    assert_eq!(records.as_array().unwrap().len(), 1, "{records}");
    assert_eq!(records[0]["assessment"]["gates"][1]["unit"], "microseconds");
    c.ok(Viewer, "get", &format!("{history}?limit=10000"), None)
        .await;
    c.fails(Viewer, "get", &format!("{history}?limit=0"), None, 422)
        .await;
    c.fails(Viewer, "get", &format!("{history}?limit=many"), None, 400)
        .await;
    c.fails(
        Viewer,
        "get",
        "/api/v1/flags/nope/rollout/history",
        None,
        404,
    )
    .await;
    c.fails(Viewer, "get", "/api/v1/flags/nope/rollout", None, 404)
        .await;
    c.fails(Sdk, "get", history, None, 403).await;
    let unplanned = c
        .ok(Viewer, "get", "/api/v1/flags/other/rollout", None)
        .await;
    assert!(unplanned["look"].is_null(), "{unplanned}");

    // Closed shapes refuse what serde refuses.
    c.holds("RolloutPlan", &json!("5,25,50,100 every 10m"), true);
    c.holds("RolloutPlan", &json!({"steps": []}), false);
    c.holds(
        "RolloutPlan",
        &json!({"steps": "5,100 every 1h", "gate": []}),
        false,
    );
    c.holds("Step", &json!({"percent": 5, "bake": "10 minutes"}), false);
    c.holds("Step", &json!({"percent": 5}), false);
    c.holds("MoveRequest", &json!({}), true);
    c.holds("MoveRequest", &json!({"full": "yes"}), false);
    c.holds("PlanRequest", &json!({"plan": null, "expected": 3}), false);
    c.holds("Action", &json!({"action": "step_down", "to": 5}), true);
    c.holds("Action", &json!({"action": "advance"}), false);
    c.holds(
        "FlagChange",
        &json!({"change": "rollout_move", "move": "skip"}),
        false,
    );
    c.holds("FlagChange", &json!({"change": "set_plan"}), true);

    assert!(c.failures.is_empty(), "{}", c.failures.join("\n"));
}

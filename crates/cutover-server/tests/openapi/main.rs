//! The API description: served without a token as OpenAPI 3.1, describing exactly the routes of
//! the route table (each documented operation is called to see the router knows it), with every
//! `$ref` resolving and every operation that needs a token documenting 401 and 403. Its schemas are then held to real traffic: requests the server accepts validate
//! against the request schemas, and answers against the schema documented for their status, so
//! the document says what serde actually writes and reads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
// The traffic checks, by area (one file was over the size limit).
mod checker;
mod rollouts;
mod traffic;

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

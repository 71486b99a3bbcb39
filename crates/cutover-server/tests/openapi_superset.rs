//! The API description loses nothing it described before the route table generated it:
//! `openapi-before.json` is the hand-written document of that time reduced to every path, method,
//! status code, the capability each operation named, and the names of every component. The
//! served document must hold all of it (it may add), and the route table must declare each
//! operation with the capability it had.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use cutover_core::EnvOverrides;
use cutover_server::{Access, Live, ServerConfig, declared_routes, router};
use cutover_store::{SqliteStore, Store};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

const BEFORE: &str = include_str!("openapi-before.json");

async fn served() -> Value {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("x.db")).await.unwrap());
    let live = Live::load(store, EnvOverrides::none()).await.unwrap();
    let app = router(live, &ServerConfig::default()).unwrap();
    let request = Request::builder()
        .uri("/api/v1/openapi.json")
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

fn capability_of(access: Access) -> String {
    match access {
        Access::Public => "Public".to_owned(),
        Access::Requires(capability) => format!("{capability:?}"),
    }
}

#[tokio::test]
async fn the_document_holds_every_path_method_status_and_component_it_had() {
    let before: Value = serde_json::from_str(BEFORE).unwrap();
    let doc = served().await;
    let declared = declared_routes();
    let mut lost = Vec::new();
    let mut operations = 0;
    for (path, methods) in before["paths"].as_object().unwrap() {
        for (method, was) in methods.as_object().unwrap() {
            operations += 1;
            let Some(op) = doc["paths"][path].get(method) else {
                lost.push(format!("{method} {path}"));
                continue;
            };
            for status in was["statuses"].as_array().unwrap() {
                let status = status.as_str().unwrap();
                if op["responses"].get(status).is_none() {
                    lost.push(format!("{method} {path}: status {status}"));
                }
            }
            let capability = was["capability"].as_str().unwrap();
            match declared
                .iter()
                .find(|r| r.method == method && r.path == path)
            {
                Some(route) if capability_of(route.access) == capability => {}
                Some(route) => lost.push(format!(
                    "{method} {path}: declared {}, was {capability}",
                    capability_of(route.access)
                )),
                None => lost.push(format!("{method} {path}: not in the route table")),
            }
        }
    }
    assert!(operations >= 40, "{operations} operations in the snapshot");
    for (kind, names) in before["components"].as_object().unwrap() {
        for name in names.as_array().unwrap() {
            let name = name.as_str().unwrap();
            if doc["components"][kind].get(name).is_none() {
                lost.push(format!("components/{kind}/{name}"));
            }
        }
    }
    assert!(
        lost.is_empty(),
        "lost from the document:\n{}",
        lost.join("\n")
    );
}

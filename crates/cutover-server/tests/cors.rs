//! CORS on OFREP: a browser page from an allowed origin may evaluate (preflight answered,
//! `ETag` exposed); other origins get no CORS headers; without configured origins, none at all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fixture;
use cutover_core::Role;
use cutover_server::ServerConfig;

const ORIGIN: &str = "http://localhost:3000";

#[tokio::test]
async fn an_allowed_origin_gets_its_preflight_and_its_answer() {
    let f = fixture(ServerConfig {
        cors_origins: vec![ORIGIN.into()],
        ..ServerConfig::default()
    })
    .await;
    let preflight = f
        .call_with(
            "OPTIONS",
            "/ofrep/v1/evaluate/flags",
            None,
            None,
            &[
                ("origin", ORIGIN),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,content-type,if-none-match",
                ),
            ],
        )
        .await;
    assert_eq!(preflight.status, 200, "{}", preflight.text);
    assert_eq!(
        preflight.headers["access-control-allow-origin"], ORIGIN,
        "{:?}",
        preflight.headers
    );
    let allowed = preflight.headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("if-none-match"));

    let answer = f
        .call_with(
            "POST",
            "/ofrep/v1/evaluate/flags",
            Some(Role::Sdk),
            Some(r#"{"context": {"targetingKey": "u1"}}"#),
            &[("origin", ORIGIN)],
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers["access-control-allow-origin"], ORIGIN);
    let exposed = answer.headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("etag"), "{exposed}");
}

#[tokio::test]
async fn other_origins_and_unconfigured_nodes_send_no_cors_headers() {
    let f = fixture(ServerConfig {
        cors_origins: vec![ORIGIN.into()],
        ..ServerConfig::default()
    })
    .await;
    let foreign = f
        .call_with(
            "POST",
            "/ofrep/v1/evaluate/flags/checkout",
            Some(Role::Sdk),
            Some("{}"),
            &[("origin", "https://evil.example")],
        )
        .await;
    assert!(!foreign.headers.contains_key("access-control-allow-origin"));
    let plain = fixture(ServerConfig::default()).await;
    let answer = plain
        .call_with(
            "POST",
            "/ofrep/v1/evaluate/flags/checkout",
            Some(Role::Sdk),
            Some("{}"),
            &[("origin", ORIGIN)],
        )
        .await;
    assert_eq!(answer.status, 200);
    assert!(!answer.headers.contains_key("access-control-allow-origin"));
    // The admin API never answers other origins.
    let admin = f
        .call_with(
            "GET",
            "/api/v1/flags",
            Some(Role::Viewer),
            None,
            &[("origin", ORIGIN)],
        )
        .await;
    assert!(!admin.headers.contains_key("access-control-allow-origin"));
}

#[test]
fn an_origin_with_a_path_is_refused_naming_it() {
    let err = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store: std::sync::Arc<dyn cutover_store::Store> = std::sync::Arc::new(
                cutover_store::SqliteStore::open(dir.path().join("c.db"))
                    .await
                    .unwrap(),
            );
            let live = cutover_server::Live::load(store, cutover_core::EnvOverrides::none())
                .await
                .unwrap();
            cutover_server::router(
                live,
                &ServerConfig {
                    cors_origins: vec!["https://app.example.com/page".into()],
                    ..ServerConfig::default()
                },
            )
            .err()
        })
        .unwrap();
    assert!(
        err.to_string().contains("https://app.example.com/page"),
        "{err}"
    );
}

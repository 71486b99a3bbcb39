//! Every route against every role: the roles that may call it get a 2xx, the others 403, and a
//! request without a token 401. Each case runs on a fresh store, so one case's change cannot
//! hide another's answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ROLES, fixture};
use cutover_core::Role;
use cutover_server::ServerConfig;

const READ: &[Role] = &[Role::Admin, Role::Operator, Role::Viewer];
const OPERATE: &[Role] = &[Role::Admin, Role::Operator];
const ADMIN: &[Role] = &[Role::Admin];
const EVALUATE: &[Role] = &[Role::Admin, Role::Operator, Role::Sdk];

/// (method, path, body, roles allowed)
const ROUTES: &[(&str, &str, Option<&str>, &[Role])] = &[
    ("GET", "/api/v1/flags", None, READ),
    (
        "POST",
        "/api/v1/flags",
        Some(r#"{"key": "new-flag"}"#),
        ADMIN,
    ),
    ("GET", "/api/v1/flags/checkout", None, READ),
    ("DELETE", "/api/v1/flags/other", None, ADMIN),
    (
        "PATCH",
        "/api/v1/flags/checkout",
        Some(r#"{"description": "x"}"#),
        ADMIN,
    ),
    (
        "POST",
        "/api/v1/flags/checkout/changes",
        Some(r#"{"changes": [{"change": "set_rollout", "rollout_percent": 10}]}"#),
        OPERATE,
    ),
    (
        "PUT",
        "/api/v1/flags/checkout/rollout",
        Some(r#"{"percent": 10}"#),
        OPERATE,
    ),
    (
        "PUT",
        "/api/v1/flags/checkout/stage",
        Some(r#"{"stage": "beta"}"#),
        OPERATE,
    ),
    (
        "PUT",
        "/api/v1/flags/checkout/plan",
        Some(r#"{"plan": "5,25,50,100 every 10m"}"#),
        OPERATE,
    ),
    (
        "POST",
        "/api/v1/flags/checkout/rollout/start",
        Some(r#"{"plan": "5,100 every 1h"}"#),
        OPERATE,
    ),
    ("GET", "/api/v1/flags/checkout/rollout", None, READ),
    ("GET", "/api/v1/flags/checkout/rollout/history", None, READ),
    ("POST", "/api/v1/flags/checkout/kill", None, OPERATE),
    ("DELETE", "/api/v1/flags/checkout/kill", None, OPERATE),
    ("GET", "/api/v1/flags/checkout/overrides", None, READ),
    (
        "POST",
        "/api/v1/flags/checkout/overrides",
        Some(r#"{"attribute": "user_id", "value": "u2", "variant": "new"}"#),
        OPERATE,
    ),
    (
        "DELETE",
        "/api/v1/flags/checkout/overrides?attribute=user_id&value=u1",
        None,
        OPERATE,
    ),
    ("POST", "/api/v1/overrides/sweep", None, OPERATE),
    ("GET", "/api/v1/presets", None, READ),
    (
        "PUT",
        "/api/v1/presets/phase-2",
        Some(r#"{"name": "phase-2", "entries": [{"flag": "checkout", "stage": "beta"}]}"#),
        OPERATE,
    ),
    ("DELETE", "/api/v1/presets/phase-1", None, OPERATE),
    ("POST", "/api/v1/presets/phase-1/apply", None, OPERATE),
    ("GET", "/api/v1/audit", None, READ),
    ("GET", "/api/v1/audit/verify", None, READ),
    ("GET", "/api/v1/audit/export", None, READ),
    (
        "POST",
        "/api/v1/import",
        Some(r#"{"flags": [{"key": "imported"}]}"#),
        ADMIN,
    ),
    ("GET", "/api/v1/export", None, READ),
    ("GET", "/api/v1/tokens", None, ADMIN),
    (
        "POST",
        "/api/v1/tokens",
        Some(r#"{"name": "ci", "role": "viewer"}"#),
        ADMIN,
    ),
    ("DELETE", "/api/v1/tokens/sdk", None, ADMIN),
    ("GET", "/api/v1/stream", None, EVALUATE),
    (
        "POST",
        "/api/v1/metrics",
        Some(
            r#"{"window_start": "WINDOW_START", "window_end": "WINDOW_END",
                "arms": [{"flag": "checkout", "arm": "new", "calls": 3, "errors": 1,
                          "fallbacks": 0, "retries": 0, "latency": {"buckets": [[40, 3]]}}]}"#,
        ),
        EVALUATE,
    ),
    ("GET", "/api/v1/flags/checkout/metrics", None, READ),
    ("GET", "/api/v1/flags/checkout/shadow", None, READ),
    (
        "POST",
        "/ofrep/v1/evaluate/flags/checkout",
        Some(r#"{"context": {"targetingKey": "u1"}}"#),
        EVALUATE,
    ),
    (
        "POST",
        "/ofrep/v1/evaluate/flags",
        Some(r#"{"context": {"targetingKey": "u1"}}"#),
        EVALUATE,
    ),
];

const PUBLIC: &[&str] = &["/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"];

#[tokio::test]
async fn every_route_answers_each_role_as_its_capability_says() {
    let mut failures = Vec::new();
    // An upload's window must be near the server's now: the placeholders become the last 5 s.
    let now = cutover_core::Timestamp::now();
    let start = now
        .checked_sub(jiff::SignedDuration::from_secs(5))
        .unwrap()
        .to_string();
    let end = now.to_string();
    let bodies: Vec<Option<String>> = ROUTES
        .iter()
        .map(|(_, _, body, _)| {
            body.map(|b| {
                b.replace("WINDOW_START", &start)
                    .replace("WINDOW_END", &end)
            })
        })
        .collect();
    for ((method, path, _, allowed), body) in ROUTES.iter().zip(&bodies) {
        let body = &body.as_deref();
        let f = fixture(ServerConfig::default()).await;
        let anonymous = f.call(method, path, None, *body).await;
        if anonymous.status != 401 {
            failures.push(format!(
                "{method} {path} without a token: {}",
                anonymous.status
            ));
        }
        for role in ROLES {
            // Fresh state for every role, so an earlier success (a delete) cannot turn a later
            // one into a 404.
            let f = fixture(ServerConfig::default()).await;
            let answer = f.call(method, path, Some(role), *body).await;
            let ok = if allowed.contains(&role) {
                answer.status.is_success()
            } else {
                answer.status == 403 && answer.body["error"] == "forbidden"
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {role}: {} {}",
                    answer.status, answer.text
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn public_routes_need_no_token() {
    let f = fixture(ServerConfig::default()).await;
    for path in PUBLIC {
        let answer = f.call("GET", path, None, None).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
    }
}

#[tokio::test]
async fn a_revoked_or_unknown_token_is_refused_and_the_scheme_must_be_bearer() {
    let f = fixture(ServerConfig::default()).await;
    let revoked = f
        .call("DELETE", "/api/v1/tokens/viewer", Some(Role::Admin), None)
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    let answer = f
        .call("GET", "/api/v1/flags", Some(Role::Viewer), None)
        .await;
    assert_eq!(answer.status, 401, "{}", answer.text);
    for header in ["Basic abc", "Bearer", "Bearer cut_nope"] {
        let answer = f
            .call_with(
                "GET",
                "/api/v1/flags",
                None,
                None,
                &[("authorization", header)],
            )
            .await;
        assert_eq!(answer.status, 401, "{header}: {}", answer.text);
        assert_eq!(answer.body["error"], "unauthorized");
    }
}

#[tokio::test]
async fn a_change_with_a_generic_endpoint_is_checked_change_by_change() {
    let f = fixture(ServerConfig::default()).await;
    // An operator may roll out but not reshape the scope in the same request.
    let body = r#"{"changes": [{"change": "set_rollout", "rollout_percent": 10},
                               {"change": "set_scope", "scope": [{"attribute": "tenant", "op": "in", "values": ["acme"]}]}]}"#;
    let answer = f
        .call(
            "POST",
            "/api/v1/flags/checkout/changes",
            Some(Role::Operator),
            Some(body),
        )
        .await;
    assert_eq!(answer.status, 403, "{}", answer.text);
    let flag = f
        .call("GET", "/api/v1/flags/checkout", Some(Role::Viewer), None)
        .await;
    assert_eq!(flag.body["version"], 1, "nothing changed");
}

/// A concrete path matches a template when every segment is equal or a `{parameter}`.
fn matches_template(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
}

#[tokio::test]
async fn every_route_is_in_the_api_description() {
    let f = fixture(ServerConfig::default()).await;
    let doc = f.call("GET", "/api/v1/openapi.json", None, None).await.body;
    let paths = doc["paths"].as_object().unwrap();
    for (method, path, _, _) in ROUTES {
        let documented = paths.iter().any(|(template, item)| {
            matches_template(template, path) && item.get(method.to_lowercase()).is_some()
        });
        assert!(documented, "{method} {path} is not in /api/v1/openapi.json");
    }
    for path in PUBLIC {
        assert!(paths.contains_key(*path), "{path}");
    }
}

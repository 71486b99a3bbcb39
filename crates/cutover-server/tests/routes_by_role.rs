//! Every route against every role: the roles that may call it get a 2xx, the others 403, and a
//! request without a token 401. Each case runs on a fresh store, so one case's change cannot
//! hide another's answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ROLES, fixture};
use cutover_core::{Capability, Role};
use cutover_server::{Access, DeclaredRoute, ServerConfig, declared_routes};

/// Which roles hold each capability, pinned here so a change to `Role::allows` shows up as a
/// failure rather than moving the expectation with it.
const HOLDERS: [(Capability, &[Role]); 6] = [
    (
        Capability::Read,
        &[Role::Admin, Role::Operator, Role::Viewer],
    ),
    (Capability::Operate, &[Role::Admin, Role::Operator]),
    (Capability::Configure, &[Role::Admin]),
    (Capability::ManageTokens, &[Role::Admin]),
    (
        Capability::Evaluate,
        &[Role::Admin, Role::Operator, Role::Sdk],
    ),
    (Capability::Backup, &[Role::Admin]),
];

fn holders(capability: Capability) -> Vec<Role> {
    let pinned = HOLDERS
        .iter()
        .find(|(c, _)| *c == capability)
        .map(|(_, roles)| roles.to_vec())
        .unwrap();
    let allowed: Vec<Role> = ROLES.into_iter().filter(|r| r.allows(capability)).collect();
    assert_eq!(allowed, pinned, "Role::allows({capability:?}) moved");
    pinned
}

/// The routes that need a token, each with the roles that may call it, from the route table:
/// the routes are never listed here (the checked-in `openapi-before.json` pins each one's
/// capability, see `openapi_superset.rs`).
fn token_routes() -> Vec<(DeclaredRoute, Capability, Vec<Role>)> {
    declared_routes()
        .into_iter()
        .filter_map(|route| match route.access {
            Access::Requires(capability) => Some((route, capability, holders(capability))),
            Access::Public => None,
        })
        .collect()
}

fn public() -> Vec<&'static str> {
    declared_routes()
        .into_iter()
        .filter(|route| route.access == Access::Public)
        .map(|route| route.path)
        .collect()
}

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
    let routes = token_routes();
    // Every capability is exercised, and the table is the whole API (not a handful of routes).
    assert!(
        routes.len() >= 34,
        "{} routes that need a token",
        routes.len()
    );
    for capability in [
        Capability::Read,
        Capability::Operate,
        Capability::Configure,
        Capability::ManageTokens,
        Capability::Evaluate,
        Capability::Backup,
    ] {
        assert!(
            routes.iter().any(|(_, c, _)| *c == capability),
            "{capability:?}"
        );
    }
    for (route, _, allowed) in &routes {
        let method = &route.method.to_uppercase();
        let path = route.example.path;
        assert!(
            !path.contains('{'),
            "{method} {}: the route table gives no sample request",
            route.path
        );
        assert!(
            matches_template(route.path, path),
            "{method} {}: the sample {path} is not of this route",
            route.path
        );
        let body = route.example.body.map(|b| {
            b.replace("WINDOW_START", &start)
                .replace("WINDOW_END", &end)
        });
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
    let public = public();
    assert!(public.len() >= 4, "{public:?}");
    for path in public {
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
    for (route, _, _) in token_routes() {
        let (method, path) = (route.method, route.example.path);
        let documented = paths
            .iter()
            .any(|(template, item)| matches_template(template, path) && item.get(method).is_some());
        assert!(documented, "{method} {path} is not in /api/v1/openapi.json");
    }
    for path in public() {
        assert!(paths.contains_key(path), "{path}");
    }
}

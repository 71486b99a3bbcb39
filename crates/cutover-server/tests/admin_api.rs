//! The admin API's contract beyond roles: optimistic concurrency, the error shape for bad input
//! (never a 5xx, never a change), the per-token change rate limit, and who the audit log says
//! made a change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fixture;
use cutover_core::Role;
use cutover_server::ServerConfig;

#[tokio::test]
async fn a_stale_version_is_refused_with_409_and_changes_nothing() {
    let f = fixture(ServerConfig::default()).await;
    let first = f
        .call_with(
            "PUT",
            "/api/v1/flags/checkout/rollout",
            Some(Role::Operator),
            Some(r#"{"percent": 5}"#),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.headers["etag"], "\"2\"");
    // A second operator who read version 1 too.
    let stale = f
        .call_with(
            "PUT",
            "/api/v1/flags/checkout/rollout",
            Some(Role::Operator),
            Some(r#"{"percent": 50, "expected_version": 1}"#),
            &[],
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.text);
    assert_eq!(stale.body["error"], "version_conflict");
    assert!(
        stale.body["message"]
            .as_str()
            .unwrap()
            .contains("version 2")
    );
    let flag = f
        .call("GET", "/api/v1/flags/checkout", Some(Role::Viewer), None)
        .await;
    assert_eq!(flag.body["rollout_percent"], 5);
    assert_eq!(flag.body["version"], 2);
}

/// (method, path, body, headers)
type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a [(&'a str, &'a str)]);

#[tokio::test]
async fn malformed_requests_get_a_json_4xx_and_leave_the_store_alone() {
    let f = fixture(ServerConfig::default()).await;
    let before = f.store.export().await.unwrap();
    let head_before = f.live.view().head;
    let cases: &[Case<'_>] = &[
        (
            "PUT",
            "/api/v1/flags/checkout/rollout",
            Some(r#"{"percent": 101}"#),
            &[],
        ),
        (
            "PUT",
            "/api/v1/flags/checkout/rollout",
            Some(r#"{"percent": -1}"#),
            &[],
        ),
        (
            "PUT",
            "/api/v1/flags/checkout/rollout",
            Some(r#"{"percent": "ten"}"#),
            &[],
        ),
        (
            "PUT",
            "/api/v1/flags/checkout/rollout",
            Some(r#"{"percent": [1]}"#),
            &[],
        ),
        (
            "PUT",
            "/api/v1/flags/checkout/rollout",
            Some("{not json"),
            &[],
        ),
        ("PUT", "/api/v1/flags/checkout/rollout", None, &[]),
        (
            "PUT",
            "/api/v1/flags/checkout/rollout",
            Some(r#"{"percent": 5, "extra": 1}"#),
            &[],
        ),
        (
            "PUT",
            "/api/v1/flags/checkout/rollout",
            Some(r#"{"percent": 5}"#),
            &[("if-match", "abc")],
        ),
        (
            "PUT",
            "/api/v1/flags/Bad%20Key/rollout",
            Some(r#"{"percent": 5}"#),
            &[],
        ),
        (
            "PUT",
            "/api/v1/flags/missing/rollout",
            Some(r#"{"percent": 5}"#),
            &[],
        ),
        (
            "PUT",
            "/api/v1/flags/checkout/stage",
            Some(r#"{"stage": "halfway"}"#),
            &[],
        ),
        (
            "POST",
            "/api/v1/flags/checkout/overrides",
            Some(r#"{"attribute": "user id", "value": "x", "variant": "new"}"#),
            &[],
        ),
        (
            "POST",
            "/api/v1/flags/checkout/overrides",
            Some(r#"{"attribute": "user_id", "value": "x", "variant": "maybe"}"#),
            &[],
        ),
        (
            "POST",
            "/api/v1/flags/checkout/overrides",
            Some(
                r#"{"attribute": "user_id", "value": "x", "variant": "new", "expires_at": "soon"}"#,
            ),
            &[],
        ),
        ("DELETE", "/api/v1/flags/checkout/overrides", None, &[]),
        (
            "DELETE",
            "/api/v1/flags/checkout/overrides?attribute=user_id&value=nobody",
            None,
            &[],
        ),
        ("POST", "/api/v1/flags", Some(r#"{"key": "checkout"}"#), &[]),
        (
            "POST",
            "/api/v1/flags",
            Some(r#"{"key": "x", "rollout_percent": 250}"#),
            &[],
        ),
        (
            "POST",
            "/api/v1/import",
            Some(r#"{"flags": [{"key": "ok"}, {"key": "NOT OK"}]}"#),
            &[],
        ),
        (
            "POST",
            "/api/v1/tokens",
            Some(r#"{"name": "x", "role": "root"}"#),
            &[],
        ),
        (
            "POST",
            "/api/v1/tokens",
            Some(r#"{"name": "Bad Name", "role": "viewer"}"#),
            &[],
        ),
        ("GET", "/api/v1/audit?since=yesterday", None, &[]),
        ("GET", "/api/v1/audit?order=sideways", None, &[]),
        ("GET", "/api/v1/audit?limit=-3", None, &[]),
        ("DELETE", "/api/v1/flags/checkout", None, &[]),
        (
            "PUT",
            "/api/v1/presets/phase-9",
            Some(r#"{"name": "phase-1", "entries": []}"#),
            &[],
        ),
        ("GET", "/api/v1/nowhere", None, &[]),
    ];
    for (method, path, body, headers) in cases {
        let answer = f
            .call_with(method, path, Some(Role::Admin), *body, headers)
            .await;
        assert!(
            answer.status.is_client_error(),
            "{method} {path} {body:?}: {} {}",
            answer.status,
            answer.text
        );
        assert!(
            answer.body["error"].is_string() && answer.body["message"].is_string(),
            "{method} {path}: not the error shape: {}",
            answer.text
        );
    }
    assert_eq!(f.store.export().await.unwrap(), before);
    assert_eq!(f.live.view().head, head_before);
}

#[tokio::test]
async fn errors_name_the_bad_value_and_the_field() {
    let f = fixture(ServerConfig::default()).await;
    let answer = f
        .call(
            "PUT",
            "/api/v1/flags/checkout/rollout",
            Some(Role::Admin),
            Some(r#"{"percent": 101}"#),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.body["field"], "percent");
    let message = answer.body["message"].as_str().unwrap();
    assert!(
        message.contains("101") && message.contains("0 to 100"),
        "{message}"
    );
}

#[tokio::test]
async fn change_requests_are_rate_limited_per_token_with_retry_after() {
    let config = ServerConfig {
        change_rate_per_second: 1,
        change_burst: 3,
        ..ServerConfig::default()
    };
    let f = fixture(config).await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let body = format!(r#"{{"percent": {}}}"#, i + 1);
        let answer = f
            .call(
                "PUT",
                "/api/v1/flags/checkout/rollout",
                Some(Role::Operator),
                Some(&body),
            )
            .await;
        if answer.status == 429 {
            assert!(
                answer.headers["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
                    >= 1
            );
        }
        statuses.push(answer.status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    // Another token has its own budget; reads are not limited.
    let admin = f
        .call(
            "PUT",
            "/api/v1/flags/checkout/rollout",
            Some(Role::Admin),
            Some(r#"{"percent": 9}"#),
        )
        .await;
    assert_eq!(admin.status, 200);
    for _ in 0..10 {
        let read = f
            .call("GET", "/api/v1/flags", Some(Role::Operator), None)
            .await;
        assert_eq!(read.status, 200);
    }
}

#[tokio::test]
async fn the_audit_actor_is_the_token_name_and_the_reason_comes_along() {
    let f = fixture(ServerConfig::default()).await;
    let answer = f
        .call_with(
            "POST",
            "/api/v1/flags/checkout/kill",
            Some(Role::Operator),
            None,
            &[
                ("x-cutover-reason", "checkout errors at 4 %"),
                ("x-cutover-actor", "mallory"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let audit = f
        .call(
            "GET",
            "/api/v1/audit?order=newest&limit=1",
            Some(Role::Viewer),
            None,
        )
        .await;
    let entry = &audit.body[0];
    assert_eq!(entry["action"], "flag.kill");
    assert_eq!(entry["actor"], "operator");
    assert_eq!(entry["reason"], "checkout errors at 4 %");
    let verify = f
        .call("GET", "/api/v1/audit/verify", Some(Role::Viewer), None)
        .await;
    assert_eq!(
        verify.body["fault"],
        serde_json::Value::Null,
        "{}",
        verify.text
    );
}

#[tokio::test]
async fn a_change_is_visible_to_evaluation_when_the_request_returns() {
    let f = fixture(ServerConfig::default()).await;
    let eval = r#"{"context": {"targetingKey": "someone"}}"#;
    let before = f
        .call(
            "POST",
            "/ofrep/v1/evaluate/flags/checkout",
            Some(Role::Sdk),
            Some(eval),
        )
        .await;
    assert_eq!(before.body["variant"], "legacy");
    let done = f
        .call(
            "PUT",
            "/api/v1/flags/checkout/stage",
            Some(Role::Operator),
            Some(r#"{"stage": "production"}"#),
        )
        .await;
    assert_eq!(done.status, 200);
    let after = f
        .call(
            "POST",
            "/ofrep/v1/evaluate/flags/checkout",
            Some(Role::Sdk),
            Some(eval),
        )
        .await;
    assert_eq!(after.body["variant"], "new", "{}", after.text);
    assert_eq!(after.body["metadata"]["flagVersion"], 2);
}

#[tokio::test]
async fn tokens_are_created_once_listed_without_secrets_and_work_at_once() {
    let f = fixture(ServerConfig::default()).await;
    let created = f
        .call(
            "POST",
            "/api/v1/tokens",
            Some(Role::Admin),
            Some(r#"{"name": "deploy-bot", "role": "operator"}"#),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.body["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("cut_") && secret.len() == 68);
    let list = f
        .call("GET", "/api/v1/tokens", Some(Role::Admin), None)
        .await;
    assert!(
        !list.text.contains(&secret) && !list.text.contains("hash"),
        "{}",
        list.text
    );
    let bearer = format!("Bearer {secret}");
    let answer = f
        .call_with(
            "POST",
            "/api/v1/flags/checkout/kill",
            None,
            None,
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let again = f
        .call(
            "POST",
            "/api/v1/tokens",
            Some(Role::Admin),
            Some(r#"{"name": "deploy-bot", "role": "viewer"}"#),
        )
        .await;
    assert_eq!(again.status, 409);
}

#[tokio::test]
async fn rejections_below_the_handlers_are_json_too() {
    let f = fixture(ServerConfig::default()).await;
    let cases = [
        ("PATCH", "/api/v1/audit", None, 405),
        ("GET", "/api/v1/flags/%FF%FE", None, 400),
    ];
    for (method, path, body, status) in cases {
        let answer = f.call(method, path, Some(Role::Admin), body).await;
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.text);
        assert!(
            answer.body["error"].is_string(),
            "{method} {path}: {}",
            answer.text
        );
    }
    let huge = format!(r#"{{"flags": [], "padding": "{}"}}"#, "x".repeat(3 << 20));
    let answer = f
        .call("POST", "/api/v1/import", Some(Role::Admin), Some(&huge))
        .await;
    assert_eq!(answer.status, 413, "{}", answer.text);
    assert_eq!(answer.body["error"], "too_large");
}

//! Every text the API stores has a documented size limit (docs/limits.md): over it, a 422 that
//! names the field and the limit, and nothing is written. A 1.9 MB override value and a 300 KB
//! X-Cutover-Reason were stored (twice per change in the audit log) before.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fixture;
use cutover_core::Role;
use cutover_server::ServerConfig;
use serde_json::json;

#[tokio::test]
async fn texts_over_their_limit_are_422s_naming_the_limit_and_change_nothing() {
    let generous = ServerConfig {
        change_rate_per_second: 1000,
        change_burst: 1000,
        ..ServerConfig::default()
    };
    let f = fixture(generous).await;
    let before = f.store.export().await.unwrap();
    let head = f.live.view().head;
    let long = |n: usize| "x".repeat(n);
    let gate = format!("agreement({}) >= 0.8", "f".repeat(300));
    let plan = json!({"steps": "5,100 every 1h", "gates": [gate]});
    let cases: Vec<(&str, &str, String, &str, &str)> = vec![
        (
            "POST",
            "/api/v1/flags/checkout/overrides",
            json!({"attribute": "user_id", "value": long(1_900_000), "variant": "new"}).to_string(),
            "override.value",
            "1024 bytes",
        ),
        (
            "PATCH",
            "/api/v1/flags/checkout",
            json!({"description": long(4097)}).to_string(),
            "description",
            "4096 bytes",
        ),
        (
            "PATCH",
            "/api/v1/flags/checkout",
            json!({"owner": long(257)}).to_string(),
            "owner",
            "256 bytes",
        ),
        (
            "PATCH",
            "/api/v1/flags/checkout",
            json!({"salt": long(257)}).to_string(),
            "salt",
            "256 bytes",
        ),
        (
            "PATCH",
            "/api/v1/flags/checkout",
            json!({"scope": [{"attribute": "tenant", "op": "in", "values": ["a", long(1025)]}]})
                .to_string(),
            "scope.values",
            "1024 bytes",
        ),
        (
            "POST",
            "/api/v1/flags",
            json!({"key": "fresh", "description": long(5000)}).to_string(),
            "description",
            "4096 bytes",
        ),
        (
            "PUT",
            "/api/v1/presets/phase-1",
            json!({"name": "phase-1", "description": long(4097),
                   "entries": [{"flag": "checkout", "killed": true}]})
            .to_string(),
            "description",
            "4096 bytes",
        ),
        (
            "POST",
            "/api/v1/import",
            json!({"flags": [{"key": "checkout", "owner": long(300)}]}).to_string(),
            "owner",
            "256 bytes",
        ),
        (
            "PUT",
            "/api/v1/flags/checkout/plan",
            json!({ "plan": plan }).to_string(),
            "plan.gates",
            "256 bytes",
        ),
        (
            "POST",
            "/api/v1/flags/checkout/changes",
            json!({"changes": [{"change": "record_golden", "result": {"passed": true,
                "at": "2030-01-01T00:00:00Z", "corpus": "c", "cases": 1, "failed": 0,
                "summary": long(1025)}}]})
            .to_string(),
            "golden.summary",
            "1024 bytes",
        ),
    ];
    for (method, path, body, field, limit) in cases {
        let answer = f.call(method, path, Some(Role::Admin), Some(&body)).await;
        assert_eq!(
            answer.status,
            422,
            "{method} {path} {field}: {}",
            &answer.text[..answer.text.len().min(300)]
        );
        assert_eq!(
            answer.body["field"], field,
            "{method} {path}: {}",
            answer.body["message"]
        );
        let message = answer.body["message"].as_str().unwrap();
        assert!(message.contains(limit), "{method} {path}: {message}");
        assert!(
            message.len() < 1000,
            "the message quotes a preview, not the value: {message}"
        );
    }
    // The reason header: 300 KB is refused before anything happens.
    let reason = long(300_000);
    let answer = f
        .call_with(
            "POST",
            "/api/v1/flags/checkout/kill",
            Some(Role::Operator),
            None,
            &[("x-cutover-reason", &reason)],
        )
        .await;
    assert_eq!(
        answer.status,
        422,
        "{}",
        &answer.text[..answer.text.len().min(300)]
    );
    assert_eq!(answer.body["field"], "X-Cutover-Reason");
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap()
            .contains("1024 bytes")
    );
    assert_eq!(
        f.store.export().await.unwrap(),
        before,
        "nothing was written"
    );
    f.live.catch_up().await.unwrap();
    assert_eq!(f.live.view().head, head, "nothing was audited");
    // At the limit is fine.
    let answer = f
        .call_with(
            "PATCH",
            "/api/v1/flags/checkout",
            Some(Role::Admin),
            Some(&json!({"description": long(4096)}).to_string()),
            &[("x-cutover-reason", &long(1024))],
        )
        .await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        &answer.text[..answer.text.len().min(300)]
    );
}

//! Emergencies are never refused for want of change budget: with a token's budget spent, the
//! kill switch, a rollout down to 0 %, a rollout abort and a preset that only moves flags
//! towards legacy still go through, while every other change waits its turn.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Fixture, fixture};
use cutover_core::Role;
use cutover_server::ServerConfig;

async fn spent() -> Fixture {
    let f = fixture(ServerConfig {
        change_rate_per_second: 1,
        change_burst: 3,
        ..ServerConfig::default()
    })
    .await;
    // Raise the flag and give it a plan while there is budget, then spend the rest.
    for (method, path, body) in [
        (
            "PUT",
            "/api/v1/flags/checkout/rollout",
            r#"{"percent": 50}"#,
        ),
        (
            "PUT",
            "/api/v1/flags/checkout/plan",
            r#"{"plan": "10,50,100 every 1h"}"#,
        ),
        ("POST", "/api/v1/flags/checkout/rollout/start", "{}"),
    ] {
        let answer = f.call(method, path, Some(Role::Operator), Some(body)).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
    }
    let refused = f
        .call(
            "PATCH",
            "/api/v1/flags/checkout",
            Some(Role::Admin),
            Some(r#"{"description": "x"}"#),
        )
        .await;
    assert_eq!(refused.status, 200, "admin has a budget of its own");
    let spent = f
        .call(
            "PUT",
            "/api/v1/flags/other/rollout",
            Some(Role::Operator),
            Some(r#"{"percent": 20}"#),
        )
        .await;
    assert_eq!(spent.status, 429, "the operator's budget is spent");
    f
}

#[tokio::test]
async fn with_the_budget_spent_retreats_still_go_through_and_nothing_else_does() {
    let f = spent().await;
    let call = |method: &'static str, path: &'static str, body: &'static str| {
        let f = &f;
        async move {
            f.call(method, path, Some(Role::Operator), Some(body))
                .await
                .status
                .as_u16()
        }
    };
    // More exposure, or a different shape, is refused.
    assert_eq!(
        call("PUT", "/api/v1/flags/other/rollout", r#"{"percent": 30}"#).await,
        429
    );
    assert_eq!(
        call(
            "POST",
            "/api/v1/flags/checkout/overrides",
            r#"{"attribute": "user_id", "value": "u9", "variant": "new"}"#
        )
        .await,
        429
    );
    // A step down, an abort, the kill switch and a kill again: all through.
    assert_eq!(
        call("PUT", "/api/v1/flags/checkout/rollout", r#"{"percent": 5}"#).await,
        200
    );
    assert_eq!(
        call("POST", "/api/v1/flags/checkout/rollout/abort", "{}").await,
        200
    );
    assert_eq!(
        call("PUT", "/api/v1/flags/checkout/rollout", r#"{"percent": 0}"#).await,
        200
    );
    assert_eq!(call("POST", "/api/v1/flags/checkout/kill", "").await, 200);
    assert_eq!(call("POST", "/api/v1/flags/checkout/kill", "").await, 200);
    // Lifting it is not an emergency.
    let unkill = f
        .call(
            "DELETE",
            "/api/v1/flags/checkout/kill",
            Some(Role::Operator),
            None,
        )
        .await;
    assert_eq!(unkill.status, 429);
    let flag = f
        .call("GET", "/api/v1/flags/checkout", Some(Role::Viewer), None)
        .await;
    assert_eq!(flag.body["killed"], true);
    assert_eq!(flag.body["rollout_percent"], 0);
    assert_eq!(flag.body["run"]["status"], "aborted");
}

#[tokio::test]
async fn a_preset_towards_legacy_applies_with_the_budget_spent_and_one_away_from_it_does_not() {
    let f = spent().await;
    // Defined by the admin, whose budget is its own.
    for (name, body) in [
        (
            "legacy",
            r#"{"name": "legacy", "entries": [{"flag": "checkout", "stage": "disabled"}, {"flag": "other", "killed": true}]}"#,
        ),
        (
            "forward",
            r#"{"name": "forward", "entries": [{"flag": "other", "stage": "production"}]}"#,
        ),
    ] {
        let answer = f
            .call(
                "PUT",
                &format!("/api/v1/presets/{name}"),
                Some(Role::Admin),
                Some(body),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    let forward = f
        .call(
            "POST",
            "/api/v1/presets/forward/apply",
            Some(Role::Operator),
            None,
        )
        .await;
    assert_eq!(forward.status, 429);
    let legacy = f
        .call(
            "POST",
            "/api/v1/presets/legacy/apply",
            Some(Role::Operator),
            None,
        )
        .await;
    assert_eq!(legacy.status, 200, "{}", legacy.text);
}

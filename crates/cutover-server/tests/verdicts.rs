//! Named verdicts over HTTP: a CI job records one with a PUT, the node stamps who and when, a
//! verdict valid for a time expires, and the list says where each stands.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fixture;
use cutover_core::Role;
use cutover_server::ServerConfig;

#[tokio::test]
async fn a_verdict_is_recorded_by_put_stamped_by_the_node_and_listed_with_its_standing() {
    let f = fixture(ServerConfig::default()).await;
    let path = "/api/v1/flags/checkout/verdicts/integration-tests";
    let body = r#"{"passed": true, "url": "https://ci.example/run/7", "details": {"passed": 212},
                   "valid_for": "7d"}"#;
    let put = f.call("PUT", path, Some(Role::Operator), Some(body)).await;
    assert_eq!(put.status, 200, "{}", put.text);
    let recorded = &put.body["verdicts"]["integration-tests"];
    assert_eq!(recorded["by"], "operator", "{recorded}");
    assert_eq!(recorded["source"], "recorded");
    assert_eq!(recorded["details"]["passed"], 212);
    assert!(put.headers.contains_key("x-cutover-audit-id"));

    // A failure of another check, and a verdict that counts for no time at all.
    let fail = r#"{"passed": false}"#;
    let put = f
        .call(
            "PUT",
            "/api/v1/flags/checkout/verdicts/cross-validation",
            Some(Role::Admin),
            Some(fail),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let gone = r#"{"passed": true, "valid_for": "0s"}"#;
    let put = f
        .call(
            "PUT",
            "/api/v1/flags/checkout/verdicts/sign-off",
            Some(Role::Admin),
            Some(gone),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);

    let list = f
        .call(
            "GET",
            "/api/v1/flags/checkout/verdicts",
            Some(Role::Viewer),
            None,
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(
        list.body["integration-tests"]["standing"], "passed",
        "{}",
        list.text
    );
    assert_eq!(list.body["cross-validation"]["standing"], "failed");
    assert_eq!(list.body["sign-off"]["standing"], "expired");

    let audit = f
        .call(
            "GET",
            "/api/v1/audit?action=verdict.record",
            Some(Role::Viewer),
            None,
        )
        .await;
    assert_eq!(audit.body.as_array().unwrap().len(), 3, "{}", audit.text);
}

#[tokio::test]
async fn a_bad_verdict_is_refused_naming_what_is_wrong_and_nothing_is_written() {
    let f = fixture(ServerConfig::default()).await;
    for (path, body, field, says) in [
        (
            "/api/v1/flags/checkout/verdicts/Bad%20Name",
            r#"{"passed": true}"#,
            "name",
            "verdict name",
        ),
        (
            "/api/v1/flags/checkout/verdicts/ci",
            r#"{"passed": true, "valid_for": "a week"}"#,
            "valid_for",
            "a week",
        ),
        (
            "/api/v1/flags/checkout/verdicts/ci",
            r#"{"passed": true, "url": "ftp://x"}"#,
            "url",
            "ftp://x",
        ),
    ] {
        let answer = f.call("PUT", path, Some(Role::Operator), Some(body)).await;
        assert_eq!(answer.status, 422, "{path} {body}: {}", answer.text);
        assert_eq!(answer.body["field"], field, "{}", answer.text);
        assert!(answer.text.contains(says), "{}", answer.text);
    }
    let viewer = f
        .call(
            "PUT",
            "/api/v1/flags/checkout/verdicts/ci",
            Some(Role::Viewer),
            Some(r#"{"passed": true}"#),
        )
        .await;
    assert_eq!(viewer.status, 403, "{}", viewer.text);
    let missing = f
        .call(
            "PUT",
            "/api/v1/flags/nope/verdicts/ci",
            Some(Role::Operator),
            Some(r#"{"passed": true}"#),
        )
        .await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    let flag = f
        .call("GET", "/api/v1/flags/checkout", Some(Role::Viewer), None)
        .await;
    assert!(flag.body.get("verdicts").is_none(), "{}", flag.text);
}

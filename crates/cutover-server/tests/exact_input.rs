//! Values inside request bodies are read exactly as they are written and refused with the
//! message their own parser gives: a percentage sent as a JSON number is never rounded (99.99…9
//! is not 100), and a mistyped gate inside a plan says which gate and what is accepted, on
//! every route a percentage or a plan arrives through.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fixture;
use cutover_core::Role;
use cutover_server::ServerConfig;

const TOO_PRECISE: [&str; 2] = ["99.99999999999999999999", "0.000000000000000000001"];

#[tokio::test]
async fn percentages_with_more_than_two_decimals_are_refused_everywhere_with_422() {
    let f = fixture(ServerConfig::default()).await;
    let before = f.store.export().await.unwrap();
    for p in TOO_PRECISE {
        let cases = [
            (
                "PUT",
                "/api/v1/flags/checkout/rollout".to_owned(),
                format!(r#"{{"percent": {p}}}"#),
            ),
            (
                "POST",
                "/api/v1/flags".to_owned(),
                format!(r#"{{"key": "fresh", "rollout_percent": {p}}}"#),
            ),
            (
                "POST",
                "/api/v1/flags/checkout/changes".to_owned(),
                format!(r#"{{"changes": [{{"change": "set_rollout", "rollout_percent": {p}}}]}}"#),
            ),
            (
                "PUT",
                "/api/v1/presets/phase-1".to_owned(),
                format!(
                    r#"{{"name": "phase-1", "entries": [{{"flag": "checkout", "rollout_percent": {p}}}]}}"#
                ),
            ),
            (
                "POST",
                "/api/v1/import".to_owned(),
                format!(r#"{{"flags": [{{"key": "checkout", "rollout_percent": {p}}}]}}"#),
            ),
            (
                "PUT",
                "/api/v1/flags/checkout/plan".to_owned(),
                format!(
                    r#"{{"plan": {{"steps": [{{"percent": {p}, "bake": 60}}, {{"percent": 100, "bake": 60}}]}}}}"#
                ),
            ),
            (
                "POST",
                "/api/v1/flags/checkout/rollout/start".to_owned(),
                format!(
                    r#"{{"plan": {{"steps": [{{"percent": {p}, "bake": 60}}, {{"percent": 100, "bake": 60}}]}}}}"#
                ),
            ),
        ];
        for (method, path, body) in cases {
            let answer = f.call(method, &path, Some(Role::Admin), Some(&body)).await;
            assert_eq!(
                answer.status, 422,
                "{method} {path} {body}: {}",
                answer.text
            );
            let message = answer.body["message"].as_str().unwrap_or_default();
            assert!(
                message.contains(p) && message.contains("more than two decimals"),
                "{method} {path}: {message}"
            );
        }
    }
    assert_eq!(
        f.store.export().await.unwrap(),
        before,
        "nothing was written"
    );
}

#[tokio::test]
async fn percentages_as_numbers_or_strings_are_taken_exactly() {
    let f = fixture(ServerConfig::default()).await;
    for (body, expect) in [
        (r#"{"percent": 12.34}"#, 12.34),
        (r#"{"percent": "0.01"}"#, 0.01),
        (r#"{"percent": 100.00}"#, 100.0),
    ] {
        let answer = f
            .call(
                "PUT",
                "/api/v1/flags/checkout/rollout",
                Some(Role::Operator),
                Some(body),
            )
            .await;
        assert_eq!(answer.status, 200, "{body}: {}", answer.text);
        assert_eq!(answer.body["rollout_percent"], expect, "{body}");
    }
}

#[tokio::test]
async fn a_mistyped_gate_in_a_json_plan_names_the_gate_and_the_accepted_metrics() {
    let f = fixture(ServerConfig::default()).await;
    // What the CLI's --gate says for the same text.
    let cli = "new.p97 <= 100ms"
        .parse::<cutover_core::guard::Gate>()
        .unwrap_err()
        .to_string();
    let plan = r#"{"steps": "5,100 every 1h", "gates": ["new.p97 <= 100ms"]}"#;
    for (method, path, body) in [
        (
            "PUT",
            "/api/v1/flags/checkout/plan",
            format!(r#"{{"plan": {plan}}}"#),
        ),
        (
            "POST",
            "/api/v1/flags/checkout/rollout/start",
            format!(r#"{{"plan": {plan}}}"#),
        ),
        (
            "POST",
            "/api/v1/flags/checkout/changes",
            format!(r#"{{"changes": [{{"change": "set_plan", "plan": {plan}}}]}}"#),
        ),
        (
            "POST",
            "/api/v1/import",
            format!(r#"{{"flags": [{{"key": "checkout", "plan": {plan}}}]}}"#),
        ),
    ] {
        let answer = f.call(method, path, Some(Role::Admin), Some(&body)).await;
        assert_eq!(answer.status, 422, "{method} {path}: {}", answer.text);
        let message = answer.body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&cli),
            "{method} {path}: {message}\nwanted: {cli}"
        );
        assert!(!message.contains("untagged"), "{method} {path}: {message}");
    }
    // A bad bake and a bad plan text say what is wrong with them too.
    let bake = r#"{"plan": {"steps": [{"percent": 5, "bake": "10 minutes"}, {"percent": 100, "bake": 60}]}}"#;
    let answer = f
        .call(
            "PUT",
            "/api/v1/flags/checkout/plan",
            Some(Role::Admin),
            Some(bake),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert!(answer.text.contains("unknown unit"), "{}", answer.text);
}

/// Every route a percentage arrives through, with `P` where it goes.
const PERCENT_ROUTES: [(&str, &str, &str); 7] = [
    ("PUT", "/api/v1/flags/checkout/rollout", r#"{"percent": P}"#),
    (
        "POST",
        "/api/v1/flags",
        r#"{"key": "fresh", "rollout_percent": P}"#,
    ),
    (
        "POST",
        "/api/v1/flags/checkout/changes",
        r#"{"changes": [{"change": "set_rollout", "rollout_percent": P}]}"#,
    ),
    (
        "PUT",
        "/api/v1/presets/phase-1",
        r#"{"name": "phase-1", "entries": [{"flag": "checkout", "rollout_percent": P}]}"#,
    ),
    (
        "POST",
        "/api/v1/import",
        r#"{"flags": [{"key": "checkout", "rollout_percent": P}]}"#,
    ),
    (
        "PUT",
        "/api/v1/flags/other/plan",
        r#"{"plan": {"steps": [{"percent": P, "bake": 60}, {"percent": 100, "bake": 60}]}}"#,
    ),
    (
        "POST",
        "/api/v1/flags/checkout/rollout/start",
        r#"{"plan": {"steps": [{"percent": P, "bake": 60}, {"percent": 100, "bake": 60}]}}"#,
    ),
];

/// One rule for a percentage given as a string, on every route: the document's `Percent`
/// schema admits it exactly when the server takes it, and the server reads it as the number.
#[tokio::test]
async fn percentages_as_strings_follow_one_rule_on_every_route_as_the_document_says() {
    let generous = ServerConfig {
        change_rate_per_second: 10_000,
        change_burst: 10_000,
        ..ServerConfig::default()
    };
    let f = fixture(generous).await;
    let doc = f.call("GET", "/api/v1/openapi.json", None, None).await.body;
    let root = serde_json::json!({
        "components": doc["components"],
        "$ref": "#/components/schemas/Percent",
    });
    let percent = jsonschema::draft202012::new(&root).unwrap();
    let mut disagreements = Vec::new();
    for text in [
        "12.5", "12.5%", "0.01", "100", "100.00", "100.0%", ".5", "5.", "007", "0", " 12.5",
        "12.5 ", "12.5 %", "", "%", ".", "100.01", "101", "-1", "1e1", "12.345", "abc", "5%%", "½",
    ] {
        let value = serde_json::Value::String(text.to_owned());
        let admitted = percent.is_valid(&value);
        for (method, path, body) in PERCENT_ROUTES {
            let body = body.replace('P', &value.to_string());
            let answer = f.call(method, path, Some(Role::Admin), Some(&body)).await;
            // A plan on a flag whose rollout is running, or a second start, is a conflict
            // about state, not about the percentage.
            // A plan rule refusing the steps (0 first, 100 twice) read the percentage first.
            let taken = answer.status.is_success()
                || answer.status == 409
                || answer.text.contains("invalid rollout plan");
            if taken != admitted {
                disagreements.push(format!(
                    "{method} {path} with {value}: the document {} it, the server answered {}: {}",
                    if admitted { "admits" } else { "refuses" },
                    answer.status,
                    answer.text
                ));
            }
            if taken && path.ends_with("/rollout") {
                let expect = text.trim_end_matches('%').parse::<f64>().ok();
                if answer.body["rollout_percent"].as_f64() != expect {
                    disagreements.push(format!("{text:?} was read as {}", answer.body));
                }
            }
        }
        // Undo what the last start began, so the next start is not a conflict.
        f.call(
            "POST",
            "/api/v1/flags/checkout/rollout/abort",
            Some(Role::Admin),
            None,
        )
        .await;
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

//! SDK metric uploads feed the guard, so they are not trusted blindly: a batch whose counts
//! cannot be true (more errors than calls, 2^64-1 calls, a latency sketch that does not add up
//! to the calls, shadow tallies that contradict themselves) or whose window is not near the
//! server's now is a 422 and nothing of it is kept; a flag the node does not know is ignored
//! and counted, not fatal; uploads are limited per token on a budget of their own; and reading
//! the figures of a flag that does not exist is a 404.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fixture;
use cutover_core::{Role, Timestamp};
use cutover_server::ServerConfig;
use serde_json::{Value, json};

fn ago(seconds: i64) -> Timestamp {
    Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_secs(seconds))
        .unwrap()
}

fn arm(flag: &str, calls: u64, errors: u64) -> Value {
    json!({"flag": flag, "arm": "new", "calls": calls, "errors": errors, "fallbacks": 0,
           "retries": 0, "latency": {"buckets": [[40, calls]]}})
}

fn batch(arms: Vec<Value>) -> Value {
    json!({"window_start": ago(5), "window_end": ago(0), "arms": arms})
}

fn shadow(runs: u64, compared: u64, agreed: u64, disagreed: u64) -> Value {
    json!({"flag": "checkout", "runs": runs, "compared": compared, "new_errors": 0,
           "new_panics": 0, "timeouts": 0,
           "tally": {"fields": {"total": {"compared": compared, "agreed": agreed,
                                          "disagreed": disagreed, "missing": 0, "extra": 0}},
                     "cases": compared, "cases_agreed": agreed},
           "mismatches": [], "mismatches_dropped": 0})
}

#[tokio::test]
async fn uploads_that_cannot_be_true_are_refused_and_leave_no_trace() {
    let f = fixture(ServerConfig::default()).await;
    let with = |mut b: Value, key: &str, v: Value| {
        b[key] = v;
        b
    };
    let mut cases: Vec<(&str, Value)> = vec![
        ("errors over calls", batch(vec![arm("checkout", 3, 5)])),
        (
            "2^64-1 calls",
            batch(vec![
                json!({"flag": "checkout", "arm": "new", "calls": u64::MAX,
                "errors": 0, "fallbacks": 0, "retries": 0,
                "latency": {"buckets": [[40, u64::MAX]]}}),
            ]),
        ),
        (
            "latency not adding up",
            batch(vec![
                json!({"flag": "checkout", "arm": "new", "calls": 10, "errors": 0,
                "fallbacks": 0, "retries": 0, "latency": {"buckets": [[40, 3]]}}),
            ]),
        ),
        (
            "buckets out of order",
            batch(vec![
                json!({"flag": "checkout", "arm": "new", "calls": 3, "errors": 0,
                "fallbacks": 0, "retries": 0, "latency": {"buckets": [[41, 1], [40, 2]]}}),
            ]),
        ),
        (
            "a bucket past the sketch",
            batch(vec![
                json!({"flag": "checkout", "arm": "new", "calls": 3, "errors": 0,
                "fallbacks": 0, "retries": 0, "latency": {"buckets": [[60000, 3]]}}),
            ]),
        ),
        (
            "a counter over calls",
            batch(vec![
                json!({"flag": "checkout", "arm": "new", "calls": 3, "errors": 0,
                "fallbacks": 0, "retries": 0, "latency": {"buckets": [[40, 3]]},
                "custom": {"invalid_json": 4}}),
            ]),
        ),
        (
            "fallbacks over calls",
            batch(vec![
                json!({"flag": "checkout", "arm": "legacy", "calls": 3, "errors": 0,
                "fallbacks": 9, "retries": 0, "latency": {"buckets": [[40, 3]]}}),
            ]),
        ),
        (
            "the same arm twice",
            batch(vec![arm("checkout", 3, 1), arm("checkout", 3, 1)]),
        ),
        (
            "a window in year 1",
            with(
                batch(vec![arm("checkout", 3, 1)]),
                "window_start",
                json!("0001-01-01T00:00:00Z"),
            ),
        ),
        (
            "a window an hour ahead",
            with(
                batch(vec![arm("checkout", 3, 1)]),
                "window_end",
                json!(ago(-3600)),
            ),
        ),
        (
            "a window that ended an hour ago",
            json!({"window_start": ago(3605), "window_end": ago(3600),
                   "arms": [arm("checkout", 3, 1)]}),
        ),
    ];
    let mut compared_over_runs = batch(vec![]);
    compared_over_runs["shadows"] = json!([shadow(2, 5, 5, 0)]);
    cases.push(("compared over runs", compared_over_runs));
    let mut fields_not_adding_up = batch(vec![]);
    fields_not_adding_up["shadows"] = json!([shadow(5, 5, 5, 3)]);
    cases.push((
        "a field's outcomes over its comparisons",
        fields_not_adding_up,
    ));
    for (what, body) in cases {
        let answer = f
            .call(
                "POST",
                "/api/v1/metrics",
                Some(Role::Sdk),
                Some(&body.to_string()),
            )
            .await;
        assert_eq!(answer.status, 422, "{what}: {}", answer.text);
        assert_eq!(answer.body["error"], "invalid", "{what}");
    }
    let figures = f
        .call(
            "GET",
            "/api/v1/flags/checkout/metrics",
            Some(Role::Viewer),
            None,
        )
        .await;
    assert_eq!(figures.body["new"]["calls"], 0, "{}", figures.text);
    assert_eq!(figures.body["legacy"]["calls"], 0, "{}", figures.text);
    let shadows = f
        .call(
            "GET",
            "/api/v1/flags/checkout/shadow",
            Some(Role::Viewer),
            None,
        )
        .await;
    assert_eq!(shadows.body["runs"], 0, "{}", shadows.text);
    // The gate never sees an error rate above 1 again: what is kept is what could be true.
    let fine = batch(vec![arm("checkout", 3, 3)]);
    let answer = f
        .call(
            "POST",
            "/api/v1/metrics",
            Some(Role::Sdk),
            Some(&fine.to_string()),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let figures = f
        .call(
            "GET",
            "/api/v1/flags/checkout/metrics",
            Some(Role::Viewer),
            None,
        )
        .await;
    assert_eq!(figures.body["new"]["error_rate"], 1.0, "{}", figures.text);
}

#[tokio::test]
async fn reports_for_unknown_flags_are_ignored_and_counted() {
    let f = fixture(ServerConfig::default()).await;
    let mut body = batch(vec![arm("checkout", 4, 1), arm("not-yet", 7, 0)]);
    body["shadows"] = json!([{"flag": "not-yet", "runs": 1, "compared": 0, "new_errors": 1,
        "new_panics": 0, "timeouts": 0, "tally": {"fields": {}, "cases": 0, "cases_agreed": 0},
        "mismatches": [], "mismatches_dropped": 0}]);
    let answer = f
        .call(
            "POST",
            "/api/v1/metrics",
            Some(Role::Sdk),
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["arms"], 1, "{}", answer.text);
    assert_eq!(answer.body["ignored"]["arms"], 1, "{}", answer.text);
    assert_eq!(answer.body["ignored"]["shadows"], 1, "{}", answer.text);
    assert_eq!(
        answer.body["ignored"]["unknown_flags"],
        json!(["not-yet"]),
        "{}",
        answer.text
    );
    let figures = f
        .call(
            "GET",
            "/api/v1/flags/checkout/metrics",
            Some(Role::Viewer),
            None,
        )
        .await;
    assert_eq!(figures.body["new"]["calls"], 4, "{}", figures.text);
    let prometheus = f.call("GET", "/metrics", None, None).await;
    assert!(
        prometheus
            .text
            .contains("cutover_metrics_unknown_flag_reports_total"),
        "{}",
        prometheus.text
    );
}

#[tokio::test]
async fn figures_of_a_flag_that_does_not_exist_are_a_404() {
    let f = fixture(ServerConfig::default()).await;
    for path in ["/api/v1/flags/nope/metrics", "/api/v1/flags/nope/shadow"] {
        let answer = f.call("GET", path, Some(Role::Viewer), None).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.text);
        assert!(answer.text.contains("nope"), "{}", answer.text);
    }
}

#[tokio::test]
async fn uploads_have_a_budget_per_token_apart_from_changes() {
    let f = fixture(ServerConfig::default()).await;
    let body = batch(vec![arm("checkout", 1, 0)]).to_string();
    // An operator's token may upload too; its uploads run out on their own budget.
    let mut refused = None;
    for n in 0..2000 {
        let answer = f
            .call("POST", "/api/v1/metrics", Some(Role::Operator), Some(&body))
            .await;
        if answer.status == 429 {
            refused = Some((n, answer));
            break;
        }
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    let (n, answer) = refused.expect("uploads are limited per token");
    assert!(n >= 20, "the default burst is generous: refused after {n}");
    assert!(answer.headers.contains_key("retry-after"));
    assert!(answer.text.contains("upload"), "{}", answer.text);
    // The change budget is untouched, and other tokens upload on.
    let kill = f
        .call(
            "POST",
            "/api/v1/flags/checkout/kill",
            Some(Role::Operator),
            None,
        )
        .await;
    assert_eq!(kill.status, 200, "{}", kill.text);
    let other = f
        .call("POST", "/api/v1/metrics", Some(Role::Sdk), Some(&body))
        .await;
    assert_eq!(other.status, 200, "{}", other.text);
    // And spending the change budget leaves uploads alone. (Description edits, not kills: a
    // kill switch is never refused for want of budget.)
    // Edits go on until one is refused: a fixed count would race the bucket's refill on a
    // loaded machine.
    let describe = |n: usize| format!(r#"{{"description": "edit {n}"}}"#);
    let mut limited = None;
    for n in 0..2000 {
        let answer = f
            .call(
                "PATCH",
                "/api/v1/flags/other",
                Some(Role::Admin),
                Some(&describe(n)),
            )
            .await;
        if answer.status == 429 {
            limited = Some(answer);
            break;
        }
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    let limited = limited.expect("changes are limited per token");
    assert!(limited.text.contains("rate"), "{}", limited.text);
    let upload = f
        .call("POST", "/api/v1/metrics", Some(Role::Admin), Some(&body))
        .await;
    assert_eq!(upload.status, 200, "{}", upload.text);
}

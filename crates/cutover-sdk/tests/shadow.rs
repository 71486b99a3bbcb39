//! Shadow runs: the legacy result is what the caller gets, whatever the new path does; the new
//! path's panics, errors and overruns are counted; outputs are compared under the spec and
//! tallied per field; sampling is sticky.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cutover_sdk::{Client, ComparisonSpec, Context, Rollout};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize)]
struct Routing {
    agent: String,
    confidence: f64,
    choices: Vec<String>,
    trace_id: String,
}

fn routing(agent: &str, confidence: f64, choices: &[&str], trace: &str) -> Routing {
    Routing {
        agent: agent.into(),
        confidence,
        choices: choices.iter().map(|c| (*c).into()).collect(),
        trace_id: trace.into(),
    }
}

fn client() -> (Client, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    std::fs::write(&path, r#"{"flags": [{"key": "router-v2"}]}"#).unwrap();
    (Client::offline(&path).unwrap(), dir)
}

fn spec() -> ComparisonSpec {
    serde_json::from_value(json!({"fields": {
        "confidence": {"rule": "within", "eps": 0.05},
        "trace_id": {"rule": "ignore"},
        "choices": {"rule": "must_include"},
    }}))
    .unwrap()
}

fn user(id: &str) -> Context {
    Context::new().with("user_id", id)
}

#[test]
fn the_caller_gets_the_legacy_result_and_a_panic_in_the_new_path_is_only_counted() {
    let (client, _dir) = client();
    let legacy = routing("billing", 0.8, &["a"], "t1");
    let got = client.shadow("router-v2", &user("u1")).run(
        || legacy.clone(),
        |_ro| -> Result<Routing, String> { panic!("new path exploded") },
    );
    assert_eq!(got, legacy);
    let got = client.shadow("router-v2", &user("u1")).run(
        || legacy.clone(),
        |_ro| -> Result<Routing, String> { Err("upstream 500".into()) },
    );
    assert_eq!(got, legacy);
    let report = client.shadow_report("router-v2");
    assert_eq!(
        (
            report.runs,
            report.new_panics,
            report.new_errors,
            report.compared
        ),
        (2, 1, 1, 0)
    );
}

#[test]
fn a_slow_new_path_is_a_timeout_not_a_comparison() {
    let (client, _dir) = client();
    let got = client
        .shadow("router-v2", &user("u1"))
        .timeout(Duration::from_millis(10))
        .run(
            || 1,
            |_ro| -> Result<i32, String> {
                std::thread::sleep(Duration::from_millis(30));
                Ok(2)
            },
        );
    assert_eq!(got, 1);
    let report = client.shadow_report("router-v2");
    assert_eq!((report.timeouts, report.compared), (1, 0));
}

#[tokio::test]
async fn the_async_form_bounds_the_wait_and_catches_panics() {
    let (client, _dir) = client();
    let started = std::time::Instant::now();
    let got = client
        .shadow("router-v2", &user("u1"))
        .timeout(Duration::from_millis(20))
        .run_async(async { 7 }, |_ro| async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok::<i32, String>(8)
        })
        .await;
    assert_eq!(got, 7);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the timeout bounded the wait"
    );
    let got = client
        .shadow("router-v2", &user("u1"))
        .run_async(async { 7 }, |_ro| async {
            if true {
                panic!("boom");
            }
            Ok::<i32, String>(8)
        })
        .await;
    assert_eq!(got, 7);
    let report = client.shadow_report("router-v2");
    assert_eq!((report.timeouts, report.new_panics), (1, 1));
}

#[test]
fn fields_are_compared_under_the_spec_and_tallied() {
    let (client, _dir) = client();
    let cases = [
        // Agrees: confidence exactly 0.05 apart, a superset of choices, another trace id.
        (
            routing("billing", 0.80, &["a", "b"], "t1"),
            routing("billing", 0.85, &["b", "a", "c"], "t2"),
        ),
        // Disagrees on confidence by 0.0501 and on the agent.
        (
            routing("billing", 0.80, &["a"], "t1"),
            routing("support", 0.8501, &["a"], "t1"),
        ),
        // Disagrees on choices: "b" went missing.
        (
            routing("billing", 0.5, &["a", "b"], "t1"),
            routing("billing", 0.5, &["a"], "t1"),
        ),
        (
            routing("billing", 0.5, &["a"], "t1"),
            routing("billing", 0.5, &["a"], "t9"),
        ),
    ];
    for (i, (legacy, new)) in cases.into_iter().enumerate() {
        let got = client
            .shadow("router-v2", &user(&format!("u{i}")))
            .compare(spec())
            .run(|| legacy.clone(), |_ro| Ok::<_, String>(new));
        assert_eq!(got, legacy);
    }
    let report = client.shadow_report("router-v2");
    assert_eq!(report.compared, 4);
    let fields = &report.tally.fields;
    assert_eq!(fields["confidence"].agreed, 3);
    assert_eq!(fields["agent"].ratio(), Some(0.75));
    assert_eq!(fields["choices"].disagreed, 1);
    assert!(
        !fields.contains_key("trace_id"),
        "ignored fields are not tallied"
    );
    assert_eq!((report.tally.cases, report.tally.cases_agreed), (4, 2));
    let paths: Vec<&str> = report.mismatches.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(paths, ["agent", "confidence", "choices"]);
    assert_eq!(
        report.mismatches[0].context,
        [("user_id".to_owned(), "u1".to_owned())]
    );
}

#[test]
fn sampling_is_sticky_and_near_its_share() {
    let (client, _dir) = client();
    let sample = Rollout::from_percent_str("10").unwrap();
    let mut sampled = Vec::new();
    for i in 0..5000 {
        let ctx = user(&format!("user-{i}"));
        let mut ran = false;
        client.shadow("router-v2", &ctx).sample(sample).run(
            || (),
            |_ro| {
                ran = true;
                Ok::<(), String>(())
            },
        );
        sampled.push(ran);
    }
    let share = sampled.iter().filter(|s| **s).count();
    assert!(
        (400..600).contains(&share),
        "{share} of 5000 sampled at 10 %"
    );
    for (i, was) in sampled.iter().enumerate().take(200) {
        let ctx = user(&format!("user-{i}"));
        let mut ran = false;
        client.shadow("router-v2", &ctx).sample(sample).run(
            || (),
            |_ro| {
                ran = true;
                Ok::<(), String>(())
            },
        );
        assert_eq!(ran, *was, "user-{i} is in or out for good");
    }
}

//! The conformance file every SDK checks itself against. `conformance/sdk.json` at the
//! repository root holds flags, contexts and the decisions the Rust SDK makes for them (every
//! reason, stage, scope operator, override expiry and environment override), and comparison
//! specs with shadow runs and the report they produce. This test rebuilds the file with the Rust
//! SDK and fails when the committed one differs (`UPDATE_CONFORMANCE=1` rewrites it); the Python
//! and Node bindings' suites read the same file, so the three can never drift.
//!
//! Context values in the file are JSON strings, numbers or booleans; an SDK hands numbers over in
//! their JSON spelling and booleans as `true`/`false`, as OFREP does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use cutover_core::{EnvOverrides, FlagDocument};
use cutover_sdk::{Client, Context};
use serde_json::{Map, Value, json};

/// Far enough in the past and the future that the real clock of any test run falls between.
const EXPIRED: &str = "2001-01-01T00:00:00Z";
const VALID_UNTIL: &str = "2999-01-01T00:00:00Z";

fn flag(key: &str, fields: Value) -> Value {
    let mut flag = json!({
        "key": key, "enabled": true, "stage": "disabled", "rollout_percent": 0,
        "killed": false, "stickiness": "user_id", "version": 1,
    });
    for (k, v) in fields.as_object().unwrap() {
        flag[k] = v.clone();
    }
    flag
}

fn rule(attribute: &str, value: &str, variant: &str, expires_at: Option<&str>) -> Value {
    let mut o = json!({"attribute": attribute, "value": value, "variant": variant});
    if let Some(at) = expires_at {
        o["expires_at"] = json!(at);
    }
    o
}

/// One flag for every rule of precedence, stage, scope operator and stickiness choice.
fn flags() -> Vec<Value> {
    vec![
        flag("f-disabled", json!({})),
        flag(
            "f-canary",
            json!({"stage": "canary", "rollout_percent": 5, "version": 2}),
        ),
        flag(
            "f-beta",
            json!({"stage": "beta", "rollout_percent": 50, "version": 3}),
        ),
        flag(
            "f-production",
            json!({"stage": "production", "rollout_percent": 100}),
        ),
        flag(
            "f-retired",
            json!({"stage": "legacy_disabled", "rollout_percent": 100}),
        ),
        flag(
            "f-killed",
            json!({"stage": "beta", "rollout_percent": 50, "killed": true}),
        ),
        flag(
            "f-off",
            json!({"stage": "beta", "rollout_percent": 50, "enabled": false}),
        ),
        flag("f-twelve", json!({"rollout_percent": 12.5, "version": 7})),
        flag("f-tiny", json!({"rollout_percent": 0.01})),
        flag("f-almost", json!({"rollout_percent": 99.99})),
        flag(
            "f-override-new",
            json!({"overrides": [
            rule("user_id", "u3", "new", None), rule("session_id", "s6", "new", None)]}),
        ),
        flag(
            "f-override-legacy",
            json!({"stage": "production", "rollout_percent": 100,
            "overrides": [rule("user_id", "u4", "legacy", None), rule("tenant", "acme", "legacy", None)]}),
        ),
        flag(
            "f-override-conflict",
            json!({"stage": "beta", "rollout_percent": 50,
            "overrides": [rule("user_id", "u5", "new", None), rule("tenant", "acme", "legacy", None)]}),
        ),
        flag(
            "f-expiry",
            json!({"overrides": [
            rule("user_id", "u6", "new", Some(EXPIRED)),
            rule("user_id", "u7", "new", Some(VALID_UNTIL))]}),
        ),
        flag(
            "f-scope-in",
            json!({"stage": "beta", "rollout_percent": 50,
            "scope": [{"attribute": "region", "op": "in", "values": ["eu-west", "us-east"]}]}),
        ),
        flag(
            "f-scope-not-in",
            json!({"stage": "beta", "rollout_percent": 50,
            "scope": [{"attribute": "region", "op": "not_in", "values": ["ap-south"]}]}),
        ),
        flag(
            "f-scope-exists",
            json!({"stage": "beta", "rollout_percent": 50,
            "scope": [{"attribute": "tenant", "op": "exists"}]}),
        ),
        flag(
            "f-scope-all",
            json!({"stage": "production", "rollout_percent": 100,
            "scope": [{"attribute": "tenant", "op": "exists"},
                      {"attribute": "region", "op": "in", "values": ["eu-west"]}]}),
        ),
        flag(
            "f-sticky-tenant",
            json!({"stage": "beta", "rollout_percent": 50, "stickiness": "tenant"}),
        ),
        flag(
            "f-salted",
            json!({"stage": "beta", "rollout_percent": 50, "salt": "pepper"}),
        ),
        flag(
            "f-kill-beats-override",
            json!({"stage": "production", "rollout_percent": 100,
            "killed": true, "overrides": [rule("user_id", "u3", "new", None)]}),
        ),
    ]
}

/// Contexts with and without each stickiness attribute (`user_id`, then `session_id`, then
/// `targetingKey`), scope attributes present, absent and as numbers, and the empty context.
fn contexts() -> Vec<Value> {
    let tenants = [json!("acme"), json!("globex"), json!(42), Value::Null];
    let regions = [
        json!("eu-west"),
        json!("us-east"),
        json!("ap-south"),
        Value::Null,
    ];
    let mut all = vec![json!({})];
    for i in 0..99 {
        let mut ctx = Map::new();
        if i % 10 != 9 {
            ctx.insert("user_id".into(), json!(format!("u{i}")));
        }
        if i % 3 == 0 {
            ctx.insert("session_id".into(), json!(format!("s{i}")));
        }
        if i % 7 == 0 {
            ctx.insert("targetingKey".into(), json!(format!("t{i}")));
        }
        if !tenants[i % 4].is_null() {
            ctx.insert("tenant".into(), tenants[i % 4].clone());
        }
        if !regions[(i / 4) % 4].is_null() {
            ctx.insert("region".into(), regions[(i / 4) % 4].clone());
        }
        if i % 5 == 0 {
            ctx.insert("beta_tester".into(), json!(i % 2 == 0));
        }
        all.push(Value::Object(ctx));
    }
    all
}

/// A context as every SDK builds it from the file: numbers in their JSON spelling, booleans as
/// `true`/`false`.
fn context_of(value: &Value) -> Context {
    let mut ctx = Context::new();
    for (k, v) in value.as_object().unwrap() {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => panic!("context value {other} is not a string, number or boolean"),
        };
        ctx.set(k, &text);
    }
    ctx
}

fn offline(dir: &tempfile::TempDir, document: &Value, env: &Value) -> Client {
    let path = dir.path().join("flags.json");
    let doc: FlagDocument = serde_json::from_value(document.clone()).unwrap();
    std::fs::write(&path, serde_json::to_string(&doc).unwrap()).unwrap();
    let vars: Vec<(String, String)> = env
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let env = EnvOverrides::from_vars(vars).unwrap();
    Client::offline_with_env(&path, env).unwrap()
}

fn decision_cases(client: &Client, flags: &[&str], contexts: &[Value]) -> Vec<Value> {
    let mut cases = Vec::new();
    for key in flags {
        for ctx in contexts {
            let decision = client.decide(key, &context_of(ctx));
            cases.push(json!({"flag": key, "context": ctx, "decision": decision}));
        }
    }
    cases
}

fn decision_suites(dir: &tempfile::TempDir) -> Vec<Value> {
    let flags = flags();
    let document = json!({"flags": flags});
    let keys: Vec<&str> = flags.iter().map(|f| f["key"].as_str().unwrap()).collect();
    let contexts = contexts();

    let plain = offline(dir, &document, &json!({}));
    let mut cases = decision_cases(&plain, &keys, &contexts);
    // A flag the client does not know: the caller's default, reason flag_not_found.
    cases.extend(decision_cases(&plain, &["no-such-flag"], &contexts[..3]));

    let env = json!({
        "CUTOVER_FLAG_F_BETA": "true",
        "CUTOVER_FLAG_F_PRODUCTION": "off",
        "CUTOVER_FLAG_F_KILLED": "yes",
        "CUTOVER_FLAG_F_OVERRIDE_NEW": "0",
    });
    let overridden = offline(dir, &document, &env);
    let env_cases = decision_cases(
        &overridden,
        &[
            "f-beta",
            "f-production",
            "f-killed",
            "f-override-new",
            "f-canary",
        ],
        &contexts[..20],
    );
    vec![
        json!({"name": "every rule", "env": {}, "document": document, "cases": cases}),
        json!({"name": "environment overrides", "env": env, "document": document, "cases": env_cases}),
    ]
}

/// Shadow runs under comparison specs, with the report the SDK keeps for each flag.
fn shadow_suites(dir: &tempfile::TempDir) -> Vec<Value> {
    let routing = json!({"fields": {
        "confidence": {"rule": "within", "eps": 0.05},
        "trace_id": {"rule": "ignore"},
        "candidates": {"rule": "unordered"},
    }});
    let decision = |agent: &str, confidence: f64, candidates: &[&str], trace: &str| {
        json!({"selected_agent": agent, "confidence": confidence,
               "candidates": candidates, "trace_id": trace})
    };
    let routing_runs = vec![
        json!({"context": {"user_id": "u1"},
               "legacy": decision("billing", 0.91, &["billing", "api"], "a"),
               "new": {"value": decision("billing", 0.95, &["api", "billing"], "b")}}),
        json!({"context": {"user_id": "u2", "tenant": "acme"},
               "legacy": decision("billing", 0.91, &["billing"], "a"),
               "new": {"value": decision("api", 0.97, &["billing"], "b")}}),
        json!({"context": {"user_id": "u3"},
               "legacy": decision("docs", 0.50, &["docs"], "a"),
               "new": {"value": decision("docs", 0.5600001, &["docs", "api"], "c")}}),
        json!({"context": {"user_id": "u4"},
               "legacy": decision("docs", 0.50, &["docs"], "a"),
               "new": {"error": "the new router timed out upstream"}}),
        json!({"context": {"session_id": "s5"},
               "legacy": {"selected_agent": "docs", "confidence": 1},
               "new": {"value": {"selected_agent": "docs", "confidence": 1.0, "extra": true}}}),
    ];
    let exact_runs = vec![
        json!({"context": {"user_id": "u1"}, "legacy": "ok", "new": {"value": "ok"}}),
        json!({"context": {"user_id": "u2"}, "legacy": [1, 2, 3], "new": {"value": [1, 2]}}),
        json!({"context": {"user_id": "u3"}, "legacy": {"a": {"b": 1}}, "new": {"value": {"a": {"b": 2}}}}),
        json!({"context": {"user_id": "u4"}, "legacy": 1, "new": {"value": 1.0}}),
    ];
    let mut suites = Vec::new();
    for (flag, spec, runs) in [
        ("shadow-routing", routing, routing_runs),
        ("shadow-exact", json!({"fields": {}}), exact_runs),
    ] {
        let client = offline(dir, &json!({"flags": [flag_json(flag)]}), &json!({}));
        let compiled: cutover_core::ComparisonSpec = serde_json::from_value(spec.clone()).unwrap();
        for run in &runs {
            let ctx = context_of(&run["context"]);
            let legacy = run["legacy"].clone();
            let new = run["new"].clone();
            let returned = client.shadow(flag, &ctx).compare(compiled.clone()).run(
                || legacy.clone(),
                |_read_only| match (&new["value"], &new["error"]) {
                    (Value::Null, Value::String(e)) => Err(e.clone()),
                    (value, _) => Ok(value.clone()),
                },
            );
            assert_eq!(returned, legacy, "a shadow run returns the legacy result");
        }
        let report = client.shadow_report(flag);
        suites.push(json!({"flag": flag, "spec": spec, "runs": runs, "report": report}));
    }
    suites
}

fn flag_json(key: &str) -> Value {
    flag(key, json!({"stage": "production", "rollout_percent": 100}))
}

/// The file's text: one case or run per line, so a change shows as a readable diff.
fn render(decisions: &[Value], shadows: &[Value]) -> String {
    let mut out = String::from("{\n\"format\": 1,\n\"decisions\": [\n");
    for (i, suite) in decisions.iter().enumerate() {
        out.push_str(&format!(
            "{{\"name\": {},\n \"env\": {},\n \"document\": {},\n \"cases\": [\n",
            suite["name"], suite["env"], suite["document"]
        ));
        let cases = suite["cases"].as_array().unwrap();
        for (j, case) in cases.iter().enumerate() {
            out.push_str(&format!(
                "  {case}{}\n",
                if j + 1 < cases.len() { "," } else { "" }
            ));
        }
        out.push_str(&format!(
            " ]}}{}\n",
            if i + 1 < decisions.len() { "," } else { "" }
        ));
    }
    out.push_str("],\n\"shadows\": [\n");
    for (i, suite) in shadows.iter().enumerate() {
        out.push_str(&format!(
            "{{\"flag\": {},\n \"spec\": {},\n \"runs\": [\n",
            suite["flag"], suite["spec"]
        ));
        let runs = suite["runs"].as_array().unwrap();
        for (j, run) in runs.iter().enumerate() {
            out.push_str(&format!(
                "  {run}{}\n",
                if j + 1 < runs.len() { "," } else { "" }
            ));
        }
        out.push_str(&format!(
            " ],\n \"report\": {}}}{}\n",
            suite["report"],
            if i + 1 < shadows.len() { "," } else { "" }
        ));
    }
    out.push_str("]\n}\n");
    out
}

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../conformance/sdk.json")
}

#[test]
fn the_conformance_file_is_what_the_rust_sdk_decides() {
    let dir = tempfile::tempdir().unwrap();
    let decisions = decision_suites(&dir);
    let shadows = shadow_suites(&dir);
    let text = render(&decisions, &shadows);
    // The rendering is JSON, and says what the suites hold.
    let parsed: Value = serde_json::from_str(&text).unwrap();
    let cases: usize = parsed["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["cases"].as_array().unwrap().len())
        .sum();
    assert!(cases >= 2000, "only {cases} decision cases");
    let reasons: std::collections::BTreeSet<&str> = parsed["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["cases"].as_array().unwrap())
        .map(|c| c["decision"]["reason"]["kind"].as_str().unwrap())
        .collect();
    let every = [
        "kill_switch",
        "env_override",
        "disabled",
        "legacy_retired",
        "override",
        "out_of_scope",
        "rollout",
        "flag_not_found",
    ];
    assert_eq!(
        reasons,
        every.into_iter().collect(),
        "every reason is covered"
    );

    if std::env::var_os("UPDATE_CONFORMANCE").is_some() {
        std::fs::create_dir_all(path().parent().unwrap()).unwrap();
        std::fs::write(path(), &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path()).unwrap_or_default();
    assert!(
        committed == text,
        "conformance/sdk.json is not what the Rust SDK decides now; if the change is intended, \
         rerun with UPDATE_CONFORMANCE=1 and commit the file (every SDK's suite will check it)"
    );
}

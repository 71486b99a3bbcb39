//! The schemas held to real traffic over every route.

use super::checker::Checker;
use super::*;

#[tokio::test]
async fn the_schemas_hold_real_traffic() {
    use Role::*;
    // Many changes in a row: the per-token limiter is checked on its own below.
    let generous = ServerConfig {
        change_rate_per_second: 10_000,
        change_burst: 10_000,
        ..ServerConfig::default()
    };
    let f = fixture(generous).await;
    // An expired override can only come from the store: the API refuses to add one.
    let mut stale = Flag::new(FlagKey::new("stale").unwrap());
    stale.overrides.push(Override {
        attribute: AttributeName::new("user_id").unwrap(),
        value: "gone".into(),
        variant: Variant::New,
        expires_at: Some(Timestamp::from_second(1_700_000_000).unwrap()),
    });
    f.store.create_flag(stale, &meta()).await.unwrap();
    f.live.catch_up().await.unwrap();
    let doc = the_document(&f.app).await;
    let mut c = Checker {
        f,
        doc,
        failures: Vec::new(),
    };

    c.call(None, "get", "/readyz", None, &[], 200).await;
    c.call(None, "get", "/api/v1/flags", None, &[], 401).await;
    c.fails(Viewer, "get", "/api/v1/tokens", None, 403).await;

    // Flags.
    let full = r#"{"key": "full", "description": "d", "owner": "o", "enabled": true,
        "stage": "canary", "rollout_percent": 12.5, "stickiness": "tenant", "salt": "s",
        "scope": [{"attribute": "tenant", "op": "in", "values": ["acme", "globex"]},
                  {"attribute": "plan", "op": "exists"}],
        "overrides": [{"attribute": "user_id", "value": "u9", "variant": "new",
                       "expires_at": "2999-01-01T00:00:00Z"}]}"#;
    c.ok(Admin, "post", "/api/v1/flags", Some(full)).await;
    c.fails(Admin, "post", "/api/v1/flags", Some(full), 409)
        .await;
    // Another key for the same CUTOVER_FLAG_* variable as an existing flag.
    c.ok(
        Admin,
        "post",
        "/api/v1/flags",
        Some(r#"{"key": "new-path"}"#),
    )
    .await;
    c.fails(
        Admin,
        "post",
        "/api/v1/flags",
        Some(r#"{"key": "new_path"}"#),
        409,
    )
    .await;
    let typo = r#"{"key": "x", "rollout": 5}"#;
    c.fails(Admin, "post", "/api/v1/flags", Some(typo), 422)
        .await;
    c.ok(
        Admin,
        "post",
        "/api/v1/flags",
        Some(r#"{"key": "minimal"}"#),
    )
    .await;
    c.ok(Admin, "get", "/api/v1/flags", None).await;
    c.ok(Admin, "get", "/api/v1/flags/full", None).await;
    c.fails(Admin, "get", "/api/v1/flags/nope", None, 404).await;
    c.fails(Admin, "get", "/api/v1/flags/BAD", None, 422).await;
    let reshape = r#"{"description": "e", "salt": null,
        "scope": [{"attribute": "tenant", "op": "not_in", "values": ["x"]}]}"#;
    c.ok(Admin, "patch", "/api/v1/flags/full", Some(reshape))
        .await;
    c.fails(Admin, "patch", "/api/v1/flags/full", Some("{}"), 400)
        .await;
    let changes = r#"{"changes": [
        {"change": "set_rollout", "rollout_percent": 20}, {"change": "set_enabled", "enabled": true},
        {"change": "add_override", "override": {"attribute": "user_id", "value": "u8", "variant": "legacy"}},
        {"change": "set_salt"}, {"change": "set_owner", "owner": "team"}]}"#;
    let uri = "/api/v1/flags/full/changes";
    c.ok(Admin, "post", uri, Some(changes)).await;
    let stale_version = [("if-match", "\"1\""), ("x-cutover-reason", "test")];
    c.call(Some(Admin), "post", uri, Some(changes), &stale_version, 409)
        .await;
    c.fails(Admin, "post", uri, Some(r#"{"changes": []}"#), 422)
        .await;
    let uri = "/api/v1/flags/full/rollout";
    c.ok(Admin, "put", uri, Some(r#"{"percent": "12.5%"}"#))
        .await;
    c.fails(Admin, "put", uri, Some(r#"{"percent": 100.5}"#), 422)
        .await;
    let stage = r#"{"stage": "beta", "expected_version": null}"#;
    c.ok(Admin, "put", "/api/v1/flags/full/stage", Some(stage))
        .await;
    c.ok(Admin, "post", "/api/v1/flags/full/kill", None).await;
    c.ok(Admin, "delete", "/api/v1/flags/full/kill", None).await;

    // Overrides.
    let uri = "/api/v1/flags/full/overrides";
    c.ok(Admin, "get", uri, None).await;
    let rule = r#"{"attribute": "user_id", "value": "u7", "variant": "new",
        "expires_at": "2999-01-01T00:00:00Z"}"#;
    c.ok(Admin, "post", uri, Some(rule)).await;
    let expired = r#"{"attribute": "user_id", "value": "u6", "variant": "new",
        "expires_at": "2001-01-01T00:00:00Z"}"#;
    c.fails(Admin, "post", uri, Some(expired), 422).await;
    let huge = json!({"attribute": "user_id", "value": "v".repeat(1025), "variant": "new"});
    c.fails(Admin, "post", uri, Some(&huge.to_string()), 422)
        .await;
    let one_rule = format!("{uri}?attribute=user_id&value=u7");
    c.ok(Admin, "delete", &one_rule, None).await;
    c.fails(Admin, "delete", &one_rule, None, 404).await;
    c.fails(Admin, "delete", &format!("{uri}?value=u7"), None, 422)
        .await;
    c.ok(Admin, "delete", &format!("{uri}?all=true"), None)
        .await;
    let swept = c.ok(Admin, "post", "/api/v1/overrides/sweep", None).await;
    assert_eq!(swept[0]["value"]["key"], "stale", "{swept}");

    // Presets.
    c.ok(Admin, "get", "/api/v1/presets", None).await;
    let preset = r#"{"name": "phase-2", "description": "p", "entries": [
        {"flag": "checkout", "enabled": true, "stage": "beta", "rollout_percent": 40,
         "killed": false}]}"#;
    c.ok(Admin, "put", "/api/v1/presets/phase-2", Some(preset))
        .await;
    c.fails(Admin, "put", "/api/v1/presets/phase-3", Some(preset), 422)
        .await;
    c.ok(Admin, "post", "/api/v1/presets/phase-2/apply", None)
        .await;
    c.ok(Admin, "delete", "/api/v1/presets/phase-2", None).await;
    c.fails(Admin, "delete", "/api/v1/presets/phase-2", None, 404)
        .await;
    c.fails(Admin, "delete", "/api/v1/flags/checkout", None, 409)
        .await;
    c.ok(Admin, "delete", "/api/v1/flags/minimal", None).await;

    // Audit.
    let entries = c
        .ok(Admin, "get", "/api/v1/audit?order=newest&limit=50", None)
        .await;
    assert!(entries.as_array().unwrap().len() > 10, "{entries}");
    c.fails(Admin, "get", "/api/v1/audit?order=sideways", None, 422)
        .await;
    c.fails(Admin, "get", "/api/v1/audit?limit=many", None, 400)
        .await;
    c.fails(Admin, "get", "/api/v1/audit?limit=501", None, 422)
        .await;
    // A page that is not the last links to the next one, with the header the document names.
    let paged =
        c.f.call(
            "GET",
            "/api/v1/audit?limit=2&order=newest",
            Some(Admin),
            None,
        )
        .await;
    let link = paged.headers["link"].to_str().unwrap().to_owned();
    assert!(link.ends_with("; rel=\"next\""), "{link}");
    let documented = &c.doc["paths"]["/api/v1/audit"]["get"]["responses"]["200"]["headers"];
    assert!(documented.get("Link").is_some(), "{documented}");
    let next = link
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned();
    c.ok(Admin, "get", &next, None).await;
    c.ok(Admin, "get", "/api/v1/audit/verify", None).await;
    let exported =
        c.f.call("GET", "/api/v1/audit/export", Some(Admin), None)
            .await;
    assert_eq!(exported.status, 200);
    assert!(exported.text.lines().count() > 10);
    for line in exported.text.lines() {
        c.holds("AuditEntry", &serde_json::from_str(line).unwrap(), true);
    }

    // The whole document, out and back in.
    let document = c.ok(Admin, "get", "/api/v1/export", None).await;
    let body = document.to_string();
    c.ok(Admin, "post", "/api/v1/import", Some(&body)).await;
    let dangling =
        r#"{"presets": [{"name": "p", "entries": [{"flag": "checkout", "killed": true}]}]}"#;
    c.fails(
        Admin,
        "post",
        "/api/v1/import?prune=true",
        Some(dangling),
        422,
    )
    .await;

    // Tokens.
    c.ok(Admin, "get", "/api/v1/tokens", None).await;
    let ci = r#"{"name": "ci", "role": "viewer"}"#;
    c.ok(Admin, "post", "/api/v1/tokens", Some(ci)).await;
    c.fails(Admin, "post", "/api/v1/tokens", Some(ci), 409)
        .await;
    let boss = r#"{"name": "ci2", "role": "boss"}"#;
    c.fails(Admin, "post", "/api/v1/tokens", Some(boss), 422)
        .await;
    c.ok(Admin, "delete", "/api/v1/tokens/ci", None).await;
    c.fails(Admin, "delete", "/api/v1/tokens/ci", None, 404)
        .await;
    c.fails(Admin, "delete", "/api/v1/tokens/admin", None, 409)
        .await;
    let reserved = r#"{"name": "guard", "role": "viewer"}"#;
    c.fails(Admin, "post", "/api/v1/tokens", Some(reserved), 422)
        .await;

    // What SDKs send, and what is read from it.
    let now = Timestamp::now();
    let batch = json!({
        "window_start": now.checked_sub(jiff::SignedDuration::from_secs(5)).unwrap(),
        "window_end": now,
        "arms": [{"flag": "checkout", "arm": "new", "calls": 3, "errors": 1, "fallbacks": 0,
                  "retries": 1, "latency": {"buckets": [[40, 2], [41, 1]]}}],
        "shadows": [{"flag": "checkout", "runs": 3, "compared": 3, "new_errors": 0,
                     "new_panics": 0, "timeouts": 0,
                     "tally": {"fields": {"total": {"compared": 3, "agreed": 2, "disagreed": 1,
                                                     "missing": 0, "extra": 0}},
                               "cases": 3, "cases_agreed": 2},
                     "mismatches": [{"path": "total", "legacy": 1, "new": 2,
                                     "context": [["user_id", "u1"]]}],
                     "mismatches_dropped": 0}],
    })
    .to_string();
    c.ok(Sdk, "post", "/api/v1/metrics", Some(&batch)).await;
    let figures = c
        .ok(Admin, "get", "/api/v1/flags/checkout/metrics", None)
        .await;
    assert_eq!(figures["new"]["calls"], 3, "{figures}");
    let uri = "/api/v1/flags/checkout/metrics?since=yesterday";
    c.fails(Admin, "get", uri, None, 422).await;
    c.fails(Admin, "get", "/api/v1/flags/nope/metrics", None, 404)
        .await;
    c.fails(Admin, "get", "/api/v1/flags/nope/shadow", None, 404)
        .await;
    let untrue = json!({"window_start": now, "window_end": now,
        "arms": [{"flag": "checkout", "arm": "new", "calls": 1, "errors": 2, "fallbacks": 0,
                  "retries": 0, "latency": {"buckets": [[40, 1]]}}]})
    .to_string();
    c.fails(Sdk, "post", "/api/v1/metrics", Some(&untrue), 422)
        .await;
    let unknown = json!({"window_start": now, "window_end": now,
        "arms": [{"flag": "later", "arm": "new", "calls": 1, "errors": 0, "fallbacks": 0,
                  "retries": 0, "latency": {"buckets": [[40, 1]]}}]})
    .to_string();
    let kept = c.ok(Sdk, "post", "/api/v1/metrics", Some(&unknown)).await;
    assert_eq!(kept["ignored"]["unknown_flags"][0], "later", "{kept}");
    let shadow = c
        .ok(Admin, "get", "/api/v1/flags/checkout/shadow", None)
        .await;
    assert_eq!(shadow["fields"]["total"]["agreed"], 2, "{shadow}");

    // OFREP.
    let context = r#"{"context": {"targetingKey": "u1", "user_id": "u1", "n": 3}}"#;
    c.ok(
        Sdk,
        "post",
        "/ofrep/v1/evaluate/flags/checkout",
        Some(context),
    )
    .await;
    c.ok(Sdk, "post", "/ofrep/v1/evaluate/flags/full", Some(context))
        .await;
    let uri = "/ofrep/v1/evaluate/flags/nope";
    c.fails(Sdk, "post", uri, Some(context), 404).await;
    let uri = "/ofrep/v1/evaluate/flags/checkout";
    c.fails(Sdk, "post", uri, Some("nope"), 400).await;
    c.ok(Sdk, "post", "/ofrep/v1/evaluate/flags", Some(context))
        .await;
    // OFREP makes the context optional.
    c.ok(Sdk, "post", "/ofrep/v1/evaluate/flags", Some("{}"))
        .await;

    // The change stream's first event.
    let request = Request::builder()
        .uri("/api/v1/stream")
        .header("authorization", format!("Bearer {}", secret(Sdk)))
        .body(Body::empty())
        .unwrap();
    let response = c.f.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let event = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    let data = event
        .lines()
        .find_map(|l| l.strip_prefix("data:"))
        .unwrap_or_else(|| panic!("no data in {event:?}"));
    let snapshot = serde_json::from_str(data.trim()).unwrap();
    c.holds("StreamSnapshot", &snapshot, true);
    // A preset of two flags arrives as one `changes` event.
    let both = r#"{"name": "both", "entries": [{"flag": "checkout", "stage": "beta"}, {"flag": "other", "killed": true}]}"#;
    assert_eq!(
        c.f.call("PUT", "/api/v1/presets/both", Some(Admin), Some(both))
            .await
            .status,
        200
    );
    assert_eq!(
        c.f.call("POST", "/api/v1/presets/both/apply", Some(Admin), None)
            .await
            .status,
        200
    );
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let event = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    assert!(event.contains("event: changes"), "{event}");
    let data = event
        .lines()
        .find_map(|l| l.strip_prefix("data:"))
        .unwrap_or_else(|| panic!("no data in {event:?}"));
    let changes = serde_json::from_str(data.trim()).unwrap();
    c.holds("StreamChanges", &changes, true);

    // Closed shapes refuse what serde refuses: a misspelt field, a change without its tag.
    c.holds("Flag", &json!({"key": "a", "rollout": 5}), false);
    c.holds("Flag", &json!({"key": "A"}), false);
    let typo = json!({"change": "set_rollout", "rollout": 5});
    c.holds("FlagChange", &typo, false);
    c.holds("FlagChange", &json!({"rollout_percent": 5}), false);
    c.holds("FlagChange", &json!({"change": "kill"}), true);
    let replace = json!({"change": "replace", "flag": {"key": "full"}});
    c.holds("FlagChange", &replace, true);
    let listless = json!({"attribute": "tenant", "op": "in"});
    c.holds("Constraint", &listless, false);
    c.holds("PresetEntry", &json!({"flag": "checkout"}), false);
    c.holds("UpdateRequest", &json!({"expected_version": 3}), false);
    c.holds(
        "RolloutRequest",
        &json!({"percent": 5, "expected": 3}),
        false,
    );

    // The change limiter's answer.
    let tight = ServerConfig {
        change_rate_per_second: 1,
        change_burst: 1,
        ..ServerConfig::default()
    };
    let mut limited = Checker {
        f: fixture(tight).await,
        doc: c.doc.clone(),
        failures: Vec::new(),
    };
    // The kill switch is never refused for want of budget (it is a retreat); lifting it is.
    limited
        .ok(Operator, "post", "/api/v1/flags/checkout/kill", None)
        .await;
    limited
        .fails(Operator, "delete", "/api/v1/flags/checkout/kill", None, 429)
        .await;
    c.failures.append(&mut limited.failures);

    assert!(c.failures.is_empty(), "{}", c.failures.join("\n"));
}

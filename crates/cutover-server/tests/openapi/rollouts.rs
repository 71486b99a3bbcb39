//! The verify report and guarded rollouts held to the document.

use super::checker::Checker;
use super::*;

/// Every shape `GET /api/v1/audit/verify` can answer with: an anchor held and lost, rows edited
/// behind the server's back (with the sqlite3 shell), and each finding, anchor and seal outcome
/// as serde writes it.
#[tokio::test]
async fn the_verify_report_holds_to_the_document() {
    use Role::*;
    use cutover_core::{AnchorOutcome, FieldDiff, SealGap, SealOutcome, StateFinding};
    let f = fixture(ServerConfig::default()).await;
    let doc = the_document(&f.app).await;
    let mut c = Checker {
        f,
        doc,
        failures: Vec::new(),
    };
    let clean = c.ok(Viewer, "get", "/api/v1/audit/verify", None).await;
    let head = format!(
        "{}:{}",
        clean["head_id"],
        clean["head_hash"].as_str().unwrap()
    );
    let uri = format!("/api/v1/audit/verify?expect_head={head}");
    c.ok(Viewer, "get", &uri, None).await;
    let uri = format!("/api/v1/audit/verify?expect_head={}", "ab".repeat(32));
    c.ok(Viewer, "get", &uri, None).await;
    let uri = "/api/v1/audit/verify?expect_head=12:nothex";
    c.fails(Viewer, "get", uri, None, 422).await;
    c.fails(Viewer, "get", "/api/v1/audit/verify?expected=1", None, 400)
        .await;

    let edited = std::process::Command::new("sqlite3")
        .arg(c.f.db_path())
        .arg(
            "UPDATE flags SET rollout_bps = 10000 WHERE key = 'other'; \
             INSERT INTO tokens (name, role, hash, created_at, created_by) \
             VALUES ('backup', 'admin', printf('%064d', 7), 0, 'mallory')",
        )
        .status()
        .expect("the sqlite3 shell is needed by this test (Debian package sqlite3)");
    assert!(edited.success());
    let tampered = c.ok(Viewer, "get", "/api/v1/audit/verify", None).await;
    assert_eq!(tampered["intact"], false, "{tampered}");

    let diff = || {
        vec![FieldDiff {
            field: "rollout_percent".into(),
            expected: json!(5),
            found: json!(100),
        }]
    };
    let entity = || "flag:checkout".to_owned();
    let findings = [
        StateFinding::RowDiffers {
            entity: entity(),
            entry: 3,
            fields: diff(),
        },
        StateFinding::RowMissing {
            entity: entity(),
            entry: 3,
        },
        StateFinding::RowUnlogged {
            entity: entity(),
            entry: None,
        },
        StateFinding::RowUnlogged {
            entity: entity(),
            entry: Some(4),
        },
        StateFinding::ChangedOutsideLog {
            entity: entity(),
            entry: 5,
            previous: Some(3),
            fields: diff(),
            accepted_by: Some(9),
        },
        StateFinding::Unreadable {
            entity: entity(),
            entry: 5,
            why: "unknown field".into(),
        },
    ];
    for finding in findings {
        c.holds(
            "StateFinding",
            &serde_json::to_value(finding).unwrap(),
            true,
        );
    }
    let anchors = [
        AnchorOutcome::Held { id: 3 },
        AnchorOutcome::Rewritten {
            id: 3,
            hash: "ab".repeat(32),
        },
        AnchorOutcome::RolledBack { id: 3, last_id: 2 },
        AnchorOutcome::NotOnChain { last_id: 2 },
    ];
    for anchor in anchors {
        c.holds(
            "AnchorOutcome",
            &serde_json::to_value(anchor).unwrap(),
            true,
        );
    }
    let gap = SealGap { from: 1, to: 2 };
    let seals = [
        SealOutcome::NotChecked { sealed: true },
        SealOutcome::Valid { id: 3 },
        SealOutcome::Missing { head_id: 3 },
        SealOutcome::Wrong { id: 3 },
        SealOutcome::Stale { id: 2, head_id: 3 },
        SealOutcome::Gap { id: 3, gap },
    ];
    for seal in seals {
        c.holds("SealOutcome", &serde_json::to_value(seal).unwrap(), true);
    }
    c.holds("SealOutcome", &json!({"seal": "valid"}), false);
    assert!(c.failures.is_empty(), "{}", c.failures.join("\n"));
}

#[tokio::test]
async fn guarded_rollouts_hold_to_the_document() {
    use Role::*;
    let generous = ServerConfig {
        change_rate_per_second: 10_000,
        change_burst: 10_000,
        ..ServerConfig::default()
    };
    let f = fixture(generous).await;
    let doc = the_document(&f.app).await;
    let mut c = Checker {
        f,
        doc,
        failures: Vec::new(),
    };

    // Plans: the object with every field, the shorthand alone or as the steps; always written
    // as the object, steps listed, bakes in seconds.
    c.ok(
        Admin,
        "post",
        "/api/v1/flags",
        Some(r#"{"key": "guarded"}"#),
    )
    .await;
    let uri = "/api/v1/flags/guarded/plan";
    let full = r#"{"plan": {"steps": [{"percent": 5, "bake": "10m", "min_samples": 50},
        {"percent": 50, "bake": 600}, {"percent": 100, "bake": "1h"}],
        "gates": ["new.error_rate <= legacy.error_rate * 1.5", "new.p95 <= 100ms", "golden"],
        "on_breach": "step_down", "on_inconclusive": "extend_then_rollback",
        "max_extensions": 1}}"#;
    let flag = c.ok(Operator, "put", uri, Some(full)).await;
    assert_eq!(flag["plan"]["steps"][0]["bake"], 600, "{flag}");
    let shorthand = r#"{"plan": "5,25,50,100 every 10m"}"#;
    let flag = c.ok(Operator, "put", uri, Some(shorthand)).await;
    assert_eq!(flag["plan"]["steps"][3]["percent"], 100, "{flag}");
    // An empty request must not remove a plan by accident; `"plan": null` does.
    c.fails(Operator, "put", uri, Some("{}"), 422).await;
    let removed = c.ok(Operator, "put", uri, Some(r#"{"plan": null}"#)).await;
    assert!(removed.get("plan").is_none(), "{removed}");
    let version = removed["version"].as_u64().unwrap();
    let steps = format!(
        r#"{{"plan": {{"steps": "5,25,50,100 every 10m",
            "gates": ["new.error_rate <= legacy.error_rate", "agreement(total) >= 0.9"]}},
            "expected_version": {version}}}"#
    );
    c.ok(Operator, "put", uri, Some(&steps)).await;
    c.fails(Operator, "put", uri, Some(&steps), 409).await;
    let unended = r#"{"plan": "5,25,50 every 10m"}"#;
    c.fails(Operator, "put", uri, Some(unended), 422).await;
    let typo = r#"{"plan": {"steps": "5,100 every 1h", "on_breech": "rollback"}}"#;
    c.fails(Operator, "put", uri, Some(typo), 422).await;
    c.fails(Viewer, "put", uri, Some(shorthand), 403).await;

    // A rollout, moved by hand through every state.
    let moves = "/api/v1/flags/guarded/rollout";
    let started = c
        .ok(Operator, "post", &format!("{moves}/start"), None)
        .await;
    assert_eq!(started["run"]["status"], "running", "{started}");
    assert_eq!(started["rollout_percent"], 5, "{started}");
    let status = c.ok(Viewer, "get", moves, None).await;
    assert_eq!(status["look"]["decision"]["action"], "hold", "{status}");
    assert_eq!(
        status["look"]["assessment"]["gates"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{status}"
    );
    let paused = c
        .ok(Operator, "post", &format!("{moves}/pause"), Some("{}"))
        .await;
    assert_eq!(paused["run"]["status"], "paused", "{paused}");
    let again = c
        .call(
            Some(Operator),
            "post",
            &format!("{moves}/pause"),
            None,
            &[],
            409,
        )
        .await;
    assert_eq!(again["error"], "rollout_state", "{again}");
    let paused_status = c.ok(Operator, "get", moves, None).await;
    assert_eq!(paused_status["run"]["reason"], "paused by hand");
    // The move's answer is a flag change's: the flag, its version and the audit entry.
    let resumed =
        c.f.call_with(
            "POST",
            &format!("{moves}/resume"),
            Some(Operator),
            None,
            &[("x-cutover-reason", "figures look fine")],
        )
        .await;
    assert_eq!(resumed.status, 200, "{}", resumed.text);
    assert!(resumed.headers.contains_key("etag"));
    assert!(resumed.headers.contains_key("x-cutover-audit-id"));
    c.holds("Flag", &resumed.body, true);
    let promoted = c
        .ok(Operator, "post", &format!("{moves}/promote"), None)
        .await;
    assert_eq!(promoted["rollout_percent"], 25, "{promoted}");
    assert_eq!(promoted["run"]["step"], 1, "{promoted}");
    // Moves and plans that do not fit.
    c.fails(Operator, "post", &format!("{moves}/start"), None, 409)
        .await;
    c.fails(Operator, "put", uri, Some(r#"{"plan": null}"#), 409)
        .await;
    c.fails(
        Operator,
        "put",
        uri,
        Some(r#"{"plan": "100 every 1m"}"#),
        409,
    )
    .await;
    let with_plan = r#"{"plan": "5,100 every 1m"}"#;
    c.fails(
        Operator,
        "post",
        &format!("{moves}/pause"),
        Some(with_plan),
        422,
    )
    .await;
    c.fails(Operator, "post", &format!("{moves}/sideways"), None, 404)
        .await;
    c.fails(
        Operator,
        "post",
        &format!("{moves}/pause"),
        Some("[1]"),
        422,
    )
    .await;
    // JSON that does not parse at all is still a 400.
    c.fails(
        Operator,
        "post",
        &format!("{moves}/pause"),
        Some("{\"full\": tru"),
        400,
    )
    .await;
    c.fails(
        Operator,
        "post",
        "/api/v1/flags/nope/rollout/pause",
        None,
        404,
    )
    .await;
    c.fails(Viewer, "post", &format!("{moves}/abort"), None, 403)
        .await;
    let replaced = r#"{"flags": [{"key": "guarded"}]}"#;
    c.fails(Admin, "post", "/api/v1/import", Some(replaced), 409)
        .await;
    let aborted = c
        .ok(Operator, "post", &format!("{moves}/abort"), None)
        .await;
    assert_eq!(aborted["run"]["status"], "aborted", "{aborted}");
    assert_eq!(aborted["rollout_percent"], 0, "{aborted}");
    c.fails(Operator, "post", &format!("{moves}/abort"), None, 409)
        .await;
    c.ok(Viewer, "get", moves, None).await;
    // Over: a new one may start, with a plan of its own, and go straight to 100 %.
    let restart = r#"{"plan": {"steps": [{"percent": 10, "bake": 60}, {"percent": 100, "bake": 60}]},
        "expected_version": null}"#;
    c.ok(Operator, "post", &format!("{moves}/start"), Some(restart))
        .await;
    let done = c
        .ok(
            Operator,
            "post",
            &format!("{moves}/promote"),
            Some(r#"{"full": true}"#),
        )
        .await;
    assert_eq!(done["run"]["status"], "completed", "{done}");
    assert_eq!(done["rollout_percent"], 100, "{done}");

    // The same through the generic change endpoint.
    let changes = "/api/v1/flags/guarded/changes";
    let golden = r#"{"changes": [
        {"change": "record_golden", "result": {"passed": true, "at": "2030-01-01T00:00:00Z",
            "corpus": "examples/golden", "cases": 40, "failed": 0}},
        {"change": "set_plan", "plan": "20,100 every 30s"}]}"#;
    let flag = c.ok(Operator, "post", changes, Some(golden)).await;
    // The older record_golden is kept as the named verdict `golden`, stamped by the node.
    let kept = &flag["verdicts"]["golden"];
    assert_eq!(kept["golden"]["cases"], 40, "{flag}");
    assert_eq!(
        (&kept["source"], &kept["by"]),
        (&json!("golden"), &json!("operator")),
        "{flag}"
    );
    let verdict = r#"{"changes": [{"change": "record_verdict", "name": "load-test",
        "verdict": {"passed": false, "source": "recorded", "at": "2030-01-01T00:00:00Z",
                    "by": "forged", "url": "https://ci.example/9"}}]}"#;
    let flag = c.ok(Operator, "post", changes, Some(verdict)).await;
    assert_eq!(flag["verdicts"]["load-test"]["by"], "operator", "{flag}");
    assert_ne!(
        flag["verdicts"]["load-test"]["at"], "2030-01-01T00:00:00Z",
        "{flag}"
    );
    let start = r#"{"changes": [{"change": "rollout_move", "move": "start"}]}"#;
    c.ok(Operator, "post", changes, Some(start)).await;
    c.fails(Operator, "post", changes, Some(start), 409).await;
    let forged = json!({"changes": [{"change": "guard_action", "step": 0, "reason": "trust me",
        "decision": {"action": "advance", "to": 100}}]});
    c.holds("ChangesRequest", &forged, true);
    let forged = forged.to_string();
    c.fails(Admin, "post", changes, Some(&forged), 422).await;
    let promote_full = r#"{"changes": [{"change": "rollout_move", "move": "promote_full"}]}"#;
    c.ok(Operator, "post", changes, Some(promote_full)).await;
    c.ok(Viewer, "get", "/api/v1/flags/guarded", None).await;
    c.ok(Viewer, "get", "/api/v1/export", None).await;

    // The guard's history, with a look that had numbers.
    let counts = |calls: u64, errors: u64, micros: u64| ArmCounts {
        calls,
        errors,
        latency: LatencySketch::from_counts([(latency_bucket(micros), calls)]),
        ..ArmCounts::default()
    };
    let gates: Vec<GateExpr> = [
        "new.error_rate <= legacy.error_rate",
        "new.p95 <= 100ms",
        "agreement(total) >= 0.8",
        "golden",
        "warning: new.error_rate <= 0.1%",
    ]
    .iter()
    .map(|g| GateExpr::new(g).unwrap())
    .collect();
    let figures = [StepFigures {
        legacy: counts(400, 4, 20_000),
        new: counts(300, 12, 30_000),
        ..StepFigures::default()
    }];
    let verdicts = cutover_core::Verdicts::from([(
        cutover_core::VerdictName::golden(),
        cutover_core::Verdict::from_golden(cutover_core::guard::GoldenResult {
            passed: true,
            at: Timestamp::now(),
            corpus: "corpus".into(),
            cases: 1,
            failed: 0,
            summary: String::new(),
        }),
    )]);
    let judging = Judging {
        min_samples: 200,
        full_exposure: false,
        alpha: 0.01,
        verdicts: &verdicts,
        now: Timestamp::now(),
        baseline: None,
    };
    let record = GuardRecord {
        flag: FlagKey::new("guarded").unwrap(),
        at: Timestamp::now(),
        step: 1,
        rollout: Rollout::from_bps(2500).unwrap(),
        action: "step_down".into(),
        assessment: assess(&gates, &figures, judging),
    };
    c.f.store.add_guard_record(&record).await.unwrap();
    let history = "/api/v1/flags/guarded/rollout/history";
    let records = c.ok(Viewer, "get", history, None).await;
    assert_eq!(records.as_array().unwrap().len(), 1, "{records}");
    assert_eq!(records[0]["assessment"]["gates"][1]["unit"], "microseconds");
    assert_eq!(records[0]["assessment"]["gates"][1]["severity"], "critical");
    assert_eq!(records[0]["assessment"]["gates"][4]["severity"], "warning");
    assert_eq!(records[0]["assessment"]["gates"][4]["verdict"], "fail");
    c.ok(Viewer, "get", &format!("{history}?limit=10000"), None)
        .await;
    c.fails(Viewer, "get", &format!("{history}?limit=0"), None, 422)
        .await;
    c.fails(Viewer, "get", &format!("{history}?limit=many"), None, 400)
        .await;
    c.fails(
        Viewer,
        "get",
        "/api/v1/flags/nope/rollout/history",
        None,
        404,
    )
    .await;
    c.fails(Viewer, "get", "/api/v1/flags/nope/rollout", None, 404)
        .await;
    c.fails(Sdk, "get", history, None, 403).await;
    let unplanned = c
        .ok(Viewer, "get", "/api/v1/flags/other/rollout", None)
        .await;
    assert!(unplanned["look"].is_null(), "{unplanned}");

    // Closed shapes refuse what serde refuses.
    c.holds("RolloutPlan", &json!("5,25,50,100 every 10m"), true);
    c.holds("RolloutPlan", &json!({"steps": []}), false);
    c.holds(
        "RolloutPlan",
        &json!({"steps": "5,100 every 1h", "gate": []}),
        false,
    );
    c.holds("Step", &json!({"percent": 5, "bake": "10 minutes"}), false);
    c.holds("Step", &json!({"percent": 5}), false);
    c.holds("MoveRequest", &json!({}), true);
    c.holds("MoveRequest", &json!({"full": "yes"}), false);
    c.holds("PlanRequest", &json!({"plan": null, "expected": 3}), false);
    c.holds("Action", &json!({"action": "step_down", "to": 5}), true);
    c.holds("Action", &json!({"action": "advance"}), false);
    c.holds(
        "FlagChange",
        &json!({"change": "rollout_move", "move": "skip"}),
        false,
    );
    c.holds("FlagChange", &json!({"change": "set_plan"}), true);

    assert!(c.failures.is_empty(), "{}", c.failures.join("\n"));
}

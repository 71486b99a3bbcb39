//! The client against a real server (`cutover_server::Server` on a temporary SQLite store),
//! side by side with the store-backed layer on the same store: every use case answers the same
//! through HTTP as in-process, refusals included (kind, code and message).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use cutover_api::{
    AuditQuery, Control, ControlError, ErrorKind, ImportOptions, MetricsSpan, NewToken,
};
use cutover_client::{AdminClient, FlagUpdate};
use cutover_core::guard::RunMove;
use cutover_core::{
    AttributeName, Flag, FlagChange, Override, Preset, Role, Rollout, Stage, Timestamp, TokenName,
    Variant,
};
use cutover_server::ServerConfig;

mod common;

use common::{SECRET, key, meta, node};

/// The parts of an error a caller sees: whose fault, the code, the message (up to an instant
/// the two sides read from their own clocks).
fn seen(e: &ControlError) -> (ErrorKind, String, String) {
    let message = e.message.split(" is not after its creation").next();
    (
        e.kind,
        e.code.to_string(),
        message.unwrap_or_default().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_overrides_and_presets_round_trip() {
    let n = node(ServerConfig::default()).await;
    let c = &n.client;
    let m = meta();
    let created = c.create_flag(Flag::new(key("checkout")), &m).await.unwrap();
    assert_eq!(created.value.version, 1);
    assert!(created.audit_id.is_some());
    assert_eq!(c.flags().await.unwrap(), n.local.flags().await.unwrap());
    let rolled = c
        .set_rollout(
            &key("checkout"),
            Rollout::from_percent_str("12.5").unwrap(),
            Some(1),
            &m,
        )
        .await
        .unwrap();
    assert_eq!(rolled.value.rollout.to_string(), "12.5%");
    let staged = c
        .set_stage(&key("checkout"), Stage::Canary, None, &m)
        .await
        .unwrap();
    assert_eq!(staged.value.stage, Stage::Canary);
    let update = FlagUpdate {
        owner: Some("payments".into()),
        ..FlagUpdate::default()
    };
    let updated = c.update_flag(&key("checkout"), &update, &m).await.unwrap();
    assert_eq!(updated.value.owner, "payments");
    assert!(c.kill(&key("checkout"), &m).await.unwrap().value.killed);
    assert!(!c.unkill(&key("checkout"), &m).await.unwrap().value.killed);
    let same = c
        .change_flag(&key("checkout"), None, &[FlagChange::Unkill], &m)
        .await
        .unwrap();
    assert_eq!(
        same.audit_id, None,
        "a change that alters nothing writes nothing"
    );

    let rule = Override {
        attribute: AttributeName::new("user_id").unwrap(),
        value: "u1".into(),
        variant: Variant::New,
        expires_at: None,
    };
    c.add_override(&key("checkout"), &rule, &m).await.unwrap();
    assert_eq!(
        c.overrides(&key("checkout")).await.unwrap(),
        vec![rule.clone()]
    );
    c.remove_override(&key("checkout"), &rule.attribute, "u1", &m)
        .await
        .unwrap();
    c.add_override(&key("checkout"), &rule, &m).await.unwrap();
    let cleared = c.clear_overrides(&key("checkout"), &m).await.unwrap();
    assert!(cleared.value.overrides.is_empty());
    assert!(c.sweep_expired_overrides(&m).await.unwrap().is_empty());

    let preset: Preset = serde_json::from_str(
        r#"{"name": "phase-1", "entries": [{"flag": "checkout", "stage": "production"}]}"#,
    )
    .unwrap();
    c.define_preset(preset, &m).await.unwrap();
    assert_eq!(c.presets().await.unwrap(), n.local.presets().await.unwrap());
    let applied = c.apply_preset(&key("phase-1"), &m).await.unwrap();
    assert_eq!(applied[0].value.stage, Stage::Production);
    c.delete_preset(&key("phase-1"), &m).await.unwrap();

    let doc = c.export().await.unwrap();
    assert_eq!(doc, n.local.export().await.unwrap());
    let dry = ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    };
    let report = c.import(&doc, dry, &m).await.unwrap();
    assert!(report.dry_run);
    assert_eq!(report.unchanged, vec!["checkout".to_owned()]);

    let deleted = c.delete_flag(&key("checkout"), None, &m).await.unwrap();
    assert_eq!(deleted.value.key, key("checkout"));
    assert!(c.flags().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollouts_tokens_metrics_and_the_audit_log_round_trip() {
    let n = node(ServerConfig::default()).await;
    let c = &n.client;
    let m = meta();
    c.create_flag(Flag::new(key("checkout")), &m).await.unwrap();
    let plan = cutover_core::guard::RolloutPlan::parse_shorthand("5,50,100 every 10m").unwrap();
    c.set_plan(&key("checkout"), Some(&plan), None, &m)
        .await
        .unwrap();
    for movement in [
        RunMove::Start,
        RunMove::Pause,
        RunMove::Resume,
        RunMove::Promote,
        RunMove::PromoteFull,
    ] {
        c.move_rollout(&key("checkout"), movement, None, None, &m)
            .await
            .unwrap_or_else(|e| panic!("{movement:?}: {e}"));
    }
    let status = c.rollout_status(&key("checkout")).await.unwrap();
    let here = n.local.rollout_status(&key("checkout")).await.unwrap();
    assert_eq!(
        (status.version, status.run.clone()),
        (here.version, here.run.clone())
    );
    assert!(
        c.guard_history(&key("checkout"), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let now = Timestamp::now();
    let batch: cutover_core::MetricsBatch = serde_json::from_value(serde_json::json!({
        "window_start": now, "window_end": now,
        "arms": [{"flag": "checkout", "arm": "new", "calls": 10, "errors": 1, "fallbacks": 0,
                  "retries": 0, "latency": {"buckets": [[40, 10]]}},
                 {"flag": "gone", "arm": "new", "calls": 1, "errors": 0, "fallbacks": 0,
                  "retries": 0, "latency": {"buckets": [[40, 1]]}}]}))
    .unwrap();
    let uploaded = c.upload_metrics(batch).await.unwrap();
    assert_eq!((uploaded.arms, uploaded.ignored.arms), (1, 1));
    let figures = c
        .arm_metrics(&key("checkout"), MetricsSpan::default())
        .await
        .unwrap();
    assert_eq!((figures.new.calls, figures.new.errors), (10, 1));
    let shadow = c
        .shadow_report(&key("checkout"), MetricsSpan::default())
        .await
        .unwrap();
    assert!(shadow.fields.is_empty());

    let new = NewToken {
        name: TokenName::new("ci").unwrap(),
        role: Role::Sdk,
        expires_at: None,
    };
    let created = c.create_token(new, &m).await.unwrap();
    assert!(created.value.token.starts_with("cut_"));
    assert!(created.audit_id.is_some());
    // As they are shown (a token's hash is never serialised).
    let shown = |t: Vec<cutover_api::TokenRecord>| serde_json::to_value(t).unwrap();
    assert_eq!(
        shown(c.tokens().await.unwrap()),
        shown(n.local.tokens().await.unwrap())
    );
    c.revoke_token(&TokenName::new("ci").unwrap(), &m)
        .await
        .unwrap();

    // More entries than a page holds, read both ways.
    for i in 0..40 {
        c.change_flag(
            &key("checkout"),
            None,
            &[FlagChange::SetDescription {
                description: format!("d{i}"),
            }],
            &m,
        )
        .await
        .unwrap();
    }
    for q in [
        AuditQuery::default(),
        AuditQuery {
            limit: Some(25),
            newest_first: true,
            ..AuditQuery::default()
        },
        AuditQuery {
            action: Some("flag.*".into()),
            flag: Some(key("checkout")),
            ..AuditQuery::default()
        },
    ] {
        let there = c.audit(&q).await.unwrap();
        assert_eq!(there, n.local.audit(&q).await.unwrap(), "{q:?}");
        let page = c
            .audit_page(&AuditQuery {
                limit: Some(10),
                ..q.clone()
            })
            .await
            .unwrap();
        assert_eq!(page.entries.len(), 10);
        assert!(page.more);
    }
    let mut exported = Vec::new();
    let count = c
        .audit_export(&AuditQuery::default(), |e| exported.push(e))
        .await
        .unwrap();
    assert_eq!(count as usize, exported.len());
    assert_eq!(
        exported,
        n.local.audit(&AuditQuery::default()).await.unwrap()
    );
    let document = c.openapi().await.unwrap();
    assert!(
        document["paths"]["/api/v1/audit/export"].is_object(),
        "{}",
        document["paths"]
    );
    assert_eq!(
        c.audit_head().await.unwrap(),
        n.local.audit_head().await.unwrap()
    );
    let verified = c.verify_audit(None).await.unwrap();
    assert!(verified.is_intact());
    assert_eq!(verified, n.local.verify_audit(None).await.unwrap());
    let (id, hash) = c.audit_head().await.unwrap();
    let anchor: cutover_core::Anchor = format!("{id}:{hash}").parse().unwrap();
    assert!(c.verify_audit(Some(&anchor)).await.unwrap().is_intact());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_is_the_error_the_local_layer_gives() {
    let n = node(ServerConfig::default()).await;
    let m = meta();
    n.local
        .create_flag(Flag::new(key("checkout")), &m)
        .await
        .unwrap();
    let both: [&dyn Control; 2] = [&n.client, &*n.local];
    let mut errors: Vec<Vec<(ErrorKind, String, String)>> = Vec::new();
    for control in both {
        let mut seen_here = Vec::new();
        let mut note = |e: ControlError| seen_here.push(seen(&e));
        note(control.flag(&key("nope")).await.unwrap_err());
        note(
            control
                .create_flag(Flag::new(key("checkout")), &m)
                .await
                .unwrap_err(),
        );
        note(
            control
                .change_flag(&key("checkout"), Some(9), &[FlagChange::Kill], &m)
                .await
                .unwrap_err(),
        );
        note(
            control
                .change_flag(
                    &key("checkout"),
                    None,
                    &[FlagChange::RolloutMove {
                        movement: cutover_core::guard::RunMove::Pause,
                    }],
                    &m,
                )
                .await
                .unwrap_err(),
        );
        note(control.delete_preset(&key("nope"), &m).await.unwrap_err());
        note(
            control
                .revoke_token(&TokenName::new("admin").unwrap(), &m)
                .await
                .unwrap_err(),
        );
        let late = NewToken {
            name: TokenName::new("late").unwrap(),
            role: Role::Sdk,
            expires_at: Some("2001-01-01T00:00:00Z".parse().unwrap()),
        };
        note(control.create_token(late, &m).await.unwrap_err());
        errors.push(seen_here);
    }
    assert_eq!(errors[0], errors[1]);
    let codes: Vec<&str> = errors[0].iter().map(|(_, code, _)| code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "not_found",
            "already_exists",
            "version_conflict",
            "rollout_state",
            "not_found",
            "last_admin",
            "invalid"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_change_is_sent_again_after_the_wait_it_was_told() {
    let config = ServerConfig {
        change_rate_per_second: 1,
        change_burst: 1,
        ..ServerConfig::default()
    };
    let n = node(config).await;
    let notes = Arc::new(AtomicU32::new(0));
    let counted = notes.clone();
    let client = n
        .client
        .clone()
        .on_rate_limit(Arc::new(move |wait: Duration| {
            assert!(wait >= Duration::from_secs(1));
            counted.fetch_add(1, Ordering::SeqCst);
        }));
    let m = meta();
    client.create_flag(Flag::new(key("a")), &m).await.unwrap();
    client.create_flag(Flag::new(key("b")), &m).await.unwrap();
    assert!(
        notes.load(Ordering::SeqCst) >= 1,
        "the second change waited"
    );
    assert_eq!(n.local.flags().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_server_that_is_not_there_is_unavailable_and_a_url_needs_its_scheme() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = AdminClient::new(&format!("http://127.0.0.1:{port}"), SECRET).unwrap();
    let e = client.flags().await.unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_ref()),
        (ErrorKind::Unavailable, "server_unreachable")
    );
    assert!(e.message.contains("cannot reach the cutover server"), "{e}");
    let e = AdminClient::new("localhost:7070", SECRET).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequest);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_unauthorized() {
    let n = node(ServerConfig::default()).await;
    let base = n.client.base().to_owned();
    let stranger = AdminClient::new(&base, "cut_nobody").unwrap();
    let e = stranger.flags().await.unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_ref()),
        (ErrorKind::Unauthorized, "unauthorized")
    );
}

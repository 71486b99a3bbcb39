//! Gate severity end to end (issue 15, part 3): a real `cutover serve` runs the guard with a
//! webhook, arm figures are uploaded straight to its metrics endpoint, and a breached warning
//! gate alerts once with severity `warning` while the rollout goes on, whereas a breached
//! critical gate rolls back with a `critical` alert. The breach is logged at WARN.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Cutover;
use common::guard::{api, upload, webhook_receiver};
use common::served::Served;
use serde_json::Value;

async fn run_status(served: &Served, token: &str) -> (String, u64) {
    let f: Value = api(served, token, reqwest::Method::GET, "/flags/checkout")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        f["run"]["status"].as_str().unwrap_or("none").to_owned(),
        f["rollout_percent"].as_u64().unwrap_or(0),
    )
}

/// Uploads `legacy` and `new` (calls, errors) every 200 ms until the rollout stops running.
async fn feed_until_over(
    served: &Served,
    token: &str,
    legacy: (u64, u64),
    new: (u64, u64),
    limit: Duration,
) -> (String, u64) {
    let deadline = Instant::now() + limit;
    loop {
        let status = run_status(served, token).await;
        if status.0 != "running" {
            return status;
        }
        assert!(Instant::now() < deadline, "still running: {status:?}");
        upload(served, token, "checkout", legacy, new).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The alerts of `event` received so far.
fn received(alerts: &Arc<Mutex<Vec<Value>>>, event: &str) -> Vec<Value> {
    alerts
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a["event"] == event)
        .cloned()
        .collect()
}

/// The alerts of `event`, waiting up to 10 s for the first (they are sent off the guard's loop).
async fn alerts_of(alerts: &Arc<Mutex<Vec<Value>>>, event: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = received(alerts, event);
        if !found.is_empty() || Instant::now() >= deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const WARNING_GATE: &str = "new.error_rate <= 0.001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breached_warning_gate_alerts_once_and_the_rollout_goes_on() {
    let (hook, alerts) = webhook_receiver().await;
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let served = c.serve_logged(&["--webhook", &hook]);
    let token = served.admin_token.clone().unwrap();
    let remote = ["--server", served.url.as_str(), "--token", token.as_str()];
    let warning = format!("warning: {WARNING_GATE}");
    c.ok(&[
        &remote[..],
        &[
            "rollout",
            "start",
            "checkout",
            "--plan",
            "10,50,100 every 3s",
            "--min-samples",
            "100",
            "--gate",
            "new.error_rate <= 50%",
            "--gate",
            &warning,
        ],
    ]
    .concat());
    // The new arm errs on 2 % of its calls: far over the warning gate's 0.1 %, far under the
    // critical gate's 50 %.
    let (status, percent) =
        feed_until_over(&served, &token, (900, 9), (100, 2), Duration::from_secs(40)).await;
    assert_eq!(
        (status.as_str(), percent),
        ("completed", 100),
        "not rolled back"
    );

    let breached = alerts_of(&alerts, "gate_breached").await;
    assert_eq!(
        breached.len(),
        1,
        "one alert for the whole episode, not one per look: {breached:?}"
    );
    let alert = &breached[0];
    assert_eq!(alert["severity"], "warning");
    assert_eq!(alert["breach"], true);
    assert_eq!(alert["gate"], WARNING_GATE);
    assert_eq!(alert["audit_id"], Value::Null, "nothing moved: {alert}");
    let gate = alert["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == WARNING_GATE)
        .unwrap();
    assert_eq!(gate["severity"], "warning");
    assert_eq!(gate["verdict"], "fail");
    let complete = alerts_of(&alerts, "complete").await;
    assert_eq!(complete[0]["severity"], "info", "{complete:?}");
    assert!(received(&alerts, "rollback").is_empty(), "{alerts:?}");

    let lines = served.log_lines(&["WARN", "gate breached", WARNING_GATE]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    println!("{}", lines[0]);
    assert!(lines[0].contains("warning"), "{}", lines[0]);

    // Status and history show each gate's severity and state, as text and as JSON.
    let text = c.ok(&[&remote[..], &["rollout", "status", "checkout"]].concat());
    assert!(text.contains("SEVERITY"), "{text}");
    let row = text.lines().find(|l| l.starts_with(WARNING_GATE)).unwrap();
    assert!(row.contains("warning") && row.contains("FAIL"), "{text}");
    let json = c.ok(&[&remote[..], &["--json", "rollout", "status", "checkout"]].concat());
    let json: Value = serde_json::from_str(&json).unwrap();
    let gates = json["look"]["assessment"]["gates"].as_array().unwrap();
    let severities: Vec<&str> = gates
        .iter()
        .map(|g| g["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, ["critical", "warning"], "{json}");
    let history = c.ok(&[&remote[..], &["--json", "rollout", "history", "checkout"]].concat());
    let history: Vec<Value> = serde_json::from_str(&history).unwrap();
    assert!(
        history.iter().any(|r| r["assessment"]["gates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["severity"] == "warning" && g["verdict"] == "fail")),
        "the history keeps the warning breach with its severity"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breached_critical_gate_still_rolls_back_with_a_critical_alert() {
    let (hook, alerts) = webhook_receiver().await;
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let served = c.serve_logged(&["--webhook", &hook]);
    let token = served.admin_token.clone().unwrap();
    let remote = ["--server", served.url.as_str(), "--token", token.as_str()];
    c.ok(&[
        &remote[..],
        &[
            "rollout",
            "start",
            "checkout",
            "--plan",
            "10,50,100 every 1h",
            "--min-samples",
            "100",
            "--gate",
            "new.error_rate <= 1%",
            "--gate",
            "warning: new.p95 <= 500ms",
        ],
    ]
    .concat());
    let (status, percent) = feed_until_over(
        &served,
        &token,
        (1800, 18),
        (200, 40),
        Duration::from_secs(30),
    )
    .await;
    assert_eq!((status.as_str(), percent), ("breached", 0));

    let rollback = alerts_of(&alerts, "rollback").await;
    assert_eq!(rollback.len(), 1, "{rollback:?}");
    assert_eq!(rollback[0]["severity"], "critical");
    assert_eq!(rollback[0]["breach"], true);
    let severities: Vec<(&str, &str)> = rollback[0]["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["severity"].as_str().unwrap(),
                g["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(severities[0], ("critical", "fail"), "{rollback:?}");
    assert_eq!(severities[1].0, "warning", "{rollback:?}");
    assert!(received(&alerts, "gate_breached").is_empty(), "{alerts:?}");

    let breach = served.log_lines(&["WARN", "gate breached", "new.error_rate <= 1%"]);
    assert_eq!(breach.len(), 1, "{breach:?}");
    assert!(breach[0].contains("critical"), "{}", breach[0]);
    let acted = served.log_lines(&["WARN", "guard acted", "rollback"]);
    assert_eq!(acted.len(), 1, "{acted:?}");
    println!("{}\n{}", breach[0], acted[0]);
}

//! Guarded rollouts end to end: `cutover serve` runs the guard, `cutover loadgen` (or an upload
//! straight to the metrics endpoint) supplies the arms' figures through the real API, and the
//! rollout advances, rolls back, alerts, pauses and resumes as its plan says.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;
#[path = "guarded_rollout/traffic.rs"]
mod traffic;

use std::time::{Duration, Instant};

use common::Cutover;
use common::guard::{api, upload, webhook_receiver};
use common::served::Served;
use cutover_core::Timestamp;
use serde_json::Value;
use traffic::{counts_calls_of, loadgen, sees_the_flag};

async fn flag(served: &Served, token: &str) -> Value {
    api(served, token, reqwest::Method::GET, "/flags/checkout")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn status_of(flag: &Value) -> (String, u64, u64) {
    (
        flag["run"]["status"].as_str().unwrap_or("none").to_owned(),
        flag["run"]["step"].as_u64().unwrap_or(0),
        flag["rollout_percent"].as_u64().unwrap_or(0),
    )
}

/// Polls the flag until `done` holds, for at most `limit`.
async fn wait_until(
    served: &Served,
    token: &str,
    limit: Duration,
    mut done: impl FnMut(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let f = flag(served, token).await;
        if done(&f) {
            return f;
        }
        assert!(Instant::now() < deadline, "timed out; flag is {f}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn audit(served: &Served, token: &str) -> Vec<Value> {
    api(served, token, reqwest::Method::GET, "/audit?flag=checkout")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

const PLAN: &str = "10,50,100 every 5s";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fivefold_error_rate_is_rolled_back_audited_and_alerted() {
    let (hook, alerts) = webhook_receiver().await;
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let served = c.serve(&["--webhook", &hook]);
    let token = served.admin_token.clone().unwrap();
    let remote = ["--server", served.url.as_str(), "--token", token.as_str()];
    let load = loadgen(&c, &served, &token, "0.02", "0.10");
    let started = Instant::now();
    c.ok(&[
        &remote[..],
        &[
            "rollout",
            "start",
            "checkout",
            "--plan",
            PLAN,
            "--min-samples",
            "100",
        ],
    ]
    .concat());

    let f = wait_until(&served, &token, Duration::from_secs(30), |f| {
        status_of(f).0 == "breached"
    })
    .await;
    let took = started.elapsed();
    drop(load);
    println!("rolled back {took:?} after the start");
    assert_eq!(status_of(&f).2, 0, "back to 0 %: {f}");

    let entries = audit(&served, &token).await;
    let rollback = entries
        .iter()
        .find(|e| e["action"] == "rollout.rollback")
        .expect("the rollback is audited");
    assert_eq!(rollback["actor"], "guard");
    let reason = rollback["reason"].as_str().unwrap();
    assert!(
        reason.contains("new.error_rate <= legacy.error_rate: fail") && reason.contains('%'),
        "the verdict with its numbers: {reason}"
    );

    // The alert reaches the receiver (sent off the guard's loop, so allow it a moment).
    let deadline = Instant::now() + Duration::from_secs(10);
    let alert = loop {
        if let Some(a) = alerts.lock().unwrap().first().cloned() {
            break a;
        }
        assert!(Instant::now() < deadline, "no alert received");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(alert["event"], "rollback");
    assert_eq!(alert["breach"], true);
    assert_eq!(alert["flag"], "checkout");
    let gate = &alert["gates"][0];
    assert_eq!(gate["verdict"], "fail");
    // The statistic runs over the whole rollout; the figures are the current step's. Right
    // after an advance, evidence of the step before (uploaded late on a loaded machine) can
    // break the gate while the new step has no calls yet.
    match (gate["new"].as_f64(), gate["legacy"].as_f64()) {
        (Some(new), Some(legacy)) => assert!(new > legacy, "{gate}"),
        _ => assert_eq!(
            gate["samples"], 0,
            "figures missing only for an empty step: {gate}"
        ),
    }
    assert!(
        gate["log_statistic"].as_f64().unwrap() >= gate["fail_at"].as_f64().unwrap(),
        "a failing gate's statistic has crossed its bound: {gate}"
    );
    assert!(
        gate["suggested_action"]
            .as_str()
            .unwrap()
            .contains("error rate")
    );

    // The history holds the verdicts behind it, and a breached plan stays put, even once its
    // gate is loosened, until someone resumes it.
    let history = c.ok(&[&remote[..], &["--json", "rollout", "history", "checkout"]].concat());
    let history: Vec<Value> = serde_json::from_str(&history).unwrap();
    assert!(history.iter().any(|r| r["action"] == "rollback"));
    c.ok(&[
        &remote[..],
        &[
            "rollout",
            "plan",
            "checkout",
            "--plan",
            PLAN,
            "--gate",
            "new.error_rate <= 50%",
        ],
    ]
    .concat());
    let load = loadgen(&c, &served, &token, "0.02", "0.02");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let f = flag(&served, &token).await;
    assert_eq!(status_of(&f), ("breached".into(), 0, 0), "{f}");
    c.ok(&[&remote[..], &["rollout", "resume", "checkout"]].concat());
    let f = flag(&served, &token).await;
    assert_eq!(status_of(&f), ("running".into(), 0, 10), "{f}");
    drop(load);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_rollout_reaches_full_exposure_on_schedule() {
    let (hook, alerts) = webhook_receiver().await;
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    // The alert command gets the same JSON on its standard input.
    let alert_file = c.path("alert.json");
    let command = format!("cat > '{}'", alert_file.display());
    let served = c.serve(&["--webhook", &hook, "--alert-command", &command]);
    let token = served.admin_token.clone().unwrap();
    let remote = ["--server", served.url.as_str(), "--token", token.as_str()];
    let load = loadgen(&c, &served, &token, "0.01", "0.01");
    let started = Instant::now();
    let started_at = Timestamp::now();
    c.ok(&[
        &remote[..],
        &[
            "rollout",
            "start",
            "checkout",
            "--plan",
            PLAN,
            "--min-samples",
            "100",
        ],
    ]
    .concat());
    let f = wait_until(&served, &token, Duration::from_secs(40), |f| {
        let s = status_of(f).0;
        s != "running"
    })
    .await;
    let took = started.elapsed();
    drop(load);
    // The guard bakes by the wall clock (the one every node shares through the store); `took`
    // is monotonic. They differ only when the system clock is stepped during the run.
    let took_by_wall = Timestamp::now().duration_since(started_at);
    println!("completed {took:?} after the start");
    assert_eq!(status_of(&f), ("completed".into(), 2, 100), "{f}");
    let entries = audit(&served, &token).await;
    // The guard's own schedule, oldest first: each step begins at its start or advance and
    // ends at the next advance or the completion, and bakes its 5 s in between.
    let schedule: Vec<(&str, Timestamp)> = entries
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("rollout."))
        .map(|e| {
            let at = e["at"].as_str().unwrap().parse().unwrap();
            (e["action"].as_str().unwrap(), at)
        })
        .collect();
    for step in schedule.windows(2) {
        let baked = step[1].1.duration_since(step[0].1);
        assert!(
            baked >= jiff::SignedDuration::from_secs(5),
            "a step baked {baked}: {schedule:?}"
        );
    }
    // Three 5 s bakes: on schedule, give or take a tick and the first upload.
    assert!(
        took >= Duration::from_secs(15),
        "{took:?} (by the wall clock {took_by_wall}; the guard's schedule {schedule:?})"
    );
    assert!(
        took < Duration::from_secs(25),
        "no needless extension: {took:?}"
    );
    let actions: Vec<String> = entries
        .iter()
        .filter(|e| e["actor"] == "guard")
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    // Oldest first.
    assert_eq!(
        actions,
        ["rollout.advance", "rollout.advance", "rollout.complete"]
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while alerts.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no completion alert");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(alerts.lock().unwrap()[0]["event"], "complete");
    let deadline = Instant::now() + Duration::from_secs(10);
    let from_command: Value = loop {
        if let Ok(text) = std::fs::read_to_string(&alert_file)
            && let Ok(v) = serde_json::from_str(&text)
        {
            break v;
        }
        assert!(
            Instant::now() < deadline,
            "the alert command never wrote its input"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(from_command["event"], "complete");
    assert_eq!(from_command["flag"], "checkout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_reaches_a_connected_sdk_within_a_second_and_moves_by_hand_are_audited() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    let remote = ["--server", served.url.as_str(), "--token", token.as_str()];
    let client = cutover_sdk::Client::connect(&served.url, &token)
        .await
        .unwrap();
    let plan = ["--plan", "10,50,100 every 1h", "--min-samples", "100"];

    // By hand, mid-step: pause, resume, promote, abort, each audited under the token's name.
    c.ok(&[&remote[..], &["rollout", "start", "checkout"], &plan[..]].concat());
    c.ok(&[&remote[..], &["rollout", "pause", "checkout"]].concat());
    let err = c.run(&[&remote[..], &["rollout", "pause", "checkout"]].concat());
    assert_ne!(err.code, 0);
    assert!(
        err.stderr.contains("cannot pause a rollout that is paused"),
        "{}",
        err.stderr
    );
    c.ok(&[&remote[..], &["rollout", "resume", "checkout"]].concat());
    c.ok(&[&remote[..], &["rollout", "promote", "checkout"]].concat());
    assert_eq!(
        status_of(&flag(&served, &token).await),
        ("running".into(), 1, 50)
    );
    c.ok(&[&remote[..], &["rollout", "abort", "checkout"]].concat());
    assert_eq!(
        status_of(&flag(&served, &token).await),
        ("aborted".into(), 1, 0)
    );
    let moves: Vec<(String, String)> = audit(&served, &token)
        .await
        .iter()
        .rev()
        .take(5)
        .map(|e| {
            (
                e["action"].as_str().unwrap().into(),
                e["actor"].as_str().unwrap().into(),
            )
        })
        .collect();
    let by = |a: &str| (a.to_owned(), "admin".to_owned());
    assert_eq!(
        moves,
        [
            by("rollout.abort"),
            by("rollout.promote"),
            by("rollout.resume"),
            by("rollout.pause"),
            by("rollout.start")
        ]
    );

    // Again, and this time the new arm fails five times as often.
    c.ok(&[&remote[..], &["rollout", "start", "checkout"]].concat());
    // A user the 10 % step sends to the new path, as the SDK sees it.
    let mut user = None;
    let deadline = Instant::now() + Duration::from_secs(5);
    while user.is_none() {
        assert!(Instant::now() < deadline, "the SDK never saw the start");
        user = (0..1000)
            .map(|i| cutover_sdk::Context::new().with("user_id", &format!("u{i}")))
            .find(|ctx| client.is_new("checkout", ctx));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let user = user.unwrap();
    // Figures count from a second after the step began.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let watcher = tokio::task::spawn_blocking({
        let client = client.clone();
        let user = user.clone();
        move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            while client.is_new("checkout", &user) {
                assert!(Instant::now() < deadline, "the SDK never saw the rollback");
                std::thread::sleep(Duration::from_micros(200));
            }
            Timestamp::now()
        }
    });
    for _ in 0..20 {
        upload(&served, &token, "checkout", (1800, 36), (200, 20)).await;
        if watcher.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let seen = watcher.await.unwrap();
    let entries = audit(&served, &token).await;
    let rollback = entries
        .iter()
        .find(|e| e["action"] == "rollout.rollback")
        .expect("rolled back");
    // The entry's time is the instant of the failing look, before the change was written.
    let verdict_at: Timestamp = rollback["at"].as_str().unwrap().parse().unwrap();
    let delay = seen.duration_since(verdict_at);
    println!("failing verdict to SDK: {delay:?}");
    assert!(delay < jiff::SignedDuration::from_secs(1), "{delay:?}");
}

async fn holds_the_guard(node: &Served) -> bool {
    let Ok(r) = reqwest::Client::new()
        .get(format!("{}/metrics", node.url))
        .send()
        .await
    else {
        return false;
    };
    let text = r.text().await.unwrap_or_default();
    text.lines().any(|l| l.trim() == "cutover_guard_leader 1")
}

/// Two nodes on one PostgreSQL database: the node running the guard dies by SIGKILL mid-plan;
/// the other takes the lease within 10 s and the plan goes on from the step it had reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_fails_over_to_another_node_and_the_plan_continues() {
    let Some(db) = common::postgres::database("guard_failover") else {
        return;
    };
    let c = Cutover::on_postgres(&db.url);
    let a = c.serve(&[]);
    let token = a.admin_token.clone().unwrap();
    let b = c.serve(&[]);
    c.ok(&["flag", "create", "checkout"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let a_leads = loop {
        if holds_the_guard(&a).await {
            break true;
        }
        if holds_the_guard(&b).await {
            break false;
        }
        assert!(Instant::now() < deadline, "no node took the guard lease");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (leader, follower) = if a_leads { (a, b) } else { (b, a) };
    assert!(!holds_the_guard(&follower).await, "one holder at a time");

    // The plan starts once the follower counts the traffic of the load sent to it.
    sees_the_flag(&follower, &token).await;
    let mut load = loadgen(&c, &follower, &token, "0.01", "0.01");
    counts_calls_of(&follower, &token, &mut load).await;
    c.ok(&[
        "--server",
        &follower.url,
        "--token",
        &token,
        "rollout",
        "start",
        "checkout",
        "--plan",
        "10,50,100 every 5s",
        "--min-samples",
        "50",
    ]);
    wait_until(&follower, &token, Duration::from_secs(20), |f| {
        status_of(f).1 >= 1
    })
    .await;
    leader.kill_9();
    let killed = Instant::now();
    while !holds_the_guard(&follower).await {
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "no takeover within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("takeover {:?} after the kill", killed.elapsed());
    let f = wait_until(&follower, &token, Duration::from_secs(30), |f| {
        status_of(f).0 != "running"
    })
    .await;
    drop(load);
    assert_eq!(status_of(&f), ("completed".into(), 2, 100), "{f}");
    // Continued, not restarted: one advance per step, in order.
    let actions: Vec<String> = audit(&follower, &token)
        .await
        .iter()
        .filter(|e| e["actor"] == "guard")
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions,
        ["rollout.advance", "rollout.advance", "rollout.complete"]
    );
}

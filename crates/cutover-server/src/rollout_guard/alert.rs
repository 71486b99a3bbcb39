//! Alerts: what the guard did or saw, with its severity, the gates' numbers and a suggested
//! action per gate, POSTed as JSON to every configured webhook and handed to an optional
//! command. Sending happens on tasks of its own, with a timeout and retries, so a slow receiver
//! never delays a rollback.

use std::time::Duration;

use cutover_core::guard::{GateReading, Verdict};
use cutover_core::{FlagKey, Rollout, Timestamp};
use serde::Serialize;
use tokio::sync::mpsc;

/// Where alerts go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertTargets {
    /// URLs that get each alert as a JSON POST.
    pub webhooks: Vec<String>,
    /// A shell command run for each alert, with the JSON on its standard input and in
    /// `CUTOVER_ALERT`.
    pub command: Option<String>,
}

/// How urgent an alert is, for a receiver to route it (page, ticket, log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    /// A critical gate failed and the guard rolled back or stepped down.
    Critical,
    /// A warning gate failed (the flag stays where it is), or the guard paused for lack of
    /// data: a person should look.
    Warning,
    /// Nothing is wrong: a rollout completed, or a warning gate holds again.
    Info,
}

/// One alert, as receivers get it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// `rollback`, `step_down`, `pause` or `complete` (the guard acted), `gate_breached` (a
    /// warning gate failed; nothing moved) or `gate_recovered` (that gate passes again).
    pub event: &'static str,
    pub severity: AlertSeverity,
    /// A gate failed: rollback and step_down (a critical gate), gate_breached (a warning gate).
    pub breach: bool,
    /// The warning gate a `gate_breached` or `gate_recovered` alert is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<String>,
    pub flag: FlagKey,
    /// The step the verdict was reached on (1-based, as people count) and the plan's length.
    pub step: usize,
    pub steps: usize,
    /// The rollout after the guard's change (as it is, when the guard did not act).
    pub rollout_percent: Rollout,
    pub at: Timestamp,
    pub verdict: Verdict,
    /// The audit entry of the change; null when the guard did not act.
    pub audit_id: Option<u64>,
    /// The verdict with its numbers, as audited (the warning gate's, for gate_breached and
    /// gate_recovered).
    pub reason: String,
    /// Every gate with its value, threshold, samples, verdict and suggested action.
    pub gates: Vec<GateReading>,
}

const ATTEMPTS: u32 = 4;
const TIMEOUT: Duration = Duration::from_secs(5);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// The sending side: `send` never waits.
#[derive(Clone)]
pub(crate) struct Alerts {
    queue: Option<mpsc::Sender<Alert>>,
}

impl Alerts {
    pub(crate) fn start(targets: AlertTargets) -> Alerts {
        if targets.webhooks.is_empty() && targets.command.is_none() {
            return Alerts { queue: None };
        }
        let (tx, mut rx) = mpsc::channel::<Alert>(256);
        tokio::spawn(async move {
            let http = match reqwest::Client::builder().timeout(TIMEOUT).build() {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = %e, "cannot build the webhook client; alerts are off");
                    return;
                }
            };
            while let Some(alert) = rx.recv().await {
                for url in &targets.webhooks {
                    tokio::spawn(post(http.clone(), url.clone(), alert.clone()));
                }
                if let Some(command) = &targets.command {
                    tokio::spawn(run(command.clone(), alert.clone()));
                }
            }
        });
        Alerts { queue: Some(tx) }
    }

    pub(crate) fn send(&self, alert: Alert) {
        let Some(queue) = &self.queue else { return };
        if let Err(e) = queue.try_send(alert) {
            tracing::warn!(error = %e, "alert queue full; alert dropped");
            metrics::counter!("cutover_alerts_dropped_total").increment(1);
        }
    }
}

async fn post(http: reqwest::Client, url: String, alert: Alert) {
    let mut wait = Duration::from_millis(500);
    for attempt in 1..=ATTEMPTS {
        match http.post(&url).json(&alert).send().await {
            Ok(r) if r.status().is_success() => {
                metrics::counter!("cutover_alerts_sent_total", "target" => "webhook").increment(1);
                return;
            }
            Ok(r) => {
                tracing::warn!(%url, status = %r.status(), attempt, "webhook refused the alert")
            }
            Err(e) => tracing::warn!(%url, error = %e, attempt, "webhook unreachable"),
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }
    metrics::counter!("cutover_alerts_failed_total", "target" => "webhook").increment(1);
    tracing::error!(%url, flag = %alert.flag, event = alert.event, "alert not delivered");
}

async fn run(command: String, alert: Alert) {
    let Ok(json) = serde_json::to_string(&alert) else {
        return;
    };
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .env("CUTOVER_ALERT", &json)
        .stdin(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(%command, error = %e, "cannot run the alert command");
            return;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        let _ = stdin.write_all(json.as_bytes()).await;
    }
    match tokio::time::timeout(COMMAND_TIMEOUT, child.wait()).await {
        Ok(Ok(status)) if status.success() => {}
        Ok(Ok(status)) => tracing::warn!(%command, %status, "alert command failed"),
        Ok(Err(e)) => tracing::warn!(%command, error = %e, "alert command failed"),
        Err(_) => tracing::warn!(%command, "alert command timed out and was killed"),
    }
}

//! The traffic a guarded rollout judges: `cutover loadgen` runs, and waits until a node can
//! count them.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::api;
use crate::common::Cutover;
use crate::common::served::Served;

/// A running `cutover loadgen`, stopped when dropped (a failing test leaves nothing behind).
/// What it printed on standard error goes to a file, to say why if it stops early.
pub(crate) struct Load {
    child: Child,
    stderr: PathBuf,
}

impl Load {
    /// How it ended and what it said, once it has stopped.
    fn ended(&mut self) -> Option<String> {
        let status = self.child.try_wait().unwrap()?;
        let said = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        Some(format!("{status}: {}", said.trim()))
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn loadgen(c: &Cutover, served: &Served, token: &str, legacy: &str, new: &str) -> Load {
    let stderr = c.path("loadgen.stderr");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&stderr)
        .unwrap();
    let child = c
        .command(&[
            "--server",
            &served.url,
            "--token",
            token,
            "loadgen",
            "--flag",
            "checkout",
            "--rps",
            "400",
            "--legacy-error",
            legacy,
            "--new-error",
            new,
            "--duration",
            "60s",
        ])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    Load { child, stderr }
}

/// Waits until an SDK connected to `node` sees the flag. A flag created in the database rather
/// than through a node reaches each node's view a moment later (on the store's change signal),
/// and `loadgen` refuses a flag its node does not know yet: its traffic would measure nothing.
pub(crate) async fn sees_the_flag(node: &Served, token: &str) {
    let sdk = cutover_sdk::Client::connect(&node.url, token)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while sdk
        .decide("checkout", &cutover_sdk::Context::new())
        .flag_version
        == 0
    {
        assert!(Instant::now() < deadline, "{} never saw the flag", node.url);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `node` has counted calls `load` made, so a plan starts on traffic that is
/// measured: a step judged on no calls at all extends twice and pauses.
pub(crate) async fn counts_calls_of(node: &Served, token: &str, load: &mut Load) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(why) = load.ended() {
            panic!("loadgen stopped before any of its calls were counted: {why}");
        }
        let figures: Value = api(node, token, reqwest::Method::GET, "/flags/checkout/metrics")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if figures["legacy"]["calls"].as_u64().unwrap_or(0) > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no calls counted within 20 s: {figures}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

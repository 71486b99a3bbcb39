//! `cutover loadgen`: requests that exist only to be counted. Each picks a user, asks the real
//! SDK which path it takes, draws an outcome from that path's error rate and latency, and
//! records it; the SDK uploads as it would in a service.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use cutover_core::FlagKey;
use cutover_sdk::{ClientBuilder, Context, Outcome, Variant};

use crate::global::Global;
use crate::values::{parse_key, parse_positive, parse_rate, parse_span};

#[derive(Debug, Args)]
pub(crate) struct LoadgenArgs {
    #[arg(long, value_parser = parse_key)]
    pub flag: FlagKey,
    /// Requests per second.
    #[arg(long, value_parser = parse_positive, allow_hyphen_values = true)]
    pub rps: f64,
    /// Error rate of requests served by the legacy path, 0 to 1.
    #[arg(long, value_parser = parse_rate, allow_hyphen_values = true, default_value_t = 0.01)]
    pub legacy_error: f64,
    /// Error rate of requests served by the new path, 0 to 1.
    #[arg(long, value_parser = parse_rate, allow_hyphen_values = true, default_value_t = 0.01)]
    pub new_error: f64,
    /// Typical latency of the legacy path (each request draws around it).
    #[arg(long, value_parser = parse_span, default_value = "20ms")]
    pub legacy_latency: std::time::Duration,
    #[arg(long, value_parser = parse_span, default_value = "20ms")]
    pub new_latency: std::time::Duration,
    #[arg(long, value_parser = parse_span, default_value = "60s")]
    pub duration: std::time::Duration,
    /// Distinct users the requests come from.
    #[arg(long, default_value_t = 10_000)]
    pub users: u32,
}

/// A uniform draw in [0, 1): loadgen needs plenty of cheap randomness and no reproducibility.
fn unit() -> f64 {
    (RandomState::new().build_hasher().finish() >> 11) as f64 / (1u64 << 53) as f64
}

pub(crate) async fn run(global: &Global, args: &LoadgenArgs) -> anyhow::Result<()> {
    let url = global
        .server
        .as_deref()
        .context("loadgen needs --server URL (or CUTOVER_SERVER)")?;
    let token = global
        .token
        .as_deref()
        .context("loadgen needs --token (or CUTOVER_TOKEN)")?;
    let client = ClientBuilder::new(url, token)
        .metrics_interval(Duration::from_secs(1))
        .connect()
        .await?;
    // Traffic for a flag the server does not have would all go to legacy and measure nothing.
    if matches!(
        client.decide(args.flag.as_str(), &Context::new()).reason,
        cutover_core::Reason::FlagNotFound
    ) {
        anyhow::bail!(
            "flag {} does not exist on the server; create it first (`cutover flag create {}`) \
             or check --flag",
            args.flag,
            args.flag
        );
    }
    let flag = client.flag(args.flag.as_str())?;
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut sent = 0u64;
    let mut counts = [[0u64; 2]; 2]; // [arm][calls, errors]
    let mut last_report = Instant::now();
    while started.elapsed() < args.duration {
        tick.tick().await;
        // Owed by the clock, not by the ticks: a busy machine that misses ticks still sends
        // the rate it was asked for.
        let owed = (args.rps * started.elapsed().min(args.duration).as_secs_f64()) as u64;
        while sent < owed {
            sent += 1;
            let user = format!("user-{}", (unit() * f64::from(args.users)) as u32);
            let arm = flag.variant(&Context::new().with("user_id", &user), Variant::Legacy);
            let (rate, typical) = match arm {
                Variant::Legacy => (args.legacy_error, args.legacy_latency),
                Variant::New => (args.new_error, args.new_latency),
            };
            let error = unit() < rate;
            // Latencies spread from half to twice the typical value.
            let latency = typical.mul_f64(0.5 + 1.5 * unit());
            client.record(
                args.flag.as_str(),
                arm,
                Outcome {
                    latency,
                    error,
                    ..Outcome::default()
                },
            );
            let a = usize::from(arm.is_new());
            counts[a][0] += 1;
            counts[a][1] += u64::from(error);
        }
        if last_report.elapsed() >= Duration::from_secs(5) {
            last_report = Instant::now();
            report(&counts, started.elapsed());
        }
    }
    let waiting = client.flush_metrics().await;
    report(&counts, started.elapsed());
    if waiting > 0 {
        eprintln!("{waiting} metric batch(es) could not be uploaded");
    }
    Ok(())
}

#[allow(clippy::print_stdout)] // a progress line is what the command is for
fn report(counts: &[[u64; 2]; 2], elapsed: Duration) {
    let rate = |[calls, errors]: [u64; 2]| {
        if calls == 0 {
            0.0
        } else {
            100.0 * errors as f64 / calls as f64
        }
    };
    println!(
        "{:>5.0}s  legacy {} calls ({:.2} % errors)  new {} calls ({:.2} % errors)",
        elapsed.as_secs_f64(),
        counts[0][0],
        rate(counts[0]),
        counts[1][0],
        rate(counts[1]),
    );
}

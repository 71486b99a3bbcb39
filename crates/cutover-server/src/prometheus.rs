//! Prometheus metrics: requests by route and status, evaluations by flag and variant, connected
//! stream clients, change propagation latency, store latency.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::ServerError;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide recorder (a process may run several servers in tests; they share it).
pub(crate) fn handle() -> Result<PrometheusHandle, ServerError> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let buckets = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ];
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
        .map_err(|e| ServerError::Metrics(e.to_string()))?
        .install_recorder()
        .map_err(|e| ServerError::Metrics(e.to_string()));
    match handle {
        Ok(handle) => Ok(HANDLE.get_or_init(|| handle).clone()),
        // Another server of this process won the race to install it.
        Err(e) => HANDLE.get().cloned().ok_or(e),
    }
}

pub(crate) async fn track_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    metrics::counter!(
        "cutover_http_requests_total",
        "route" => route,
        "method" => method,
        "status" => response.status().as_u16().to_string()
    )
    .increment(1);
    response
}

pub(crate) fn evaluation(flag: &str, variant: &'static str) {
    metrics::counter!("cutover_evaluations_total", "flag" => flag.to_owned(), "variant" => variant)
        .increment(1);
}

pub(crate) fn change_applied(since_commit: jiff::SignedDuration) {
    let seconds = since_commit.as_secs_f64().max(0.0);
    metrics::histogram!("cutover_change_propagation_seconds").record(seconds);
}

pub(crate) fn stream_clients(delta: f64) {
    metrics::gauge!("cutover_stream_clients").increment(delta);
}

/// Times one store call.
pub(crate) async fn store_call<T>(operation: &'static str, call: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = call.await;
    record_store(operation, started.elapsed());
    out
}

fn record_store(operation: &'static str, took: Duration) {
    metrics::histogram!("cutover_store_seconds", "operation" => operation)
        .record(took.as_secs_f64());
}

/// A connection opened (`1.0`) or closed (`-1.0`).
pub(crate) fn connections_open(delta: f64) {
    metrics::gauge!("cutover_connections_open").increment(delta);
}

/// An idle connection closed to make room for a new one at a connection limit.
pub(crate) fn connection_evicted() {
    metrics::counter!("cutover_connections_evicted_total").increment(1);
}

/// A connection refused because every connection under a limit was busy.
pub(crate) fn connection_refused() {
    metrics::counter!("cutover_connections_refused_total").increment(1);
}

//! Health, readiness, Prometheus metrics and the API description: no token needed.

use serde_json::json;

use super::route::Access::Public;
use super::route::{Route, route};
use crate::openapi::vocab::*;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::state::AppState;
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route("get", "/healthz", "health", Public, "Liveness")
            .serve(healthz)
            .ok(
                200,
                answer_as(
                    "The process serves.",
                    "text/plain",
                    json!({ "const": "ok" }),
                ),
            ),
        route(
            "get",
            "/readyz",
            "ready",
            Public,
            "Readiness: serving from a loaded state",
        )
        .serve(ready)
        .notes("Ready once the state is loaded; the store's health is not required.")
        .ok(200, answer("Ready.", Some(schema("Ready")), &[])),
        route(
            "get",
            "/metrics",
            "prometheus",
            Public,
            "Prometheus metrics",
        )
        .serve(prometheus)
        .ok(
            200,
            answer_as(
                "Prometheus text format 0.0.4.",
                "text/plain; version=0.0.4",
                text(),
            ),
        ),
        route(
            "get",
            "/api/v1/openapi.json",
            "openapi",
            Public,
            "This document",
        )
        .serve(openapi)
        .ok(
            200,
            answer("OpenAPI 3.1.", Some(json!({ "type": "object" })), &[]),
        ),
    ]
}

async fn healthz() -> &'static str {
    "ok"
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    // Serving evaluations from memory is being ready; the store's health is reported, not
    // required.
    let head = state.live.current().head;
    (
        StatusCode::OK,
        axum::Json(json!({ "status": "ready", "head": head })),
    )
}

async fn prometheus(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.prometheus.render(),
    )
}

/// The document is built from this table, so the handler reads it from the state rather than
/// from `openapi`, which reads the table.
async fn openapi(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], state.openapi)
}

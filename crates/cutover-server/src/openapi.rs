//! `GET /api/v1/openapi.json`: the API described as OpenAPI 3.

use axum::Json;
use serde_json::Value;

pub(crate) async fn document() -> Json<Value> {
    Json(serde_json::json!({"openapi": "3.1.0"}))
}

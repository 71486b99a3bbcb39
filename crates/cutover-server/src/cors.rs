//! Cross-origin requests to OFREP: OpenFeature's browser provider evaluates from a page served
//! by another origin, so a node names the origins it answers (`--cors-origin`).

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::ServerError;

/// The CORS layer for the OFREP routes, or none when no origin is allowed.
pub(crate) fn ofrep(origins: &[String]) -> Result<Option<CorsLayer>, ServerError> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let parsed = origins
            .iter()
            .map(|o| {
                let trimmed = o.trim_end_matches('/');
                let valid = trimmed.split_once("://").is_some_and(|(scheme, host)| {
                    matches!(scheme, "http" | "https") && !host.is_empty() && !host.contains('/')
                });
                HeaderValue::from_str(trimmed)
                    .ok()
                    .filter(|_| valid)
                    .ok_or_else(|| {
                        ServerError::Config(format!(
                            "CORS origin {o:?} is not an origin; give scheme, host and port only, \
                         such as https://app.example.com or http://localhost:3000, or *"
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(parsed)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::POST, Method::OPTIONS])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_NONE_MATCH,
                HeaderName::from_static("x-api-key"),
            ])
            .expose_headers([header::ETAG, header::RETRY_AFTER])
            .max_age(std::time::Duration::from_secs(600)),
    ))
}

//! What every handler shares: the application layer, the node's live view, the rate limiters,
//! the Prometheus handle and the settings handlers read. Kept apart from the router (`app.rs`) so handlers depend on
//! this module only, never on the module that depends on them.

use std::sync::Arc;
use std::time::Duration;

use cutover_control::StoreControl;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::limit::TokenLimiter;
use crate::live::Live;

#[derive(Clone)]
pub(crate) struct AppState {
    pub live: Arc<Live>,
    pub limiter: Arc<TokenLimiter>,
    pub upload_limiter: Arc<TokenLimiter>,
    pub eval_limiter: Option<Arc<TokenLimiter>>,
    pub prometheus: PrometheusHandle,
    pub heartbeat: Duration,
    /// The application layer: every admin handler's use case.
    pub control: Arc<StoreControl>,
    /// Backups wait for each other (`admin::backup`).
    pub backups: Arc<tokio::sync::Semaphore>,
    /// The OpenAPI document, built from the route table once per process.
    pub openapi: &'static str,
}

//! What every handler shares: the node's live view, the rate limiters, the Prometheus handle
//! and the settings handlers read. Kept apart from the router (`app.rs`) so handlers depend on
//! this module only, never on the module that depends on them.

use std::sync::Arc;
use std::time::Duration;

use cutover_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::guard::GuardConfig;
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
    /// The rollout guard's settings (not the auth check, which is `auth::requires`).
    pub guard: GuardConfig,
    /// The OpenAPI document, built from the route table once per process.
    pub openapi: &'static str,
}

impl AppState {
    pub(crate) fn store(&self) -> &dyn Store {
        &**self.live.store()
    }
}

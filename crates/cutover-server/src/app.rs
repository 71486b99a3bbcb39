//! The router: every route with the capability it needs, and a running node.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, delete, get, post, put};
use cutover_control::{Store, StoreControl};
use cutover_core::Capability;
use futures_util::StreamExt;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::Budget;
use crate::limit::TokenLimiter;
use crate::live::Live;
use crate::{ServerConfig, ServerError, admin, metrics, ofrep, openapi, stream};

#[derive(Clone)]
pub(crate) struct AppState {
    pub live: Arc<Live>,
    pub limiter: Arc<TokenLimiter>,
    pub upload_limiter: Arc<TokenLimiter>,
    pub eval_limiter: Option<Arc<TokenLimiter>>,
    pub metrics: PrometheusHandle,
    pub heartbeat: Duration,
    /// The application layer: every admin handler's use case.
    pub control: Arc<StoreControl>,
}

fn guarded(
    state: &AppState,
    capability: Capability,
    route: MethodRouter<AppState>,
) -> MethodRouter<AppState> {
    route.route_layer(from_fn_with_state(
        (state.clone(), capability, Budget::Always),
        crate::auth::require,
    ))
}

/// A change route that may carry a retreat, which still goes through once the token's change
/// budget is spent (the handler judges the change; see [`Budget::ExceptRetreats`]).
fn guarded_retreat(
    state: &AppState,
    capability: Capability,
    route: MethodRouter<AppState>,
) -> MethodRouter<AppState> {
    route.route_layer(from_fn_with_state(
        (state.clone(), capability, Budget::ExceptRetreats),
        crate::auth::require,
    ))
}

/// The application layer of a node: it judges rollouts as the guard does, and knows the flags
/// an upload may count for from the live view (no database read per upload).
fn control(live: &Arc<Live>, config: &ServerConfig) -> StoreControl {
    let view = live.clone();
    StoreControl::new(live.store().clone())
        .with_judgement(config.guard.judgement)
        .with_known_flags(move |key| view.current().flags.contains_key(key))
}

/// The whole HTTP surface of a node. Every route but the health checks, the metrics and the API
/// description names the capability it needs.
pub fn router(live: Arc<Live>, config: &ServerConfig) -> Result<Router, ServerError> {
    let state = AppState {
        control: Arc::new(control(&live, config)),
        live,
        limiter: Arc::new(TokenLimiter::new(
            config.change_rate_per_second,
            config.change_burst,
        )),
        upload_limiter: Arc::new(TokenLimiter::new(
            config.upload_rate_per_second,
            config.upload_burst,
        )),
        eval_limiter: config
            .eval_rate_per_second
            .map(|rate| Arc::new(TokenLimiter::new(rate, rate))),
        metrics: metrics::handle()?,
        heartbeat: config.heartbeat,
    };
    use Capability::*;
    let s = &state;
    let api = Router::new()
        .route("/flags", guarded(s, Read, get(admin::flags::list)))
        .route("/flags", guarded(s, Configure, post(admin::flags::create)))
        .route("/flags/{key}", guarded(s, Read, get(admin::flags::get)))
        .route(
            "/flags/{key}",
            guarded(s, Configure, delete(admin::flags::remove)),
        )
        .route(
            "/flags/{key}",
            guarded_retreat(s, Configure, axum::routing::patch(admin::flags::update)),
        )
        // The generic change endpoint checks each change against the caller's role itself.
        .route(
            "/flags/{key}/changes",
            guarded_retreat(s, Operate, post(admin::flags::changes)),
        )
        .route(
            "/flags/{key}/rollout",
            guarded_retreat(s, Operate, put(admin::flags::rollout)),
        )
        .route(
            "/flags/{key}/rollout",
            guarded(s, Read, get(admin::rollouts::status)),
        )
        .route(
            "/flags/{key}/rollout/history",
            guarded(s, Read, get(admin::rollouts::history)),
        )
        .route(
            "/flags/{key}/rollout/{move}",
            guarded_retreat(s, Operate, post(admin::rollouts::moved)),
        )
        .route(
            "/flags/{key}/plan",
            guarded(s, Operate, put(admin::rollouts::set_plan)),
        )
        .route(
            "/flags/{key}/stage",
            guarded_retreat(s, Operate, put(admin::flags::stage)),
        )
        .route(
            "/flags/{key}/kill",
            guarded_retreat(s, Operate, post(admin::flags::kill)),
        )
        .route(
            "/flags/{key}/kill",
            guarded(s, Operate, delete(admin::flags::unkill)),
        )
        .route(
            "/flags/{key}/overrides",
            guarded(s, Read, get(admin::overrides::list)),
        )
        .route(
            "/flags/{key}/overrides",
            guarded_retreat(s, Operate, post(admin::overrides::add)),
        )
        .route(
            "/flags/{key}/overrides",
            guarded_retreat(s, Operate, delete(admin::overrides::remove)),
        )
        .route(
            "/overrides/sweep",
            guarded(s, Operate, post(admin::overrides::sweep)),
        )
        .route("/presets", guarded(s, Read, get(admin::presets::list)))
        .route(
            "/presets/{name}",
            guarded(s, Operate, put(admin::presets::define)),
        )
        .route(
            "/presets/{name}",
            guarded(s, Operate, delete(admin::presets::remove)),
        )
        .route(
            "/presets/{name}/apply",
            guarded_retreat(s, Operate, post(admin::presets::apply)),
        )
        .route("/audit", guarded(s, Read, get(admin::audit::query)))
        .route(
            "/audit/verify",
            guarded(s, Read, get(admin::audit_verify::verify)),
        )
        .route("/audit/export", guarded(s, Read, get(admin::audit::export)))
        .route(
            "/import",
            guarded(s, Configure, post(admin::transfer::import)),
        )
        .route("/export", guarded(s, Read, get(admin::transfer::export)))
        .route(
            "/tokens",
            guarded(s, ManageTokens, get(admin::tokens::list)),
        )
        .route(
            "/tokens",
            guarded(s, ManageTokens, post(admin::tokens::create)),
        )
        .route(
            "/tokens/{name}",
            guarded(s, ManageTokens, delete(admin::tokens::revoke)),
        )
        .route("/stream", guarded(s, Evaluate, get(stream::follow)))
        .route(
            "/metrics",
            guarded(s, Evaluate, post(admin::arm_metrics::upload)),
        )
        .route(
            "/flags/{key}/metrics",
            guarded(s, Read, get(admin::arm_metrics::read)),
        )
        .route(
            "/flags/{key}/shadow",
            guarded(s, Read, get(admin::arm_metrics::read_shadow)),
        )
        .route("/openapi.json", get(openapi::document));
    let mut ofrep = Router::new()
        .route(
            "/evaluate/flags/{key}",
            guarded(s, Evaluate, post(ofrep::evaluate_one)),
        )
        .route(
            "/evaluate/flags",
            guarded(s, Evaluate, post(ofrep::evaluate_all)),
        );
    if let Some(cors) = crate::cors::ofrep(&config.cors_origins)? {
        ofrep = ofrep.layer(cors);
    }
    Ok(Router::new()
        .nest("/api/v1", api)
        .nest("/ofrep/v1", ofrep)
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(prometheus))
        .fallback(|| async {
            crate::api_error::ApiError::not_found("no such route; see /api/v1/openapi.json")
        })
        .layer(from_fn(crate::api_error::json_errors))
        .layer(from_fn_with_state(
            config.connections,
            crate::connections::bounded_body,
        ))
        .layer(from_fn(metrics::track_requests))
        .with_state(state))
}

async fn ready(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    // Serving evaluations from memory is being ready; the store's health is reported, not
    // required.
    let head = state.live.current().head;
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({ "status": "ready", "head": head })),
    )
}

async fn prometheus(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(),
    )
}

/// A running node: its address, and the handle to stop it.
pub struct Server {
    addr: SocketAddr,
    live: Arc<Live>,
    stop: watch::Sender<bool>,
    http: JoinHandle<Result<(), std::io::Error>>,
    follower: JoinHandle<()>,
    guard: Option<JoinHandle<()>>,
}

impl Server {
    /// Loads the state, binds the address and starts serving and following the store.
    pub async fn start(config: ServerConfig, store: Arc<dyn Store>) -> Result<Server, ServerError> {
        let live = Live::load(store, config.env_overrides.clone())
            .await
            .map_err(ServerError::InitialState)?;
        let app = router(live.clone(), &config)?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServerError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(ServerError::Serve)?;
        let (stop, stopped) = watch::channel(false);
        let connections = crate::connections::effective(config.connections);
        let stopped_http = stopped.clone();
        let http = tokio::spawn(crate::connections::serve(
            listener,
            app,
            connections,
            stopped_http,
        ));
        let guard = config.guard.enabled.then(|| {
            tokio::spawn(crate::rollout_guard::run(
                live.clone(),
                config.guard.clone(),
                stopped.clone(),
            ))
        });
        let follower = tokio::spawn(follow(live.clone(), config.resync_every, stopped));
        tracing::info!(%addr, "cutover serving");
        Ok(Server {
            addr,
            live,
            stop,
            http,
            follower,
            guard,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn live(&self) -> &Arc<Live> {
        &self.live
    }

    /// Stops accepting, lets open requests finish for at most the configured grace period, and
    /// returns once the server is down. Open change streams end, so their clients reconnect
    /// elsewhere.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        let _ = self.stop.send(true);
        self.live.close_streams();
        self.follower.abort();
        if let Some(guard) = self.guard {
            // Dropping the task drops its lease: another node may take over at once.
            guard.abort();
        }
        match self.http.await {
            Ok(result) => result.map_err(ServerError::Serve),
            Err(_) => Ok(()),
        }
    }
}

/// Keeps the live view moving: on every wake-up from the store, and on a timer as a safety net.
async fn follow(live: Arc<Live>, resync_every: Duration, mut stopped: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(resync_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut signals = None;
    loop {
        if signals.is_none() {
            match live.store().change_signals().await {
                Ok(s) => signals = Some(s),
                Err(e) => tracing::warn!(error = %e, "cannot subscribe to store changes; polling"),
            }
        }
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => return,
            _ = tick.tick() => {}
            signal = async {
                match signals.as_mut() {
                    Some(s) => s.next().await,
                    None => std::future::pending().await,
                }
            } => {
                if signal.is_none() {
                    signals = None;
                }
            }
        }
        if let Err(e) = live.catch_up().await {
            tracing::warn!(error = %e, "cannot read changes from the store; serving the last known state");
        }
    }
}

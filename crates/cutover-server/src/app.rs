//! The router, derived from the route table (`routes/`), and a running node.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use cutover_control::{Store, StoreControl};
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::limit::TokenLimiter;
use crate::live::Live;
use crate::state::AppState;
use crate::{prometheus, routes};

/// The application layer of a node: it judges rollouts as the guard does, and knows the flags
/// an upload may count for from the live view (no database read per upload).
fn control(live: &Arc<Live>, config: &ServerConfig) -> StoreControl {
    let view = live.clone();
    StoreControl::new(live.store().clone())
        .with_judgement(config.guard.judgement)
        .with_known_flags(move |key| view.current().flags.contains_key(key))
}

/// The whole HTTP surface of a node: every route of the table (`routes::areas`) behind the auth
/// check its access names.
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
        prometheus: prometheus::handle()?,
        heartbeat: config.heartbeat,
        backups: crate::admin::backup::one_at_a_time(),
        openapi: crate::openapi::document(),
    };
    let (mut api, mut ofrep, mut node) = (Router::new(), Router::new(), Router::new());
    for (_, routes) in routes::areas() {
        for route in routes {
            let path = route.path();
            let Some(handler) = route.into_handler(&state) else {
                continue;
            };
            // Nested as before, so the CORS layer covers OFREP only.
            if let Some(rest) = path.strip_prefix("/api/v1") {
                api = api.route(rest, handler);
            } else if let Some(rest) = path.strip_prefix("/ofrep/v1") {
                ofrep = ofrep.route(rest, handler);
            } else {
                node = node.route(path, handler);
            }
        }
    }
    if let Some(cors) = crate::cors::ofrep(&config.cors_origins)? {
        ofrep = ofrep.layer(cors);
    }
    Ok(node
        .nest("/api/v1", api)
        .nest("/ofrep/v1", ofrep)
        .fallback(|| async {
            crate::api_error::ApiError::not_found("no such route; see /api/v1/openapi.json")
        })
        .layer(from_fn(crate::api_error::json_errors))
        .layer(from_fn_with_state(
            config.connections,
            crate::connections::bounded_body,
        ))
        .layer(from_fn(prometheus::track_requests))
        .with_state(state))
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

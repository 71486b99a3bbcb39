//! The connection layer under the router: accepts connections within per-address and total
//! limits, gives each request head and body a deadline, and on shutdown lets open requests finish
//! for a bounded time before closing whatever is left.
//!
//! `axum::serve` has none of these: a client that opens connections and never finishes a request
//! could take every file descriptor, and one stalled client could hold a shutdown forever.

pub(crate) mod bodies;
mod registry;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

use bodies::{BusyBody, DeadlineBody};
pub use registry::ConnectionLimits;
use registry::{Refusal, Registry, Slot};

/// How a node treats connections and the requests on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionConfig {
    pub limits: ConnectionLimits,
    /// Time a client has to send a whole request head, counted from the moment the connection
    /// opens or its previous response ends (so it also closes idle keep-alive connections).
    pub header_timeout: Duration,
    /// Time a client has to send a whole request body once its head arrived.
    pub body_timeout: Duration,
    /// The largest request body accepted; a larger `Content-Length` is refused before any of the
    /// body is read.
    pub max_body_bytes: usize,
    /// After a shutdown begins, how long open requests may go on before their connections are
    /// closed regardless.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            limits: ConnectionLimits {
                total: 8192,
                per_ip: 1024,
            },
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_body_bytes: 2 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The limits actually applied: the total is kept below the process's file descriptor limit,
/// leaving room for the store, log files and the listener, so `accept` itself never fails for
/// want of descriptors.
pub(crate) fn effective(config: ConnectionConfig) -> ConnectionConfig {
    let descriptors = raise_descriptor_limit();
    let ceiling = descriptors.saturating_sub(DESCRIPTORS_KEPT_BACK).max(16);
    if config.limits.total > ceiling {
        tracing::warn!(
            asked = config.limits.total,
            allowed = ceiling,
            descriptors,
            "the file descriptor limit is too low for --max-connections; lowering it (raise \
             `ulimit -n` / LimitNOFILE to allow more)"
        );
    }
    let total = config.limits.total.min(ceiling);
    ConnectionConfig {
        limits: ConnectionLimits {
            total,
            per_ip: config.limits.per_ip.min(total),
        },
        ..config
    }
}

/// Descriptors kept for everything that is not a client connection.
const DESCRIPTORS_KEPT_BACK: usize = 128;

/// Raises the soft limit on open files to the hard limit, as servers commonly do (the soft
/// default of 1,024 is far below what a node serving change streams needs), and returns it.
fn raise_descriptor_limit() -> usize {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => usize::try_from(limit).unwrap_or(usize::MAX),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the file descriptor limit; assuming 1024");
                1024
            }
        }
    }
    #[cfg(not(unix))]
    {
        usize::MAX
    }
}

/// Refuses a body whose declared length is over the limit before reading any of it, and gives
/// the rest a deadline. Runs as the router's outermost middleware.
pub(crate) async fn bounded_body(
    axum::extract::State(config): axum::extract::State<ConnectionConfig>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > config.max_body_bytes as u64) {
        let mut response = crate::api_error::ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the request body is declared as {} bytes; the limit is {} bytes",
                declared.unwrap_or_default(),
                config.max_body_bytes
            ),
        )
        .into_response();
        // The body stays unread: the connection cannot carry another request.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    let request = request.map(|body| Body::new(DeadlineBody::new(body, config.body_timeout)));
    next.run(request).await
}

/// Serves `app` on `listener` until `stopped` turns true, then drains for at most the grace
/// period.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    config: ConnectionConfig,
    mut stopped: watch::Receiver<bool>,
) -> io::Result<()> {
    let registry = Registry::new(config.limits);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    let http = Arc::new(http);
    let (closing, closing_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = async { let _ = stopped.wait_for(|s| *s).await; } => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => match registry.admit(peer.ip()) {
                    Ok(slot) => {
                        connections.spawn(connection(
                            stream,
                            peer,
                            slot,
                            app.clone(),
                            http.clone(),
                            closing_rx.clone(),
                        ));
                    }
                    Err(refusal) => refuse(&stream, refusal),
                },
                Err(e) => {
                    // Out of descriptors or a connection reset before it was accepted: both pass.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let open = connections.len();
    if open > 0 {
        tracing::info!(
            open,
            grace = ?config.shutdown_grace,
            "no longer accepting; letting open requests finish"
        );
    }
    let drained = tokio::time::timeout(config.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = connections.len(),
            grace = ?config.shutdown_grace,
            "requests still open after the shutdown grace period; closing their connections"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Answers a connection over a limit with a 503 it can read, written without waiting, and closes
/// it.
fn refuse(stream: &TcpStream, refusal: Refusal) {
    crate::prometheus::connection_refused();
    let body =
        serde_json::json!({ "error": "overloaded", "message": refusal.message() }).to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    // A fresh socket's send buffer takes this whole; if not, the client gets a closed socket.
    let _ = stream.try_write(response.as_bytes());
}

/// One connection, from its first byte to its close: by the client, by the header timeout, by
/// eviction to make room, or at the end of a shutdown.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    app: Router,
    http: Arc<hyper::server::conn::http1::Builder>,
    mut closing: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let state = slot.state().clone();
    let per_request = state.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let in_flight = per_request.begin_request();
        let mut request = request.map(Body::new);
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let app = app.clone();
        async move {
            let response = match app.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|body| BusyBody::new(body, in_flight)))
        }
    });
    let conn = http.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut draining = *closing.borrow();
    if draining {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                break;
            }
            () = state.evicted().notified() => {
                tracing::debug!(%peer, "closed an idle connection to make room for a new one");
                break;
            }
            () = async { let _ = closing.wait_for(|c| *c).await; }, if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
    drop(slot);
}

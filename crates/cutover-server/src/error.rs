//! Why a node could not start or stopped.

use cutover_control::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "cannot listen on {addr}: {source}; pick another --listen address or stop what uses it"
    )]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot load the initial state from the store: {0}")]
    InitialState(#[source] StoreError),

    #[error("cannot install the Prometheus recorder: {0}")]
    Metrics(String),

    #[error("{0}")]
    Config(String),

    #[error("the HTTP server failed: {0}")]
    Serve(#[source] std::io::Error),
}

//! cutover's HTTP control plane: the admin API, OpenFeature Remote Evaluation (OFREP), the change
//! stream, API tokens and Prometheus metrics, over any store, through the application layer
//! ([`cutover_control::StoreControl`]).
//!
//! **Architecture invariant**: a request never evaluates against the database. Every node keeps
//! a [`Live`] view (compiled snapshot, tokens, audit head) that a follower task moves forward by
//! reading the audit log; evaluation and authentication read that view through an `ArcSwap`, so
//! they keep answering while the database is down. Changes go to the store, and the node that
//! made one applies it to its view before answering, so a client reads its own write.

mod admin;
mod api_error;
mod app;
mod auth;
mod config;
mod connections;
mod cors;
mod error;
mod limit;
mod live;
mod ofrep;
mod openapi;
mod prometheus;
pub mod rollout_guard;
mod routes;
mod state;
mod stream;

pub use app::{Server, router};
pub use config::ServerConfig;
pub use connections::{ConnectionConfig, ConnectionLimits};
/// Token secrets are drawn by the application layer; the CLI draws the first admin token here.
pub use cutover_control::new_token_secret;
pub use error::ServerError;
pub use live::Live;
pub use routes::{Access, DeclaredRoute, Example, declared as declared_routes};

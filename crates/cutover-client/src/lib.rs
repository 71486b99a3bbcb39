//! A typed client of cutover's admin API (`/api/v1`): one async method per admin route, and
//! [`cutover_api::Control`] over HTTP, so a program (the `cutover` CLI with `--server`, a deploy
//! script in Rust) runs every use case through a server exactly as it would on a store.
//!
//! The server checks the token's role, applies its rate limit and records the token's name as
//! the actor; this client only carries requests and answers. A refusal comes back as the
//! server's error code and message, unchanged.

mod audit;
mod backup;
mod control;
mod flags;
mod http;

pub use flags::FlagUpdate;
pub use http::{AdminClient, RateLimitNote};

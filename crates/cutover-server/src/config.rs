//! What a node is told at start: where to listen, how fast clients may change things, how
//! often the stream proves it is alive.

use std::net::SocketAddr;
use std::time::Duration;

use cutover_core::EnvOverrides;

use crate::connections::ConnectionConfig;
use crate::rollout_guard::GuardConfig;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Change requests per second allowed per token, sustained.
    pub change_rate_per_second: u32,
    /// Change requests a token may send at once before the sustained rate applies.
    pub change_burst: u32,
    /// Metric uploads (`POST /api/v1/metrics`) per second allowed per token, sustained: a budget
    /// of their own, apart from changes.
    pub upload_rate_per_second: u32,
    /// Metric uploads a token may send at once before the sustained rate applies.
    pub upload_burst: u32,
    /// OFREP evaluations per second allowed per token, if limited at all (the default: no
    /// limit; evaluation is what a node is for).
    pub eval_rate_per_second: Option<u32>,
    /// How often an idle change stream sends a comment, so proxies keep it open and clients
    /// notice a dead connection.
    pub heartbeat: Duration,
    /// How often a node reads the audit log even without a wake-up from the store: the safety
    /// net under notifications.
    pub resync_every: Duration,
    /// `CUTOVER_FLAG_<KEY>` overrides of this process, applied to every evaluation it serves.
    pub env_overrides: EnvOverrides,
    /// The guard loop of guarded rollouts, and where its alerts go.
    pub guard: GuardConfig,
    /// Connection limits, request deadlines and the shutdown grace period.
    pub connections: ConnectionConfig,
    /// Browser origins allowed to call the OFREP endpoints (`*` for any); none by default.
    pub cors_origins: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 7070)),
            change_rate_per_second: 10,
            change_burst: 20,
            // An SDK process uploads every 5 s: 50 a second is a hundreds-strong fleet sharing
            // one token, and keeps one faulty token from taking the store's write capacity.
            upload_rate_per_second: 50,
            upload_burst: 100,
            eval_rate_per_second: None,
            heartbeat: Duration::from_secs(15),
            resync_every: Duration::from_secs(5),
            env_overrides: EnvOverrides::none(),
            guard: GuardConfig::default(),
            connections: ConnectionConfig::default(),
            cors_origins: Vec::new(),
        }
    }
}

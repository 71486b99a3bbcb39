//! Per-token rate limits: on change requests (a runaway script cannot flood the audit log or
//! starve other operators) and, when configured, on OFREP evaluations (a misbehaving client
//! cannot take a node's capacity from the others).

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub(crate) struct TokenLimiter {
    limiter: DefaultKeyedRateLimiter<Arc<str>>,
    clock: DefaultClock,
}

impl TokenLimiter {
    pub(crate) fn new(per_second: u32, burst: u32) -> Self {
        let per_second = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(per_second);
        TokenLimiter {
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(seconds)`: refused, retry after that many whole seconds (at least 1).
    pub(crate) fn check(&self, token: &Arc<str>) -> Result<(), u64> {
        self.limiter.check_key(token).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            (wait.as_secs_f64().ceil() as u64).max(1)
        })
    }
}

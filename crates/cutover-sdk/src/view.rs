//! Several decisions from one state. A view pins the flags of the moment it was taken, so the
//! flags one request reads together (components moved by one preset, a phase) always agree with
//! each other, even while changes arrive.

use std::sync::Arc;

use cutover_core::{Attributes, Decision, Timestamp, Variant};

use crate::live::Current;
use crate::live::instant_for;

/// Every flag as it stood when [`crate::Client::view`] was called.
pub struct FlagView {
    current: Arc<Current>,
}

impl FlagView {
    pub(crate) fn new(current: Arc<Current>) -> Self {
        FlagView { current }
    }

    /// Whether this context takes the new path. An unknown flag answers `false` (legacy).
    #[inline]
    pub fn is_new<A: Attributes + ?Sized>(&self, key: &str, ctx: &A) -> bool {
        self.variant(key, ctx, Variant::Legacy).is_new()
    }

    /// The variant for this context, or `default` for a flag the view does not have.
    #[inline]
    pub fn variant<A: Attributes + ?Sized>(&self, key: &str, ctx: &A, default: Variant) -> Variant {
        match self.current.snapshot.get(key) {
            Some(flag) => flag.variant(ctx, instant_for(flag)),
            None => default,
        }
    }

    /// The full decision, with the rule that made it. An unknown flag answers `legacy` with
    /// reason `flag_not_found`.
    pub fn decide<A: Attributes + ?Sized>(&self, key: &str, ctx: &A) -> Decision<'_> {
        let now = self
            .current
            .snapshot
            .get(key)
            .map_or(Timestamp::UNIX_EPOCH, instant_for);
        self.current.snapshot.decide(key, ctx, now, Variant::Legacy)
    }
}

//! A flag resolved once: evaluation through it skips the name lookup while the snapshot stays
//! the same, and finds the flag again when a change brings a new one.

use std::sync::atomic::{AtomicU64, Ordering};

use cutover_core::{Attributes, FlagKey, Variant};

use crate::client::Client;
use crate::live::instant_for;

/// Marks a slot that matches no generation, so the first call resolves.
const UNRESOLVED: u64 = u64::MAX;

pub struct SdkFlag {
    client: Client,
    key: FlagKey,
    /// `generation << 32 | (index + 1)`, with index part 0 when the flag is missing from that
    /// generation. One atomic word, so concurrent callers never see half an update.
    slot: AtomicU64,
}

impl SdkFlag {
    pub(crate) fn new(client: Client, key: FlagKey) -> Self {
        SdkFlag {
            client,
            key,
            slot: AtomicU64::new(UNRESOLVED),
        }
    }

    pub fn key(&self) -> &str {
        self.key.as_str()
    }

    #[inline]
    pub fn is_new<A: Attributes + ?Sized>(&self, ctx: &A) -> bool {
        self.variant(ctx, Variant::Legacy).is_new()
    }

    #[inline]
    pub fn variant<A: Attributes + ?Sized>(&self, ctx: &A, default: Variant) -> Variant {
        let current = self.client.inner.live.current.load();
        let generation = current.generation & 0xffff_ffff;
        let slot = self.slot.load(Ordering::Relaxed);
        let position = if slot >> 32 == generation && slot != UNRESOLVED {
            (slot & 0xffff_ffff) as usize
        } else {
            let position = current
                .snapshot
                .handle(self.key.as_str())
                .map_or(0, |h| h.index() + 1);
            self.slot
                .store(generation << 32 | position as u64, Ordering::Relaxed);
            position
        };
        match position
            .checked_sub(1)
            .and_then(|i| current.snapshot.flag_at(i))
        {
            Some(flag) => flag.variant(ctx, instant_for(flag)),
            None => default,
        }
    }
}

impl Client {
    /// A handle for the hottest paths: it remembers where the flag sits in the snapshot and
    /// looks it up again only when the snapshot changes.
    pub fn flag(&self, key: &str) -> Result<SdkFlag, cutover_core::CoreError> {
        Ok(SdkFlag::new(self.clone(), FlagKey::new(key)?))
    }
}

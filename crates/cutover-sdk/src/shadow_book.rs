//! Shadow findings per flag, kept between uploads: what shadow runs add and the metrics upload
//! takes. Apart from `shadow.rs` (the runs, which need the client) so that the recorder the
//! client owns can hold it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use cutover_core::{FlagShadow, ShadowCounts};

/// Everything shadow runs of one flag found (in this process since start, or in one upload
/// window).
pub type ShadowReport = ShadowCounts;

/// Shadow findings per flag: since the start of the process, and since the last upload.
#[derive(Default)]
pub(crate) struct ShadowBook {
    total: Mutex<HashMap<String, ShadowCounts>>,
    window: Mutex<HashMap<String, ShadowCounts>>,
}

impl ShadowBook {
    /// Adds one run's findings to the totals and to the current window.
    pub(crate) fn add(&self, flag: &str, run: &ShadowCounts) {
        for book in [&self.total, &self.window] {
            book.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(flag.to_owned())
                .or_default()
                .merge(run);
        }
    }

    pub(crate) fn report(&self, flag: &str) -> ShadowReport {
        self.total
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(flag)
            .cloned()
            .unwrap_or_default()
    }

    /// Takes the current window's findings, leaving it empty, made to fit what a server takes
    /// (oversized mismatch samples shortened, field paths no gate can name left out).
    pub(crate) fn take_window(&self) -> Vec<FlagShadow> {
        std::mem::take(&mut *self.window.lock().unwrap_or_else(PoisonError::into_inner))
            .into_iter()
            .map(|(flag, mut counts)| {
                counts.fit_for_upload();
                FlagShadow { flag, counts }
            })
            .collect()
    }
}

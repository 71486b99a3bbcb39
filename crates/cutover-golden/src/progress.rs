//! Progress of a run, for people watching long corpora: an indicatif bar on stderr, drawn only
//! when stderr is a terminal so logs and CI output stay clean.

use std::time::Duration;

/// Told about every step as it completes; shared by the threads of a comparison.
pub trait Progress: Sync {
    /// The run is about to execute `total` steps (both subjects' steps, in a comparison).
    fn begin(&self, _total: u64) {}
    fn advance(&self) {}
    fn end(&self) {}
}

/// No progress shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// A progress bar on stderr.
#[derive(Debug, Clone)]
pub struct ProgressBar {
    bar: indicatif::ProgressBar,
}

impl ProgressBar {
    /// A bar that draws when `visible` (pass whether stderr is a terminal) and is hidden
    /// otherwise.
    pub fn new(visible: bool) -> ProgressBar {
        let bar = if visible {
            let bar = indicatif::ProgressBar::new(0);
            // The template is a constant known to parse; the default style is a fine fallback.
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} golden {pos}/{len} cases [{bar:30}] {per_sec} eta {eta}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        ProgressBar { bar }
    }
}

impl Progress for ProgressBar {
    fn begin(&self, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(0);
    }

    fn advance(&self) {
        self.bar.inc(1);
    }

    fn end(&self) {
        self.bar.finish_and_clear();
    }
}

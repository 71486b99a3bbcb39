//! Size limits on everything cutover stores and on how much one answer reads, as rules every
//! way in shares (the API, the CLI on a local store, import files, presets, tokens, golden
//! verdicts, the guard). `docs/limits.md` lists them for people.
//!
//! Limits are checked when a value is written, never when it is read: a store written before a
//! limit existed stays readable, and a change that does not add text (a kill switch, a stage, a
//! rollout move) is never refused because of what a flag already holds.

use crate::error::CoreError;

/// A flag's or a preset's description.
pub const MAX_DESCRIPTION_BYTES: usize = 4 * 1024;
/// A flag's owner.
pub const MAX_OWNER_BYTES: usize = 256;
/// Why a change was made (`--reason`, `X-Cutover-Reason`, the guard's verdict).
pub const MAX_REASON_BYTES: usize = 1024;
/// Who made a change (`--actor`, the OS user; token names are shorter by their own rule).
pub const MAX_ACTOR_BYTES: usize = 256;
/// An attribute value an override or a rollout scope names (a user id, a tenant, ...).
pub const MAX_VALUE_BYTES: usize = 1024;
/// A flag's bucketing salt.
pub const MAX_SALT_BYTES: usize = 256;
/// One gate expression of a plan.
pub const MAX_GATE_BYTES: usize = 256;
/// The corpus name and the summary of a golden verdict recorded against a flag.
pub const MAX_GOLDEN_TEXT_BYTES: usize = 1024;
/// Named verdicts one flag holds (a release rarely waits for more than a handful of checks).
pub const MAX_VERDICTS: usize = 64;
/// A verdict's evidence link.
pub const MAX_VERDICT_URL_BYTES: usize = 2 * 1024;
/// A verdict's details, as JSON.
pub const MAX_VERDICT_DETAILS_BYTES: usize = 8 * 1024;
/// A whole flag as JSON (overrides and scope values add up): what one audit entry holds twice.
pub const MAX_FLAG_BYTES: usize = 256 * 1024;

/// Audit entries an API page holds when the caller names no `limit`.
pub const AUDIT_PAGE_DEFAULT: u32 = 100;
/// The most audit entries one API page holds.
pub const AUDIT_PAGE_MAX: u32 = 500;
/// A page also ends once its entries' texts pass this many bytes (it always holds one entry).
pub const AUDIT_PAGE_BYTES: usize = 1024 * 1024;

/// The first characters of a refused text, so an error names it without repeating it.
fn preview(text: &str) -> String {
    const SHOWN: usize = 32;
    if text.len() <= SHOWN {
        return text.to_owned();
    }
    let cut = (0..=SHOWN)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    format!("{}…", &text[..cut])
}

/// Refuses `text` longer than `limit` bytes, naming `field` (the name a request or file gives
/// it) and the limit.
pub fn check_text(field: &'static str, text: &str, limit: usize) -> Result<(), CoreError> {
    if text.len() <= limit {
        return Ok(());
    }
    Err(CoreError::TooLong {
        field,
        preview: preview(text),
        bytes: text.len(),
        limit,
    })
}

/// A reason for the audit log.
pub fn check_reason(reason: &str) -> Result<(), CoreError> {
    check_text("reason", reason, MAX_REASON_BYTES)
}

/// An actor for the audit log.
pub fn check_actor(actor: &str) -> Result<(), CoreError> {
    check_text("actor", actor, MAX_ACTOR_BYTES)
}

/// `text` cut to at most `limit` bytes at a character boundary, marked with "…" when cut: for
/// texts cutover writes itself (the guard's verdict, a golden run's summary), which are kept
/// shortened rather than refused.
pub fn clip(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    const MARK: &str = "…";
    let room = limit.saturating_sub(MARK.len());
    let cut = (0..=room)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    format!("{}{MARK}", &text[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_over_its_limit_is_named_with_a_preview_and_the_limit() {
        assert!(check_text("owner", &"o".repeat(256), MAX_OWNER_BYTES).is_ok());
        let err = check_text("owner", &"o".repeat(300_000), MAX_OWNER_BYTES)
            .unwrap_err()
            .to_string();
        assert!(err.contains("owner"), "{err}");
        assert!(
            err.contains("300000 bytes") && err.contains("256 bytes"),
            "{err}"
        );
        assert!(err.len() < 300, "a preview, not the value: {err}");
        // Multi-byte characters are never cut in half.
        let accents = "é".repeat(600);
        let err = check_reason(&accents).unwrap_err().to_string();
        assert!(err.contains("éééé"), "{err}");
    }

    #[test]
    fn clipping_keeps_within_the_limit_at_a_character_boundary() {
        assert_eq!(clip("short", 10), "short");
        let long = "ü".repeat(1000);
        let clipped = clip(&long, MAX_REASON_BYTES);
        assert!(clipped.len() <= MAX_REASON_BYTES, "{}", clipped.len());
        assert!(clipped.ends_with('…'));
        assert!(check_reason(&clipped).is_ok());
    }
}

//! Pages of the audit log: bounded in entries and in bytes, with whether more follow.

use cutover_api::{AuditPage, ControlError};
use cutover_core::AuditEntry;
use cutover_core::limits::{AUDIT_PAGE_BYTES, AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX};

/// The page size a query asks for, checked against the limits of a page.
pub(crate) fn page_size(limit: Option<u32>) -> Result<u32, ControlError> {
    let size = limit.unwrap_or(AUDIT_PAGE_DEFAULT);
    if size == 0 || size > AUDIT_PAGE_MAX {
        return Err(ControlError::invalid(
            "limit",
            format!(
                "limit {size} is out of range; accepted: 1 to {AUDIT_PAGE_MAX} entries a page \
                 (default {AUDIT_PAGE_DEFAULT}); follow the Link header for the next page"
            ),
        ));
    }
    Ok(size)
}

/// The bytes of an entry's texts, what makes one entry large (a flag's state, twice).
fn entry_bytes(e: &AuditEntry) -> usize {
    let text = |t: &Option<String>| t.as_ref().map_or(0, String::len);
    e.actor.len()
        + e.action.len()
        + e.entity.len()
        + text(&e.before)
        + text(&e.after)
        + text(&e.reason)
        + e.hash.len() * 2
}

/// Cuts `entries` (read with one more than `size`, so that its coming tells whether there is a
/// next page) to a page of at most `size` entries and about [`AUDIT_PAGE_BYTES`], always one.
pub(crate) fn page(mut entries: Vec<AuditEntry>, size: u32) -> AuditPage {
    let mut bytes = 0;
    let mut kept = 0;
    for e in &entries {
        if kept == size as usize || (kept > 0 && bytes + entry_bytes(e) > AUDIT_PAGE_BYTES) {
            break;
        }
        bytes += entry_bytes(e);
        kept += 1;
    }
    let more = entries.len() > kept;
    entries.truncate(kept);
    AuditPage { entries, more }
}

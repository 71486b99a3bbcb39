//! Reading the audit key from its file (`--audit-key-file`, `CUTOVER_AUDIT_KEY_FILE`).

use cutover_core::AuditKey;

/// Reads and checks the key file while the command line is parsed, so a missing file or a weak
/// key is a usage error (exit 2) that names the file. The key itself is never printed.
pub(crate) fn read(path: &str) -> Result<AuditKey, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read the audit key file {path}: {e}"))?;
    AuditKey::from_file_bytes(&bytes).map_err(|e| format!("{path}: {e}"))
}

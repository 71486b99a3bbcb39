//! A store's errors as the application layer reports them: the code and kind the admin API
//! has always answered each with.

use cutover_api::{ControlError, ErrorKind};
use cutover_store::StoreError;

/// How long a caller should wait before retrying a store that is busy or unreachable.
const RETRY_UNAVAILABLE_S: u64 = 2;

pub(crate) fn from_store(err: StoreError) -> ControlError {
    let message = err.to_string();
    let (kind, code) = match err {
        StoreError::FlagNotFound { .. }
        | StoreError::PresetNotFound { .. }
        | StoreError::TokenNotFound { .. } => (ErrorKind::NotFound, "not_found"),
        StoreError::FlagExists { .. } | StoreError::TokenExists { .. } => {
            (ErrorKind::Conflict, "already_exists")
        }
        StoreError::FlagIdentityTaken { .. } => (ErrorKind::Conflict, "identity_taken"),
        StoreError::LastAdminToken { .. } => (ErrorKind::Conflict, "last_admin"),
        StoreError::VersionConflict { .. } => (ErrorKind::Conflict, "version_conflict"),
        StoreError::FlagInPreset { .. } => (ErrorKind::Conflict, "in_use"),
        StoreError::StaleImport { .. } => (ErrorKind::Conflict, "stale_import"),
        // A backup never replaces a file, and a target it cannot write is the caller's to fix;
        // worded by the interface, so a client that writes the file says the same.
        StoreError::BackupExists { path } => return ControlError::backup_exists(&path),
        StoreError::BackupTarget { path, why } => {
            return ControlError::backup_target(&path, why);
        }
        // A rule of the core refused what the store was asked to write.
        StoreError::Invalid(core) => return ControlError::from(core),
        StoreError::Busy { .. } | StoreError::Unavailable { .. } => {
            return ControlError::new(ErrorKind::Unavailable, "store_unavailable", message)
                .retry_after(RETRY_UNAVAILABLE_S);
        }
        // A store that is damaged, of another kind or newer, a sealed log without its key, a
        // copy refused (a CLI command on the store itself; no use case runs it), or the
        // database failing: nothing the caller can fix by asking differently.
        _ => (ErrorKind::Failure, "store_failure"),
    };
    ControlError::new(kind, code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_the_codes_of_the_api() {
        let cases = [
            (
                StoreError::FlagNotFound { key: "f".into() },
                ErrorKind::NotFound,
                "not_found",
            ),
            (
                StoreError::VersionConflict {
                    key: "f".into(),
                    expected: 1,
                    actual: 2,
                },
                ErrorKind::Conflict,
                "version_conflict",
            ),
            (
                StoreError::Unavailable { what: "x".into() },
                ErrorKind::Unavailable,
                "store_unavailable",
            ),
            (
                StoreError::SealedWithoutKey,
                ErrorKind::Failure,
                "store_failure",
            ),
        ];
        for (err, kind, code) in cases {
            let message = err.to_string();
            let got = from_store(err);
            assert_eq!((got.kind, got.code.as_ref()), (kind, code));
            assert_eq!(got.message, message);
        }
    }
}

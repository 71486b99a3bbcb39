//! A backup as it crosses the admin API (`GET /api/v1/backup`): the body is the SQLite file
//! itself, so `curl -o` keeps a store; the server's verification of its snapshot and the file's
//! digest travel in headers, which the client checks the bytes against on arrival.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::audit_state::StateFinding;
use crate::records::BackupReport;

/// The digest of the bytes sent (RFC 9530): `sha-256=:BASE64:`.
pub const REPR_DIGEST_HEADER: &str = "repr-digest";

/// The server's [`BackupReport`] of the snapshot it sends, as base64url (no padding) of its
/// JSON; the path is the client's to fill in.
pub const BACKUP_REPORT_HEADER: &str = "x-cutover-backup-report";

/// The media type of a SQLite database file.
pub const SQLITE_MEDIA_TYPE: &str = "application/vnd.sqlite3";

/// Above this, the report's findings are cut down (see [`backup_report_header`]): a header has
/// to fit the limits of the proxies and clients between a server and its caller.
const REPORT_HEADER_MAX: usize = 32 * 1024;

/// `sha-256=:BASE64:` for a SHA-256 digest.
pub fn repr_digest(sha256: &[u8; 32]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(sha256))
}

/// The SHA-256 digest of a `Repr-Digest` value (a dictionary that may name other algorithms
/// too), or `None` when it has none or it is malformed.
pub fn parse_repr_digest(value: &str) -> Option<[u8; 32]> {
    value.split(',').find_map(|member| {
        let encoded = member.trim().strip_prefix("sha-256=:")?.strip_suffix(':')?;
        STANDARD.decode(encoded).ok()?.try_into().ok()
    })
}

/// The header value of a report. A log with a great many findings would make a header no
/// proxy passes, so above [`REPORT_HEADER_MAX`] the findings that still fail come first and
/// the list is cut (halved until it fits, never below one): the verdict stays the same, and
/// `audit verify` on the server gives every finding.
pub fn backup_report_header(report: &BackupReport) -> String {
    let mut report = BackupReport {
        path: String::new(),
        ..report.clone()
    };
    if let Some(state) = report.verify.state.as_mut() {
        // Stable: open findings first, each group in its order.
        state.findings.sort_by_key(StateFinding::is_accepted);
    }
    loop {
        let json = serde_json::to_vec(&report).unwrap_or_default();
        if json.len() <= REPORT_HEADER_MAX || !cut(&mut report) {
            return URL_SAFE_NO_PAD.encode(json);
        }
    }
}

/// Drops some of the report's detail; `false` when nothing more can go.
fn cut(report: &mut BackupReport) -> bool {
    let Some(state) = report.verify.state.as_mut() else {
        return false;
    };
    if !state.unbound_tokens.is_empty() {
        state.unbound_tokens.clear();
        return true;
    }
    if state.findings.len() > 1 {
        state.findings.truncate(state.findings.len() / 2);
        return true;
    }
    false
}

/// The report a header carries, or why it cannot be read.
pub fn parse_backup_report_header(value: &str) -> Result<BackupReport, String> {
    let json = URL_SAFE_NO_PAD
        .decode(value.trim())
        .map_err(|e| format!("not base64url: {e}"))?;
    serde_json::from_slice(&json).map_err(|e| format!("not a backup report: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::audit_check::VerifyReport;
    use crate::audit_state::{FieldDiff, StateReport};

    fn report(findings: usize) -> BackupReport {
        let finding = |i: usize| StateFinding::RowDiffers {
            entity: format!("flag:f{i}"),
            entry: i as u64,
            fields: vec![FieldDiff {
                field: "description".into(),
                expected: serde_json::json!("x".repeat(200)),
                found: serde_json::json!("y"),
            }],
        };
        BackupReport {
            path: "/tmp/b.db".into(),
            method: "sqlite_vacuum_into".into(),
            head_id: 7,
            head_hash: "ab".repeat(32),
            verify: VerifyReport {
                entries: 7,
                head_id: 7,
                head_hash: "ab".repeat(32),
                fault: None,
                state: Some(StateReport {
                    flags: 1,
                    presets: 0,
                    tokens: 1,
                    findings: (0..findings).map(finding).collect(),
                    unbound_tokens: vec!["old".into()],
                }),
                anchor: None,
                seal: None,
            },
        }
    }

    #[test]
    fn a_report_travels_whole_but_for_its_path() {
        let sent = report(3);
        let got = parse_backup_report_header(&backup_report_header(&sent)).unwrap();
        assert_eq!(got.path, "");
        assert_eq!(
            got,
            BackupReport {
                path: String::new(),
                ..sent
            }
        );
    }

    #[test]
    fn a_report_with_very_many_findings_is_cut_to_fit_and_keeps_its_verdict() {
        let sent = report(2_000);
        assert!(!sent.verify.is_intact());
        let header = backup_report_header(&sent);
        assert!(
            header.len() <= REPORT_HEADER_MAX * 4 / 3 + 4,
            "{}",
            header.len()
        );
        let got = parse_backup_report_header(&header).unwrap();
        assert!(!got.verify.is_intact());
        let findings = &got.verify.state.unwrap().findings;
        assert!(!findings.is_empty() && findings.len() < 2_000);
    }

    #[test]
    fn digests_round_trip_and_other_algorithms_are_passed_over() {
        let digest = [7u8; 32];
        let value = repr_digest(&digest);
        assert_eq!(parse_repr_digest(&value), Some(digest));
        let both = format!("sha-512=:AAAA:, {value}");
        assert_eq!(parse_repr_digest(&both), Some(digest));
        assert_eq!(parse_repr_digest("sha-512=:AAAA:"), None);
        assert_eq!(parse_repr_digest("sha-256=:AAAA:"), None, "too short");
        assert_eq!(parse_repr_digest("sha-256=:%%%:"), None);
    }

    #[test]
    fn a_header_that_is_not_a_report_says_so() {
        assert!(
            parse_backup_report_header("%%")
                .unwrap_err()
                .starts_with("not base64url")
        );
        let not_report = URL_SAFE_NO_PAD.encode(b"{}");
        assert!(
            parse_backup_report_header(&not_report)
                .unwrap_err()
                .starts_with("not a backup report")
        );
    }
}

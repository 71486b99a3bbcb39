//! Copying a whole store into an empty one, row for row and between any two backends: flags
//! with their overrides, plans, runs and golden verdicts, presets, tokens (their hashes, so a
//! token keeps working), the audit log with its transaction ids and the head with its seal, arm
//! and shadow metrics, and the guard's history. Ids are kept, so the target's chain ends in the
//! same head hash.
//!
//! The source is read in one read transaction (one snapshot, so a store being written to
//! copies a consistent state); the target is written in one write transaction that is
//! verified before it commits. A copy that fails at any point leaves the target as it was: an
//! empty, migrated store.

use cutover_core::VerifyReport;
use serde::Serialize;

use super::ends::{CopySource, CopyTarget};
use super::tables::TABLES;
use crate::error::StoreError;
use crate::store::Store;

/// How many rows of one kind a copy carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopiedTable {
    pub table: String,
    /// What the rows are, counted for people: "3 flags".
    pub shown: String,
    pub rows: u64,
}

/// What a copy did; the target verified with this head before the copy committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    pub tables: Vec<CopiedTable>,
    /// The audit head on both sides: the last entry's id and hash.
    pub head_id: u64,
    pub head_hash: String,
    /// `audit verify` of the target, inside the copy's transaction.
    pub target: VerifyReport,
}

/// Copies everything `source` holds into `target`, which must hold nothing yet (a new SQLite
/// file or an empty PostgreSQL database, created or just migrated). The copy commits only when
/// the target verifies with the source's head; otherwise nothing is written.
pub async fn copy(source: &dyn Store, target: &dyn Store) -> Result<CopyReport, StoreError> {
    let CopySource(mut from) = source.copy_source().await?;
    let CopyTarget(mut to) = target.copy_target().await?;
    let mut held = Vec::new();
    for table in TABLES {
        let rows = to.held(table).await?;
        if rows > 0 {
            held.push(table.count(rows));
        }
    }
    if !held.is_empty() {
        return Err(StoreError::TargetNotEmpty {
            target: to.place(),
            holds: held.join(", "),
        });
    }
    let (head_id, head_hash) = from.head().await?;
    let mut tables = Vec::new();
    for table in TABLES {
        if table.replaces {
            to.clear(table).await?;
        }
        let rows = from.pour(table, &mut *to).await?;
        if !table.replaces {
            tables.push(CopiedTable {
                table: table.name.to_owned(),
                shown: table.count(rows),
                rows,
            });
        }
    }
    to.settle().await?;
    let report = to.verify().await?;
    let problems = report.problems();
    if !problems.is_empty() {
        return Err(StoreError::CopyDoesNotVerify {
            problems: problems.join("; "),
        });
    }
    if (report.head_id, report.head_hash.as_str()) != (head_id, head_hash.as_str()) {
        return Err(StoreError::CopyDoesNotVerify {
            problems: format!(
                "the copy's head is entry {} ({}), the source's entry {head_id} ({head_hash})",
                report.head_id, report.head_hash
            ),
        });
    }
    to.commit().await?;
    Ok(CopyReport {
        tables,
        head_id,
        head_hash,
        target: report,
    })
}

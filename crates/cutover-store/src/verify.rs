//! The scripts behind `audit verify` and `serve --trust-state`, run by every backend over its
//! [`Tx`] primitives: walk the log once (chain, replay, anchor, seal), read the rows, and let
//! the core judge; or, in a write transaction, append an audited acceptance of the rows.

use cutover_core::{
    Anchor, AuditAction, AuditEntity, LogCheck, SealCheck, StateFinding, StoredState, VerifyReport,
};
use serde::Serialize;

use crate::script::{self, HeadRow, Tx, token_state};
use crate::{ChangeMeta, StoreError, TrustReport};

/// The rows the replay is compared with, tokens bound by a digest of their stored hash.
async fn stored_state<T: Tx>(tx: &mut T) -> Result<StoredState, StoreError> {
    Ok(StoredState {
        flags: tx.flags().await?,
        presets: tx.presets().await?,
        tokens: tx.tokens().await?.iter().map(token_state).collect(),
    })
}

/// Walks the whole log into a check; also returns the head row.
async fn walk<T: Tx>(
    tx: &mut T,
    anchor: Option<Anchor>,
) -> Result<(LogCheck, Option<HeadRow>), StoreError> {
    let head = tx.head_row().await?;
    let seal_target = head.as_ref().and_then(|h| h.seal.as_ref()).map(|s| s.id);
    let mut check = LogCheck::new(anchor, seal_target);
    tx.walk_audit(&mut |entry| check.push(entry)).await?;
    Ok((check, head))
}

fn finish<T: Tx>(
    tx: &T,
    check: LogCheck,
    head: Option<&HeadRow>,
    rows: &StoredState,
) -> VerifyReport {
    let seal = head.and_then(|h| h.seal.as_ref());
    let seal_check = match tx.audit_key() {
        Some(key) => SealCheck::WithKey(key, seal),
        None => SealCheck::WithoutKey {
            sealed: seal.is_some(),
        },
    };
    // A missing head row is itself tampering: a head that never matches reports it.
    let recorded = head.map_or((u64::MAX, ""), |h| (h.id, h.hash.as_str()));
    check.finish(Some(recorded), Some(rows), Some(seal_check))
}

/// Verifies the log against its recorded head, the rows, an optional anchor and, when the
/// store was given a key, the seal.
pub(crate) async fn verify<T: Tx>(
    tx: &mut T,
    anchor: Option<Anchor>,
) -> Result<VerifyReport, StoreError> {
    let (check, head) = walk(tx, anchor).await?;
    let rows = stored_state(tx).await?;
    Ok(finish(tx, check, head.as_ref(), &rows))
}

/// The row of `entity` as the JSON its audit entries carry; `None` when there is no row.
fn row_json(rows: &StoredState, entity: &str) -> Result<Option<String>, StoreError> {
    fn json<T: Serialize>(value: Option<&T>) -> Result<Option<String>, StoreError> {
        value
            .map(|v| serde_json::to_string(v).map_err(StoreError::bad_row))
            .transpose()
    }
    match entity.split_once(':') {
        Some(("flag", key)) => json(rows.flags.iter().find(|f| f.key.as_str() == key)),
        Some(("preset", name)) => json(rows.presets.iter().find(|p| p.name.as_str() == name)),
        Some(("token", name)) => json(rows.tokens.iter().find(|t| t.name.as_str() == name)),
        _ => Ok(None),
    }
}

/// Accepts the store as it is, in one write transaction: for every entity whose row disagrees
/// with the log (or that was changed outside the log and carried into it), one `state.trust`
/// entry moving the log's state to the row's, with the finding as its reason; and, with a key,
/// one `audit.seal` entry accepting whatever the seal could not vouch for. Nothing to accept
/// writes nothing. A broken chain or an entry this build cannot read is refused: those are not
/// rows to accept but a log to restore.
pub(crate) async fn trust<T: Tx>(tx: &mut T, meta: &ChangeMeta) -> Result<TrustReport, StoreError> {
    let (check, head) = walk(tx, None).await?;
    let replay = check.replay().clone();
    let rows = stored_state(tx).await?;
    let report = finish(tx, check, head.as_ref(), &rows);
    if let Some(fault) = &report.fault {
        return Err(StoreError::CannotTrust {
            why: format!("the hash chain is broken: {fault}"),
        });
    }
    let state = report.state.unwrap_or_default();
    if let Some(unreadable) = state
        .findings
        .iter()
        .find(|f| matches!(f, StateFinding::Unreadable { .. }))
    {
        return Err(StoreError::CannotTrust {
            why: unreadable.to_string(),
        });
    }
    let mut out = TrustReport::default();
    let mut entities: Vec<&str> = state.open_findings().map(StateFinding::entity).collect();
    entities.dedup();
    for entity in entities {
        let why: Vec<String> = state
            .open_findings()
            .filter(|f| f.entity() == entity)
            .map(ToString::to_string)
            .collect();
        let entry_meta = ChangeMeta {
            reason: Some(format!(
                "accepted as found (--trust-state): {}",
                why.join("; ")
            )),
            ..meta.clone()
        };
        let before = replay.state_of(entity).0.map(str::to_owned);
        let after = row_json(&rows, entity)?;
        let id = script::append(
            tx,
            &entry_meta,
            AuditAction::StateTrust,
            entity.to_owned(),
            before,
            after,
            false,
        )
        .await?;
        out.audit_ids.push(id);
        out.accepted.extend(why);
    }
    match report.seal {
        Some(seal) if !seal.holds() => {
            let entry_meta = ChangeMeta {
                reason: Some(format!("accepted as found (--trust-state): {seal}")),
                ..meta.clone()
            };
            let before = serde_json::to_string(&seal).map_err(StoreError::bad_row)?;
            let id = script::append(
                tx,
                &entry_meta,
                // The entry that accepts entries written without the key.
                AuditAction::AuditSeal,
                AuditEntity::Seal.to_string(),
                Some(before),
                None,
                true,
            )
            .await?;
            out.audit_ids.push(id);
            out.accepted.push(seal.to_string());
        }
        _ => {}
    }
    Ok(out)
}

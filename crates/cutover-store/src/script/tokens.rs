//! The scripts that create and revoke tokens, and a token as the audit log records it.

use cutover_core::{AuditAction, AuditEntity, Role, TokenName, TokenState, token_binding};

use super::audit::audit;
use super::tx::Tx;
use crate::{ChangeMeta, Committed, StoreError, TokenRecord};

/// A token as its audit entries record it: bound to its stored hash by a digest of it.
pub(crate) fn token_state(token: &TokenRecord) -> TokenState {
    TokenState {
        name: token.name.clone(),
        role: token.role,
        created_at: token.created_at,
        created_by: token.created_by.clone(),
        hash_binding: Some(token_binding(&token.hash)),
        expires_at: token.expires_at,
    }
}

pub(crate) async fn create_token<T: Tx>(
    tx: &mut T,
    token: TokenRecord,
    meta: &ChangeMeta,
) -> Result<Committed<TokenRecord>, StoreError> {
    token.name.check_not_reserved()?;
    cutover_core::limits::check_actor(&token.created_by)?;
    if let Some(expires_at) = token.expires_at
        && expires_at <= meta.at
    {
        return Err(cutover_core::CoreError::TokenAlreadyExpired {
            expires_at,
            now: meta.at,
        }
        .into());
    }
    if tx.token(&token.name).await?.is_some() {
        return Err(StoreError::TokenExists {
            name: token.name.to_string(),
        });
    }
    tx.insert_token(&token).await?;
    let entity = AuditEntity::Token(token.name.clone()).to_string();
    let id = audit(
        tx,
        meta,
        AuditAction::TokenCreate,
        entity,
        None::<&TokenState>,
        Some(&token_state(&token)),
    )
    .await?;
    Ok(Committed {
        value: token,
        audit_id: Some(id),
    })
}

pub(crate) async fn revoke_token<T: Tx>(
    tx: &mut T,
    name: &TokenName,
    meta: &ChangeMeta,
) -> Result<Committed<TokenRecord>, StoreError> {
    let token = tx
        .token(name)
        .await?
        .ok_or_else(|| StoreError::TokenNotFound {
            name: name.to_string(),
        })?;
    // Without an admin token nobody can administer the store through the API, and a new one
    // could then only come from direct access to the store (`cutover token recover`).
    if token.role == Role::Admin {
        let admins = tx.tokens().await?;
        if admins.iter().filter(|t| t.role == Role::Admin).count() <= 1 {
            return Err(StoreError::LastAdminToken {
                name: name.to_string(),
            });
        }
    }
    tx.delete_token(name).await?;
    let entity = AuditEntity::Token(name.clone()).to_string();
    let id = audit(
        tx,
        meta,
        AuditAction::TokenRevoke,
        entity,
        Some(&token_state(&token)),
        None::<&TokenState>,
    )
    .await?;
    Ok(Committed {
        value: token,
        audit_id: Some(id),
    })
}

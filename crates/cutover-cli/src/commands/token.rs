//! `cutover token`: API tokens, created with a secret shown once.

use cutover_core::{Role, Timestamp, TokenName, token_hash};
use cutover_store::{ChangeMeta, TokenRecord};
use serde::Serialize;

use crate::args::TokenCmd;
use crate::output;
use crate::session::Session;

#[derive(Serialize)]
struct Created<'a> {
    name: &'a TokenName,
    role: Role,
    token: &'a str,
}

/// Stores a new token under its hash and returns the secret.
pub(crate) async fn create(
    session: &Session,
    name: &TokenName,
    role: Role,
    meta: &ChangeMeta,
) -> anyhow::Result<String> {
    let secret = cutover_server::new_token_secret()?;
    let record = TokenRecord {
        name: name.clone(),
        role,
        hash: token_hash(&secret),
        created_at: Timestamp::now(),
        created_by: meta.actor.clone(),
    };
    session.store.create_token(record, meta).await?;
    Ok(secret)
}

pub(crate) async fn run(session: &Session, cmd: &TokenCmd) -> anyhow::Result<()> {
    match cmd {
        TokenCmd::Create { name, role } => {
            let meta = session.meta()?;
            let secret = match &session.remote {
                Some(remote) => remote.create_remote_token(name, *role, &meta).await?.token,
                None => create(session, name, *role, &meta).await?,
            };
            if session.json {
                output::json(&Created {
                    name,
                    role: *role,
                    token: &secret,
                })
            } else {
                println!("created token {name} with role {role}; its secret, shown only now:");
                println!("{secret}");
                Ok(())
            }
        }
        TokenCmd::List => {
            let tokens = session.store.tokens().await?;
            if session.json {
                return output::json(&tokens);
            }
            output::table(
                ["NAME", "ROLE", "CREATED", "BY"],
                tokens.iter().map(|t| {
                    [
                        t.name.to_string(),
                        t.role.to_string(),
                        output::time(t.created_at),
                        t.created_by.clone(),
                    ]
                }),
            );
            Ok(())
        }
        TokenCmd::Recover { name } => {
            if session.remote.is_some() {
                anyhow::bail!(
                    "token recover works only on the store itself (--db or --postgres), never \
                     through --server: with a working admin token, use `token create NAME --role \
                     admin` instead"
                );
            }
            let meta = session.meta()?;
            let why = "admin access recovered with direct access to the store (cutover token \
                       recover)";
            let meta = ChangeMeta {
                reason: Some(match &meta.reason {
                    Some(reason) => format!("{why}: {reason}"),
                    None => why.to_owned(),
                }),
                ..meta
            };
            let secret = create(session, name, Role::Admin, &meta).await?;
            if session.json {
                output::json(&Created {
                    name,
                    role: Role::Admin,
                    token: &secret,
                })
            } else {
                println!(
                    "created admin token {name} (audited as a recovery); its secret, shown only now:"
                );
                println!("{secret}");
                Ok(())
            }
        }
        TokenCmd::Revoke { name } => {
            let done = session.store.revoke_token(name, &session.meta()?).await?;
            if session.json {
                output::json(&done.value)
            } else {
                println!("revoked token {name} ({})", done.value.role);
                Ok(())
            }
        }
    }
}

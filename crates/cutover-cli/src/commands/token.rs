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
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
    token: &'a str,
}

/// Stores a new token under its hash and returns the secret.
pub(crate) async fn create(
    session: &Session,
    name: &TokenName,
    role: Role,
    expires_at: Option<Timestamp>,
    meta: &ChangeMeta,
) -> anyhow::Result<String> {
    let secret = cutover_server::new_token_secret()?;
    let record = TokenRecord {
        name: name.clone(),
        role,
        hash: token_hash(&secret),
        created_at: Timestamp::now(),
        created_by: meta.actor.clone(),
        expires_at,
    };
    session.store.create_token(record, meta).await?;
    Ok(secret)
}

pub(crate) async fn run(session: &Session, cmd: &TokenCmd) -> anyhow::Result<()> {
    match cmd {
        TokenCmd::Create {
            name,
            role,
            expires,
        } => {
            let meta = session.meta()?;
            let expires_at = expires.as_ref().map(|w| w.after(session.now)).transpose()?;
            let secret = match &session.remote {
                Some(remote) => {
                    remote
                        .create_remote_token(name, *role, expires_at, &meta)
                        .await?
                        .token
                }
                None => create(session, name, *role, expires_at, &meta).await?,
            };
            if session.json {
                output::json(&Created {
                    name,
                    role: *role,
                    expires_at,
                    token: &secret,
                })
            } else {
                match expires_at {
                    Some(at) => println!(
                        "created token {name} with role {role}, expiring at {at}; its secret, \
                         shown only now:"
                    ),
                    None => println!(
                        "created token {name} with role {role}; its secret, shown only now:"
                    ),
                }
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
                ["NAME", "ROLE", "CREATED", "BY", "EXPIRES"],
                tokens.iter().map(|t| {
                    [
                        t.name.to_string(),
                        t.role.to_string(),
                        output::time(t.created_at),
                        t.created_by.clone(),
                        t.expires_at
                            .map_or_else(|| "never".to_owned(), output::time),
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
            let secret = create(session, name, Role::Admin, None, &meta).await?;
            if session.json {
                output::json(&Created {
                    name,
                    role: Role::Admin,
                    expires_at: None,
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

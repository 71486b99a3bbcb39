//! `cutover token`: API tokens, created with a secret shown once.

use cutover_api::{ChangeMeta, Control, CreatedToken, NewToken};
use cutover_core::{Role, Timestamp, TokenName};

use crate::args::TokenCmd;
use crate::output;
use crate::session::Session;

/// Creates a token through the layer, which draws the secret (in this process, or on the
/// server); the answer is the only place the secret appears.
pub(crate) async fn create(
    control: &dyn Control,
    name: &TokenName,
    role: Role,
    expires_at: Option<Timestamp>,
    meta: &ChangeMeta,
) -> anyhow::Result<CreatedToken> {
    let token = NewToken {
        name: name.clone(),
        role,
        expires_at,
    };
    Ok(control.create_token(token, meta).await?.value)
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
            let created = create(&*session.control, name, *role, expires_at, &meta).await?;
            let secret = &created.token;
            if session.json {
                output::json(&created)
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
            let tokens = session.control.tokens().await?;
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
            // With --server this command is refused before it gets here (main.rs): it is the
            // way back in with direct access to the store.
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
            let created = create(&*session.control, name, Role::Admin, None, &meta).await?;
            let secret = &created.token;
            if session.json {
                output::json(&created)
            } else {
                println!(
                    "created admin token {name} (audited as a recovery); its secret, shown only now:"
                );
                println!("{secret}");
                Ok(())
            }
        }
        TokenCmd::Revoke { name } => {
            let done = session.control.revoke_token(name, &session.meta()?).await?;
            if session.json {
                output::json(&done.value)
            } else {
                println!("revoked token {name} ({})", done.value.role);
                Ok(())
            }
        }
    }
}

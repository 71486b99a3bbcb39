//! `cutover token`: API tokens, created with a secret shown once.

use clap::Subcommand;
use cutover_api::{ChangeMeta, Control, CreatedToken, NewToken};
use cutover_core::{Role, Timestamp, TokenName};

use crate::output;
use crate::session::Session;

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCmd {
    /// Create a token and print its secret (only this once).
    Create {
        #[arg(value_parser = parse_new_token_name)]
        name: cutover_core::TokenName,
        /// admin (everything), operator (rollout, stage, overrides, kill, presets), viewer
        /// (read, audit) or sdk (evaluation, stream).
        #[arg(long, value_parser = parse_role)]
        role: cutover_core::Role,
        /// When the token stops working (its change streams end then too): a duration such as
        /// 90d or 12h, a date, or an RFC 3339 time. Never, by default.
        #[arg(long, value_parser = crate::when::When::parse, value_name = "WHEN")]
        expires: Option<crate::when::When>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token: it stops working at once. The last admin token cannot be revoked.
    Revoke {
        #[arg(value_parser = parse_token_name)]
        name: cutover_core::TokenName,
    },
    /// Regain admin access: create an admin token and print its secret (only this once), audited
    /// as a recovery. Works only on the store itself (--db or --postgres), never through
    /// --server: it is the way back in when no admin token is left or known.
    Recover {
        #[arg(value_parser = parse_new_token_name)]
        name: cutover_core::TokenName,
    },
}

fn parse_token_name(s: &str) -> Result<cutover_core::TokenName, String> {
    cutover_core::TokenName::new(s).map_err(|e| e.to_string())
}

/// A name for a token about to be created: valid, and not one cutover writes on its own behalf.
fn parse_new_token_name(s: &str) -> Result<cutover_core::TokenName, String> {
    let name = parse_token_name(s)?;
    name.check_not_reserved().map_err(|e| e.to_string())?;
    Ok(name)
}

fn parse_role(s: &str) -> Result<cutover_core::Role, String> {
    s.parse()
        .map_err(|e: cutover_core::CoreError| e.to_string())
}

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

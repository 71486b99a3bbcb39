//! Bearer tokens: who is calling and whether their role allows the route.
//!
//! Tokens are checked against the node's live view, not the store, so authentication (like
//! evaluation) keeps working while the database is down, and a revoked token stops working on
//! every node as soon as the revocation reaches it through the audit log.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use cutover_core::{Capability, Role, token_hash};

use crate::api_error::ApiError;
use crate::live::Caller;
use crate::state::AppState;

/// The secret a request presents: `Authorization: Bearer <token>`, or `X-API-Key: <token>` (the
/// other scheme OFREP names).
fn presented(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is not valid text"))?;
        let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(ApiError::unauthorized(
                "the Authorization header must be 'Bearer <token>'",
            ));
        }
        return Ok(Some(token.trim()));
    }
    match headers.get("x-api-key") {
        Some(value) => value
            .to_str()
            .map(|v| Some(v.trim()))
            .map_err(|_| ApiError::unauthorized("the X-API-Key header is not valid text")),
        None => Ok(None),
    }
}

/// The stored hash of the token a request was authenticated with: a change stream ends when it
/// disappears from the live view (the token was revoked).
#[derive(Debug, Clone)]
pub(crate) struct TokenHash(pub String);

pub(crate) fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Caller, TokenHash), ApiError> {
    let secret = presented(headers)?
        .ok_or_else(|| ApiError::unauthorized("no token: send 'Authorization: Bearer <token>'"))?;
    let hash = token_hash(secret);
    let caller = state
        .live
        .caller(&hash)
        .ok_or_else(|| ApiError::unauthorized("the token is unknown or was revoked"))?;
    if let Some(at) = caller.expires_at
        && at <= cutover_core::Timestamp::now()
    {
        return Err(ApiError::unauthorized(format!(
            "token {} expired at {at}; create a new one",
            caller.name
        )));
    }
    Ok((caller, TokenHash(hash)))
}

pub(crate) fn authorize(caller: &Caller, capability: Capability) -> Result<(), ApiError> {
    if caller.role.allows(capability) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "token {} has role {}, which may not {} ({} may)",
            caller.name,
            caller.role,
            describe(capability),
            who_may(capability)
        )))
    }
}

fn describe(capability: Capability) -> &'static str {
    match capability {
        Capability::Read => "read flags and the audit log",
        Capability::Operate => "change rollouts, stages, overrides, kill switches or presets",
        Capability::Configure => "create, delete, redefine or import flags",
        Capability::ManageTokens => "manage tokens",
        Capability::Evaluate => "evaluate flags or follow the change stream",
        Capability::Backup => "take a backup of the whole store",
    }
}

/// The roles that hold a capability, from `cutover_core::access`, least powerful first.
pub(crate) fn holders(capability: Capability) -> Vec<&'static str> {
    Role::ALL
        .iter()
        .rev()
        .filter(|role| role.allows(capability))
        .map(|role| role.as_str())
        .collect()
}

/// The holders of a capability as a sentence: "viewer, operator or admin".
pub(crate) fn who_may(capability: Capability) -> String {
    match holders(capability).split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => "no role".to_owned(),
    }
}

/// Whether a route's change budget may be overdrawn for a retreat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Budget {
    /// Every change request pays; none goes through once the budget is spent.
    Always,
    /// Once the budget is spent, the handler still lets retreats through (the kill switch, a
    /// lower rollout, an abort, a preset towards legacy): an emergency is never refused for want
    /// of budget.
    ExceptRetreats,
}

/// A route's handler behind the auth check: only a token whose role allows `capability` reaches
/// it (see [`check`]).
pub(crate) fn requires(
    state: &AppState,
    capability: Capability,
    budget: Budget,
    handler: MethodRouter<AppState>,
) -> MethodRouter<AppState> {
    handler.route_layer(from_fn_with_state(
        (state.clone(), capability, budget),
        check,
    ))
}

/// The check every non-public route runs: authenticate, check the role, and limit the rate of
/// changes per token.
async fn check(
    State((state, capability, budget)): State<(AppState, Capability, Budget)>,
    mut request: Request,
    next: Next,
) -> Response {
    let (mut caller, hash) = match authenticate(&state, request.headers()) {
        Ok(authenticated) => authenticated,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = authorize(&caller, capability) {
        return e.into_response();
    }
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD)
        && matches!(
            capability,
            Capability::Operate | Capability::Configure | Capability::ManageTokens
        );
    if changes && let Err(retry_after) = state.limiter.check(&caller.name) {
        match budget {
            Budget::Always => return ApiError::rate_limited(retry_after).into_response(),
            Budget::ExceptRetreats => caller.over_budget = Some(retry_after),
        }
    }
    // Nested routers see their own path; the original one says whether this is OFREP.
    let ofrep = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .is_some_and(|uri| uri.path().starts_with("/ofrep/"));
    if ofrep
        && let Some(limiter) = &state.eval_limiter
        && let Err(retry_after) = limiter.check(&caller.name)
    {
        return crate::ofrep::rate_limited(retry_after);
    }
    request.extensions_mut().insert(caller);
    request.extensions_mut().insert(hash);
    next.run(request).await
}

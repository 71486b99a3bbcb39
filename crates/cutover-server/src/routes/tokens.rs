//! API tokens.

use super::route::Access::Requires;
use super::route::{Route, route};
use crate::openapi::vocab::*;
use cutover_core::Capability::*;

use crate::admin;
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route(
            "get",
            "/api/v1/tokens",
            "listTokens",
            Requires(ManageTokens),
            "List tokens",
        )
        .serve(admin::tokens::list)
        .store()
        .ok(
            200,
            answer(
                "Every token, never its secret.",
                Some(array(schema("Token"))),
                &[],
            ),
        ),
        route(
            "post",
            "/api/v1/tokens",
            "createToken",
            Requires(ManageTokens),
            "Create a token",
        )
        .serve(admin::tokens::create)
        .sample(
            "/api/v1/tokens",
            Some(r#"{"name": "ci", "role": "viewer"}"#),
        )
        .notes(
            "Its secret is in this answer only; the store keeps its hash. 409 \
             `already_exists` when the name is taken; 422 for a name cutover writes into the \
             audit log itself (guard, cutover-serve, cutover).",
        )
        .body(schema("CreateTokenRequest"))
        .audited()
        .store()
        .fails(&[Fail::Conflict, Fail::Invalid])
        .ok(
            201,
            answer(
                "The token and its secret.",
                Some(schema("TokenCreated")),
                &["X-Cutover-Audit-Id"],
            ),
        ),
        route(
            "delete",
            "/api/v1/tokens/{name}",
            "revokeToken",
            Requires(ManageTokens),
            "Revoke a token",
        )
        .serve(admin::tokens::revoke)
        .sample("/api/v1/tokens/sdk", None)
        .notes(
            "It stops working on every node as the revocation reaches it. 409 `last_admin` for \
             the last admin token: create another admin token first (with direct access to the \
             store, `cutover token recover NAME` makes one).",
        )
        .name("TokenName")
        .audited()
        .store()
        .fails(&[Fail::NotFound, Fail::Conflict])
        .ok(
            200,
            answer(
                "The token as it was.",
                Some(schema("Token")),
                &["X-Cutover-Audit-Id"],
            ),
        ),
    ]
}

//! Overrides of one flag, and the sweep of expired ones across all.

use serde_json::json;

use super::route::Access::Requires;
use super::route::{Route, route};
use crate::openapi::vocab::*;
use cutover_core::Capability::*;

use super::flags::flag_change;
use crate::admin;
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route(
            "get",
            "/api/v1/flags/{key}/overrides",
            "listOverrides",
            Requires(Read),
            "List a flag's overrides",
        )
        .serve(admin::overrides::list)
        .sample("/api/v1/flags/checkout/overrides", None)
        .key()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "The flag's overrides.",
                Some(array(schema("Override"))),
                &[],
            ),
        ),
        flag_change(
            "post",
            "/api/v1/flags/{key}/overrides",
            "addOverride",
            Requires(Operate),
            "Add an override, replacing one for the same attribute and value",
        )
        .serve(admin::overrides::add)
        .or_retreat()
        .sample(
            "/api/v1/flags/checkout/overrides",
            Some(r#"{"attribute": "user_id", "value": "u2", "variant": "new"}"#),
        )
        .notes("An expires_at that has already passed is a 422.")
        .body(schema("Override")),
        flag_change(
            "delete",
            "/api/v1/flags/{key}/overrides",
            "removeOverrides",
            Requires(Operate),
            "Remove one override, or all",
        )
        .serve(admin::overrides::remove)
        .or_retreat()
        .sample(
            "/api/v1/flags/checkout/overrides?attribute=user_id&value=u1",
            None,
        )
        .notes(
            "Send attribute and value to remove one (404 when the flag has none such), or \
             all=true for every one; any other combination is a 422 naming `all`.",
        )
        .query(
            "attribute",
            schema("AttributeName"),
            "With value: the override to remove.",
        )
        .query("value", text(), "With attribute: the override to remove.")
        .query(
            "all",
            json!({ "type": "boolean", "default": false }),
            "true: remove every override.",
        ),
        route(
            "post",
            "/api/v1/overrides/sweep",
            "sweepOverrides",
            Requires(Operate),
            "Remove expired overrides from every flag",
        )
        .serve(admin::overrides::sweep)
        .audited()
        .store()
        .ok(
            200,
            answer(
                "Each flag the sweep changed, with the audit entry of its change.",
                Some(array(schema("CommittedFlag"))),
                &[],
            ),
        ),
    ]
}

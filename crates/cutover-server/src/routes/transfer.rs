//! The whole flag set as one document: import and export.

use serde_json::json;

use super::route::Access::Requires;
use super::route::{Route, route};
use crate::openapi::vocab::*;
use cutover_core::Capability::*;

use crate::admin;
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route(
            "post",
            "/api/v1/import",
            "importDocument",
            Requires(Configure),
            "Make the store hold a document's flags and presets, all or nothing",
        )
        .serve(admin::transfer::import)
        .sample(
            "/api/v1/import",
            Some(r#"{"flags": [{"key": "imported"}]}"#),
        )
        .notes(
            "Flags the store has are replaced whole (key, version, rollout run and golden \
             result kept), others created; presets are defined. A preset naming a flag the \
             document does not define is a 422. A replaced flag whose guarded rollout is in \
             progress must keep a plan it fits (409 `rollout_state` otherwise), and pauses if \
             its rollout percentage or kill switch changes. An override whose expires_at has \
             passed is left out (it would never apply again, as a sweep would remove it), so \
             an exported file imports back after its overrides expire; the report's changes \
             show it gone from a flag that had it.",
        )
        .query(
            "prune",
            json!({ "type": "boolean", "default": false }),
            "Also delete the flags and presets the document does not name.",
        )
        .query(
            "force",
            json!({ "type": "boolean", "default": false }),
            "Overwrite flags that changed in the store after the document's versions of them; \
             without it such an import is a 409 `stale_import` naming them. (A flag without a \
             version, as in a file written by hand, claims none.)",
        )
        .query(
            "dry_run",
            json!({ "type": "boolean", "default": false }),
            "Answer with what the import would change, field by field, and write nothing.",
        )
        .body(schema("FlagDocument"))
        .audited()
        .store()
        .fails(&[Fail::Conflict, Fail::Invalid])
        .ok(
            200,
            answer("What changed.", Some(schema("ImportReport")), &[]),
        ),
        route(
            "get",
            "/api/v1/export",
            "exportDocument",
            Requires(Read),
            "Every flag and preset as one document",
        )
        .serve(admin::transfer::export)
        .store()
        .ok(
            200,
            answer(
                "The document; importing it elsewhere reproduces the flags and presets.",
                Some(schema("FlagDocument")),
                &[],
            ),
        ),
    ]
}

//! Presets: named sets of flag states applied together.

use super::route::Access::Requires;
use super::route::{Route, route};
use crate::openapi::vocab::*;
use cutover_core::Capability::*;

use crate::admin;
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route(
            "get",
            "/api/v1/presets",
            "listPresets",
            Requires(Read),
            "List presets",
        )
        .serve(admin::presets::list)
        .store()
        .ok(
            200,
            answer("Every preset.", Some(array(schema("Preset"))), &[]),
        ),
        route(
            "put",
            "/api/v1/presets/{name}",
            "definePreset",
            Requires(Operate),
            "Define or replace a preset",
        )
        .serve(admin::presets::define)
        .sample(
            "/api/v1/presets/phase-2",
            Some(r#"{"name": "phase-2", "entries": [{"flag": "checkout", "stage": "beta"}]}"#),
        )
        .notes(
            "The body's name must be the path's (422 otherwise); 404 when an entry names a \
             flag that does not exist. X-Cutover-Audit-Id is absent when the preset was \
             already so.",
        )
        .name("PresetName")
        .body(schema("Preset"))
        .audited()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "The preset.",
                Some(schema("Preset")),
                &["X-Cutover-Audit-Id"],
            ),
        ),
        route(
            "delete",
            "/api/v1/presets/{name}",
            "deletePreset",
            Requires(Operate),
            "Delete a preset",
        )
        .serve(admin::presets::remove)
        .sample("/api/v1/presets/phase-1", None)
        .name("PresetName")
        .audited()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "The preset as it was.",
                Some(schema("Preset")),
                &["X-Cutover-Audit-Id"],
            ),
        ),
        route(
            "post",
            "/api/v1/presets/{name}/apply",
            "applyPreset",
            Requires(Operate),
            "Apply every entry of a preset in one transaction",
        )
        .serve(admin::presets::apply)
        .or_retreat()
        .sample("/api/v1/presets/phase-1/apply", None)
        .notes("Audited as preset.apply, with the reason prefixed by the preset's name.")
        .name("PresetName")
        .audited()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "Each flag after the preset, with its audit entry (null when the flag was \
                 already so).",
                Some(array(schema("CommittedFlag"))),
                &[],
            ),
        ),
    ]
}

//! A flag's named verdicts: recorded by a CI job, a load test or a person, read by the gates
//! `verdict(NAME)`, `verdicts(all)` and `golden`.

use serde_json::json;

use super::flags::flag_change;
use super::route::Access::Requires;
use super::route::{Route, route};
use crate::admin;
use crate::openapi::vocab::*;
use cutover_core::Capability::*;

pub(crate) fn routes() -> Vec<Route> {
    vec![
        flag_change(
            "put",
            "/api/v1/flags/{key}/verdicts/{name}",
            "recordVerdict",
            Requires(Operate),
            "Record the latest verdict of a named check",
        )
        .serve(admin::verdicts::record)
        .name("VerdictName")
        .sample(
            "/api/v1/flags/checkout/verdicts/integration-tests",
            Some(r#"{"passed": true, "url": "https://ci.example/run/7"}"#),
        )
        .notes(
            "Replaces the verdict of that name (audited as `verdict.record`; `by` is the \
             token's name, `at` the node's clock). With valid_for it counts as missing once \
             that time has passed. At most 64 verdicts a flag (422 `invalid`, field `flag`).",
        )
        .body(schema("VerdictRequest")),
        route(
            "get",
            "/api/v1/flags/{key}/verdicts",
            "listVerdicts",
            Requires(Read),
            "The verdicts a flag holds, with where each stands now",
        )
        .serve(admin::verdicts::list)
        .sample("/api/v1/flags/checkout/verdicts", None)
        .key()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "Each verdict by name, with `standing`: passed, failed or expired.",
                Some(json!({
                    "type": "object",
                    "additionalProperties": schema("ShownVerdict"),
                })),
                &[],
            ),
        ),
    ]
}

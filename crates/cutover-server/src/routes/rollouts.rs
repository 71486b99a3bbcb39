//! Guarded rollouts: where one stands, what the guard saw, the moves people make, the plan.

use serde_json::json;

use super::route::Access::Requires;
use super::route::{Route, route};
use crate::openapi::vocab::*;
use cutover_core::Capability::*;

use super::flags::flag_change;
use crate::admin;

/// `admin::rollouts`: status and history read; the moves and the plan answer through the same
/// change path as every other flag change, with a body that may be left out.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        route(
            "get",
            "/api/v1/flags/{key}/rollout",
            "getRolloutStatus",
            Requires(Read),
            "Where a guarded rollout stands, with every gate's numbers now",
        )
        .serve(admin::rollouts::status)
        .sample("/api/v1/flags/checkout/rollout", None)
        .notes(
            "Judged as the guard would at this instant: look is null when the flag has no plan \
             or no rollout ever started; its decision is what the plan would do now (`hold` \
             unless the rollout is running).",
        )
        .key()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer("The rollout's state.", Some(schema("RolloutStatus")), &[]),
        ),
        route(
            "get",
            "/api/v1/flags/{key}/rollout/history",
            "getRolloutHistory",
            Requires(Read),
            "The guard's looks at a flag's rollouts, newest first",
        )
        .serve(admin::rollouts::history)
        .sample("/api/v1/flags/checkout/rollout/history", None)
        .notes(
            "The guard keeps every look that acted or whose verdicts changed, and at most one \
             every record_every (10 s by default) otherwise. A limit outside 1 to 10000 is a 422.",
        )
        .key()
        .query(
            "limit",
            json!({ "type": "integer", "minimum": 1, "maximum": 10_000, "default": 100 }),
            "At most this many records.",
        )
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "The records, newest first.",
                Some(array(schema("GuardRecord"))),
                &[],
            ),
        ),
        flag_change(
            "post",
            "/api/v1/flags/{key}/rollout/{move}",
            "moveRollout",
            Requires(Operate),
            "Start, pause, resume, promote or abort a guarded rollout",
        )
        .serve(admin::rollouts::moved)
        .or_retreat()
        .sample(
            "/api/v1/flags/checkout/rollout/start",
            Some(r#"{"plan": "5,100 every 1h"}"#),
        )
        .notes(
            "start: when no rollout is in progress (none yet, or the last completed or was \
             aborted) and the flag is not killed, at the plan's first step; the body's plan \
             is set first (a plan with another move is a 422), else the flag's own is used. \
             pause: a running one. resume: a paused or breached one, at its step, with fresh \
             evidence. promote: a running, paused or breached one to its next step now (the \
             last completes it), or with full: true straight to 100 %, completed. abort: a \
             running, paused or breached one, back to 0 %. A move that does not fit the \
             rollout's state (or a flag without a plan) is a 409 `rollout_state`; a move not \
             listed is a 404. The body may be left out. Audited as rollout.start, \
             rollout.pause, rollout.resume, rollout.promote or rollout.abort.",
        )
        .param(reference("parameters", "RolloutMove"))
        .optional_body(schema("MoveRequest")),
        flag_change(
            "put",
            "/api/v1/flags/{key}/plan",
            "setPlan",
            Requires(Operate),
            "Set or remove a flag's guarded rollout plan",
        )
        .serve(admin::rollouts::set_plan)
        .sample(
            "/api/v1/flags/checkout/plan",
            Some(r#"{"plan": "5,25,50,100 every 10m"}"#),
        )
        .notes(
            "plan: null (or left out, or an empty body) removes the plan. While a rollout is \
             in progress, removing its plan or giving one with fewer steps than the step it is \
             on is a 409 `rollout_state`; a paused or breached rollout stays so. A plan that \
             does not read (steps not increasing or not ending at 100, a gate that does not \
             parse, an unknown field) is a 400 whose message says why. Audited as \
             rollout.plan.",
        )
        .optional_body(schema("PlanRequest")),
    ]
}

//! Flags and the moves of a cutover on one: rollout, stage, kill switch.

use serde_json::Value;

use super::route::Access::Requires;
use super::route::{Access, Route, route};
use crate::openapi::vocab::*;
use cutover_core::Capability;
use cutover_core::Capability::*;

use crate::auth::who_may;
use crate::openapi::change_roles::{beyond_operate, capability_of};

use crate::admin;
/// The answer of a change to one flag (`admin::committed_flag`).
pub(crate) fn changed_flag() -> Value {
    answer(
        "The flag after the change. When the change altered nothing (the flag was already so), \
         the version stays and X-Cutover-Audit-Id is absent.",
        Some(schema("Flag")),
        &["ETag", "X-Cutover-Audit-Id"],
    )
}

/// A move of a cutover on one flag: the shape every flag-change route but create shares.
pub(crate) fn flag_change(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    access: Access,
    summary: &'static str,
) -> Route {
    route(method, path, id, access, summary)
        .key()
        .versioned()
        .audited()
        .store()
        .fails(&[Fail::NotFound, Fail::Invalid])
        .ok(200, changed_flag())
}

/// The changes the generic route's `Operate` does not cover, with who may make them:
/// "set_description, ... and replace need admin", from `Capability::for_change`.
fn changes_beyond_operate() -> String {
    let mut groups: Vec<(Capability, Vec<&str>)> = Vec::new();
    for tag in beyond_operate() {
        let Some(capability) = capability_of(tag) else {
            continue;
        };
        match groups.iter_mut().find(|(c, _)| *c == capability) {
            Some((_, tags)) => tags.push(tag),
            None => groups.push((capability, vec![tag])),
        }
    }
    let sentences: Vec<String> = groups
        .into_iter()
        .map(|(capability, tags)| {
            let tags = match tags.split_last() {
                Some((last, [])) => (*last).to_owned(),
                Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                None => String::new(),
            };
            format!("{tags} need {}", who_may(capability))
        })
        .collect();
    sentences.join("; ")
}

/// `guard::pause_for_hand_change`: a person moving the exposure takes over from the guard.
pub(crate) const HAND_CHANGE: &str = "A guarded rollout that is running pauses: the person takes over \
                           from the guard (resume it with POST rollout/resume).";

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route(
            "get",
            "/api/v1/flags",
            "listFlags",
            Requires(Read),
            "List every flag",
        )
        .serve(admin::flags::list)
        .store()
        .ok(
            200,
            answer("Every flag, by key.", Some(array(schema("Flag"))), &[]),
        ),
        route(
            "post",
            "/api/v1/flags",
            "createFlag",
            Requires(Configure),
            "Create a flag",
        )
        .serve(admin::flags::create)
        .sample("/api/v1/flags", Some(r#"{"key": "new-flag"}"#))
        .notes(
            "Only `key` is required; other fields take the defaults the Flag schema gives, \
                 and a stage without rollout_percent sets the stage's rollout. The store sets \
                 version 1. 409 `already_exists` when the key is taken, `identity_taken` when \
                 another flag reads one of its environment variables: its key answers to the \
                 same `CUTOVER_FLAG_*` variable (`x-y`, `x_y` and `x.y` are one flag to the \
                 environment), or it declares env, env_percent or env_stage already read.",
        )
        .body(schema("Flag"))
        .audited()
        .store()
        .fails(&[Fail::Conflict, Fail::Invalid])
        .ok(
            201,
            answer(
                "The flag as created.",
                Some(schema("Flag")),
                &["ETag", "X-Cutover-Audit-Id"],
            ),
        ),
        route(
            "get",
            "/api/v1/flags/{key}",
            "getFlag",
            Requires(Read),
            "Read a flag",
        )
        .serve(admin::flags::get)
        .sample("/api/v1/flags/checkout", None)
        .key()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "The flag; its ETag is the version to send as If-Match.",
                Some(schema("Flag")),
                &["ETag"],
            ),
        ),
        flag_change(
            "patch",
            "/api/v1/flags/{key}",
            "updateFlag",
            Requires(Configure),
            "Reshape a flag: description, owner, enabled, stickiness, salt, scope, environment \
             names",
        )
        .serve(admin::flags::update)
        .or_retreat()
        .sample("/api/v1/flags/checkout", Some(r#"{"description": "x"}"#))
        .notes(
            "Send at least one of description, owner, enabled, stickiness, salt, scope, env, \
             env_percent, env_stage (400 otherwise); `salt: null` goes back to the key, `env: \
             null` (and the others) clear the name; env_mode only with env. `enabled: false` \
             pauses a running guarded rollout. A name another flag reads is a 409 \
             `identity_taken` naming both flags.",
        )
        .body(schema("UpdateRequest")),
        route(
            "delete",
            "/api/v1/flags/{key}",
            "deleteFlag",
            Requires(Configure),
            "Delete a flag",
        )
        .serve(admin::flags::remove)
        .sample("/api/v1/flags/other", None)
        .notes("Refused with 409 `in_use` while a preset names the flag.")
        .key()
        .versioned()
        .audited()
        .store()
        .fails(&[Fail::NotFound])
        .ok(
            200,
            answer(
                "The flag as it was.",
                Some(schema("Flag")),
                &["X-Cutover-Audit-Id"],
            ),
        ),
        flag_change(
            "post",
            "/api/v1/flags/{key}/changes",
            "changeFlag",
            Requires(Operate),
            "Apply a list of changes together",
        )
        .serve(admin::flags::changes)
        .or_retreat()
        .sample(
            "/api/v1/flags/checkout/changes",
            Some(r#"{"changes": [{"change": "set_rollout", "rollout_percent": 10}]}"#),
        )
        .notes(format!(
            "Each change is also checked against the caller's role: {} (403 otherwise). An \
             empty list is a 422, and so is a guard_action change: only the guard loop makes \
             those. set_plan and rollout_move answer 409 `rollout_state` like their own routes.",
            changes_beyond_operate()
        ))
        .body(schema("ChangesRequest")),
        flag_change(
            "put",
            "/api/v1/flags/{key}/rollout",
            "setRollout",
            Requires(Operate),
            "Set the rollout percentage",
        )
        .serve(admin::flags::rollout)
        .or_retreat()
        .sample("/api/v1/flags/checkout/rollout", Some(r#"{"percent": 10}"#))
        .notes(HAND_CHANGE)
        .body(schema("RolloutRequest")),
        flag_change(
            "put",
            "/api/v1/flags/{key}/stage",
            "setStage",
            Requires(Operate),
            "Move to a stage of the ladder, with the rollout it implies",
        )
        .serve(admin::flags::stage)
        .or_retreat()
        .sample("/api/v1/flags/checkout/stage", Some(r#"{"stage": "beta"}"#))
        .notes(HAND_CHANGE)
        .body(schema("StageRequest")),
        flag_change(
            "post",
            "/api/v1/flags/{key}/kill",
            "killFlag",
            Requires(Operate),
            "Pull the kill switch: everyone to legacy",
        )
        .serve(admin::flags::kill)
        .or_retreat()
        .sample("/api/v1/flags/checkout/kill", None)
        .notes(HAND_CHANGE),
        flag_change(
            "delete",
            "/api/v1/flags/{key}/kill",
            "unkillFlag",
            Requires(Operate),
            "Lift the kill switch",
        )
        .serve(admin::flags::unkill)
        .sample("/api/v1/flags/checkout/kill", None),
    ]
}

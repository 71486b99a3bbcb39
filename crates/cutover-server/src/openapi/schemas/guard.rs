//! Component schemas of guarded rollouts: plans, gates, looks, actions, records.

use serde_json::{Map, Value, json};

use crate::openapi::vocab::*;

/// The names of `Action`, also the `action` of a guard record (`guard::action_name`).
pub(crate) const ACTIONS: [&str; 7] = [
    "hold",
    "advance",
    "complete",
    "rollback",
    "step_down",
    "extend",
    "pause",
];

pub(crate) fn action_variants() -> Vec<TaggedVariant> {
    vec![
        ("hold", json!({}), &[], "Keep baking."),
        (
            "advance",
            json!({ "to": schema("Percent") }),
            &["to"],
            "Go to the next step, at this rollout.",
        ),
        (
            "complete",
            json!({}),
            &[],
            "The last step passed: the rollout is done.",
        ),
        ("rollback", json!({}), &[], "Breach: back to 0 %."),
        (
            "step_down",
            json!({ "to": schema("Percent") }),
            &["to"],
            "Breach: back to the previous step's rollout, paused.",
        ),
        (
            "extend",
            json!({}),
            &[],
            "Not enough data at the end of the bake: bake once more.",
        ),
        (
            "pause",
            json!({}),
            &[],
            "Not enough data after every extension: stop and wait for a person.",
        ),
    ]
}

/// A bake as plans read it: the whole-unit subset of the core's duration grammar
/// (`cutover_core::duration`), which also takes decimals and several units.
pub(crate) fn duration_text() -> Value {
    json!({ "type": "string", "pattern": "^\\s*[0-9]+[smhd]\\s*$" })
}

pub(crate) fn guard_schemas() -> Map<String, Value> {
    let shorthand = || {
        described(
            json!({ "type": "string", "pattern": " every ", "examples": ["5,25,50,100 every 10m"] }),
            "Percentages strictly increasing and ending at 100, each baking the same time \
             (s, m, h or d) with the default min_samples (200).",
        )
    };
    let nullable_number = || json!({ "type": ["number", "null"] });
    let mut all = tagged(
        "Action",
        "action",
        "What the guard does after a look, tagged by `action`.",
        action_variants(),
    );
    let more = json!({
        "RolloutPlan": {
            "description": "A guarded rollout plan: the steps the guard climbs, how long each \
                            bakes, how many calls each arm needs, the gates every step must \
                            satisfy and what a breach or too little data does. Accepted as the \
                            shorthand string or as the object; always written as the object, \
                            steps as a list, bakes in seconds.",
            "oneOf": [
                shorthand(),
                object(&["steps"], json!({
                    "steps": {
                        "oneOf": [
                            shorthand(),
                            { "type": "array", "items": schema("Step"), "minItems": 1 },
                        ],
                    },
                    "gates": described(array(described(text(),
                        "A gate of at most 256 bytes: `new.error_rate <= legacy.error_rate` (also fallback_rate, \
                         retry_rate; with `* 1.5` or `+ 2pp`, or a fixed rate such as `2%`), \
                         `new.p95 <= 100ms` (p50, p99; or against legacy.p95 with a margin), \
                         `baseline.` instead of `legacy.` for the figures from before the start, \
                         `agreement(field) >= 0.80`, `golden`, `verdict(NAME)`, \
                         `verdicts(all)`; optionally after `critical: ` \
                         (the default: a breach rolls back or steps down) or `warning: ` (a \
                         breach alerts and never moves the flag; the step may still advance).")),
                        "Every step must satisfy all of its critical gates; warning gates are \
                         judged and alerted on only. Without a critical gate (empty, the \
                         default, or only warnings): `new.error_rate <= legacy.error_rate` \
                         acts as well."),
                    "on_breach": described(
                        json!({ "enum": ["rollback", "step_down"], "default": "rollback" }),
                        "rollback: back to 0 %; step_down: back to the previous step, paused."),
                    "on_inconclusive": described(
                        json!({ "enum": ["extend_then_pause", "extend_then_rollback"],
                                "default": "extend_then_pause" }),
                        "What a step whose bake ended without enough data does, after \
                         max_extensions more bakes."),
                    "max_extensions": described(
                        json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX, "default": 2 }),
                        "Extra bakes an inconclusive step may take."),
                    "baseline_window": described(
                        json!({ "oneOf": [count(), duration_text()], "default": 3600 }),
                        "How far back from the start `baseline.` gates read the legacy path's \
                         figures: seconds, or a duration such as \"1h\"; always seconds when \
                         written."),
                }), true),
            ],
        },
        "Step": object(&["percent", "bake"], json!({
            "percent": schema("Percent"),
            "bake": described(json!({ "oneOf": [count(), duration_text()] }),
                "How long the step bakes: seconds, or a duration such as \"10m\" (s, m, h, d) \
                 when read; always seconds when written."),
            "min_samples": described(json!({ "type": "integer", "minimum": 0, "default": 200 }),
                "Calls each arm needs in the step before it may pass."),
        }), true),
        "RolloutRun": described(object(
            &["status", "step", "extensions", "started_at", "evidence"],
            json!({
                "status": described(
                    json!({ "enum": ["running", "paused", "breached", "completed", "aborted"] }),
                    "running: the guard moves it. paused: held by a person or for lack of \
                     data. breached: a gate failed and the guard rolled back or stepped down; \
                     only a resume moves it on. completed, aborted: over."),
                "step": described(count(), "The plan step it is on, from 0."),
                "extensions": described(count(), "Extra bakes the current step has taken."),
                "started_at": instant(),
                "evidence": described(array(instant()),
                    "When each step whose figures count as evidence began, oldest first; the \
                     last is the current step's start. A resume starts it afresh."),
                "reason": described(nullable(text()),
                    "Why it is paused, breached or over; left out (or null) while running."),
            }),
            true,
        ), "A guarded rollout in progress, or the last one."),
        "GoldenResult": described(object(
            &["passed", "at", "corpus", "cases", "failed"],
            json!({
                "passed": boolean(),
                "at": described(instant(), "When the run finished."),
                "corpus": described(text(), "The corpus it ran (a path or a name), at most 1024 bytes."),
                "cases": count(),
                "failed": count(),
                "summary": described(text(), "What failed, in a line of at most 1024 bytes; left out when empty."),
            }),
            true,
        ), "A golden-corpus run's verdict recorded against a flag: what the `golden` gate reads."),
        "Verdict": { "enum": ["pass", "fail", "inconclusive"] },
        "Severity": described(json!({ "enum": ["critical", "warning"] }),
            "critical: a failure acts (rollback or step down, per the plan's on_breach). \
             warning: a failure is recorded and alerted once per breach episode; it never \
             moves the flag nor holds a step back."),
        "ShownVerdict": described(
            object(&["passed", "source", "at", "standing"], {
                let mut fields = verdict_fields();
                fields["standing"] = json!({ "enum": ["passed", "failed", "expired"] });
                fields
            }, true),
            "A verdict and where it stands now."),
        "StageRequirement": described(object(
            &[],
            json!({
                "gates": described(array(text()),
                    "Verdict gates that must pass: golden, verdict(NAME), verdicts(all)."),
                "after_s": described(count(),
                    "The least time, in seconds, at the stage below (beta below production, \
                     production below legacy_disabled)."),
                "role": described(json!({ "enum": ["admin", "operator", "viewer", "sdk"] }),
                    "The least role that may make the move through the API."),
            }),
            true,
        ), "What entering one stage needs."),
        "VerdictRequest": described(object(
            &["passed"],
            json!({
                "passed": boolean(),
                "url": described(text(), "Where the evidence is: an http(s) address of at most 2 KiB."),
                "details": described(json!({}), "What the check says, as JSON of at most 8 KiB."),
                "valid_for": described(text(), "How long it counts: a duration such as 7d, 12h or 90m."),
                "expected_version": described(count(), "The flag's version, as If-Match."),
            }),
            true,
        ), "A named check's outcome."),
        "NamedVerdict": described(object(&["passed", "source", "at"], verdict_fields(), true),
            "The latest outcome of one named check. Gates: `verdict(NAME)` passes while it \
             passed and has not expired, `verdicts(all)` while every verdict does, `golden` \
             while every golden one does; a missing or expired one is inconclusive, a failed \
             one fails."),
        "GateReading": described(object(
            &["gate", "severity", "verdict", "unit", "new", "legacy", "threshold", "samples",
              "legacy_samples", "log_statistic", "fail_at", "suggested_action"],
            json!({
                "gate": described(text(), "The gate's condition, without its severity label."),
                "severity": schema("Severity"),
                "verdict": schema("Verdict"),
                "unit": described(json!({ "enum": ["ratio", "microseconds", "outcome"] }),
                    "Of new, legacy and threshold: a share 0 to 1, microseconds, or passed (1) / \
                     failed (0)."),
                "new": described(nullable_number(),
                    "The new arm's figure in the current step; null without data."),
                "legacy": described(nullable_number(),
                    "The legacy arm's figure in the current step, when the gate compares with it."),
                "threshold": described(nullable_number(),
                    "The bound the new arm's figure must stay under (over, for agreement)."),
                "samples": described(count(),
                    "Observations of the new arm in the current step (calls, timed calls or \
                     comparisons)."),
                "legacy_samples": count(),
                "log_statistic": described(json!({ "type": "number" }),
                    "log of the sequential statistic over the rollout so far."),
                "fail_at": described(json!({ "type": "number" }),
                    "The gate fails once log_statistic reaches this."),
                "suggested_action": described(text(), "What to look at if this gate breaks."),
            }),
            true,
        ), "One gate's verdict with its numbers."),
        "Assessment": described(object(&["verdict", "gates"], json!({
            "verdict": schema("Verdict"),
            "gates": array(schema("GateReading")),
        }), true), "The step's verdict, decided by the critical gates alone: fail if any \
            critical gate fails, pass when every critical gate passes. `gates` holds every \
            gate, warnings included, with its severity and verdict."),
        "Look": described(object(
            &["step", "extensions", "elapsed_s", "assessment", "decision"],
            json!({
                "step": count(),
                "extensions": count(),
                "elapsed_s": described(count(), "Seconds since the current step began."),
                "assessment": schema("Assessment"),
                "decision": described(schema("Action"),
                    "What the plan decides now; hold when the rollout is not running."),
            }),
            true,
        ), "What a look at a rollout found, and what the plan says to do about it."),
        "RolloutStatus": object(
            &["flag", "version", "rollout_percent", "plan", "run", "golden", "verdicts", "look", "at"],
            json!({
                "flag": schema("FlagKey"),
                "version": described(count(), "The flag's version."),
                "rollout_percent": schema("Percent"),
                "plan": nullable(schema("RolloutPlan")),
                "run": nullable(schema("RolloutRun")),
                "golden": described(nullable(schema("GoldenResult")),
                    "The golden run behind the verdict `golden`."),
                "verdicts": described(
                    json!({ "type": "object", "additionalProperties": schema("NamedVerdict") }),
                    "Every verdict the flag holds, by name."),
                "next_stage": described(nullable(object(
                    &["stage", "requires", "missing"],
                    json!({
                        "stage": schema("Stage"),
                        "requires": nullable(schema("StageRequirement")),
                        "missing": described(array(text()),
                            "What does not hold yet, one sentence each; empty when the move \
                             may go ahead."),
                    }),
                    true,
                )), "The stage above the flag's and what entering it needs, judged now; null \
                     at the top of the ladder."),
                "look": described(nullable(schema("Look")),
                    "null when the flag has no plan or no rollout ever started."),
                "at": described(instant(), "When the look was taken."),
            }),
            true,
        ),
        "GuardRecord": described(object(
            &["flag", "at", "step", "rollout_percent", "action", "assessment"],
            json!({
                "flag": schema("FlagKey"),
                "at": instant(),
                "step": count(),
                "rollout_percent": described(schema("Percent"), "The rollout at the look."),
                "action": described(json!({ "enum": ACTIONS }),
                    "What the guard did: hold when it only looked."),
                "assessment": schema("Assessment"),
            }),
            true,
        ), "One look of the guard at a flag's rollout."),
    });
    if let Value::Object(more) = more {
        all.extend(more);
    }
    all
}

/// The fields of a named verdict, as the flag holds it.
fn verdict_fields() -> Value {
    json!({
        "passed": boolean(),
        "source": described(json!({ "enum": ["golden", "recorded"] }),
            "golden: a golden-corpus run (the `golden` gate reads these); recorded: any other \
             check."),
        "at": described(instant(), "When it was recorded (a golden run: when it finished)."),
        "by": described(text(), "Who recorded it: the audit actor."),
        "expires_at": described(instant(),
            "After this it counts as missing; left out when it never expires."),
        "url": described(text(), "Where the evidence is: an http(s) address of at most 2 KiB."),
        "details": described(json!({}),
            "What the check said, as it sent it: any JSON of at most 8 KiB."),
        "golden": schema("GoldenResult"),
    })
}

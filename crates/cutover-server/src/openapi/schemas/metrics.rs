//! Component schemas of arm metrics, shadow reports, the change stream and OFREP.

use serde_json::{Value, json};

use crate::openapi::vocab::*;

pub(crate) fn metric_schemas() -> Value {
    let counts = || {
        json!({
            "calls": count(), "errors": count(), "fallbacks": count(), "retries": count(),
            "latency": schema("LatencySketch"),
            "custom": described(json!({ "type": "object", "additionalProperties": count() }),
                "The service's own counters (name: 1 to 64 of a-z, 0-9, '_'), calls counted in \
                 each; read by gates such as new.invalid_json_rate <= 1%."),
        })
    };
    let mut arm = counts();
    arm["flag"] = schema("FlagKey");
    arm["arm"] = schema("Variant");
    let mut shadow = shadow_counts();
    shadow["flag"] = schema("FlagKey");
    let summary = object(
        &[
            "calls",
            "errors",
            "fallbacks",
            "retries",
            "error_rate",
            "fallback_rate",
            "retry_rate",
            "latency_ms",
        ],
        json!({
            "calls": count(), "errors": count(), "fallbacks": count(), "retries": count(),
            "error_rate": described(ratio(), "null before any call."),
            "fallback_rate": ratio(),
            "retry_rate": ratio(),
            "latency_ms": nullable(described(object(&["p50", "p90", "p95", "p99"], json!({
                "p50": { "type": "number" }, "p90": { "type": "number" },
                "p95": { "type": "number" }, "p99": { "type": "number" },
            }), true), "Quantiles in milliseconds, each at most 1/32 below the true value.")),
            "counters": described(json!({ "type": "object", "additionalProperties":
                object(&["count", "rate"], json!({ "count": count(), "rate": ratio() }), true) }),
                "The service's own counters: count and count / calls; absent when none."),
        }),
        true,
    );
    let mut report_fields = shadow_counts();
    report_fields["flag"] = schema("FlagKey");
    report_fields["since"] = instant();
    report_fields["until"] = instant();
    report_fields["fields"] =
        json!({ "type": "object", "additionalProperties": schema("FieldAgreement") });
    let mut agreement = field_tally();
    agreement["ratio"] = described(ratio(), "agreed / compared; null before any comparison.");
    agreement["interval95"] = described(
        json!({ "type": ["array", "null"], "prefixItems": [{ "type": "number" }, { "type": "number" }], "items": false }),
        "The 95 % Wilson interval of the ratio: [low, high].",
    );
    json!({
        "LatencySketch": object(&["buckets"], json!({
            "buckets": described(array(pair(
                    json!({ "type": "integer", "minimum": 0, "maximum": cutover_core::LATENCY_BUCKETS - 1 }),
                    count())),
                "[bucket, count] pairs of a log-linear histogram of microseconds, sorted, no zero counts."),
        }), true),
        "ArmReport": object(&["flag", "arm", "calls", "errors", "fallbacks", "retries", "latency"], arm, false),
        "FlagShadow": object(&shadow_required(&["flag"]), shadow, false),
        "MetricsBatch": object(&["window_start", "window_end", "arms"], json!({
            "window_start": described(instant(),
                "At most 10 minutes before the server's time (422 otherwise)."),
            "window_end": described(instant(),
                "Not before window_start, at most 1 minute after the server's time (422)."),
            "arms": array(schema("ArmReport")),
            "shadows": array(schema("FlagShadow")),
            "dropped_batches": described(count(), "Batches the SDK dropped since its last upload."),
        }), false),
        "UploadAccepted": object(&["arms", "shadows", "window_start", "ignored"], json!({
            "arms": described(count(), "Arm reports kept."),
            "shadows": described(count(), "Shadow reports kept."),
            "window_start": described(instant(), "The second they were counted in."),
            "ignored": described(object(&["arms", "shadows", "unknown_flags"], json!({
                "arms": count(),
                "shadows": count(),
                "unknown_flags": array(schema("FlagKey")),
            }), true), "Reports for flags this node does not know, set aside."),
        }), true),
        "ArmSummary": summary,
        "FlagMetrics": object(&["flag", "since", "until", "legacy", "new"], json!({
            "flag": schema("FlagKey"), "since": instant(), "until": instant(),
            "legacy": schema("ArmSummary"), "new": schema("ArmSummary"),
        }), true),
        "FieldTally": object(&TALLY, field_tally(), true),
        "FieldAgreement": object(&TALLY, agreement, true),
        "ShadowTally": object(&["fields", "cases", "cases_agreed"], json!({
            "fields": { "type": "object", "additionalProperties": schema("FieldTally") },
            "cases": count(), "cases_agreed": count(),
        }), true),
        "MismatchSample": object(&["path", "context"], json!({
            "path": text(),
            "legacy": { "description": "The legacy output at path; left out or null when absent." },
            "new": { "description": "The new output at path; left out or null when absent." },
            "context": described(array(pair(text(), text())), "[attribute, value] pairs."),
        }), true),
        "FlagShadowReport": object(&shadow_required(&["flag", "since", "until", "fields"]), report_fields, true),
    })
}

pub(crate) const TALLY: [&str; 5] = ["compared", "agreed", "disagreed", "missing", "extra"];

pub(crate) fn field_tally() -> Value {
    json!({
        "compared": count(), "agreed": count(), "disagreed": count(),
        "missing": described(count(), "The new output lacked the field."),
        "extra": described(count(), "The new output had a field the legacy one did not."),
    })
}

/// `ShadowCounts`, flattened into the shapes that carry it.
pub(crate) fn shadow_counts() -> Value {
    json!({
        "runs": count(), "compared": count(), "new_errors": count(), "new_panics": count(),
        "timeouts": count(),
        "tally": schema("ShadowTally"),
        "mismatches": described(array(schema("MismatchSample")), "At most 100 kept per flag and one-second window; a report over several windows keeps \
             100 in all, the rest counted in mismatches_dropped."),
        "mismatches_dropped": described(count(), "Mismatches seen beyond the kept sample."),
    })
}

pub(crate) fn shadow_required(extra: &[&'static str]) -> Vec<&'static str> {
    let own = [
        "runs",
        "compared",
        "new_errors",
        "new_panics",
        "timeouts",
        "tally",
        "mismatches",
        "mismatches_dropped",
    ];
    extra.iter().copied().chain(own).collect()
}

/// A Rust tuple as serde writes it: a two-element array.
pub(crate) fn pair(first: Value, second: Value) -> Value {
    json!({ "type": "array", "prefixItems": [first, second], "items": false, "minItems": 2 })
}

pub(crate) fn stream_schemas() -> Value {
    json!({
        "StreamSnapshot": object(&["type", "seq", "flags"], json!({
            "type": { "const": "snapshot" },
            "seq": described(count(), "The audit id the snapshot is at; also the event id."),
            "flags": array(schema("Flag")),
        }), true),
        "StreamChange": object(&["type", "seq", "action", "key", "at", "flag"], json!({
            "type": { "const": "change" },
            "seq": described(count(), "The change's audit id; also the event id."),
            "action": text(),
            "key": schema("FlagKey"),
            "at": instant(),
            "flag": described(nullable(schema("Flag")), "The flag after the change; null when it was deleted."),
        }), true),
        "StreamChanges": described(object(&["type", "seq", "changes"], json!({
            "type": { "const": "changes" },
            "seq": described(count(), "The audit id of the transaction's last change; also the event id."),
            "changes": array(schema("StreamChange")),
        }), true), "Several flags changed by one transaction (a preset applied, an import): apply them together."),
        "OfrepRefetch": described(object(&["type", "etag"], json!({
            "type": { "const": "refetchEvaluation" },
            "etag": text(),
        }), true), "OFREP's change notification: evaluate again."),
        "Ready": object(&["status", "head"], json!({
            "status": { "const": "ready" },
            "head": described(count(), "The last audit id this node applied."),
        }), true),
    })
}

pub(crate) fn ofrep_schemas() -> Value {
    let docs = json!({ "url": OFREP_SPEC });
    json!({
        "OfrepRequest": {
            "type": "object",
            "description": "OFREP's evaluation request. String, number and boolean attributes are \
                            used (numbers and booleans in their JSON spelling); null, objects and \
                            arrays are skipped. Without a context, the context is empty.",
            "externalDocs": docs,
            "properties": {
                "context": {
                    "type": "object",
                    "properties": { "targetingKey": text() },
                    "additionalProperties": true,
                },
            },
        },
        "OfrepEvaluation": {
            "type": "object",
            "required": ["key", "value", "reason", "variant", "metadata"],
            "description": "OFREP's evaluation success, for a boolean flag.",
            "externalDocs": docs,
            "properties": {
                "key": schema("FlagKey"),
                "value": described(boolean(), "true: the new path."),
                "reason": { "enum": ["DISABLED", "STATIC", "TARGETING_MATCH", "SPLIT", "UNKNOWN", "DEFAULT"] },
                "variant": schema("Variant"),
                "metadata": {
                    "type": "object",
                    "required": ["flagVersion", "cutoverReason", "explanation"],
                    "properties": {
                        "flagVersion": count(),
                        "cutoverReason": { "enum": ["kill_switch", "env_override", "disabled", "legacy_retired",
                                                    "override", "out_of_scope", "rollout", "flag_not_found"] },
                        "explanation": text(),
                        "attribute": described(text(), "The attribute that decided it."),
                        "bucket": described(json!({ "type": "integer", "minimum": 0, "maximum": 9999 }),
                            "The bucket, in basis points."),
                        "rolloutPercent": described(text(), "As text, such as 12.5%."),
                        "envVar": described(text(), "The environment variable that decided it: CUTOVER_FLAG_<KEY> or the flag's env."),
                    },
                },
            },
        },
        "OfrepBulkEvaluation": {
            "type": "object",
            "required": ["flags", "metadata", "eventStreams"],
            "description": "OFREP's bulk evaluation success, with the change stream to follow.",
            "externalDocs": docs,
            "properties": {
                "flags": array(schema("OfrepEvaluation")),
                "metadata": { "type": "object", "properties": { "version": count() } },
                "eventStreams": array(json!({
                    "type": "object",
                    "properties": {
                        "type": { "const": "sse" },
                        "endpoint": { "type": "object", "properties": { "requestUri": text() } },
                        "inactivityDelaySec": count(),
                    },
                })),
            },
        },
        "OfrepFailure": {
            "type": "object",
            "required": ["errorCode"],
            "description": "OFREP's evaluation failure.",
            "externalDocs": docs,
            "properties": {
                "key": text(),
                "errorCode": { "enum": ["PARSE_ERROR", "INVALID_CONTEXT", "FLAG_NOT_FOUND", "GENERAL"] },
                "errorDetails": text(),
            },
        },
    })
}

//! What SDKs use: the change stream, arm metric upload, and the figures read from it.

use serde_json::{Value, json};

use super::route::Access::Requires;
use super::route::{Route, route};
use crate::openapi::vocab::*;
use cutover_core::Capability::*;

use crate::{admin, stream};
/// One server-sent event of the change stream, as a client parses it (its fields; a heartbeat is
/// a comment, no event): the `data` of each kind is JSON of the schema named for it.
pub(crate) fn stream_event() -> Value {
    let kinds = [
        ("snapshot", "StreamSnapshot"),
        ("change", "StreamChange"),
        ("changes", "StreamChanges"),
        ("message", "OfrepRefetch"),
    ];
    let one_of: Vec<Value> = kinds
        .iter()
        .map(|(event, data)| {
            json!({
                "required": ["event", "data"],
                "properties": {
                    "event": { "const": event },
                    "data": {
                        "contentMediaType": "application/json",
                        "contentSchema": schema(data),
                    },
                },
            })
        })
        .collect();
    json!({
        "type": "object",
        "properties": {
            "event": { "enum": kinds.iter().map(|(e, _)| *e).collect::<Vec<_>>() },
            "id": described(text(), "The audit id the event brings the client to."),
            "data": text(),
        },
        "oneOf": one_of,
    })
}

pub(crate) fn window(op: Route) -> Route {
    op.key()
        .query(
            "since",
            instant(),
            "RFC 3339; default 15 minutes before until. Counts are kept per second (an upload \
             counts in the second its window ends in), so the second since falls in is \
             included.",
        )
        .query("until", instant(), "RFC 3339; default now.")
        .store()
        .fails(&[Fail::NotFound])
        .notes("since must be before until (422); a flag that does not exist is a 404.")
}

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route(
            "get",
            "/api/v1/stream",
            "followChanges",
            Requires(Evaluate),
            "Follow every change as server-sent events",
        ).serve(stream::follow)
        .notes(
            "On connect, a `snapshot` event; with Last-Event-ID, only the `change` events \
             missed (or a snapshot when too many were). Then every change as this node applies \
             it, each with its audit id as the event id, and a `heartbeat` comment when idle. \
             With format=ofrep, OFREP `refetchEvaluation` notifications (event `message`) \
             instead. Served from memory: no store errors.",
        )
        .param(header_param(
            "Last-Event-ID",
            "The id of the last event seen: resume after it.",
        ))
        .query(
            "format",
            json!({ "enum": ["ofrep"] }),
            "ofrep: send OFREP refetchEvaluation notifications instead of flags.",
        )
        .ok(
            200,
            json!({
                "description": "An event stream; `data` of each event as the x-event-data schemas say.",
                "content": { "text/event-stream": { "schema": stream_event() } },
                "x-event-data": {
                    "snapshot": schema("StreamSnapshot"),
                    "change": schema("StreamChange"),
                    "changes": schema("StreamChanges"),
                    "message": schema("OfrepRefetch"),
                },
            }),
        ),
        route(
            "post",
            "/api/v1/metrics",
            "uploadMetrics",
            Requires(Evaluate),
            "Upload per-arm metrics and shadow findings (what SDKs do every few seconds)",
        ).serve(admin::arm_metrics::upload).sample("/api/v1/metrics", Some(r#"{"window_start": "WINDOW_START", "window_end": "WINDOW_END",
                "arms": [{"flag": "checkout", "arm": "new", "calls": 3, "errors": 1,
                          "fallbacks": 0, "retries": 0, "latency": {"buckets": [[40, 3]]}}]}"#))
        .notes(
            "A batch counts in the second its window ends in. The guard acts on these figures, \
             so a batch that cannot be true is refused whole (422, `field` names the part): \
             errors, fallbacks, retries and every counter at most the calls; the latency sketch \
             adding up to the calls, buckets in order; at most 100,000,000 calls a second of \
             window; shadow outcomes at most the runs, each field's outcomes adding up to its \
             comparisons; each flag and arm once; a window that starts at most 10 minutes \
             before the server's time and ends at most 1 minute after it. Reports for flags \
             this node does not know are set aside and counted (`ignored`, and the Prometheus \
             counter cutover_metrics_unknown_flag_reports_total), the rest is kept. Uploads \
             are limited per token (default 50 a second, bursts of 100; `serve \
             --upload-rate/--upload-burst`) on a budget apart from change requests.",
        )
        .body(schema("MetricsBatch"))
        .store()
        .fails(&[Fail::Invalid, Fail::RateLimited])
        .ok(200, answer("Kept.", Some(schema("UploadAccepted")), &[])),
        window(route(
            "get",
            "/api/v1/flags/{key}/metrics",
            "flagMetrics",
            Requires(Read),
            "Per-arm error, fallback and retry rates and latency quantiles over a window",
        ).serve(admin::arm_metrics::read).sample("/api/v1/flags/checkout/metrics", None))
        .ok(
            200,
            answer("Both arms' figures.", Some(schema("FlagMetrics")), &[]),
        ),
        window(route(
            "get",
            "/api/v1/flags/{key}/shadow",
            "flagShadow",
            Requires(Read),
            "What shadow runs found over a window",
        ).serve(admin::arm_metrics::read_shadow).sample("/api/v1/flags/checkout/shadow", None))
        .ok(
            200,
            answer(
                "Per-field agreement ratios with 95 % Wilson intervals, failures and a \
                 sample of mismatches.",
                Some(schema("FlagShadowReport")),
                &[],
            ),
        ),
    ]
}

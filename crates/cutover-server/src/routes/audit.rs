//! The audit log: pages, verification, export.

use serde_json::json;

use super::route::Access::Requires;
use super::route::{Route, route};
use crate::openapi::vocab::*;
use cutover_core::Capability::*;

use crate::admin;
/// The filter `admin::audit::QueryParams` reads; bad instants, order or flag are 422s.
pub(crate) fn audit_filter(op: Route, limit: &str) -> Route {
    op.query(
        "after_id",
        count(),
        "Only entries after this id: the cursor of the next page when reading oldest first.",
    )
    .query(
        "before_id",
        count(),
        "Only entries before this id: the cursor of the next page when reading newest first.",
    )
    .query("actor", text(), "Only this actor's entries (a token name).")
    .query("flag", schema("FlagKey"), "Only entries about this flag.")
    .query(
        "action",
        text(),
        "An exact action (`flag.rollout`) or a family (`override.*`).",
    )
    .query("since", instant(), "RFC 3339 instant, inclusive.")
    .query("until", instant(), "RFC 3339 instant, exclusive.")
    .query(
        "limit",
        json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX }),
        limit,
    )
    .query(
        "order",
        json!({ "enum": ["oldest", "newest"], "default": "oldest" }),
        "Which end of the log comes first.",
    )
    .store()
    .fails(&[Fail::Invalid])
}

pub(crate) fn routes() -> Vec<Route> {
    use cutover_core::limits::{AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX};
    let page = format!(
        "Entries per page: 1 to {AUDIT_PAGE_MAX}, {AUDIT_PAGE_DEFAULT} when not given (anything \
         else is a 422). A page also ends once its entries pass about 1 MiB."
    );
    vec![
        audit_filter(
            route(
                "get",
                "/api/v1/audit",
                "queryAudit",
                Requires(Read),
                "Query the audit log, one page at a time",
            )
            .serve(admin::audit::query)
            .notes(
                "Answers one page of the matching entries. When more match, the Link header \
                 names the next page (the same filters, the cursor moved past the last entry \
                 answered); follow it until an answer has no Link.",
            ),
            &page,
        )
        .ok(
            200,
            answer(
                "One page of the matching entries.",
                Some(array(schema("AuditEntry"))),
                &["Link"],
            ),
        ),
        route(
            "get",
            "/api/v1/audit/verify",
            "verifyAudit",
            Requires(Read),
            "Verify the audit log: its hash chain, the rows it describes, the seal, an anchor",
        )
        .serve(admin::audit_verify::verify)
        .query(
            "expect_head",
            text(),
            "A head to hold the log to, as `cutover audit head` prints it: ID:HASH or HASH. \
             A value that is neither is a 422 naming expect_head.",
        )
        .store()
        .fails(&[Fail::Invalid])
        .ok(
            200,
            answer(
                "The verification; `intact` is false when anything failed, and `problems` says \
                 what, one sentence each.",
                Some(schema("VerifyReport")),
                &[],
            ),
        ),
        audit_filter(
            route(
                "get",
                "/api/v1/audit/export",
                "exportAudit",
                Requires(Read),
                "Export audit entries as JSON lines",
            )
            .serve(admin::audit::export)
            .notes(
                "Streamed: the node reads the log page by page as it sends, so an export of any \
                 size is never built in memory. A store failure after the first page ends the \
                 answer early (an incomplete chunked body).",
            ),
            "The most entries to send (all matching when not given).",
        )
        .ok(
            200,
            answer_as(
                "The matching entries, one AuditEntry per line; before and after are the \
                 exact JSON that was hashed, so an export verifies on its own.",
                "application/x-ndjson",
                text(),
            ),
        ),
    ]
}
